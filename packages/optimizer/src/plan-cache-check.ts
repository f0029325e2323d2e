// Whether a plan-cache entry's workload can be trusted. The schema takes any finite
// non-negative figure, so an entry can say items take 1e300 ms, or that a computing task
// waits, and still parse. Two checks, both pure: the figures must be possible for any
// sample (ranges, and the relations sampling guarantees between them), and the first item
// run in this call must not contradict them by a wide margin. Either failure means the
// entry is ignored and the task sampled again.
import type { WorkloadSample } from "@amorsize/types";

/** The most a sampled item (and a whole sampling) may plausibly take: a day, milliseconds. */
export const MAX_ITEM_MS = 24 * 60 * 60 * 1000;
/** The largest plausible item, result or per-item memory: 1 TiB. */
export const MAX_ITEM_BYTES = 2 ** 40;
/** Slack for the rounding of figures that sampling computes from the same numbers. */
const SLACK = 1e-9;

const atMost = (a: number, b: number) => a <= b + SLACK * Math.max(1, Math.abs(b));

/**
 * Why a cached workload cannot come from any sample, or null when it can: a figure out
 * of range, or two figures that contradict what sampling guarantees (a mean or median
 * above the maximum, a spread that no set of non-negative times with that mean and
 * maximum can have, a memory figure below the item's own input and result).
 */
export function implausibleWorkload(w: WorkloadSample): string | null {
  const t = w.itemTimeMs;
  if (w.source !== "measured") return `its source is "${w.source}", not "measured"`;
  if (w.cutOff !== undefined) return "it was cut off waiting for items (a lower bound, never cached)";
  if (w.sampled < 1 || w.indices.length !== w.sampled)
    return `it says ${w.sampled} items were sampled, with ${w.indices.length} indices`;
  for (const [name, value] of [
    ["mean", t.mean],
    ["median", t.median],
    ["p90", t.p90],
    ["max", t.max],
  ] as const) {
    if (value > MAX_ITEM_MS) return `itemTimeMs.${name} is ${value} ms, more than a day`;
    if (name !== "max" && !atMost(value, t.max))
      return `itemTimeMs.${name} (${value} ms) exceeds the max (${t.max} ms)`;
  }
  if (!atMost(t.cv, maxCv(t.mean, t.max)))
    return `itemTimeMs.cv (${t.cv}) is more than items of mean ${t.mean} ms and max ${t.max} ms can vary`;
  if (w.cpuToWall > 1) return `cpuToWall is ${w.cpuToWall}, above 1`;
  for (const [name, sizes] of [
    ["inputBytes", w.inputBytes],
    ["outputBytes", w.outputBytes],
  ] as const) {
    if (sizes.max > MAX_ITEM_BYTES) return `${name}.max is ${sizes.max} bytes, more than 1 TiB`;
    if (!atMost(sizes.mean, sizes.max)) return `${name}.mean (${sizes.mean}) exceeds its max (${sizes.max})`;
  }
  const own = w.inputBytes.mean + w.outputBytes.mean;
  if (w.memoryBytesPerItem > MAX_ITEM_BYTES || !atMost(own, w.memoryBytesPerItem))
    return `memoryBytesPerItem (${w.memoryBytesPerItem}) is outside ${own}..${MAX_ITEM_BYTES} bytes`;
  if (w.sampleWallMs > MAX_ITEM_MS) return `sampleWallMs is ${w.sampleWallMs} ms, more than a day`;
  return null;
}

/**
 * The largest coefficient of variation of non-negative times with this mean and maximum.
 * Their variance is at most (max - mean) x mean (Bhatia-Davis, with the minimum at 0),
 * and sampling's sample variance scales it by weight / (weight - 1), at most 2 (a
 * variation is only computed from two or more records, each standing for at least one
 * item).
 */
export function maxCv(mean: number, max: number): number {
  if (mean <= 0) return 0;
  return Math.sqrt((2 * Math.max(0, max - mean)) / mean);
}

/** How far the first item run in this call may be from the cached figures before it contradicts them. */
export const CROSS_CHECK = {
  /** Below this time a single item's CPU-to-wall ratio is clock noise, milliseconds. */
  minItemMs: 1,
  /** A cached ratio below this says the task waits (the cost model's I/O-bound line). */
  waitsBelow: 0.5,
  /** An item whose ratio is at least this computes. */
  computesAt: 0.9,
  /** An item whose ratio is at most this waits. */
  waitsAt: 0.1,
  /** A first item this many times slower than the slowest cached item (cold code is not that slow). */
  slowerFactor: 100,
  /** A first item this many times faster than the cached median. */
  fasterFactor: 100,
  /** Slowest-item floor for the comparison: timer resolution and a cold first call, milliseconds. */
  floorMs: 0.1,
} as const;

/**
 * How the figures of the first unit run in this call (`first`: usually one item, cold)
 * contradict the cached ones by a margin no noise explains, or null when they do not:
 * it returned a promise where the cache says synchronous; it plainly computed (or
 * waited) where the cache says the opposite; it took a hundred times the slowest cached
 * item, or under a hundredth of the median.
 */
export function contradiction(cached: WorkloadSample, first: WorkloadSample): string | null {
  const c = CROSS_CHECK;
  const itemMs = first.itemTimeMs.mean;
  if (first.async && !cached.async)
    return "the cache says the task is synchronous, and an item returned a promise";
  if (itemMs >= c.minItemMs) {
    const ratio = first.cpuToWall.toFixed(2);
    if (cached.cpuToWall < c.waitsBelow && first.cpuToWall >= c.computesAt)
      return `the cache says items wait (CPU-to-wall ${cached.cpuToWall.toFixed(2)}), and an item computed (${ratio})`;
    if (cached.cpuToWall >= c.waitsBelow && first.cpuToWall <= c.waitsAt)
      return `the cache says items compute (CPU-to-wall ${cached.cpuToWall.toFixed(2)}), and an item waited (${ratio})`;
  }
  if (itemMs > c.slowerFactor * Math.max(cached.itemTimeMs.max, c.floorMs))
    return `an item took ${itemMs} ms, over ${c.slowerFactor} times the slowest cached one (${cached.itemTimeMs.max} ms)`;
  if (cached.itemTimeMs.median >= c.minItemMs && itemMs * c.fasterFactor < cached.itemTimeMs.median)
    return `an item took ${itemMs} ms, under 1/${c.fasterFactor} of the cached median (${cached.itemTimeMs.median} ms)`;
  return null;
}
