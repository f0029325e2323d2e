import { AmorsizeError, type ExecutionReport, messageOf } from "@amorsize/types";

export { messageOf };

/** Stable codes of the errors this package throws. */
export type ExecutorErrorCode =
  | "AMORSIZE_ITEM_FAILED"
  | "AMORSIZE_ITEM_UNSETTLED"
  | "AMORSIZE_WORKER_CRASHED"
  | "AMORSIZE_TASK_NOT_FOUND"
  | "AMORSIZE_TASK_LOAD_FAILED"
  | "AMORSIZE_EXPORT_NOT_FOUND"
  | "AMORSIZE_EXPORT_NOT_FUNCTION"
  | "AMORSIZE_ITEM_NOT_CLONEABLE"
  | "AMORSIZE_RESULT_NOT_CLONEABLE"
  | "AMORSIZE_CHUNK_TIMEOUT"
  | "AMORSIZE_EXECUTOR_CLOSED";

/**
 * Base of every error of this package: a stable `code`, and the `report` of the run
 * it ended (set when the error rejected a `map()` or ended a `stream()`).
 */
export abstract class ExecutorError extends AmorsizeError {
  abstract override readonly code: ExecutorErrorCode;
  /** What the run did before it stopped; set when this error ended a run. */
  report?: ExecutionReport;
}

/** A `[first, last]` input index range (inclusive). */
export type IndexRange = readonly [first: number, last: number];

/** The task threw (or rejected) for one item. `cause` is the original error, rebuilt from the worker. */
export class ItemError extends ExecutorError {
  readonly code = "AMORSIZE_ITEM_FAILED" as const;
  override readonly name = "ItemError";
  /** Index of the item in the input. */
  readonly index: number;
  readonly range: IndexRange;

  constructor(index: number, cause: unknown) {
    super(`Item ${index} failed: ${messageOf(cause)}`, { cause });
    this.index = index;
    this.range = [index, index];
  }
}

/**
 * The task returned a promise for this item that can never settle: the thread it ran in
 * had nothing left that could settle it (no timer, no I/O, no other handle), so waiting
 * would hang the run or let the process exit without it. Detected in the calling thread
 * when Node is about to exit (`beforeExit`), and in a worker when only its own message
 * ports are left.
 */
export class ItemUnsettledError extends ExecutorError {
  readonly code = "AMORSIZE_ITEM_UNSETTLED" as const;
  override readonly name = "ItemUnsettledError";
  readonly index: number;
  readonly range: IndexRange;
  /** The thread the item ran in. */
  readonly where: "worker" | "calling thread";

  constructor(index: number, where: "worker" | "calling thread") {
    super(
      `Item ${index} returned a promise that never settled: nothing was left in its ${where} that could settle it (no timer, I/O or other handle)`,
    );
    this.index = index;
    this.range = [index, index];
    this.where = where;
  }
}

/** An item's failure as a run reports it: what the task threw, as `ItemError`; a promise that never settled stays `ItemUnsettledError`. */
export function itemFailure(index: number, cause: unknown): ItemError | ItemUnsettledError {
  return cause instanceof ItemUnsettledError ? cause : new ItemError(index, cause);
}

/**
 * A worker died: `process.exit()` in the task, an error thrown outside the task (a timer
 * callback), or running out of memory under `resourceLimits`. The pool replaces the
 * worker. The chunk's other items are run again, so the error names the one item that
 * kills a worker (`index`); `index` is null when a whole range is lost (a run past its
 * crash budget), or when a chunk killed a worker after it had returned (`after`: a timer
 * it left behind), whose results were kept.
 */
export class WorkerCrashedError extends ExecutorError {
  readonly code = "AMORSIZE_WORKER_CRASHED" as const;
  override readonly name = "WorkerCrashedError";
  /** The item that killed the worker; null when no single item was found. */
  readonly index: number | null;
  /** Input indices of the first and last item lost, or of the chunk at fault. */
  readonly range: IndexRange;
  /** The chunk had returned its results (kept) when what it left behind killed the worker. */
  readonly after: boolean;

  constructor(range: IndexRange, cause: unknown, options: { index?: number; after?: boolean } = {}) {
    const index = options.index ?? null;
    const after = options.after ?? false;
    const what =
      index !== null
        ? `while running item ${index}`
        : after
          ? `after items ${range[0]}..${range[1]} had returned (their results are kept)`
          : `while running items ${range[0]}..${range[1]}`;
    super(`A worker died ${what}: ${messageOf(cause)}`, { cause });
    this.index = index;
    this.range = range;
    this.after = after;
  }
}

