import { describe, expect, it } from "@jest/globals";
import fc from "fast-check";
import { fitLine, MAD_TO_SIGMA, mad, mean, median, rejectOutliers, robustFitLine } from "./stats.js";

describe("median", () => {
  it("takes the middle value of an odd count and the mean of the middle two of an even count", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });

  it("does not reorder its input and is NaN for no values", () => {
    const values = [3, 1, 2];
    median(values);
    expect(values).toEqual([3, 1, 2]);
    expect(median([])).toBeNaN();
  });
});

describe("mean and mad", () => {
  it("computes the mean", () => {
    expect(mean([1, 2, 3, 6])).toBe(3);
    expect(mean([])).toBeNaN();
  });

  it("is the median absolute deviation from the median, unscaled", () => {
    // median 3, deviations 2 1 0 1 97
    expect(mad([1, 2, 3, 4, 100])).toBe(1);
    expect(mad([5, 5, 5])).toBe(0);
    expect(mad([])).toBeNaN();
  });
});

describe("rejectOutliers", () => {
  it("drops values beyond 3 x 1.4826 x MAD from the median", () => {
    const result = rejectOutliers([10, 11, 9, 10, 50]);
    expect(result.kept).toEqual([10, 11, 9, 10]);
    expect(result.indices).toEqual([0, 1, 2, 3]);
    expect(result.rejected).toBe(1);
    expect(result.scale).toBeCloseTo(MAD_TO_SIGMA, 12);
  });

  it("keeps a value exactly at the threshold and honours a custom threshold", () => {
    // median 10, MAD 1: the bound is threshold x 1.4826
    expect(rejectOutliers([10, 11, 9, 10, 10 + 2 * MAD_TO_SIGMA], 2).rejected).toBe(0);
    expect(rejectOutliers([10, 11, 9, 10, 13], 2).kept).toEqual([10, 11, 9, 10]);
  });

  it("falls back to the mean absolute deviation when more than half the values agree", () => {
    // MAD is 0; mean |x - 1| = 19.8, scaled by sqrt(pi/2) = 24.82, x3 = 74.4 < 99
    const wild = rejectOutliers([1, 1, 1, 1, 100]);
    expect(wild.kept).toEqual([1, 1, 1, 1]);
    expect(wild.scale).toBeCloseTo(19.8 * Math.sqrt(Math.PI / 2), 12);
    // mean |x - 1| = 0.4: 0.4 x 1.2533 x 3 = 1.504 > 1, so the 2s stay
    expect(rejectOutliers([1, 1, 1, 2, 2]).kept).toEqual([1, 1, 1, 2, 2]);
  });

  it("keeps every value when all are equal, and returns nothing for nothing", () => {
    expect(rejectOutliers([5, 5, 5])).toEqual({ kept: [5, 5, 5], indices: [0, 1, 2], rejected: 0, scale: 0 });
    expect(rejectOutliers([])).toEqual({ kept: [], indices: [], rejected: 0, scale: 0 });
  });

  it("never rejects within the minScale floor", () => {
    // MAD 0.1 would reject 10.6; a floor of 0.5 keeps it (3 x 0.5 = 1.5 > 0.6)
    expect(rejectOutliers([10, 10.1, 9.9, 10, 10.6]).kept).toEqual([10, 10.1, 9.9, 10]);
    const floored = rejectOutliers([10, 10.1, 9.9, 10, 10.6], 3, 0.5);
    expect(floored.kept).toEqual([10, 10.1, 9.9, 10, 10.6]);
    expect(floored.scale).toBe(0.5);
  });
});

