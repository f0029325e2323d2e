import { describe, expect, it } from "@jest/globals";
import {
  coldStartMs,
  errorBound,
  itemMean,
  jobShareSpent,
  resolveLimits,
  SAMPLE_DEFAULTS,
  SAMPLE_SHARE,
  type SampleLimits,
  stopReason,
  UNCERTAIN_SHARE_FACTOR,
} from "./stop.js";

const limits = (l: Partial<SampleLimits> = {}): SampleLimits => ({
  ...SAMPLE_DEFAULTS,
  expectedTotal: null,
  parallelism: 1,
  share: SAMPLE_SHARE,
  ...l,
});

describe("resolveLimits", () => {
  it("fills the defaults", () => {
    expect(resolveLimits({}, 100, 4)).toEqual({
      minItems: 3,
      maxItems: 32,
      budgetMs: 60,
      expectedTotal: 100,
      parallelism: 4,
      share: SAMPLE_SHARE,
    });
  });

  it("keeps minItems at most maxItems", () => {
    expect(resolveLimits({ maxItems: 2 }, null, 1)).toMatchObject({ minItems: 2, maxItems: 2 });
    expect(resolveLimits({ minItems: 5, maxItems: 8, budgetMs: 100 }, null, 1)).toMatchObject({
      minItems: 5,
      maxItems: 8,
      budgetMs: 100,
    });
  });
});

