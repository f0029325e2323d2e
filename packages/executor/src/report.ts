import type { ExecutionReport, Progress, ReportedError } from "@amorsize/types";
import { ExecutorError, type RunError } from "./errors.js";
import { DurationRecorder } from "./stats.js";

/** The fixed part of a report: how the run was set up. */
export interface ReportShape {
  mode: ExecutionReport["mode"];
  workers: number;
  chunkSize: number | null;
  adaptive: boolean;
  /** The run measured its chunks' CPU time (`measureCpu`, in workers). */
  measuredCpu?: boolean;
}

function toReported(error: unknown): ReportedError | null {
  if (!(error instanceof ExecutorError)) return null;
  const withRange = error as ExecutorError & { index?: number | null; range?: readonly [number, number] };
  return {
    index: typeof withRange.index === "number" ? withRange.index : null,
    range: withRange.range === undefined ? null : [withRange.range[0], withRange.range[1]],
    code: error.code,
    message: error.message,
  };
}

/** Counts what a run did and turns it into an `ExecutionReport`. */
export class RunTally {
  readonly start = performance.now();
  /** Items read from the input. */
  items = 0;
  succeeded = 0;
  /** Items placed from `precomputed`, not run. */
  precomputed = 0;
  failed = 0;
  readonly errors: RunError[] = [];
  readonly durations = new DurationRecorder();
  busyMs = 0;
  /** CPU time of the chunks, when the run measured it (`measureCpu`), milliseconds. */
  cpuMs = 0;
  /** Time the chunks' threads waited for a core, when every chunk told it (`measureCpu`, Linux), milliseconds. */
  private queuedMs = 0;
  private queuedChunks = 0;
  /** Items returned promises in a worker. */
  awaited = false;
  /** Each load of the task module in a worker seen by this run, milliseconds. */
  readonly loads: number[] = [];
  aborted = false;
  /** The error that ended the run, when it is not one of `errors`. */
  fatal: unknown = undefined;
  private sizeMin = Number.POSITIVE_INFINITY;
  private sizeMax = 0;
  private sizeSum = 0;
  private sizeCount = 0;

  /** Records a chunk that ran in a worker. */
  chunk(items: number, durationMs: number): void {
    this.durations.add(durationMs);
    this.busyMs += durationMs;
    if (items < this.sizeMin) this.sizeMin = items;
    if (items > this.sizeMax) this.sizeMax = items;
    this.sizeSum += items;
    this.sizeCount++;
  }

  /** A chunk's thread waited `ms` for a core while it ran. */
  queued(ms: number): void {
    this.queuedMs += ms;
    this.queuedChunks++;
  }

  /** A worker loaded the task module for this run, taking `ms`. */
  taskLoaded(ms: number): void {
    this.loads.push(ms);
  }

  elapsedMs(): number {
    return performance.now() - this.start;
  }

  /** Items finished: run (successfully or not) or placed from `precomputed`. */
  done(): number {
    return this.succeeded + this.failed + this.precomputed;
  }

  /** What `onProgress` is told: items done and failed, elapsed time, and an ETA when the total is known. */
  progress(total: number | null): Progress {
    const done = this.done();
    const elapsedMs = this.elapsedMs();
    const progress: Progress = { done, failed: this.failed, elapsedMs };
    if (total !== null) {
      progress.total = total;
      if (done > 0) progress.etaMs = Math.max(0, (elapsedMs / done) * (total - done));
    }
    return progress;
  }

  /** The errors sorted by input index (chunk errors by their first index). */
  sortedErrors(): RunError[] {
    return [...this.errors].sort((a, b) => a.range[0] - b.range[0]);
  }

  report(shape: ReportShape, wallMs: number = this.elapsedMs()): ExecutionReport {
    const slots = Math.max(1, shape.workers);
    const done = this.done();
    const errors: ReportedError[] = [];
    for (const error of this.sortedErrors()) errors.push(toReported(error)!);
    const fatal = toReported(this.fatal);
    if (fatal !== null) errors.push(fatal);
    const report: ExecutionReport = {
      mode: shape.mode,
      workers: shape.workers,
      chunkSize: shape.chunkSize,
      adaptive: shape.adaptive,
      items: this.items,
      succeeded: this.succeeded,
      precomputed: this.precomputed,
      failed: this.failed,
      wallMs,
      chunks: this.durations.count,
      chunkMs: this.durations.stats(),
      busyMs: this.busyMs,
      utilisation: wallMs > 0 ? Math.min(1, this.busyMs / (slots * wallMs)) : 0,
      itemsPerSecond: wallMs > 0 ? (done * 1000) / wallMs : 0,
      errors,
      aborted: this.aborted,
    };
    if (this.sizeCount > 0) {
      report.chunkSizes = { min: this.sizeMin, max: this.sizeMax, mean: this.sizeSum / this.sizeCount };
    }
    if (this.loads.length > 0) {
      const total = this.loads.reduce((a, b) => a + b, 0);
      report.taskLoads = {
        count: this.loads.length,
        meanMs: total / this.loads.length,
        maxMs: Math.max(...this.loads),
      };
    }
    if (shape.measuredCpu === true) report.cpuMs = this.cpuMs;
    // Only a figure for every chunk: a share of them would read as less waiting than there was.
    if (shape.measuredCpu === true && this.queuedChunks > 0 && this.queuedChunks === this.durations.count) {
      report.queuedMs = Math.min(this.queuedMs, this.busyMs);
    }
    if (this.awaited) report.awaited = true;
    return report;
  }
}