describe("fitLine", () => {
  it("recovers an exact line with no residual spread", () => {
    const fit = fitLine([0, 1, 2, 3], [1, 3, 5, 7]);
    expect(fit.intercept).toBeCloseTo(1, 12);
    expect(fit.slope).toBeCloseTo(2, 12);
    expect(fit.n).toBe(4);
    expect(fit.residuals.every((r) => Math.abs(r) < 1e-12)).toBe(true);
    expect(fit.residualMad).toBeCloseTo(0, 12);
    expect(fit.slopeSpread).toBeCloseTo(0, 12);
  });

  it("fits noisy points by least squares and reports the MAD of the residuals", () => {
    // sxy = 9.5, sxx = 5: slope 1.9, intercept 4 - 1.9 x 1.5 = 1.15
    const fit = fitLine([0, 1, 2, 3], [1, 3.5, 4.5, 7]);
    expect(fit.slope).toBeCloseTo(1.9, 12);
    expect(fit.intercept).toBeCloseTo(1.15, 12);
    const expected = [-0.15, 0.45, -0.45, 0.15];
    fit.residuals.forEach((r, i) => {
      expect(r).toBeCloseTo(expected[i]!, 12);
    });
    // residual median 0, absolute deviations 0.15 0.45 0.45 0.15
    expect(fit.residualMad).toBeCloseTo(0.3, 12);
    // over an x range of 3
    expect(fit.slopeSpread).toBeCloseTo(0.1, 12);
  });

  it("recovers any line through distinct x values", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1000, max: 1000 }),
        fc.integer({ min: -1000, max: 1000 }),
        fc.uniqueArray(fc.integer({ min: -500, max: 500 }), { minLength: 2, maxLength: 20 }),
        (a, b, xs) => {
          const fit = fitLine(
            xs,
            xs.map((x) => a + b * x),
          );
          expect(fit.intercept).toBeCloseTo(a, 6);
          expect(fit.slope).toBeCloseTo(b, 6);
        },
      ),
    );
  });

  it("with nonNegativeIntercept, fits through the origin when the free intercept would be negative", () => {
    // free fit: slope 3, intercept -2; through the origin: slope 30 / 14
    expect(fitLine([1, 2, 3], [1, 4, 7]).intercept).toBeCloseTo(-2, 12);
    const fit = fitLine([1, 2, 3], [1, 4, 7], { nonNegativeIntercept: true });
    expect(fit.intercept).toBe(0);
    expect(fit.slope).toBeCloseTo(30 / 14, 12);
    const expected = [1 - 30 / 14, 4 - 60 / 14, 7 - 90 / 14];
    fit.residuals.forEach((r, i) => {
      expect(r).toBeCloseTo(expected[i]!, 12);
    });
    // a non-negative free intercept is left alone
    expect(fitLine([0, 1, 2, 3], [1, 3.5, 4.5, 7], { nonNegativeIntercept: true }).intercept).toBeCloseTo(
      1.15,
      12,
    );
  });

  it("refuses arrays of different lengths and a single distinct x", () => {
    expect(() => fitLine([1, 2], [1])).toThrow(new RangeError("fitLine: 2 x values but 1 y values"));
    expect(() => fitLine([2, 2, 2], [1, 2, 3])).toThrow(
      new RangeError("fitLine: needs at least two distinct x values"),
    );
  });
});

describe("robustFitLine", () => {
  const xs = [1, 1, 1, 2, 2, 2, 3, 3, 3];
  const ys = [15, 15.2, 14.8, 20, 20.2, 60, 25, 24.8, 25.2];

  it("rejects an outlier within its own x group, then fits the rest by least squares", () => {
    const fit = robustFitLine(xs, ys);
    // group x=2: median 20.2, MAD 0.2, bound 0.89: 60 goes
    expect(fit.indices).toEqual([0, 1, 2, 3, 4, 6, 7, 8]);
    expect(fit.rejected).toBe(1);
    expect(fit.n).toBe(8);
    // x mean 2, sxx 6, sxy = -45 + 75 = 30: slope 5; y mean 160.2 / 8 = 20.025
    expect(fit.slope).toBeCloseTo(5, 12);
    expect(fit.intercept).toBeCloseTo(10.025, 12);
    // residuals -0.025 0.175 -0.225 -0.025 0.175 -0.025 -0.225 0.175: median -0.025, MAD 0.2
    expect(fit.residualMad).toBeCloseTo(0.2, 12);
    expect(fit.slopeSpread).toBeCloseTo(0.1, 12);
  });

  it("keeps jitter within the relative floor", () => {
    const jittery = [15, 15.2, 14.8, 20, 20.2, 21.2, 25, 24.8, 25.2];
    expect(robustFitLine(xs, jittery).rejected).toBe(1);
    // MAD 0.2 bounds at 0.89 and 21.2 is 1.0 from the median; a floor of 0.05 x 20.2 = 1.01 bounds at 3.03
    const floored = robustFitLine(xs, jittery, 3, 0.05);
    expect(floored.rejected).toBe(0);
    // y sums 45, 61.4, 75: slope (75 - 45) / 6 = 5, intercept 181.4 / 9 - 2 x 5
    expect(floored.slope).toBeCloseTo(5, 12);
    expect(floored.intercept).toBeCloseTo(181.4 / 9 - 10, 12);
  });

  it("refuses mismatched arrays", () => {
    expect(() => robustFitLine([1, 2], [1])).toThrow(RangeError);
  });
});
