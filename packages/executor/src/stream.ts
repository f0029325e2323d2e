import { AmorsizeValidationError, type ExecutionReport } from "@amorsize/types";
import type { StreamItem } from "./delivery.js";
import type { RunError } from "./errors.js";

/** The engine behind a `ResultStream`: a run. */
export interface StreamEngine {
  next(): Promise<IteratorResult<StreamItem<unknown>, undefined>>;
  return(): Promise<IteratorResult<StreamItem<unknown>, undefined>>;
  takeReady(max: number): StreamItem<unknown>[];
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
  /**
   * The results already computed, in the order `next()` would give them, up to `max`
   * (default 65,536), without waiting: an empty array when none is ready, or while the
   * run stops and after it was aborted or left (then `next()` says how it ended). A run
   * that failed gives, once it has ended, what it delivered in order before the failure.
   * For consumers of millions of small results: one call takes a block where `for await`
   * pays a promise per result.
   */
  readReady(max?: number): StreamItem<R>[];
}

/** Results {@link ResultStream.readReady} hands out at most by default. */
export const READ_READY_MAX = 65_536;

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

  readReady(max = READ_READY_MAX): StreamItem<R>[] {
    if (!(Number.isInteger(max) && max >= 1)) {
      throw new AmorsizeValidationError([
        `readReady(max): must be an integer of at least 1, got ${String(max)}`,
      ]);
    }
    return this.engine.takeReady(max) as StreamItem<R>[];
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
