import { describe, expect, it } from "@jest/globals";
import {
  cpuToWall,
  itemTimeFigures,
  logTimes,
  median,
  medianError,
  quantile,
  robustSd,
  sampleSpread,
  type TimedFigures,
  unitMean,
  weightedMean,
} from "./stats.js";

const timed = (r: Partial<TimedFigures>): TimedFigures => ({
  wallMs: 0,
  cpuMs: 0,
  ownMs: 0,
  idleMs: 0,
  weight: 1,
  ...r,
});

describe("quantile", () => {
  it("interpolates between neighbours of sorted values", () => {
    const sorted = [0, 10, 20, 30, 40];
    expect(quantile(sorted, 0)).toBe(0);
    expect(quantile(sorted, 0.25)).toBe(10);
    expect(quantile(sorted, 0.5)).toBe(20);
    expect(quantile(sorted, 0.9)).toBe(36);
    expect(quantile(sorted, 1)).toBe(40);
    expect(quantile([7], 0.9)).toBe(7);
  });

  it("gives 0 for no values", () => {
    expect(quantile([], 0.5)).toBe(0);
  });
});

describe("unitMean", () => {
  it("leaves out the first unit, which ran cold, and gives the relative standard error", () => {
    // Timed: 1, 2, 3: mean 2, variance 1, standard error sqrt(1/3).
    expect(unitMean([9, 1, 2, 3])).toEqual({ meanItemMs: 2, relativeError: Math.sqrt(1 / 3) / 2 });
  });

  it("has an unknown error with one unit, and none for a zero mean", () => {
    expect(unitMean([5])).toEqual({ meanItemMs: 5, relativeError: Number.POSITIVE_INFINITY });
    expect(unitMean([])).toEqual({ meanItemMs: 0, relativeError: 0 });
    expect(unitMean([1, 0, 0])).toEqual({ meanItemMs: 0, relativeError: 0 });
  });

  it("knows uniform units exactly", () => {
    expect(unitMean([4, 1, 1, 1])).toEqual({ meanItemMs: 1, relativeError: 0 });
  });
});

describe("weightedMean", () => {
  it("weighs each figure by the items it stands for", () => {
    expect(
      weightedMean([timed({ ownMs: 1, weight: 1 }), timed({ ownMs: 3, weight: 3 })], (m) => m.ownMs),
    ).toBe(2.5);
    expect(weightedMean([], (m: TimedFigures) => m.ownMs)).toBe(0);
  });
});

describe("itemTimeFigures", () => {
  it("gives the weighted mean and spread of the items' own times", () => {
    // Mean (1 + 3 * 3) / 4 = 2.5; weighted variance (2.25 + 3 * 0.25) / 4 * 4 / 3 = 1: cv 1 / 2.5.
    const figures = itemTimeFigures([
      timed({ ownMs: 1, wallMs: 9 }),
      timed({ ownMs: 3, wallMs: 9, weight: 3 }),
    ]);
    expect(figures).toEqual({ mean: 2.5, median: 2, p90: 2.8, max: 3, cv: 0.4 });
  });

  it("has no spread with one item or none", () => {
    expect(itemTimeFigures([timed({ ownMs: 2 })])).toEqual({ mean: 2, median: 2, p90: 2, max: 2, cv: 0 });
    expect(itemTimeFigures([])).toEqual({ mean: 0, median: 0, p90: 0, max: 0, cv: 0 });
  });
});

describe("cpuToWall", () => {
  it("is 1 for items that computed all their own time", () => {
    expect(
      cpuToWall([timed({ wallMs: 2, ownMs: 2, cpuMs: 2 }), timed({ wallMs: 4, ownMs: 3, cpuMs: 3 })]),
    ).toBe(1);
  });

  it("is CPU time over the time items ran or waited in the poll", () => {
    // A task that waits 20 ms for a timer: little CPU, the loop idle most of the time.
    const waits = [
      timed({ wallMs: 16, ownMs: 12, cpuMs: 0.5, idleMs: 12 }),
      timed({ wallMs: 12, ownMs: 9, cpuMs: 0.5, idleMs: 9 }),
      timed({ wallMs: 8, ownMs: 6, cpuMs: 0.5, idleMs: 6 }),
    ];
    expect(cpuToWall(waits)).toBe(1.5 / 28.5);
  });

  it("counts the poll's waiting even when the queueing figures leave little own time", () => {
    // A crowded machine: the scheduler's clocks put most of the wall time in the queue.
    expect(cpuToWall([timed({ wallMs: 20, ownMs: 1, cpuMs: 1, idleMs: 19 })])).toBe(0.05);
  });

  it("is never above 1, and 1 when nothing took any time", () => {
    expect(cpuToWall([timed({ wallMs: 1, ownMs: 1, cpuMs: 2 })])).toBe(1);
    expect(cpuToWall([timed({})])).toBe(1);
    expect(cpuToWall([])).toBe(1);
  });
});

describe("sampleSpread", () => {
  it("gives the mean's relative error, the largest item over the mean and the trend along the input", () => {
    const records = [0, 1, 2, 3].map((index, k) => ({ index, ownMs: [1, 1, 1, 5][k]!, weight: 1 }));
    const spread = sampleSpread(records, [1, 1, 1, 5]);
    expect(spread.maxOverMean).toBeCloseTo(2.5, 12);
    // Slope 1.2 ms per index over a span of 3 indices, over the mean of 2 ms.
    expect(spread.trend).toBeCloseTo(1.8, 12);
    // Units after the first: 1, 1, 5: mean 7/3, standard error sqrt(48/9 / 3).
    expect(spread.relativeError).toBeCloseTo(Math.sqrt(48 / 9 / 3) / (7 / 3), 12);
  });

  it("is flat for uniform items, falls for a falling trend, and is all zeros without two records", () => {
    const uniform = [0, 5, 9].map((index) => ({ index, ownMs: 2, weight: 3 }));
    expect(sampleSpread(uniform, [2, 2, 2])).toEqual({ relativeError: 0, maxOverMean: 1, trend: 0 });
    const falling = [0, 10].map((index, k) => ({ index, ownMs: [3, 1][k]!, weight: 1 }));
    expect(sampleSpread(falling, [3, 1]).trend).toBeCloseTo(-1, 12);
    expect(sampleSpread([], [])).toEqual({ relativeError: 0, maxOverMean: 0, trend: 0 });
  });
});

describe("robust figures of groups of times", () => {
  it("median: the middle value, or the mean of the middle two", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBe(0);
  });

  it("logTimes: each group's logarithms, a 0 counted as half the least positive time", () => {
    expect(logTimes([[1, Math.E], [0]])).toEqual([[0, 1], [Math.log(0.5)]]);
    expect(logTimes([[0], [0, 0]])).toBeNull();
  });

  it("robustSd: deviations from each group's own median, so a shift between groups adds nothing", () => {
    // Each group at its median, +0.5 and -0.5: a median absolute deviation of 0.5.
    expect(
      robustSd([
        [0, 0.5, -0.5],
        [10, 10.5, 9.5],
      ]),
    ).toBeCloseTo(1.4826 * 0.5, 12);
    expect(robustSd([[1, 1], [7]])).toBe(0);
  });

  it("medianError: 1.2533 standard deviations over the square root of the count", () => {
    expect(medianError(2, 4)).toBeCloseTo(1.2533, 12);
  });
});
