/**
 * joblib's `batch_size="auto"`, re-implemented as a baseline (see DESIGN.md,
 * "Reference algorithms"). Two pure parts, so tests can check exact sizes:
 * `JoblibAutoBatcher` (how big the next batch should be, from how long past
 * batches took) and `JoblibDispatcher` (which items the next batch holds,
 * including the pre-dispatch start and the smaller pieces near the end).
 */

/** Batches faster than this hide too little dispatch overhead: grow. joblib: 0.2 s. */
export const MIN_IDEAL_BATCH_MS = 200;
/** Batches slower than this risk stragglers: shrink. joblib: 2 s. */
export const MAX_IDEAL_BATCH_MS = 2_000;

/** joblib's `AutoBatchingMixin`: effective batch size and its smoothed batch duration. */
export class JoblibAutoBatcher {
  /** The batch size the next full batch gets. */
  effectiveBatchSize = 1;
  /** Smoothed duration of batches of `effectiveBatchSize`, ms; 0 = no record since the last change. */
  smoothedBatchMs = 0;

  /** `compute_batch_size()`: re-tunes the batch size from the smoothed duration and returns it. */
  computeBatchSize(): number {
    const old = this.effectiveBatchSize;
    const duration = this.smoothedBatchMs;
    let size = old;
    if (duration > 0 && duration < MIN_IDEAL_BATCH_MS) {
      // Times two limits oscillation between the bounds; min(2 * old) limits growth per step.
      const ideal = 2 * Math.trunc((old * MIN_IDEAL_BATCH_MS) / duration);
      size = Math.max(1, Math.min(2 * old, ideal));
    } else if (duration > MAX_IDEAL_BATCH_MS && old >= 2) {
      size = Math.max(1, 2 * Math.trunc((old * MIN_IDEAL_BATCH_MS) / duration));
    }
    if (size !== old) {
      this.effectiveBatchSize = size;
      // The estimate belonged to the old size; start a new one.
      this.smoothedBatchMs = 0;
    }
    return size;
  }

  /** `batch_completed()`: folds a batch's dispatch-to-completion time into the estimate. */
  batchCompleted(batchSize: number, durationMs: number): void {
    // Only full batches of the current size inform the estimate (end-of-run pieces do not).
    if (batchSize !== this.effectiveBatchSize) return;
    this.smoothedBatchMs =
      this.smoothedBatchMs === 0 ? durationMs : 0.8 * this.smoothedBatchMs + 0.2 * durationMs;
  }
}

/** A batch: input indices [start, end). */
export interface Batch {
  start: number;
  end: number;
}

/**
 * joblib's `Parallel.dispatch_one_batch` over `n` items with `nJobs` workers.
 * It first dispatches `preDispatch` items (joblib's default `2*n_jobs`) in
 * batches, then one batch per completed batch. Each time its local queue is
 * empty it slices `batchSize * nJobs` items into `nJobs` batches; when the slice
 * comes up short (the end of the input), into pieces of `len / (10 * nJobs)` so
 * the workers finish together.
 */
export class JoblibDispatcher {
  private cursor = 0;
  private readonly ready: Batch[] = [];
  private readonly preDispatchEnd: number;

  constructor(
    private readonly n: number,
    private readonly nJobs: number,
    private readonly batcher: JoblibAutoBatcher,
    preDispatch = 2 * nJobs,
  ) {
    this.preDispatchEnd = Math.min(n, preDispatch);
  }

  /** Items not yet handed out in a batch. */
  get remaining(): number {
    return this.n - this.cursor + this.ready.reduce((a, b) => a + b.end - b.start, 0);
  }

  /** The initial dispatch loop: batches from the pre-dispatch slice, until it is used up. */
  initialBatches(): Batch[] {
    const out: Batch[] = [];
    for (;;) {
      const batch = this.next(this.preDispatchEnd, false);
      if (batch === null) return out;
      out.push(batch);
    }
  }

  /** The batch dispatched when one completes; null when every item has been handed out. */
  nextBatch(): Batch | null {
    return this.next(this.n, true);
  }

  private next(limit: number, fromOriginal: boolean): Batch | null {
    // joblib asks for the batch size on every dispatch, even when its queue is not empty.
    const batchSize = this.batcher.computeBatchSize();
    const queued = this.ready.shift();
    if (queued) return queued;
    const big = batchSize * this.nJobs;
    const take = Math.min(big, limit - this.cursor);
    if (take <= 0) return null;
    const start = this.cursor;
    this.cursor += take;
    const piece =
      fromOriginal && take < big
        ? Math.max(1, Math.trunc(take / (10 * this.nJobs)))
        : Math.max(1, Math.trunc(take / this.nJobs));
    for (let i = start; i < start + take; i += piece)
      this.ready.push({ start: i, end: Math.min(i + piece, start + take) });
    return this.ready.shift()!;
  }
}
