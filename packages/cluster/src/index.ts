export { main, parseWorkerArgs, WORKER_USAGE } from "./cli-main.js";
export { addressOf } from "./connection.js";
export {
  ChunkFailedError,
  ClusterClosedError,
  ClusterError,
  type ClusterErrorCode,
  ClusterUsageError,
  type IndexRange,
  ItemError,
  NoWorkerHostsError,
  RedisLostError,
  RedisUnreachableError,
  type RemoteError,
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
  type Connection,
  ConnectionSchema,
  type WorkerHostOptions,
  WorkerHostOptionsSchema,
} from "./options.js";
export {
  CLUSTER_REASON_CODES,
  type ClusterCostFigures,
  ClusterCostFiguresSchema,
  type ClusterPlan,
  type ClusterPlanInput,
  ClusterPlanInputSchema,
  type ClusterReasonCode,
  planCluster,
  predictClusterWallMs,
} from "./plan.js";
export {
  type ClusterBackend,
  type ClusterMapResult,
  type ClusterReport,
  type ClusterRunError,
  cluster,
  executeOnCluster,
} from "./run.js";
