/**
 * Robust statistics for noisy timings: median, median absolute deviation (MAD),
 * MAD-based outlier rejection and a least-squares line fit that reports the
 * spread of its residuals. Pure functions of plain arrays.
 */

/** Scales a MAD to the standard deviation of a normal distribution (1 / Phi^-1(3/4)). */
export const MAD_TO_SIGMA = 1.4826;

/** Scales a mean absolute deviation to the standard deviation of a normal distribution (sqrt(pi/2)). */
const MEAN_AD_TO_SIGMA = Math.sqrt(Math.PI / 2);

/** The median of `values` (the mean of the two middle values for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The arithmetic mean of `values`; NaN when empty. */
export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/**
 * Median absolute deviation: `median(|x - median(x)|)`, unscaled (multiply by
 * {@link MAD_TO_SIGMA} to compare with a standard deviation). NaN when empty.
 */
export function mad(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const m = median(values);
  return median(values.map((v) => Math.abs(v - m)));
}

/** What {@link rejectOutliers} kept. */
export interface OutlierRejection {
  /** The values kept, in input order. */
  kept: number[];
  /** Input indices of the kept values, ascending. */
  indices: number[];
  /** How many values were rejected. */
  rejected: number;
  /** The scale a value's distance from the median was compared with (an estimate of sigma). */
  scale: number;
}

/**
 * Drops values further than `threshold` robust standard deviations from the
 * median, where the deviation is estimated as 1.4826 x MAD. When more than half
 * the values are equal the MAD is 0 and would reject every other value, so the
 * mean absolute deviation (scaled by sqrt(pi/2)) stands in; when that is 0 too,
 * every value is equal and all are kept. `minScale` puts a floor under the
 * estimated deviation: with a handful of timings, a few that agree closely
 * would otherwise make ordinary jitter look like outliers.
 */
export function rejectOutliers(values: readonly number[], threshold = 3, minScale = 0): OutlierRejection {
  if (values.length === 0) return { kept: [], indices: [], rejected: 0, scale: 0 };
  const m = median(values);
  let scale = MAD_TO_SIGMA * mad(values);
  if (scale === 0) scale = MEAN_AD_TO_SIGMA * mean(values.map((v) => Math.abs(v - m)));
  scale = Math.max(scale, minScale);
  const kept: number[] = [];
  const indices: number[] = [];
  values.forEach((v, i) => {
    if (scale === 0 || Math.abs(v - m) <= threshold * scale) {
      kept.push(v);
      indices.push(i);
    }
  });
  return { kept, indices, rejected: values.length - kept.length, scale };
}

/** A least-squares line `y = intercept + slope * x` and how well it fits. */
export interface LineFit {
  intercept: number;
  slope: number;
  /** Number of points fitted. */
  n: number;
  /** `y - (intercept + slope * x)` for each point, in input order. */
  residuals: number[];
  /** MAD of the residuals, in the unit of y: the spread of the intercept. */
  residualMad: number;
  /**
   * Spread of the slope: `residualMad / (max x - min x)`, the change in slope a
   * residual-sized error at one end of the range would make.
   */
  slopeSpread: number;
}

/** Distinct values of `xs`. */
export function distinctCount(xs: readonly number[]): number {
  return new Set(xs).size;
}

/** Options of {@link fitLine} and {@link robustFitLine}. */
export interface FitOptions {
  /**
   * Constrain the intercept to be at least 0: when the unconstrained intercept is
   * negative, the least-squares line through the origin (slope `sum(xy) / sum(x^2)`)
   * is returned instead, the best line whose intercept can be a cost.
   */
  nonNegativeIntercept?: boolean;
}

/**
 * Ordinary least-squares fit of `ys` against `xs`. Throws a `RangeError` when the
 * arrays differ in length or hold fewer than two distinct x values (no line is
 * determined).
 */
export function fitLine(xs: readonly number[], ys: readonly number[], options: FitOptions = {}): LineFit {
  if (xs.length !== ys.length)
    throw new RangeError(`fitLine: ${xs.length} x values but ${ys.length} y values`);
  if (distinctCount(xs) < 2) throw new RangeError("fitLine: needs at least two distinct x values");
  const mx = mean(xs);
  const my = mean(ys);
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < xs.length; i++) {
    const dx = xs[i]! - mx;
    sxy += dx * (ys[i]! - my);
    sxx += dx * dx;
  }
  let slope = sxy / sxx;
  let intercept = my - slope * mx;
  if (options.nonNegativeIntercept && intercept < 0) {
    let sxyOrigin = 0;
    let sxxOrigin = 0;
    for (let i = 0; i < xs.length; i++) {
      sxyOrigin += xs[i]! * ys[i]!;
      sxxOrigin += xs[i]! * xs[i]!;
    }
    slope = sxyOrigin / sxxOrigin;
    intercept = 0;
  }
  const residuals = xs.map((x, i) => ys[i]! - (intercept + slope * x));
  const residualMad = mad(residuals);
  const range = Math.max(...xs) - Math.min(...xs);
  return { intercept, slope, n: xs.length, residuals, residualMad, slopeSpread: residualMad / range };
}

/** A {@link LineFit} after outlier rejection. */
export interface RobustLineFit extends LineFit {
  /** Input indices of the points the final fit used, ascending; `residuals[j]` belongs to `indices[j]`. */
  indices: number[];
  /** Points rejected as outliers. */
  rejected: number;
}

/**
 * A least-squares fit that first drops outliers: the points are grouped by x
 * (repeated measurements of the same configuration), each group's y values go
 * through {@link rejectOutliers} with `threshold` and a deviation floor of
 * `relativeFloor` times the group's median, and the kept points are fitted by
 * least squares (with `options`). Grouping keeps a configuration whose timings are larger (and
 * so noisier in absolute terms) from having its ordinary points rejected
 * against the others' smaller spread.
 */
export function robustFitLine(
  xs: readonly number[],
  ys: readonly number[],
  threshold = 3,
  relativeFloor = 0,
  options: FitOptions = {},
): RobustLineFit {
  if (xs.length !== ys.length)
    throw new RangeError(`robustFitLine: ${xs.length} x values but ${ys.length} y values`);
  const groups = new Map<number, number[]>();
  xs.forEach((x, i) => {
    const group = groups.get(x);
    if (group) group.push(i);
    else groups.set(x, [i]);
  });
  const indices: number[] = [];
  for (const members of groups.values()) {
    const values = members.map((i) => ys[i]!);
    const floor = relativeFloor * Math.abs(median(values));
    for (const j of rejectOutliers(values, threshold, floor).indices) indices.push(members[j]!);
  }
  indices.sort((a, b) => a - b);
  const fit = fitLine(
    indices.map((i) => xs[i]!),
    indices.map((i) => ys[i]!),
    options,
  );
  return { ...fit, indices, rejected: xs.length - indices.length };
}
