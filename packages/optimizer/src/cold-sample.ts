// A sample taken in a thread that had not run the task before (see samplesCold in
// prepare.ts): what it says once V8 has compiled the task, and what compiling it cost.
// Pure functions of plain data.

import type { SampleResult } from "./sample.js";
import { logTimes, median, medianError, robustSd } from "./sampling/stats.js";
import type { SampleLimits } from "./sampling/stop.js";
import type { TimedItem, Warmup } from "./warmup.js";

/**
 * Sampling's limits in a cold thread. Its items run slower and slower less as V8 compiles
 * the task: in a fresh process a parser's first item took 16 ms, its 40th 0.9 ms, and it
 * averaged 0.75 ms once warm. A few cold items priced the job at 3.8 s where it took 0.68 s,
 * and the plan went parallel, on fresh workers that are as cold (2.7x a plain loop's time).
 * The sampled items are the job's own (their results are kept), so sampling longer costs a
 * serial plan nothing, and a parallel one what the extra items take beyond their share: a
 * larger share of the job, budget and item count, and at least COLD_MIN_ITEMS items, so that
 * the later ones show how fast the task runs warm. A precise mean stops it only after
 * `preciseAfterMs`: a hasher's first items ran alike, interpreted, at 0.3-0.7 ms (its warm
 * items take 16 us), and 3 of 6 cold samples in fresh processes stopped at 8 of them, priced
 * 20-45 times too high. The caller's own limits stand.
 */
export const COLD_LIMITS = { budgetMs: 250, maxItems: 128, share: 0.15, preciseAfterMs: 20 } as const;
/** Fewest items a cold reading rests on: a third of them make its warm reference. */
export const COLD_MIN_ITEMS = 6;
/** The sampled items must have taken at least this share more than warm for a warm-up to be read. */
export const COLD_EXCESS_SHARE = 0.2;
/**
 * How many standard errors the first third's median time (per byte) must stand above the
 * warm third's for a warm-up to be read (see `slowerAtFirst`). Items whose times spread
 * widely (a log-normal's) make a sum of them exceed their median: the demo's 400 hashing
 * items of 2.8 ms on average, sampled in a thread that had run them, read a "warm-up" whose
 * scale priced them at 1.1-1.3 ms, and the plan predicted half of the run's time; of
 * simulated samples of 26-42 such items (sigma 1.1) 79-87% read one, against 18-20% with
 * this rule. The cold starts of the bench's library tasks (a parser, a highlighter, a
 * minifier, a compressor, a hasher, a Markdown renderer) read as before in fresh processes.
 */
export const COLD_FIRST_THIRD_Z = 1;
/** Or how many standard deviations the first item alone must stand above the warm third's median. */
export const COLD_FIRST_ITEM_Z = 3;
/** The middle third within this share of the warm reference: the thread had warmed up. */
export const COLD_SETTLED_SHARE = 0.2;
/**
 * Items whose CPU time is less than this share of their wall time mostly wait, and their
 * wall times say when their waits ended, not what compiling the task cost. With six busy
 * processes on two cores, items that block 2 ms (CPU-to-wall 0.35) read 8-13 ms of
 * "warm-up" over their first four: threads woken late from their waits, which the model
 * then grew to 84-130 ms per worker, and a call that two workers halve planned serial.
 */
export const COLD_MIN_CPU_SHARE = 0.5;

/** The sampling limits for a cold thread: the larger cold ones where the caller set none. */
export function coldLimits(
  limits: SampleLimits,
  set: { minItems?: number | undefined; maxItems?: number | undefined; budgetMs?: number | undefined },
): SampleLimits {
  const maxItems = set.maxItems ?? Math.max(limits.maxItems, COLD_LIMITS.maxItems);
  return {
    ...limits,
    maxItems,
    minItems: Math.min(set.minItems ?? Math.max(limits.minItems, COLD_MIN_ITEMS), maxItems),
    budgetMs: set.budgetMs ?? Math.max(limits.budgetMs, COLD_LIMITS.budgetMs),
    share: COLD_LIMITS.share,
    preciseAfterMs: COLD_LIMITS.preciseAfterMs,
  };
}

/** What a cold sample says: the factor from its times to warm ones, and the warm-up it paid. */
export interface ColdReading {
  /** Warm time over sampled time, both over the sampled items (below 1). */
  scale: number;
  /** The warm-up this thread paid, as a fresh worker will: over the items before the warm third. */
  warmup: Omit<Warmup, "source">;
}

/**
 * Reads a cold sample from its items timed alone, in the order they ran (`cpuToWall`: the
 * sample's CPU time over its wall time; items that mostly wait give no reading, see
 * COLD_MIN_CPU_SHARE): the last third,
 * by its median time per input byte (per item when the sizes are alike), is the warm
 * reference; the items before it took `excessMs` more than that reference says. Null with
 * fewer than COLD_MIN_ITEMS items, when the items took less than COLD_EXCESS_SHARE more
 * than warm (nothing to correct), or when the first third did not run slower than the warm
 * third beyond what their spread explains (`slowerAtFirst`). `settled`: the middle third ran
 * within COLD_SETTLED_SHARE of the reference.
 *
 * `basisMs`: the own time of the items the sample's figures rest on (see
 * `SampleResult.basisMs`), when known. The part of it that items timed alone took
 * (`inBasis`) is brought to what those items take warm; the rest, blocks of items timed
 * after them, ran warmer and stays as it ran. A hasher's 20 items timed alone read 5
 * times its warm time, and their ratio, applied to figures that 2,500 items in blocks had
 * already made warm, priced its items at 3.4 us against 17. The figures leave the first
 * quarter of the items out, so the ratio over every item timed, the coldest included,
 * over-corrects them: a task whose first call took 60 ms and the others 1 ms read 0.1-0.2
 * ms an item. Without `inBasis` (not known), the scale is that ratio.
 */
