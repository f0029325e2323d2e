// Item times scaled from the sampled items' sizes to the whole input's, where sizes cost
// nothing to read and time follows them. Pure functions of plain data.
import type { WorkloadSample } from "@amorsize/types";
import { timedRecords } from "./records.js";
import { type Placed, weightedMean } from "./stats.js";

/**
 * An item's size where reading it costs nothing: a string's length, a binary value's byte
 * length (typed arrays, DataViews, ArrayBuffers); null for anything else.
 */
export function plainSize(value: unknown): number | null {
  if (typeof value === "string") return value.length;
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return value.byteLength;
  return null;
}

/** Mean, largest and relative spread of the input's item sizes (see plainSize). */
export interface InputSizes {
  mean: number;
  max: number;
  /** Coefficient of variation of the sizes. */
  cv: number;
}

/**
 * The sizes of every item of `data`, or null as soon as one item has none (an object, a
 * number) or there are no items. A plain loop: 2,500 strings read in a few microseconds.
 */
export function inputSizes(data: ArrayLike<unknown>): InputSizes | null {
  const n = data.length;
  if (n === 0) return null;
  let sum = 0;
  let squares = 0;
  let max = 0;
  for (let i = 0; i < n; i++) {
    const size = plainSize(data[i]);
    if (size === null) return null;
    sum += size;
    squares += size * size;
    if (size > max) max = size;
  }
  const mean = sum / n;
  const variance = n > 1 ? Math.max(0, (squares - n * mean * mean) / (n - 1)) : 0;
  return { mean, max, cv: mean > 0 ? Math.sqrt(variance) / mean : 0 };
}

/** The scaling `scaleAt()` found: what WorkloadSample.sizeScale records. */
export type SizeScale = NonNullable<WorkloadSample["sizeScale"]>;

/** A scaling smaller than this share of the sampled time is noise, and none is made. */
export const MIN_SCALE_CHANGE = 0.02;
/**
 * The part of the sampled mean time that grows with size (the line's slope times the mean
 * size, over the mean time) must be at least this: a constant-time task's noise gives a
 * line a slope too, which the input's mean size, past the sampled ones, would magnify.
 */
export const MIN_SIZE_SHARE = 0.25;

/**
 * One-sided 95% points of Student's t for 1..10 degrees of freedom; past 10, 1.645 + 1.7/df
 * (within 0.01 of the table's 1.753 at 15, 1.725 at 20, 1.697 at 30).
 */
const T95 = [6.314, 2.92, 2.353, 2.132, 2.015, 1.943, 1.895, 1.86, 1.833, 1.812] as const;

/** The one-sided 95% point of Student's t with `df` degrees of freedom (1 or more). */
export function t95(df: number): number {
  return df <= T95.length ? T95[Math.max(1, Math.floor(df)) - 1]! : 1.645 + 1.7 / df;
}

/** A scaling, and the line of item time on size it comes from (ms, and ms per unit of size). */
export interface SizeFit {
  scale: SizeScale;
  fixedMs: number;
  perSizeMs: number;
}

/** The line of sampled item time on size, and the sampled means it passes through. */
export interface SizeLine {
  fixedMs: number;
  perSizeMs: number;
  meanMs: number;
  meanSize: number;
}

/**
 * Whether the timed records' own times grow with their items' sizes: the weighted
 * least-squares line of time on size (a fixed part and a part per unit of size; through
 * the origin when the fixed part fits negative), when three records or more were timed,
 * the sampled sizes differ (by more than 5%), the line rises, its slope is significant
 * (Student's t of the correlation, one-sided at 95%, with the records' count less two
 * degrees of freedom), and at least MIN_SIZE_SHARE of the sampled time grows with size.
 * Two points always make a line, and a constant-time task's noise gives one a slope: six
 * items blocked 10 ms each, under load, read 49% slower at the input's mean size without
 * the test. A renderer's small documents cost mostly their fixed part, which a ratio of
 * sizes would have scaled too. Null when not. Needs only the sampled items' sizes: the
 * whole input is read only when a line was found.
 */
