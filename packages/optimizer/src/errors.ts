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

import { AmorsizeError } from "@amorsize/types";

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

/** A mistake on the command line (exit code 2). */
export class UsageError extends AmorsizeOptimizerError {
  override readonly name = "UsageError";
  constructor(message: string) {
    super("AMORSIZE_USAGE", message);
  }
}
