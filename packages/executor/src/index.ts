export { ChunkSizer, type ChunkSizerOptions } from "./adaptive.js";
export type { MapResult, StreamItem } from "./delivery.js";
export {
  ChunkTimeoutError,
  CloneError,
  type CloneErrorCode,
  ExecutorClosedError,
  ExecutorError,
  type ExecutorErrorCode,
  type IndexRange,
  ItemError,
  ItemUnsettledError,
  itemFailure,
  type RunError,
  TaskLoadError,
  type TaskLoadErrorCode,
  WorkerCrashedError,
} from "./errors.js";
export { createExecutor, type Executor, type RunInput } from "./executor.js";
export type { TaskFunction } from "./load.js";
export { mapNow, settledHere } from "./now.js";
export { RUN_DEFAULTS } from "./options.js";
export type { ResultStream } from "./stream.js";
export { assertTaskModuleExists, importTask, type ResolvedTask, resolveTask } from "./task.js";
