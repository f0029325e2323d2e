import { describe, expect, it } from "@jest/globals";
import { COLD_LIMITS, COLD_MIN_CPU_SHARE, COLD_MIN_ITEMS, coldLimits, coldReading } from "./cold-sample.js";
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

  it("leaves the figures' time from blocks of items as it ran, and scales the part items timed alone took", () => {
    // 16, 8, 4, 2 ms, then 1 ms (the ratio 9/35, as above). The figures rest on the last
    // six of them (2 + 1 + 1 + 1 + 1 + 1 = 7 ms) and on blocks timed after them that took 93 ms.
    const times = timed([16, 8, 4, 2, 1, 1, 1, 1, 1]).map((t, i) => ({ ...t, inBasis: i >= 3 }));
    const reading = coldReading(times, 1, 100);
    expect(reading!.scale).toBeCloseTo((7 * (9 / 35) + 93) / 100, 12);
    // The warm-up is the items' own, whatever the figures rest on.
    expect(reading!.warmup).toEqual({ excessMs: 26, items: 6, settled: true });
    // Figures that rest on the items timed alone only: their ratio, as without the basis.
    expect(coldReading(times, 1, 7)!.scale).toBeCloseTo(9 / 35, 12);
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
