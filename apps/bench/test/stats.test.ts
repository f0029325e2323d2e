import { describe, expect, it } from "@jest/globals";
import {
  coefficientOfVariation,
  mean,
  median,
  medianAbsoluteDeviation,
  relativeError,
  rotate,
} from "../src/stats.js";

describe("statistics", () => {
  it("median of odd and even counts, unsorted input left untouched", () => {
    const values = [5, 1, 3];
    expect(median(values)).toBe(3);
    expect(values).toEqual([5, 1, 3]);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(median([])).toBeNaN();
  });

  it("median is not pulled by one outlier, the mean is", () => {
    expect(median([10, 11, 12, 1_000])).toBe(11.5);
    expect(mean([10, 11, 12, 1_000])).toBe(258.25);
    expect(mean([])).toBeNaN();
  });

  it("coefficient of variation (population)", () => {
    expect(coefficientOfVariation([2, 2, 2])).toBe(0);
    expect(coefficientOfVariation([1, 3])).toBe(0.5); // sd 1, mean 2
    expect(coefficientOfVariation([0, 0])).toBe(0);
  });

  it("median absolute deviation", () => {
    expect(medianAbsoluteDeviation([1, 2, 3, 4, 100])).toBe(1); // |x - 3| = 2,1,0,1,97
  });

  it("relative error", () => {
    expect(relativeError(1.8, 2)).toBeCloseTo(0.1, 12);
    expect(relativeError(2.4, 2)).toBeCloseTo(0.2, 12);
    expect(relativeError(1, 0)).toBeNaN();
  });

  it("rotate gives each repetition a different first entry", () => {
    expect(rotate(["a", "b", "c"], 0)).toEqual(["a", "b", "c"]);
    expect(rotate(["a", "b", "c"], 1)).toEqual(["b", "c", "a"]);
    expect(rotate(["a", "b", "c"], 4)).toEqual(["b", "c", "a"]);
    expect(rotate(["a", "b", "c"], -1)).toEqual(["c", "a", "b"]);
    expect(rotate([], 3)).toEqual([]);
  });
});
