/**
 * Figures from samples: medians, the clone and start-up line fits, and the
 * rules that call a fit implausible. Pure functions of plain numbers; a figure
 * that cannot be measured says why.
 */

import { SPAWN_COST_ESTIMATES } from "./estimates.js";
import type { CloneShape } from "./kinds.js";
import { JITTER_FLOOR, MIN_SAMPLES, OUTLIER_THRESHOLD } from "./rules.js";
import { distinctCount, mad, mean, median, rejectOutliers, robustFitLine } from "./stats.js";

/** A figure measured from `samples` samples, with their spread. */
export interface MeasuredDraft {
  value: number;
  samples: number;
  spread: number | null;
}

/** A figure not measured: why, and its value (the documented estimate unless `estimate` is set). */
export interface EstimatedDraft {
  reason: string;
  estimate?: number;
  /** The budget ran out before it had enough samples (named in the budget warning). */
  budgetShort?: true;
  /** Its samples gave an impossible figure (named in the implausible-fit warning). */
  implausible?: true;
}

/** A figure in the making. */
export type Draft = MeasuredDraft | EstimatedDraft;

/** One timed pool start: `k` workers up and answering after `ms` milliseconds. */
export interface StartupPoint {
  k: number;
  ms: number;
}

/** The samples of one clone cell (an item size and a chunk length): extra microseconds per item over an empty task. */
export interface CloneCell {
  /** Structured-clone size of one item, bytes. */
  bytes: number;
  samples: readonly number[];
}

/** The two figures of a payload kind. */
export interface CloneDrafts {
  perItemUs: Draft;
  perByteNs: Draft;
}

/** The two figures of the start-up line. */
export interface StartupDrafts {
  fixedMs: Draft;
  perWorkerMs: Draft;
}

export function medianDraft(samples: readonly number[]): MeasuredDraft {
  return { value: median(samples), samples: samples.length, spread: mad(samples) };
}

/** A figure that has `have` samples of the `need` it takes when the budget runs out. */
export function shortOfTime(budgetMs: number, have: number, need: number): EstimatedDraft {
  return {
    reason: `the ${budgetMs} ms budget ran out after ${have} sample${have === 1 ? "" : "s"} (needs ${need})`,
    budgetShort: true,
  };
}

/** A dispatch figure: the median of its samples once it has the `need` it takes. */
export function dispatchDraft(samples: readonly number[], need: number, budgetMs: number): Draft {
  return samples.length < need ? shortOfTime(budgetMs, samples.length, need) : medianDraft(samples);
}

/** A kind's clone fit, and why it cannot be right (null when it can). */
export interface CloneFit {
  perItemUs: MeasuredDraft;
  /** Null for a kind of one item size. */
  perByteNs: MeasuredDraft | null;
  implausible: string | null;
}

/**
 * The clone figures of one kind from its samples: a robust line of extra
 * microseconds per item against serialised bytes per item (or, for a kind of
 * one size, the median). `implausible` says why the figures cannot be right:
 * every item costs something to clone, and copying more bytes costs more.
 * Null until every size has a sample.
 */
export function cloneFit(shape: CloneShape, cells: readonly CloneCell[]): CloneFit | null {
  const xs = cells.flatMap((cell) => cell.samples.map(() => cell.bytes));
  const ys = cells.flatMap((cell) => cell.samples);
  if (shape.sizes.length < 2) {
    if (ys.length === 0) return null;
    const { kept } = rejectOutliers(ys, OUTLIER_THRESHOLD, JITTER_FLOOR * Math.abs(median(ys)));
    const perItem = median(kept);
    return {
      perItemUs: { value: perItem, samples: kept.length, spread: mad(kept) },
      perByteNs: null,
      implausible: perItem > 0 ? null : `the ${kept.length} samples were too noisy: an item measured no cost`,
    };
  }
  if (distinctCount(xs) < 2) return null;
  const fit = robustFitLine(xs, ys, OUTLIER_THRESHOLD, JITTER_FLOOR);
  let implausible: string | null = null;
  if (!shape.transfer && fit.slope <= 0) {
    implausible = `the ${fit.n} samples were too noisy: ${shape.sizes[1]}-element items measured no dearer per byte than ${shape.sizes[0]}-element ones`;
  } else if (fit.intercept <= 0) {
    implausible = `the ${fit.n} samples were too noisy: the fixed cost per item came out at ${fit.intercept.toFixed(3)} us`;
  }
  return {
    perItemUs: { value: fit.intercept, samples: fit.n, spread: fit.residualMad },
    // A transfer's per-byte cost is ~0 and its fit dips below zero within the noise; costs are not negative.
    perByteNs: { value: Math.max(0, fit.slope * 1000), samples: fit.n, spread: fit.slopeSpread * 1000 },
    implausible,
  };
}

/** Whether a kind's samples so far fit plausibly (or cannot be fitted yet). */
export function clonePlausible(shape: CloneShape, cells: readonly CloneCell[]): boolean {
  const fit = cloneFit(shape, cells);
  return fit === null || fit.implausible === null;
}

