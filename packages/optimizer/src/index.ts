export { ExecutorClosedError } from "@amorsize/executor";
export type { BackendDecision, RunBackend, SessionOptions } from "@amorsize/types";
export {
  ChunkTimeoutError,
  CloneError,
  DataError,
  ExecutorStateError,
  InputTooLargeError,
  ItemError,
  SourceError,
  TaskLoadError,
  UsageError,
  WorkerCrashedError,
} from "./errors.js";
export { type ExecuteResult, execute } from "./execute.js";
export { formatTable, planSummary } from "./format.js";
export { type OptimizeBasis, type OptimizeResult, type OptimizerOverhead, optimize } from "./optimize.js";
export type { PlanCheck } from "./report.js";
export { type SampleResult, type SampleTaskOptions, sampleTask, type TaskData } from "./sample.js";
export {
  type Amorsize,
  type AmorsizeOptions,
  createAmorsize,
  SESSION_DEFAULTS,
  type SessionCall,
  type SessionExecuteResult,
  type SessionRun,
  type SessionStats,
  type SessionTaskStats,
  type SessionWarmth,
} from "./session.js";
export { type OptimizedStream, type StreamResult, stream } from "./stream.js";