describe("stopReason", () => {
  it("stops at maxItems whatever the time", () => {
    expect(stopReason({ units: 32, elapsedMs: 0, unitTimes: [] }, limits())).toBe("max-items");
  });

  it("runs minItems within the budget", () => {
    expect(stopReason({ units: 0, elapsedMs: 1000, unitTimes: [] }, limits())).toBeNull();
    expect(stopReason({ units: 2, elapsedMs: 59, unitTimes: [30, 29] }, limits())).toBeNull();
  });

  it("stops before minItems once the budget is spent on items slower than its share", () => {
    // A budget of 60 ms over 3 items: 20 ms each.
    expect(stopReason({ units: 1, elapsedMs: 60, unitTimes: [60] }, limits())).toBe("slow-items");
    expect(stopReason({ units: 2, elapsedMs: 60, unitTimes: [30, 30] }, limits())).toBe("slow-items");
    // One 0.5 ms item against a 0.1 ms budget.
    expect(stopReason({ units: 1, elapsedMs: 0.5, unitTimes: [0.5] }, limits({ budgetMs: 0.1 }))).toBe(
      "slow-items",
    );
  });

  it("stops after minItems once the budget is spent", () => {
    expect(stopReason({ units: 3, elapsedMs: 60, unitTimes: [1, 2, 3] }, limits())).toBe("budget");
    expect(stopReason({ units: 3, elapsedMs: 59, unitTimes: [1, 2, 3] }, limits())).toBeNull();
  });

  describe("a cold first unit", () => {
    // A renderer's first item in a fresh process: 58 ms, sampling at 62 ms when it ended.
    const renderer = limits({ expectedTotal: 2500, parallelism: 2 });
    const first = { units: 1, elapsedMs: 62, unitTimes: [58], firstUnitMs: 62 };

    it("does not count against the limits when the job as it prices it leaves room for another budget", () => {
      // 3% of 2500 x 58 ms over 2 cores is 2175 ms: room for 62 ms and another item as slow.
      expect(coldStartMs(first, renderer)).toBe(62);
      expect(stopReason(first, renderer)).toBeNull();
      // Without that room (2175 ms of allowance for 2120 + another 2120), the first unit decides, as before.
      const longFirst = { ...first, elapsedMs: 2120, firstUnitMs: 2120 };
      expect(coldStartMs(longFirst, limits({ expectedTotal: 2500, parallelism: 2 }))).toBe(0);
      expect(stopReason(longFirst, renderer)).toBe("slow-items");
    });

    it("leaves the limits as they were for a few slow items, an unknown count, or a first unit within the budget", () => {
      // Three items of 300 ms: 3% of 900 ms over 2 cores is 13.5 ms.
      const heavy = { units: 1, elapsedMs: 301, unitTimes: [300], firstUnitMs: 301 };
      expect(coldStartMs(heavy, limits({ expectedTotal: 3, parallelism: 2 }))).toBe(0);
      expect(stopReason(heavy, limits({ expectedTotal: 3, parallelism: 2 }))).toBe("slow-items");
      expect(coldStartMs(first, limits())).toBe(0);
      expect(coldStartMs({ ...first, firstUnitMs: 59 }, renderer)).toBe(0);
      expect(coldStartMs({ ...first, firstUnitMs: undefined }, renderer)).toBe(0);
      // 600 items of 1 s on 16 cores: 1125 ms of allowance holds 1060 + 60 ms of budget, but
      // the next item cannot be cut short: it needs room for another 1060.
      const slow = { units: 1, elapsedMs: 1060, unitTimes: [1000], firstUnitMs: 1060 };
      expect(coldStartMs(slow, limits({ expectedTotal: 600, parallelism: 16 }))).toBe(0);
    });

    it("starts the budget and the job's share from its end", () => {
      // Four warm units of 1 ms after it: the budget holds 61 ms past the first unit...
      const later = (elapsedMs: number) => ({
        units: 5,
        elapsedMs,
        unitTimes: [58, 1, 1, 1, 1],
        firstUnitMs: 62,
      });
      expect(stopReason(later(62 + 61), limits({ expectedTotal: 25_000, parallelism: 2 }))).toBe("budget");
      // ...and the job's share, 3% of 2500 x 1 ms over 2 cores (37.5 ms), counts from there too.
      expect(stopReason(later(62 + 37), renderer)).toBeNull();
      expect(stopReason(later(62 + 38), renderer)).toBe("job-share");
    });
  });

  describe("the share of the job", () => {
    // 2000 items of 2 ms on average: 4 s of serial work, and a mean that is not yet
    // precise (±10% over four warm units); 3% of it is 120 ms on one core, 12 ms spread over ten.
    const progress = (elapsedMs: number) => ({ units: 5, elapsedMs, unitTimes: [10, 2, 2.5, 1.5, 2] });
    const job = (parallelism: number) => limits({ budgetMs: 10_000, expectedTotal: 2000, parallelism });

    it("keeps sampling a share of the job spread over the cores it may use", () => {
      expect(stopReason(progress(119), job(1))).toBeNull();
      expect(stopReason(progress(121), job(1))).toBe("job-share");
      expect(stopReason(progress(11), job(10))).toBeNull();
      expect(stopReason(progress(13), job(10))).toBe("job-share");
    });

    it("is three times as large while the mean is known to worse than ±25%", () => {
      // Four warm units of 1 and 3 ms: mean 2 ms, a relative standard error of 29%.
      const scattered = (elapsedMs: number) => ({ units: 5, elapsedMs, unitTimes: [10, 1, 3, 1, 3] });
      expect(UNCERTAIN_SHARE_FACTOR).toBe(3);
      expect(stopReason(scattered(121), job(1))).toBeNull();
      expect(stopReason(scattered(359), job(1))).toBeNull();
      expect(stopReason(scattered(361), job(1))).toBe("job-share");
      // 9% of 4 s over ten cores: 36 ms, within the budget and the item cap, which still hold.
      expect(stopReason(scattered(35), job(10))).toBeNull();
      expect(stopReason(scattered(37), job(10))).toBe("job-share");
      expect(stopReason(scattered(35), { ...job(10), budgetMs: 30 })).toBe("budget");
      expect(stopReason(scattered(35), { ...job(10), maxItems: 5 })).toBe("max-items");
      // Under the line by its own figure (±23%: 1.2 and 2.8 ms), but not by what four units
      // may hide (see errorBound): the uncertain share.
      const under = (elapsedMs: number) => ({ units: 5, elapsedMs, unitTimes: [10, 1.2, 2.8, 1.2, 2.8] });
      expect(stopReason(under(121), job(1))).toBeNull();
      expect(stopReason(under(361), job(1))).toBe("job-share");
      // Under it by both (±14%, bound ±23%: 1.5 and 2.5 ms), the share is its own.
      const closer = (elapsedMs: number) => ({ units: 5, elapsedMs, unitTimes: [10, 1.5, 2.5, 1.5, 2.5] });
      expect(stopReason(closer(121), job(1))).toBe("job-share");
    });

    it("reads the spread of few units at its 75% upper bound (errorBound)", () => {
      // One degree of freedom (two warm units): sqrt(1 / 0.1015); three: sqrt(3 / 1.2125).
      expect(errorBound(0.1, 2)).toBeCloseTo(0.1 * Math.sqrt(1 / 0.1015), 12);
      expect(errorBound(0.1, 4)).toBeCloseTo(0.1 * Math.sqrt(3 / 1.2125), 12);
      // Past the table, Wilson and Hilferty's approximation: within 0.5% of the exact
      // quantiles at 11 and 30 degrees of freedom (7.5841, 24.4776).
      expect(errorBound(0.1, 12) / (0.1 * Math.sqrt(11 / 7.5841))).toBeCloseTo(1, 2);
      expect(errorBound(0.1, 31) / (0.1 * Math.sqrt(30 / 24.4776))).toBeCloseTo(1, 2);
      // One unit has no spread to bound: its error stands (infinite).
      expect(errorBound(Number.POSITIVE_INFINITY, 1)).toBe(Number.POSITIVE_INFINITY);
      // The demo's heavy-tailed sample after three items, the first left out: two warm units
      // of 1.0 and 0.6 ms read ±23%, a job share of 3% of 400 x 0.8 ms over 2 cores (4.8 ms)
      // that 8.8 ms had spent; their bound (±72%) goes on to the uncertain share (14.4 ms).
      const demo = { units: 3, elapsedMs: 8.8, unitTimes: [1.83, 0.99, 0.62] };
      const job = limits({ budgetMs: 60, expectedTotal: 400, parallelism: 2 });
      expect(errorBound(0.23, 2)).toBeGreaterThan(0.7);
      expect(stopReason(demo, job)).toBeNull();
      expect(stopReason({ ...demo, elapsedMs: 14.5 }, job)).toBe("job-share");
      // Uniform items (cv 5%) stay under the line from two warm units on.
      const uniform = { units: 3, elapsedMs: 8.8, unitTimes: [1.83, 1.0, 1.07] };
      expect(stopReason(uniform, job)).toBe("job-share");
    });

    it("does not apply when the item count is unknown", () => {
      expect(stopReason(progress(5000), limits({ budgetMs: 10_000 }))).toBeNull();
    });

    it("is the limits' own share: a cold thread's (15%) lets it sample five times as long", () => {
      const cold = (parallelism: number) => ({ ...job(parallelism), share: 0.15 });
      expect(stopReason(progress(599), cold(1))).toBeNull();
      expect(stopReason(progress(601), cold(1))).toBe("job-share");
      // An uncertain mean does not take a cold thread's share past its own (9% is less).
      const scattered = { units: 5, elapsedMs: 601, unitTimes: [10, 1, 3, 1, 3] };
      expect(stopReason(scattered, cold(1))).toBe("job-share");
    });
  });

  it("stops once the mean is known within 5% over 8 units", () => {
    const uniform = [5, 1, 1, 1, 1, 1, 1, 1];
    expect(stopReason({ units: 8, elapsedMs: 1, unitTimes: uniform }, limits())).toBe("precise");
    expect(stopReason({ units: 7, elapsedMs: 1, unitTimes: uniform.slice(1) }, limits())).toBeNull();
    // Relative standard error: sqrt(8 / 7 / 8) / 2, about 19%.
    const scattered = [5, 1, 3, 1, 3, 1, 3, 1, 3];
    expect(stopReason({ units: 9, elapsedMs: 1, unitTimes: scattered }, limits())).toBeNull();
  });

  it("stops on a precise mean only after `preciseAfterMs` where the limits set it (a cold thread's)", () => {
    // Eight alike items of 0.3 ms: a hasher's first items, interpreted, before V8 compiled it.
    const alike = { units: 8, unitTimes: [0.5, 0.3, 0.31, 0.3, 0.29, 0.3, 0.3, 0.31] };
    const cold = limits({ preciseAfterMs: 20 });
    expect(stopReason({ ...alike, elapsedMs: 19.9 }, cold)).toBeNull();
    expect(stopReason({ ...alike, elapsedMs: 20 }, cold)).toBe("precise");
    expect(stopReason({ ...alike, elapsedMs: 2.5 }, limits())).toBe("precise");
  });
});

