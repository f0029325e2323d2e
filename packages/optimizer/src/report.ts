// Report assembly, as pure functions of plain data: what execute() and stream() return
// beside the results.
import { ExecutorError, ItemError } from "@amorsize/executor";
import type {
  BackendDecision,
  BackendReport,
  ExecutionReport,
  Prediction,
  ReportedError,
} from "@amorsize/types";

/** Predicted against measured, for one run. */
export interface PlanCheck {
  /** The cost model's predicted wall time of the run (without optimizing), milliseconds. */
  predictedWallMs: number;
  /** Measured wall time of the run (without optimizing), milliseconds. */
  measuredWallMs: number;
  predictedSpeedup: number;
  /** The cost model's serial estimate over the measured run time. */
  measuredSpeedup: number;
  /** measured / predicted wall time: 1 is a perfect prediction. */
  ratio: number;
  /**
   * The same, end to end: what `execute()` expected the whole call to take once it had
   * decided (the time already spent deciding, measured, plus the run, predicted) and what
   * it took, against the model's serial estimate for the whole input.
   */
  endToEnd: {
    /** Measured time from the call to the start of the run: probe, spawn cost, sampling, planning. */
    decidedMs: number;
    predictedMs: number;
    measuredMs: number;
    /** The model's serial estimate for every item, sampled ones included. */
    serialMs: number;
    predictedSpeedup: number;
    measuredSpeedup: number;
  };
}

/** Moments of a call, from `performance.now()`. */
export interface CallTimes {
  /** The call began. */
  start: number;
  /** The run began: everything before it was deciding. */
  runStart: number;
  runEnd: number;
}

/**
 * The model's prediction of a run beside what happened. `wholeSerialMs` is the serial
 * estimate for every item of the input, which the end-to-end figures are measured against.
 */
export function planCheck(
  predicted: Pick<Prediction, "wallMs" | "serialMs" | "speedup">,
  wholeSerialMs: number,
  times: CallTimes,
): PlanCheck {
  const measuredWallMs = times.runEnd - times.runStart;
  const decidedMs = times.runStart - times.start;
  const measuredMs = times.runEnd - times.start;
  const predictedMs = decidedMs + predicted.wallMs;
  return {
    predictedWallMs: predicted.wallMs,
    measuredWallMs,
    predictedSpeedup: predicted.speedup,
    measuredSpeedup: ratioOf(predicted.serialMs, measuredWallMs),
    ratio: ratioOf(measuredWallMs, predicted.wallMs),
    endToEnd: {
      decidedMs,
      predictedMs,
      measuredMs,
      serialMs: wholeSerialMs,
      predictedSpeedup: ratioOf(wholeSerialMs, predictedMs),
      measuredSpeedup: ratioOf(wholeSerialMs, measuredMs),
    },
  };
}

/** a / b, or 0 when b is not positive. */
function ratioOf(a: number, b: number): number {
  return b > 0 ? a / b : 0;
}

/** A backend's prediction in the model's terms: its wall time against the local plan's serial estimate. */
export function backendPrediction(
  decision: BackendDecision,
  serialMs: number,
): Pick<Prediction, "wallMs" | "serialMs" | "speedup"> {
  const wallMs = decision.predictedWallMs;
  return { wallMs, serialMs, speedup: ratioOf(serialMs, wallMs) };
}

/**
 * The backend's report in the executor's shape. A backend reports only the total time its
 * chunks took, so the chunk duration figures are that mean (said in the report's docs).
 */
export function backendReport(
  report: BackendReport,
  decision: BackendDecision,
  errors: readonly Error[],
): ExecutionReport {
  const mean = report.chunks > 0 ? report.busyMs / report.chunks : 0;
  const { items, succeeded, precomputed, failed, wallMs, chunks, busyMs } = report;
  return {
    mode: "cluster",
    workers: decision.workers,
    chunkSize: decision.chunkSize,
    adaptive: false,
    items,
    succeeded,
    precomputed,
    failed,
    wallMs,
    chunks,
    chunkMs: { count: chunks, min: mean, mean, median: mean, p90: mean, max: mean },
    busyMs,
    utilisation: Math.min(1, ratioOf(busyMs, decision.workers * wallMs)),
    itemsPerSecond: ratioOf(items, wallMs) * 1000,
    errors: errors.map(reportedError),
    aborted: false,
  };
}

function reportedError(e: Error): ReportedError {
  const { index, range, code } = e as { index?: number | null; range?: [number, number]; code?: string };
  return {
    index: index ?? null,
    range: range ?? null,
    code: code ?? "AMORSIZE_ITEM_FAILED",
    message: e.message,
  };
}

/** What sampling did with the items it ran in the calling thread. */
export interface SampledItems {
  /** Results of the items that returned, by input index. */
  precomputed: ReadonlyMap<number, unknown>;
  /** What the items that threw threw (`onError: "collect"`), by input index. */
  failures: ReadonlyMap<number, unknown>;
}

/**
 * A run's report and errors with the sampled items folded in. The run was given them
 * all as `precomputed` (a failure as an `undefined` result) and counts them there; they
 * ran while sampling, so here each counts once, as succeeded or failed, and
 * `precomputed` is 0. Errors, sampled ones included, are in input order.
 */
export function mergeSampled(
  run: { report: ExecutionReport; errors: readonly Error[] },
  sampled: SampledItems,
): { report: ExecutionReport; errors: Error[] } {
  // Sampled in this thread, a failure is what the task threw: the item ran on its own, in
  // no chunk. Sampled in a worker, it is the executor's error already (a crash, a
  // time-out), with its block's range, one per range it covers.
  const own = [...new Set(sampled.failures.values())].filter(
    (e): e is ExecutorError => e instanceof ExecutorError,
  );
  const thrown = [...sampled.failures]
    .filter(([, cause]) => !(cause instanceof ExecutorError))
    .map(([index, cause]) => new ItemError(index, cause));
  const failed = [...own, ...thrown];
  const errors = [...run.errors, ...failed].sort((a, b) => firstIndex(a) - firstIndex(b));
  const sampledErrors = [
    ...own.map(reportedError),
    ...thrown.map((e) => ({ ...reportedError(e), range: null })),
  ];
  const report: ExecutionReport = {
    ...run.report,
    succeeded: run.report.succeeded + sampled.precomputed.size,
    failed: run.report.failed + sampled.failures.size,
    precomputed: 0,
    // A sampled item that threw ran on its own, in no chunk.
    errors: [...run.report.errors, ...sampledErrors].sort((a, b) => firstIndex(a) - firstIndex(b)),
  };
  return { report, errors };
}

/** Where an error sits in the input: its item, or the first item of its chunk. */
function firstIndex(e: object): number {
  const { index, range } = e as { index?: number | null; range?: readonly [number, number] | null };
  return index ?? range?.[0] ?? 0;
}
