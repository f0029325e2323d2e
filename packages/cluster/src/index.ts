// The documented API. The `amorsize-worker` command's `main` is `@amorsize/cluster/cli`.
// An item's failure is the executor's `ItemError` (one class: `instanceof` works for both).
export { CloneError, type IndexRange, ItemError, type StreamItem } from "@amorsize/executor";
export {
  ChunkFailedError,
  ClusterClosedError,
  ClusterError,
  type ClusterErrorCode,
  ClusterUsageError,
  type JobRefusalCode,
  JobSignatureError,
  JobTooLargeError,
  NoWorkerHostsError,
  RedisLostError,
  RedisUnreachableError,
  RunAbortedError,
  TaskNotAllowedError,
} from "./errors.js";
export { startWorkerHost, type WorkerHost } from "./host.js";
export {
  type ClusterCostOptions,
  ClusterCostOptionsSchema,
  type ClusterCostProfile,
  type ClusterFigure,
  measureClusterCost,
} from "./measure.js";
export {
  CLUSTER_DEFAULTS,
  type ClusterOptions,
  ClusterOptionsSchema,
  type ClusterRunOptions,
  ClusterRunOptionsSchema,
  type ClusterStreamOptions,
  ClusterStreamOptionsSchema,
  type Connection,
  ConnectionSchema,
  RedisTlsSchema,
  type WorkerHostOptions,
  WorkerHostOptionsSchema,
} from "./options.js";
export {
  BASE64_RATIO,
  CLUSTER_REASON_CODES,
  type ClusterCostFigures,
  ClusterCostFiguresSchema,
  type ClusterPlan,
  type ClusterPlanInput,
  ClusterPlanInputSchema,
  type ClusterReasonCode,
  commandRoundTrips,
  planCluster,
  predictClusterWallMs,
  RUN_COMMANDS,
} from "./plan.js";
export type { ClusterMapResult, ClusterReport, ClusterRunError } from "./report.js";
export { type ClusterBackend, cluster, executeOnCluster } from "./run.js";
export type { ClusterStream } from "./stream.js";