export function sizeLine(timed: readonly Placed[], sizeOf: (index: number) => number): SizeLine | null {
  if (timed.length < 3) return null;
  const sizes = timed.map((m) => sizeOf(m.index));
  if (Math.min(...sizes) <= 0 || Math.max(...sizes) <= 1.05 * Math.min(...sizes)) return null;
  const at = new Map(timed.map((m, k) => [m, sizes[k]!]));
  const size = (m: Placed) => at.get(m)!;
  const meanMs = weightedMean(timed, (m) => m.ownMs);
  const meanSize = weightedMean(timed, size);
  const sxy = weightedMean(timed, (m) => (size(m) - meanSize) * (m.ownMs - meanMs));
  const sxx = weightedMean(timed, (m) => (size(m) - meanSize) ** 2);
  const syy = weightedMean(timed, (m) => (m.ownMs - meanMs) ** 2);
  if (!(sxy > 0 && sxx > 0 && syy > 0 && meanMs > 0)) return null;
  const r2 = Math.min(1, (sxy * sxy) / (sxx * syy));
  const df = timed.length - 2;
  if (r2 < 1 && Math.sqrt((r2 * df) / (1 - r2)) < t95(df)) return null;
  let perSizeMs = sxy / sxx;
  let fixedMs = meanMs - perSizeMs * meanSize;
  if (fixedMs < 0) {
    fixedMs = 0;
    perSizeMs = meanMs / meanSize;
  }
  if ((perSizeMs * meanSize) / meanMs < MIN_SIZE_SHARE) return null;
  return { fixedMs, perSizeMs, meanMs, meanSize };
}

/**
 * The factor from the sampled items' mean time to what the line gives an item of the
 * input's mean size, when it moves the time by MIN_SCALE_CHANGE or more. A compressor's
 * three sampled inputs of 491, 231 and 193 KiB took 28.2, 13.6 and 11.6 ms: 0.76 ms +
 * 0.056 ms per KiB, 20.5 ms at the input's mean of 354 KiB, where the sample's mean read
 * 17.8 (its loop: 20.5-23 ms). Null when not.
 */
export function scaleAt(line: SizeLine | null, input: InputSizes): SizeFit | null {
  if (line === null) return null;
  const { fixedMs, perSizeMs, meanMs, meanSize } = line;
  const factor = (fixedMs + perSizeMs * input.mean) / meanMs;
  if (!(Math.abs(factor - 1) >= MIN_SCALE_CHANGE)) return null;
  return { scale: { factor, sampledMeanSize: meanSize, inputMeanSize: input.mean }, fixedMs, perSizeMs };
}

/**
 * The workload with its item times scaled to the input's sizes: mean, median and 90th
 * percentile by the factor; the largest at least what the line gives the input's largest
 * item; the spread at least the sizes' own, in the share of time that grows with size.
 * Unchanged without a fit.
 */
export function withSizeScale(
  workload: WorkloadSample,
  fit: SizeFit | null,
  input: InputSizes | null,
): WorkloadSample {
  if (fit === null || input === null) return workload;
  const t = workload.itemTimeMs;
  const { factor } = fit.scale;
  const mean = t.mean * factor;
  const growing = (fit.perSizeMs * input.mean) / Math.max(mean, Number.MIN_VALUE);
  return {
    ...workload,
    itemTimeMs: {
      mean,
      median: t.median * factor,
      p90: t.p90 * factor,
      max: Math.max(t.max * factor, fit.fixedMs + fit.perSizeMs * input.max),
      cv: Math.max(t.cv, input.cv * growing),
    },
    sizeScale: fit.scale,
  };
}

/**
 * The sampled workload with its item times scaled to the whole input's sizes, where they
 * cost nothing to read and the timed records' times grow with them (see `sizeLine` and
 * `scaleAt`). `records` are all the sampled records in the order they ran: the cold first
 * ones are left out (`timedRecords`), as from the item times. Unchanged for given figures,
 * an empty input or items without a plain size.
 */
export function scaledToSizes(
  workload: WorkloadSample,
  records: readonly Placed[],
  data: ArrayLike<unknown>,
): WorkloadSample {
  if (workload.source !== "measured" || data.length === 0 || plainSize(data[0]) === null) return workload;
  const line = sizeLine(timedRecords(records), (index) => plainSize(data[index]) ?? 0);
  // The whole input is read only for a line to scale by.
  const input = line === null ? null : inputSizes(data);
  return input === null ? workload : withSizeScale(workload, scaleAt(line, input), input);
}
