import { describe, expect, it } from "@jest/globals";
import {
  COLD_FIRST_ITEM_Z,
  COLD_FIRST_THIRD_Z,
  COLD_LIMITS,
  COLD_MIN_CPU_SHARE,
  COLD_MIN_ITEMS,
  coldLimits,
  coldReading,
  slowerAtFirst,
} from "./cold-sample.js";
import { resolveLimits, SAMPLE_SHARE } from "./sampling/stop.js";

/** Items timed alone, in the order they ran, all of one size unless given. */
const timed = (ms: readonly number[], bytes: readonly number[] = ms.map(() => 100)) =>
  ms.map((m, i) => ({ index: i * 10, ms: m, bytes: bytes[i]! }));

describe("coldLimits", () => {
  it("raises the budget, item count and job share where the caller set none", () => {
    const warm = resolveLimits({}, 420, 2);
    expect(warm.share).toBe(SAMPLE_SHARE);
    expect(coldLimits(warm, {})).toEqual({
      ...warm,
      minItems: COLD_MIN_ITEMS,
      maxItems: COLD_LIMITS.maxItems,
      budgetMs: COLD_LIMITS.budgetMs,
      share: COLD_LIMITS.share,
      preciseAfterMs: COLD_LIMITS.preciseAfterMs,
    });
  });

  it("keeps the caller's own limits", () => {
    const set = { minItems: 2, maxItems: 4, budgetMs: 30 };
    expect(coldLimits(resolveLimits(set, 420, 2), set)).toMatchObject({
      ...set,
      share: COLD_LIMITS.share,
    });
    // A maximum under the cold minimum bounds it.
    expect(coldLimits(resolveLimits({ maxItems: 4 }, 420, 2), { maxItems: 4 })).toMatchObject({
      minItems: 4,
      maxItems: 4,
    });
  });
});

describe("coldReading", () => {
  it("takes the last third as warm, and the excess of the items before it as the warm-up", () => {
    // 16, 8, 4, 2 ms, then 1 ms: warm reference 1 ms, paid 15 + 7 + 3 + 1 ms over 6 items.
    const reading = coldReading(timed([16, 8, 4, 2, 1, 1, 1, 1, 1]), 1);
    expect(reading).not.toBeNull();
    expect(reading!.scale).toBeCloseTo(9 / 35, 12);
    expect(reading!.warmup).toEqual({ excessMs: 26, items: 6, settled: true });
  });

  it("is not settled while the middle third still runs slower than the warm reference", () => {
    const reading = coldReading(timed([30, 20, 10, 5, 3, 2, 1, 1, 1]), 1);
    expect(reading!.warmup).toMatchObject({ items: 6, settled: false });
  });

  it("compares items by their time per input byte when their sizes differ", () => {
    // Every item costs 0.01 ms a byte once warm; the first two took 5x and 2x that.
    const bytes = [1000, 200, 800, 400, 1000, 200];
    const ms = bytes.map((b, i) => b * 0.01 * (i === 0 ? 5 : i === 1 ? 2 : 1));
    const reading = coldReading(timed(ms, bytes), 1);
    expect(reading!.warmup.excessMs).toBeCloseTo(40 + 2, 9);
    expect(reading!.scale).toBeCloseTo(36 / (36 + 42), 9);
  });

  it("reads nothing from too few items, or from items that do not slow down at first", () => {
    expect(coldReading(timed([16, 8, 4, 2, 1]), 1)).toBeNull();
    expect(coldReading(timed([1.1, 1, 0.9, 1, 1.05, 1, 1, 0.95, 1]), 1)).toBeNull();
    // Less than COLD_EXCESS_SHARE (20%) above warm over all the items: nothing to correct.
    expect(coldReading(timed([2.5, 1, 1, 1, 1, 1, 1, 1, 1]), 1)).toBeNull();
  });

  it("reads no warm-up from widely spread items whose sum exceeds their median, but that do not run slower at first", () => {
    // The demo's heavy-skewed sample (log-normal item times, cv about 1.5) in a thread that
    // had run the task: no item ran slower for being early.
    const ms = [
      3.43, 1.03, 0.6, 2.48, 27.42, 0.74, 11.5, 0.44, 0.74, 13.96, 3.97, 1.24, 3.59, 3.22, 0.39, 8.06, 1.08,
      1.14, 1.28, 1.79, 3.76, 8.31, 2.36, 14.77, 0.46, 11.97, 1.9, 0.8,
    ];
    const warmThird = ms.slice(18).sort((a, b) => a - b);
    const warmMedian = (warmThird[4]! + warmThird[5]!) / 2;
    // The premise: their sum stands far above the warm third's median per item.
    expect(ms.reduce((a, b) => a + b, 0)).toBeGreaterThan(1.5 * ms.length * warmMedian);
    expect(coldReading(timed(ms), 1)).toBeNull();
    // The same items after a first item that V8 compiled the task on: a warm-up.
    expect(coldReading(timed([400, ...ms.slice(1)]), 1)).not.toBeNull();
  });

  it("reads a warm-up paid on the first item alone", () => {
    // The first third's median is within the items' spread of the warm third's; its first item is not.
    const reading = coldReading(timed([20, 1, 1.3, 0.7, 1.2, 0.8, 1, 1.3, 0.7]), 1);
    expect(reading).not.toBeNull();
    expect(reading!.warmup.items).toBe(6);
    // 19 ms over the warm third's median of 1 ms, the other five within its spread (+0.3, -0.3, +0.2, -0.2).
    expect(reading!.warmup.excessMs).toBeCloseTo(19, 12);
  });

  it("leaves the figures' time from blocks of items as it ran, and scales the part items timed alone took", () => {
    // 16, 8, 4, 2 ms, then 1 ms (warm: 1 ms each). The figures rest on the last six of them
    // (2 + 1 + 1 + 1 + 1 + 1 = 7 ms, 6 ms warm) and on blocks timed after them that took 93 ms.
    const times = timed([16, 8, 4, 2, 1, 1, 1, 1, 1]).map((t, i) => ({ ...t, inBasis: i >= 3 }));
    const reading = coldReading(times, 1, 100);
    expect(reading!.scale).toBeCloseTo((6 + 93) / 100, 12);
    // The warm-up is the items' own, whatever the figures rest on.
    expect(reading!.warmup).toEqual({ excessMs: 26, items: 6, settled: true });
    // Figures that rest on the items timed alone only: brought to those items' warm time (6
    // of 7 ms), not by the ratio over every item timed (9/35), whose coldest ones the figures
    // leave out: that priced these 1 ms items at 0.3 ms.
    expect(coldReading(times, 1, 7)!.scale).toBeCloseTo(6 / 7, 12);
    // Figures that rest on blocks only: nothing of the cold items is in them.
    const blocksOnly = times.map((t) => ({ ...t, inBasis: false }));
    expect(coldReading(blocksOnly, 1, 93)!.scale).toBe(1);
  });

  it("reads nothing from items that mostly wait: their times say when their waits ended", () => {
    const times = timed([16, 8, 4, 2, 1, 1, 1, 1, 1]);
    expect(coldReading(times, COLD_MIN_CPU_SHARE)).not.toBeNull();
    expect(coldReading(times, 0.35)).toBeNull();
  });
});

