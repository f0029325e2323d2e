// Statistics of sampled times. Pure functions of plain data.

/** The `q` quantile of sorted values, interpolated between neighbours; 0 when there are none. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (position - low);
}

/**
 * Mean item time over the timed units so far, and the relative standard error of that
 * mean (infinite below two units). The first unit is left out once there are others: it
 * runs cold.
 */
export function unitMean(unitTimes: readonly number[]): { meanItemMs: number; relativeError: number } {
  const timed = unitTimes.length > 1 ? unitTimes.slice(1) : unitTimes;
  const mean = timed.reduce((a, b) => a + b, 0) / Math.max(timed.length, 1);
  const variance =
    timed.length > 1
      ? timed.reduce((a, b) => a + (b - mean) ** 2, 0) / (timed.length - 1)
      : Number.POSITIVE_INFINITY;
  return { meanItemMs: mean, relativeError: mean > 0 ? Math.sqrt(variance / timed.length) / mean : 0 };
}

/** A figure that stands for `weight` items (a sized item of a block stands for its share). */
export interface Weighted {
  weight: number;
}

export function totalWeight(xs: readonly Weighted[]): number {
  return xs.reduce((a, m) => a + m.weight, 0);
}

/** Weighted mean of `f` over `xs`. */
export function weightedMean<T extends Weighted>(xs: readonly T[], f: (x: T) => number): number {
  return xs.reduce((a, m) => a + f(m) * m.weight, 0) / Math.max(totalWeight(xs), 1e-12);
}

/** The time figures of one sampled record, milliseconds. */
export interface TimedFigures extends Weighted {
  wallMs: number;
  cpuMs: number;
  ownMs: number;
  idleMs: number;
}

/**
 * Mean, median, 90th percentile, maximum and coefficient of variation of the items' own
 * times (time spent queued for a core is neither the item's work nor its waiting).
 */
export function itemTimeFigures(timed: readonly TimedFigures[]): {
  mean: number;
  median: number;
  p90: number;
  max: number;
  cv: number;
} {
  const own = (m: TimedFigures) => m.ownMs;
  const mean = weightedMean(timed, own);
  const weight = totalWeight(timed);
  const variance =
    timed.length > 1 && weight > 1
      ? (weightedMean(timed, (m) => (own(m) - mean) ** 2) * weight) / (weight - 1)
      : 0;
  const sorted = timed.map(own).sort((a, b) => a - b);
  return {
    mean,
    median: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    max: sorted[sorted.length - 1] ?? 0,
    cv: mean > 0 ? Math.sqrt(variance) / mean : 0,
  };
}

/**
 * The items' CPU time over the time they ran or waited. Time the event loop waited in
 * its poll is waiting whatever the queueing figures say (they come from the scheduler's
 * clocks and can overstate on a crowded machine), so a task that waits for timers or
 * I/O is told by it even when its own time reads short.
 */
export function cpuToWall(timed: readonly TimedFigures[]): number {
  const sum = (f: (m: TimedFigures) => number) => timed.reduce((a, m) => a + f(m) * m.weight, 0);
  const totalOwn = sum((m) => m.ownMs);
  const totalWall = sum((m) => m.wallMs);
  const totalCpu = sum((m) => m.cpuMs);
  const totalIdle = sum((m) => m.idleMs);
  const ranOrWaited = Math.max(totalOwn, totalCpu + totalIdle, 1e-9);
  return totalWall > 0 ? Math.min(totalCpu / ranOrWaited, 1) : 1;
}

/** A timed record's place in the input and its own time. */
export interface Placed extends Weighted {
  index: number;
  ownMs: number;
}

/**
 * The weighted least-squares line of `y` on `x` over `points`: its means, slope (0 when the
 * `x` do not vary), the weighted mean square of the `x` about their mean (`sxx`), and the
 * weighted mean square of the `y` about the line. Pure.
 */
export function leastSquares<T extends Weighted>(
  points: readonly T[],
  x: (p: T) => number,
  y: (p: T) => number,
): { meanX: number; meanY: number; slope: number; sxx: number; residual: number } {
  const meanX = weightedMean(points, x);
  const meanY = weightedMean(points, y);
  const sxx = weightedMean(points, (p) => (x(p) - meanX) ** 2);
  const sxy = weightedMean(points, (p) => (x(p) - meanX) * (y(p) - meanY));
  const slope = sxx > 0 ? sxy / sxx : 0;
  const residual = weightedMean(points, (p) => (y(p) - meanY - slope * (x(p) - meanX)) ** 2);
  return { meanX, meanY, slope, sxx, residual };
}

/**
 * How far the sample's figures may be off: the mean's relative standard error (its units'
 * spread over their count), the largest item against the mean (a heavy tail), and the trend
 * along the input (the least-squares line of item time on index, from the first sampled
 * index to the last, over the mean: +1 when the last items take twice the mean more than
 * the first). Pure; 0s for fewer than two records.
 */
export function sampleSpread(
  records: readonly Placed[],
  unitTimes: readonly number[],
): { relativeError: number; maxOverMean: number; trend: number } {
  const mean = weightedMean(records, (m) => m.ownMs);
  if (records.length < 2 || !(mean > 0))
    return { relativeError: 0, maxOverMean: records.length > 0 ? 1 : 0, trend: 0 };
  const { relativeError } = unitMean(unitTimes);
  const maxOverMean = Math.max(...records.map((m) => m.ownMs)) / mean;
  const { slope } = leastSquares(
    records,
    (m) => m.index,
    (m) => m.ownMs,
  );
  const span = Math.max(...records.map((m) => m.index)) - Math.min(...records.map((m) => m.index));
  const trend = (slope * span) / mean;
  return { relativeError: Number.isFinite(relativeError) ? relativeError : 1, maxOverMean, trend };
}

/** The median of a list (the mean of the middle two for an even count; 0 when empty). */
export function median(values: readonly number[]): number {
  return quantile(
    [...values].sort((a, b) => a - b),
    0.5,
  );
}

/**
 * The natural logarithms of groups of item times, each group kept apart. A time the clock
 * read as 0 counts as half the least positive time of all the groups, not as minus
 * infinity; null when no time is positive.
 */
export function logTimes(groups: readonly (readonly number[])[]): number[][] | null {
  const positive = groups.flat().filter((x) => x > 0);
  if (positive.length === 0) return null;
  const floor = Math.min(...positive) / 2;
  return groups.map((group) => group.map((x) => Math.log(Math.max(x, floor))));
}

/**
 * A robust standard deviation of values in groups: the median absolute deviation of each
 * value from its own group's median, over all the groups, times 1.4826 (a normal's ratio),
 * so that a shift between groups does not widen it.
 */
export function robustSd(groups: readonly (readonly number[])[]): number {
  const deviations = groups.flatMap((group) => {
    const centre = median(group);
    return group.map((x) => Math.abs(x - centre));
  });
  return 1.4826 * median(deviations);
}

/** The standard error of a median of n values of standard deviation `sd` (about 1.25 times a mean's). */
export function medianError(sd: number, n: number): number {
  return (1.2533 * sd) / Math.sqrt(n);
}