export function coldReading(
  timed: readonly TimedItem[],
  cpuToWall: number,
  basisMs?: number,
): ColdReading | null {
  const n = timed.length;
  if (n < COLD_MIN_ITEMS || cpuToWall < COLD_MIN_CPU_SHARE) return null;
  const sizes = timed.map((t) => t.bytes);
  const bySize = Math.min(...sizes) > 0 && Math.max(...sizes) > 1.5 * Math.min(...sizes);
  const size = (t: TimedItem) => (bySize ? t.bytes : 1);
  const rate = (t: TimedItem) => t.ms / size(t);
  const warmFrom = Math.floor((2 * n) / 3);
  const middleFrom = Math.floor(n / 3);
  const warmRate = median(timed.slice(warmFrom).map(rate));
  let sampledMs = 0;
  let warmMs = 0;
  let excessMs = 0;
  let aloneBasisMs = 0;
  let warmBasisMs = 0;
  for (let i = 0; i < n; i++) {
    const t = timed[i]!;
    const expected = warmRate * size(t);
    sampledMs += t.ms;
    warmMs += expected;
    if (i < warmFrom) excessMs += t.ms - expected;
    if (t.inBasis === true) {
      aloneBasisMs += t.ms;
      warmBasisMs += expected;
    }
  }
  if (sampledMs <= 0 || sampledMs - warmMs < COLD_EXCESS_SHARE * warmMs) return null;
  const thirds = [
    timed.slice(0, middleFrom),
    timed.slice(middleFrom, warmFrom),
    timed.slice(warmFrom),
  ] as const;
  if (!slowerAtFirst(...(thirds.map((third) => third.map(rate)) as [number[], number[], number[]])))
    return null;
  const middleRate = median(timed.slice(middleFrom, warmFrom).map(rate));
  const blocksMs = basisMs === undefined ? 0 : Math.max(0, basisMs - aloneBasisMs);
  const scale =
    aloneBasisMs > 0
      ? Math.min(1, (warmBasisMs + blocksMs) / (aloneBasisMs + blocksMs))
      : blocksMs > 0
        ? 1
        : warmMs / sampledMs;
  return {
    scale,
    warmup: {
      excessMs: Math.max(0, excessMs),
      items: warmFrom,
      settled: middleRate <= warmRate * (1 + COLD_SETTLED_SHARE),
    },
  };
}

/**
 * Whether the first items ran slower than the warm ones beyond chance: the first third's
 * median log time (per byte) stands above the warm third's by COLD_EXCESS_SHARE and by
 * COLD_FIRST_THIRD_Z standard errors of that difference. The spread is the middle and warm
 * thirds' own (the median absolute deviation of each item's log time from its third's
 * median, as a normal's standard deviation): the first third holds most of a warm-up's
 * gradient (a minifier's first item 3 times its second), which is not the items' spread.
 * The standard error of a median is about 1.25 times that of a mean. Or the first item
 * alone stands COLD_FIRST_ITEM_Z standard deviations above the warm third's median: a
 * warm-up V8 spent on the task's first call (a Markdown renderer's first item took 30 times
 * the warm third's time per byte, its next ones hardly more than warm).
 */
export function slowerAtFirst(
  first: readonly number[],
  middle: readonly number[],
  warm: readonly number[],
): boolean {
  const logs = logTimes([first, middle, warm]);
  if (logs === null) return false;
  const [logFirst, logMiddle, logWarm] = logs as [number[], number[], number[]];
  const sd = robustSd([logMiddle, logWarm]);
  const standardError = Math.hypot(medianError(sd, first.length), medianError(sd, warm.length));
  const least = Math.log1p(COLD_EXCESS_SHARE);
  const difference = median(logFirst) - median(logWarm);
  if (difference > least && difference > COLD_FIRST_THIRD_Z * standardError) return true;
  const firstOut = logFirst[0]! - median(logWarm);
  return firstOut > least && firstOut > COLD_FIRST_ITEM_Z * sd;
}

/**
 * A cold sample's figures as the task runs once warm (see {@link coldReading}): its item
 * times scaled to the warm reference, and the warm-up this thread paid, which each fresh
 * worker pays too (`source: "sampled"`). Unchanged when the items do not show a warm-up,
 * or the sample has no items timed alone (blocks only, an empty input). A guarded sample
 * is read with {@link withColdReading} (its items timed alone are not given as `timedItems`).
 */
export function readCold<S extends ColdSample>(sample: S): S {
  const { timedItems, workload, basisMs } = sample;
  if (timedItems === undefined || workload.source !== "measured") return sample;
  return withColdReading(sample, coldReading(timedItems, workload.cpuToWall, basisMs));
}

/** The sample's figures as the task runs warm, by `reading` (unchanged without one): see {@link readCold}. */
export function withColdReading<S extends Pick<SampleResult, "workload">>(
  sample: S,
  reading: ColdReading | null,
): S {
  const { workload } = sample;
  if (reading === null || workload.source !== "measured") return sample;
  const { itemTimeMs } = workload;
  const scaled = (ms: number) => ms * reading.scale;
  return {
    ...sample,
    workload: {
      ...workload,
      itemTimeMs: {
        ...itemTimeMs,
        mean: scaled(itemTimeMs.mean),
        median: scaled(itemTimeMs.median),
        p90: scaled(itemTimeMs.p90),
        max: scaled(itemTimeMs.max),
      },
      warmup: { ...reading.warmup, source: "sampled" },
    },
  };
}

/** What {@link readCold} reads of a sample: its figures and the items it timed alone. */
type ColdSample = Pick<SampleResult, "workload" | "timedItems" | "basisMs">;
