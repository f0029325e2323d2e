import { describe, expect, it } from "@jest/globals";
import { DurationRecorder, quantile, RESERVOIR_SIZE } from "./stats.js";

describe("quantile", () => {
  it("interpolates linearly between sorted values", () => {
    expect(quantile([], 0.5)).toBe(0);
    expect(quantile([4], 0.9)).toBe(4);
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([0, 10], 0.9)).toBe(9);
  });
});

describe("DurationRecorder", () => {
  it("reports zeros when empty", () => {
    expect(new DurationRecorder().stats()).toEqual({ count: 0, min: 0, mean: 0, median: 0, p90: 0, max: 0 });
  });

  it("is exact for a few samples", () => {
    const recorder = new DurationRecorder();
    for (const ms of [5, 1, 4, 2, 3]) recorder.add(ms);
    expect(recorder.stats()).toEqual({ count: 5, min: 1, mean: 3, median: 3, p90: 4.6, max: 5 });
    expect(recorder.total).toBe(15);
  });

  it("keeps bounded memory beyond the reservoir, with exact count, min, max and mean", () => {
    const recorder = new DurationRecorder();
    const n = RESERVOIR_SIZE * 10;
    for (let i = 1; i <= n; i++) recorder.add(i);
    const stats = recorder.stats();
    expect(stats.count).toBe(n);
    expect(stats.min).toBe(1);
    expect(stats.max).toBe(n);
    expect(stats.mean).toBe((n + 1) / 2);
    // A uniform sample of 1..n: the median is near n / 2.
    expect(Math.abs(stats.median - n / 2)).toBeLessThan(n * 0.05);
    expect((recorder as unknown as { samples: number[] }).samples).toHaveLength(RESERVOIR_SIZE);
  });
});