describe("slowerAtFirst", () => {
  // Log times: the middle and warm thirds at 0, +0.5 and -0.5 about their median 0, so the
  // median absolute deviation is 0.5 and the spread 1.4826 * 0.5.
  const e = Math.exp;
  const spread = [1, e(0.5), e(-0.5)];
  const sd = 1.4826 * 0.5;
  const standardError = 1.2533 * sd * Math.sqrt(1 / 3 + 1 / 3);

  it("reads a first third whose median stands COLD_FIRST_THIRD_Z standard errors above the warm third's", () => {
    const at = COLD_FIRST_THIRD_Z * standardError;
    expect(slowerAtFirst([e(at + 0.01), e(at + 0.01), e(at + 0.01)], spread, spread)).toBe(true);
    expect(slowerAtFirst([e(at - 0.01), e(at - 0.01), e(at - 0.01)], spread, spread)).toBe(false);
    // Never under COLD_EXCESS_SHARE (20%), however alike the items.
    expect(slowerAtFirst([1.19, 1.19], [1, 1], [1, 1])).toBe(false);
    expect(slowerAtFirst([1.21, 1.21], [1, 1], [1, 1])).toBe(true);
  });

  it("takes the spread from the middle and warm thirds, not from the warm-up in the first", () => {
    // A minifier's six cold items (ms over input bytes, in the order they ran): its first
    // third's own spread (the first item 3 times the second) would hide its shift.
    const rates = [63.83 / 5527, 24.16 / 6457, 22.46 / 4339, 16.89 / 3715, 22.47 / 4592, 24.57 / 7329];
    expect(slowerAtFirst(rates.slice(0, 2), rates.slice(2, 4), rates.slice(4))).toBe(true);
    expect(
      coldReading(timed([63.83, 24.16, 22.46, 16.89, 22.47, 24.57], [5527, 6457, 4339, 3715, 4592, 7329]), 1),
    ).not.toBeNull();
  });

  it("reads a first item alone COLD_FIRST_ITEM_Z standard deviations above the warm third's median", () => {
    const at = COLD_FIRST_ITEM_Z * sd;
    expect(slowerAtFirst([e(at + 0.01), 1, 1], spread, spread)).toBe(true);
    expect(slowerAtFirst([e(at - 0.01), 1, 1], spread, spread)).toBe(false);
  });

  it("reads an item the clock read as 0 ms as the fastest, not as a failure", () => {
    expect(slowerAtFirst([0, 0], [1, 1], [1, 1])).toBe(false);
    expect(slowerAtFirst([5, 5], [0.9, 1, 0], [1, 1.1, 1])).toBe(true);
    expect(slowerAtFirst([0, 0], [0, 0], [0, 0])).toBe(false);
  });
});
