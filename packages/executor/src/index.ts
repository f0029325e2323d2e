export { ChunkSizer, type ChunkSizerOptions, MAX_ADAPTIVE_CHUNK } from "./adaptive.js";
export {
  ChunkTimeoutError,
  CloneError,
  type CloneErrorCode,
  ExecutorClosedError,
  ExecutorError,
  type ExecutorErrorCode,
  type IndexRange,
  ItemError,
  type RunError,
  TaskLoadError,
  type TaskLoadErrorCode,
  WorkerCrashedError,
} from "./errors.js";
export { createExecutor, type Executor, type RunInput } from "./executor.js";
export { importTask, type TaskFunction } from "./load.js";
export { RUN_DEFAULTS } from "./options.js";
export type { MapResult, StreamItem } from "./parallel.js";
export type { ResultStream } from "./stream.js";
export { type ResolvedTask, resolveTask } from "./task.js";
