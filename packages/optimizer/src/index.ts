export { type BackendDecision, type BackendReport, backendReport, type RunBackend } from "./backend.js";
export { parseDataText, parseJsonLines, readDataFile } from "./data.js";
export {
  AmorsizeOptimizerError,
  ChunkTimeoutError,
  CloneError,
  DataError,
  ExecutorClosedError,
  ExecutorStateError,
  ItemError,
  TaskLoadError,
  UsageError,
  WorkerCrashedError,
} from "./errors.js";
export { type ExecuteResult, execute, type PlanCheck, planTheRest } from "./execute.js";
export { formatPlan, formatTable, planSummary } from "./format.js";
export { type OptimizeResult, type OptimizerOverhead, optimize } from "./optimize.js";
export { moduleHash, planCacheKey, sizeBucket } from "./plan-cache.js";
export {
  SAMPLE_DEFAULTS,
  type SampleResult,
  type SampleTaskOptions,
  sampleTask,
  spreadIndices,
  type TaskData,
} from "./sample.js";
export { type OptimizedStream, type StreamResult, stream } from "./stream.js";
export { parseTaskSpec, type ResolvedTask, resolveTask } from "./task.js";