describe("itemMean", () => {
  it("counts each unit by its items, leaving out the first unit once there are others", () => {
    // Per-item times (ms) of a lone cold item, a lone item, and blocks of 83, 1,347 and 1,347.
    const times = [0.051567, 0.006092, 0.000371, 0.000094, 0.000078];
    const items = [1, 1, 83, 1347, 1347];
    const expected = (0.006092 + 0.000371 * 83 + 0.000094 * 1347 + 0.000078 * 1347) / (1 + 83 + 1347 + 1347);
    expect(itemMean(times, items)).toBeCloseTo(expected, 15);
    // Without counts each unit is one item: the units' own mean.
    expect(itemMean(times)).toBeCloseTo((0.006092 + 0.000371 + 0.000094 + 0.000078) / 4, 15);
    expect(itemMean([2], [5])).toBe(2);
    expect(itemMean([])).toBe(0);
  });
});

describe("jobShareSpent", () => {
  // A cold sample of 200,000 multiplies (a 3.5 ms job), after five units in 6.44 ms.
  const cold = limits({
    minItems: 6,
    maxItems: 128,
    budgetMs: 250,
    expectedTotal: 200_000,
    parallelism: 2,
    share: 0.15,
  });
  const progress = {
    units: 5,
    elapsedMs: 6.44,
    unitTimes: [0.051567, 0.006092, 0.000371, 0.000094, 0.000078],
    unitItems: [1, 1, 83, 1347, 1347],
  };

  it("prices the job by the items the units stand for", () => {
    // 200,000 items at 0.097 us: 19.3 ms; its share over 2 cores, 1.45 ms, is spent.
    expect(jobShareSpent(progress, cold)).toBe(true);
    // Units counted one each priced it at 1.66 us an item (a 332 ms job, a 25 ms share).
    expect(jobShareSpent({ ...progress, unitItems: undefined }, cold)).toBe(false);
    // The item count unknown: no share.
    expect(jobShareSpent(progress, { ...cold, expectedTotal: null })).toBe(false);
  });

  it("does not stop sampling before minItems units: stopReason waits for the sixth, and stops it there", () => {
    expect(stopReason(progress, cold)).toBeNull();
    const sixth = {
      units: 6,
      elapsedMs: 6.7,
      unitTimes: [...progress.unitTimes, 0.000079],
      unitItems: [...progress.unitItems, 512],
    };
    expect(stopReason(sixth, cold)).toBe("job-share");
  });
});
