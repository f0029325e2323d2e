// Errors of the optimizer. A failure that the executor can also meet (a task that cannot
// load, an item that throws or cannot be cloned) is reported with the executor's class,
// so callers catch one class whichever phase found it.
export {
  ChunkTimeoutError,
  CloneError,
  ItemError,
  TaskLoadError,
  WorkerCrashedError,
} from "@amorsize/executor";

import { AmorsizeError, messageOf } from "@amorsize/types";

/** Base class: every Amorsize optimizer error has a stable `code`. */
export class AmorsizeOptimizerError extends AmorsizeError {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** The input data is unusable (CLI data files, an empty or non-iterable input). */
export class DataError extends AmorsizeOptimizerError {
  override readonly name = "DataError";
  /** 1-based line number in a JSON-lines file, when the problem is on one line. */
  readonly line: number | undefined;
  constructor(message: string, options?: { cause?: unknown; line?: number }) {
    super("AMORSIZE_BAD_DATA", message, options);
    this.line = options?.line;
  }
}

/** A stream was iterated twice, or its report was asked for before it ended. */
export class ExecutorStateError extends AmorsizeOptimizerError {
  override readonly name = "ExecutorStateError";
  constructor(message: string) {
    super("AMORSIZE_INVALID_STATE", message);
  }
}

/**
 * `execute()` read more items from an iterable input than `maxItems`: it collects every
 * result in memory, so a long or endless input belongs to `stream()`. The source iterator
 * and the pool are closed before this is thrown.
 */
export class InputTooLargeError extends AmorsizeOptimizerError {
  override readonly name = "InputTooLargeError";
  /** The bound that was passed: `options.maxItems`, or its default. */
  readonly limit: number;
  /** Index of the first item past the bound (equal to `limit`). */
  readonly index: number;
  constructor(limit: number) {
    super(
      "AMORSIZE_INPUT_TOO_LARGE",
      `execute() collects every result in memory, and this input has more than options.maxItems (${limit}) items: use stream() for a long or endless input, or raise maxItems.`,
    );
    this.limit = limit;
    this.index = limit;
  }
}

/**
 * The input itself failed: its iterator threw (or rejected) instead of giving item `index`.
 * `cause` is what it threw. Items before it that completed are kept: `stream()` delivers
 * them before it ends with this error.
 */
export class SourceError extends AmorsizeOptimizerError {
  override readonly name = "SourceError";
  /** Index of the item the source failed to give: the items before it were read. */
  readonly index: number;
  constructor(index: number, cause: unknown) {
    super("AMORSIZE_SOURCE_FAILED", `The input failed to give item ${index}: ${messageOf(cause)}`, { cause });
    this.index = index;
  }
}

/** A mistake on the command line (exit code 2). */
export class UsageError extends AmorsizeOptimizerError {
  override readonly name = "UsageError";
  constructor(message: string) {
    super("AMORSIZE_USAGE", message);
  }
}