/** Codes of {@link TaskLoadError}. */
export type TaskLoadErrorCode =
  | "AMORSIZE_TASK_NOT_FOUND"
  | "AMORSIZE_TASK_LOAD_FAILED"
  | "AMORSIZE_EXPORT_NOT_FOUND"
  | "AMORSIZE_EXPORT_NOT_FUNCTION";

/**
 * The task could not be loaded: the module does not exist (`AMORSIZE_TASK_NOT_FOUND`),
 * it threw while loading (`AMORSIZE_TASK_LOAD_FAILED`), or the export is missing
 * (`AMORSIZE_EXPORT_NOT_FOUND`) or not a function (`AMORSIZE_EXPORT_NOT_FUNCTION`).
 * Raised once per run, before any item is sent.
 */
export class TaskLoadError extends ExecutorError {
  readonly code: TaskLoadErrorCode;
  override readonly name = "TaskLoadError";
  /** The module as a URL (`file:///...`). */
  readonly module: string;
  /** The export name. */
  readonly exportName: string;

  constructor(code: TaskLoadErrorCode, module: string, exportName: string, detail: string, cause?: unknown) {
    super(`Cannot load task ${module}#${exportName}: ${detail}`, { cause });
    this.code = code;
    this.module = module;
    this.exportName = exportName;
  }
}

/** Codes of {@link CloneError}. */
export type CloneErrorCode = "AMORSIZE_ITEM_NOT_CLONEABLE" | "AMORSIZE_RESULT_NOT_CLONEABLE";

/**
 * An item could not be sent to a worker (`AMORSIZE_ITEM_NOT_CLONEABLE`), or its result
 * could not be sent back (`AMORSIZE_RESULT_NOT_CLONEABLE`), because structured clone
 * rejects it (a function, a symbol, a class with native state...). `reason` is the
 * clone error's message.
 */
export class CloneError extends ExecutorError {
  readonly code: CloneErrorCode;
  override readonly name = "CloneError";
  /** Index of the item; null only when no single item of the chunk could be blamed. */
  readonly index: number | null;
  readonly range: IndexRange;
  readonly reason: string;

  constructor(
    code: CloneErrorCode,
    index: number | null,
    range: IndexRange,
    reason: string,
    cause?: unknown,
  ) {
    const what =
      code === "AMORSIZE_ITEM_NOT_CLONEABLE"
        ? "cannot be sent to a worker"
        : "has a result that cannot be sent back";
    const where = index === null ? `A chunk (items ${range[0]}..${range[1]})` : `Item ${index}`;
    super(`${where} ${what}: ${reason}`, { cause });
    this.code = code;
    this.index = index;
    this.range = range;
    this.reason = reason;
  }
}

/**
 * A chunk ran longer than `chunkTimeoutMs`; its worker was terminated and replaced, and the
 * processes that worker started were ended (Linux; see the README's chunk time-outs).
 */
export class ChunkTimeoutError extends ExecutorError {
  readonly code = "AMORSIZE_CHUNK_TIMEOUT" as const;
  override readonly name = "ChunkTimeoutError";
  readonly index = null;
  readonly range: IndexRange;
  readonly timeoutMs: number;
  /**
   * How long the chunk waited for its worker to begin its items, when it never did (a
   * worker that did not start, an import of the task that did not end); null: it began.
   */
  readonly notBegunAfterMs: number | null;

  constructor(range: IndexRange, timeoutMs: number, notBegunAfterMs?: number) {
    super(
      notBegunAfterMs === undefined
        ? `${range[0] === range[1] ? `Item ${range[0]}` : `Items ${range[0]}..${range[1]}`} did not finish within ${timeoutMs} ms`
        : `Items ${range[0]}..${range[1]} were not begun within ${notBegunAfterMs} ms: their worker did not start, or its import of the task did not end`,
    );
    this.range = range;
    this.timeoutMs = timeoutMs;
    this.notBegunAfterMs = notBegunAfterMs ?? null;
  }
}

/** The executor was closed before or during the run. */
export class ExecutorClosedError extends ExecutorError {
  readonly code = "AMORSIZE_EXECUTOR_CLOSED" as const;
  override readonly name = "ExecutorClosedError";

  /** `message`: what was closed, for an owner of an executor (a session) that says so in its own words. */
  constructor(cause?: unknown, message = "The executor is closed") {
    super(message, { cause });
  }
}

/** A failure recorded under `onError: "collect"`: one item, or a whole chunk (`index` null). */
export type RunError = ItemError | ItemUnsettledError | CloneError | WorkerCrashedError | ChunkTimeoutError;