/**
 * The figures of one kind once its sampling is over: two chunk lengths per item
 * size, each with the minimum of samples, else short of time; an implausible fit
 * is estimated with its reason. A kind of one size has no per-byte figure.
 */
export function cloneDrafts(shape: CloneShape, cells: readonly CloneCell[], budgetMs: number): CloneDrafts {
  const fewest = cells.length === 0 ? 0 : Math.min(...cells.map((cell) => cell.samples.length));
  const needCells = shape.sizes.length * 2;
  const fit = cloneFit(shape, cells);
  if (fit === null || cells.length < needCells || fewest < MIN_SAMPLES.clonePerGroup) {
    const have = cells.reduce((sum, cell) => sum + cell.samples.length, 0);
    const short = shortOfTime(budgetMs, have, needCells * MIN_SAMPLES.clonePerGroup);
    return { perItemUs: short, perByteNs: short };
  }
  const fixedSize: Draft = {
    reason: `a ${shape.kind} always serialises to the same ${cells[0]!.bytes} bytes, so its whole cost is in perItemUs`,
  };
  if (fit.implausible !== null) {
    const noisy: Draft = { reason: fit.implausible, implausible: true };
    return { perItemUs: noisy, perByteNs: fit.perByteNs ? noisy : fixedSize };
  }
  return { perItemUs: fit.perItemUs, perByteNs: fit.perByteNs ?? fixedSize };
}

/**
 * The start-up line `fixedMs + perWorkerMs * k` through the timed pool starts.
 * `failure` is why starting a pool failed, if it did. With `maxWorkers` 1 only
 * one size was timed: its whole start goes into perWorkerMs.
 */
export function startupDrafts(
  points: readonly StartupPoint[],
  maxWorkers: number,
  budgetMs: number,
  failure?: string,
): StartupDrafts {
  const xs = points.map((p) => p.k);
  const ys = points.map((p) => p.ms);
  if (failure !== undefined && (ys.length < MIN_SAMPLES.startupPoints || distinctCount(xs) < 2)) {
    const failed = { reason: `measuring worker start-up failed: ${failure}` };
    return { fixedMs: failed, perWorkerMs: failed };
  }
  if (maxWorkers === 1) return onePoolSize(ys, budgetMs);
  if (ys.length < MIN_SAMPLES.startupPoints || distinctCount(xs) < 2) {
    const short = shortOfTime(budgetMs, ys.length, MIN_SAMPLES.startupPoints);
    return { fixedMs: short, perWorkerMs: short };
  }
  // Starting k workers on c cores is flat up to c and steeper after, so the straight line's
  // value at k = 0 can fall below zero: then the best line with a non-negative fixed part.
  const fit = robustFitLine(xs, ys, OUTLIER_THRESHOLD, JITTER_FLOOR, { nonNegativeIntercept: true });
  if (fit.slope <= 0) return flatStartup(xs, ys, fit.n);
  return {
    fixedMs: { value: fit.intercept, samples: fit.n, spread: fit.residualMad },
    perWorkerMs: { value: fit.slope, samples: fit.n, spread: fit.slopeSpread },
  };
}

/**
 * One pool size cannot separate the parts: the start of a pool of one goes into perWorkerMs
 * (so a plan for one worker is exact, and more workers are charged as if started one by one).
 */
function onePoolSize(ys: readonly number[], budgetMs: number): StartupDrafts {
  if (ys.length < MIN_SAMPLES.startupPoints) {
    const short = shortOfTime(budgetMs, ys.length, MIN_SAMPLES.startupPoints);
    return { fixedMs: short, perWorkerMs: short };
  }
  const fixedMs = {
    reason:
      "maxWorkers is 1: one pool size cannot separate the fixed part, so it is 0 and all is in perWorkerMs",
    estimate: 0,
  };
  const { kept } = rejectOutliers(ys, OUTLIER_THRESHOLD, JITTER_FLOOR * median(ys));
  return { fixedMs, perWorkerMs: medianDraft(kept) };
}

/**
 * Every worker is an isolate to start: a larger pool that measured no slower than a
 * smaller one is noise (a busy machine), not a free worker. Keep the measured level
 * (the line through the samples' mean) and take the documented per-worker estimate.
 */
function flatStartup(xs: readonly number[], ys: readonly number[], n: number): StartupDrafts {
  const perWorker = SPAWN_COST_ESTIMATES.workerStart.perWorkerMs;
  const reason = `the ${n} start-up samples were too noisy: larger pools measured no slower to start than smaller ones`;
  return {
    fixedMs: {
      reason: `${reason}; fixed part derived from their mean start`,
      estimate: Math.max(0, mean(ys) - perWorker * mean(xs)),
      implausible: true,
    },
    perWorkerMs: { reason, estimate: perWorker, implausible: true },
  };
}
