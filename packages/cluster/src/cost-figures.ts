/** A figure with its sample count and spread (median absolute deviation, same unit). */
export interface ClusterFigure {
  readonly value: number;
  readonly samples: number;
  readonly spread: number;
}

/** A live worker host as it registered itself: `hostname:pid` and its worker threads. */
export interface LiveHost {
  readonly id: string;
  readonly concurrency: number;
  /** The most items it takes in one job (`--max-job-items`), when it says. */
  readonly maxJobItems?: number;
}

/** The timings of one measurement, milliseconds: the raw material of the figures. */
export interface CostSamples {
  /** Round trips of one empty job at a time. */
  readonly empty: readonly number[];
  /** Round trips of one job carrying `payloadBytes`, echoed back. */
  readonly full: readonly number[];
  /** Wall time per job of batches of empty jobs in flight together. */
  readonly perJob: readonly number[];
  /** Round trips of one plain command (PING) from the caller. */
  readonly command: readonly number[];
  readonly payloadBytes: number;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** The median of `values`, their count and their median absolute deviation. */
export function figure(values: readonly number[]): ClusterFigure {
  const m = median(values);
  return { value: m, samples: values.length, spread: median(values.map((v) => Math.abs(v - m))) };
}

/**
 * Hosts from their registration keys (`<pattern without *><hostname:pid>`) and values
 * (`{"concurrency":n}`), sorted by key; a key that expired between listing and reading
 * (null value) is left out.
 */
export function hostsFromKeys(
  pattern: string,
  entries: ReadonlyArray<readonly [key: string, value: string | null]>,
): LiveHost[] {
  const at = pattern.length - 1;
  return [...entries]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .flatMap(([key, value]) => {
      if (!value) return [];
      const { concurrency, maxJobItems } = JSON.parse(value) as {
        concurrency: number;
        maxJobItems?: unknown;
      };
      const limit =
        Number.isInteger(maxJobItems) && (maxJobItems as number) > 0
          ? { maxJobItems: maxJobItems as number }
          : {};
      return [{ id: key.slice(at), concurrency, ...limit }];
    });
}

/**
 * The cost figures from the timings: the round trip is the median empty one; the per-byte
 * cost is each payload round trip's excess over it, spread over the payload crossing Redis
 * twice (out and echoed back), in nanoseconds, never below zero; the command the median PING.
 */
export function costFigures(samples: CostSamples): {
  roundTrip: ClusterFigure;
  perChunk: ClusterFigure;
  perByte: ClusterFigure;
  command: ClusterFigure;
} {
  const roundTrip = figure(samples.empty);
  const perByte = figure(
    samples.full.map((ms) => Math.max(0, ((ms - roundTrip.value) * 1e6) / (2 * samples.payloadBytes))),
  );
  return { roundTrip, perChunk: figure(samples.perJob), perByte, command: figure(samples.command) };
}
