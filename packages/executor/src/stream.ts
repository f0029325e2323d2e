import type { ExecutionReport } from "@amorsize/types";
import type { StreamItem } from "./delivery.js";
import type { RunError } from "./errors.js";

/** The engine behind a `ResultStream`: a run. */
export interface StreamEngine {
  next(): Promise<IteratorResult<StreamItem<unknown>, undefined>>;
  return(): Promise<IteratorResult<StreamItem<unknown>, undefined>>;
  /** Null until the stream has ended for its consumer. */
  finalReport(): ExecutionReport | null;
  readonly errors: readonly RunError[];
}

/**
 * Results of `executor.stream()`, as an async iterable of `{ index, value }`: by input
 * index unless `ordered: false`. Iterate it once. Leaving the loop early (`break`,
 * `return`, a throw) stops the run: nothing more is read or sent, chunks in flight are
 * cancelled, and the loop exits once none is left.
 */
export interface ResultStream<R> extends AsyncIterableIterator<StreamItem<R>, undefined, undefined> {
  /**
   * What the run did. Available once the stream has ended (all results read, a failure
   * thrown, or the loop left early); throws before.
   */
  report(): ExecutionReport;
  /** Failures so far under `onError: "collect"`, by input index (failed items are not yielded). */
  readonly errors: readonly RunError[];
}

/** Wraps a run engine as a {@link ResultStream}. */
export class ResultStreamImpl<R> implements ResultStream<R> {
  constructor(private readonly engine: StreamEngine) {}

  get errors(): readonly RunError[] {
    return this.engine.errors;
  }

  next(): Promise<IteratorResult<StreamItem<R>, undefined>> {
    return this.engine.next() as Promise<IteratorResult<StreamItem<R>, undefined>>;
  }

  return(): Promise<IteratorResult<StreamItem<R>, undefined>> {
    return this.engine.return() as Promise<IteratorResult<StreamItem<R>, undefined>>;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  report(): ExecutionReport {
    const report = this.engine.finalReport();
    if (report === null) {
      throw new Error(
        "stream.report() is available once the stream has ended: read it to the end or leave the loop first",
      );
    }
    return report;
  }
}
