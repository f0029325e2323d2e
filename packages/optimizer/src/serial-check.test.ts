import type { Plan, WorkloadSample } from "@amorsize/types";
import { describe, expect, it } from "@jest/globals";
import { SERIAL_CHECK, stretchItemScale, stretchLength, stretchReading } from "./serial-check.js";
import { scaledItemTimes } from "./workload.js";

const alike = (mean: number) => ({
  itemTimeMs: { mean, median: mean, p90: mean, max: mean, cv: 0.1 },
  inputBytes: { mean: 100, max: 150 },
});
const serial = (wallMs: number, totalItems: number | null): Plan =>
  ({ mode: "serial", totalItems, predicted: { wallMs } }) as unknown as Plan;

describe("stretchLength: how many leading items a serial plan runs first", () => {
  it("runs a tenth of the predicted time, at least 25 ms of items, at most a quarter of them", () => {
    // 1,000 ms of 0.1 ms items: 100 ms is 1,000 items.
    expect(stretchLength(serial(1000, 10_000), alike(0.1), 2, {}, {})).toBe(1000);
    // 250 ms: a tenth is 25 ms, the floor: 250 items.
    expect(stretchLength(serial(250, 2500), alike(0.1), 2, {}, {})).toBe(250);
    // 10 s of 50 ms items: 1 s is 20 items, raised to the 32 a reading needs.
    expect(stretchLength(serial(10_000, 200), alike(50), 2, {}, {})).toBe(SERIAL_CHECK.minItems);
    // 56 items: a quarter is 14, too few to read.
    expect(stretchLength(serial(400, 56), alike(6), 2, {}, {})).toBe(0);
    expect(stretchLength(serial(400, 128), alike(3), 2, {}, {})).toBe(32);
    // 1,000 items of 1 ms predicted at 8 s (a slow machine): 800 items, cut to a quarter.
    expect(stretchLength(serial(8000, 1000), alike(1), 2, {}, {})).toBe(250);
  });

  it("checks no plan that a pool cannot help or that the caller fixed", () => {
    const long = serial(1000, 10_000);
    expect(stretchLength({ ...long, mode: "parallel" } as Plan, alike(0.1), 2, {}, {})).toBe(0);
    expect(stretchLength(serial(SERIAL_CHECK.minSerialMs - 1, 10_000), alike(0.1), 2, {}, {})).toBe(0);
    expect(stretchLength(serial(1000, null), alike(0.1), 2, {}, {})).toBe(0);
    expect(stretchLength(serial(1000, 1), alike(1000), 2, {}, {})).toBe(0);
    expect(stretchLength(long, alike(0.1), 1, {}, {})).toBe(0);
    expect(stretchLength(long, alike(0), 2, {}, {})).toBe(0);
    expect(stretchLength(long, alike(0.1), 2, { workers: 2 }, {})).toBe(0);
    expect(stretchLength(long, alike(0.1), 2, { maxWorkers: 1 }, {})).toBe(0);
    expect(stretchLength(long, alike(0.1), 2, { maxWorkers: 2 }, {})).toBe(1000);
    expect(stretchLength(long, alike(0.1), 2, {}, { onProgress: () => undefined })).toBe(0);
    expect(stretchLength(long, alike(0.1), 2, {}, { isolate: true })).toBe(0);
    expect(stretchLength(long, alike(0.1), 2, {}, { chunkTimeoutMs: 1000 })).toBe(0);
  });

  it("checks no plan of items unlike each other: their leading items say little of the rest", () => {
    const long = serial(1000, 10_000);
    const times = alike(0.1);
    const spread = { ...times.itemTimeMs, median: 0.1, p90: 0.17 };
    expect(stretchLength(long, { ...times, itemTimeMs: spread }, 2, {}, {})).toBe(0);
    expect(stretchLength(long, { ...times, itemTimeMs: { ...spread, p90: 0.16 } }, 2, {}, {})).toBe(1000);
    expect(stretchLength(long, { ...times, inputBytes: { mean: 100, max: 250 } }, 2, {}, {})).toBe(0);
    expect(stretchLength(long, { ...times, inputBytes: { mean: 100, max: 200 } }, 2, {}, {})).toBe(1000);
  });

  it("checks items alike of which one was slowed, by a collection or the scheduler", () => {
    // 48 items of 0.1 ms, one of them caught by a 5 ms pause: a cv of 3.5, the quantiles untouched.
    const paused = { mean: 0.202, median: 0.1, p90: 0.1, max: 5, cv: 3.5 };
    expect(stretchLength(serial(1000, 10_000), { ...alike(0.1), itemTimeMs: paused }, 2, {}, {})).toBe(496);
  });
});

describe("stretchReading: what the stretch's time says", () => {
  it("gives the stretch's item time over the sampled one, and re-plans from 1.15 times up", () => {
    expect(stretchReading(130, 100, 1)).toEqual({ scale: 1.3, replan: true });
    expect(stretchReading(115, 100, 1)).toEqual({ scale: 1.15, replan: true });
    expect(stretchReading(110, 100, 1)).toEqual({ scale: 1.1, replan: false });
    expect(stretchReading(50, 100, 1)).toEqual({ scale: 0.5, replan: false });
  });

  it("reads nothing when no item of the stretch ran or no time was measured", () => {
    expect(stretchReading(0, 0, 1)).toBeNull();
    expect(stretchReading(0, 10, 1)).toBeNull();
    expect(stretchReading(10, 10, 0)).toBeNull();
  });
});

describe("stretchItemScale: the sampled item time a stretch's reading gives", () => {
  it("leaves the item time as it was when the stretch ran at the model's serial rate, keeping included", () => {
    // 0.1 ms an item and 0.05 ms to keep its result: the loop's rate is 0.15 ms.
    expect(stretchItemScale(1, 0.15, 0.1)).toBeCloseTo(1, 12);
    // 1.2 x 0.15 = 0.18 ms an item, 0.13 of it the item's own.
    expect(stretchItemScale(1.2, 0.15, 0.1)).toBeCloseTo(1.3, 12);
    // Nothing kept: the reading is the item's.
    expect(stretchItemScale(1.2, 0.1, 0.1)).toBeCloseTo(1.2, 12);
    expect(stretchItemScale(0.1, 0.15, 0.1)).toBe(0);
  });
});

describe("scaledItemTimes", () => {
  it("scales the mean, median, p90 and largest item time and keeps the rest", () => {
    const workload = {
      totalItems: 10,
      itemTimeMs: { mean: 1, median: 0.8, p90: 2, max: 4, cv: 0.5 },
      cpuToWall: 1,
    } as unknown as WorkloadSample;
    const scaled = scaledItemTimes(workload, 1.5);
    expect(scaled.itemTimeMs).toEqual({ mean: 1.5, median: 1.2000000000000002, p90: 3, max: 6, cv: 0.5 });
    expect(scaled.totalItems).toBe(10);
    expect(workload.itemTimeMs.mean).toBe(1);
  });
});
