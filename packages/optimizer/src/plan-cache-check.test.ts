import type { WorkloadSample } from "@amorsize/types";
import { describe, expect, it } from "@jest/globals";
import { workload } from "../test/profiles.js";
import { contradiction, implausibleWorkload, MAX_ITEM_MS, maxCv } from "./plan-cache-check.js";

/** Items of `mean` ms (median and p90 at it, max as given), numbers in and out. */
function sample(mean: number, extra: Partial<WorkloadSample> = {}, max = mean, cv = 0): WorkloadSample {
  return { ...workload(100, mean), itemTimeMs: { mean, median: mean, p90: mean, max, cv }, ...extra };
}

describe("implausibleWorkload", () => {
  it("passes what sampling gives", () => {
    expect(implausibleWorkload(sample(2))).toBeNull();
    expect(implausibleWorkload(sample(1, {}, 3, 2))).toBeNull();
    expect(implausibleWorkload(sample(0))).toBeNull();
  });

  it("refuses figures out of range", () => {
    expect(implausibleWorkload(sample(1e300, {}, 1e300))).toBe(
      "itemTimeMs.mean is 1e+300 ms, more than a day",
    );
    expect(implausibleWorkload(sample(2, { cpuToWall: 1.5 }))).toBe("cpuToWall is 1.5, above 1");
    expect(implausibleWorkload(sample(2, { inputBytes: { mean: 9, max: 2 ** 41 } }))).toBe(
      "inputBytes.max is 2199023255552 bytes, more than 1 TiB",
    );
    expect(implausibleWorkload(sample(2, { sampleWallMs: MAX_ITEM_MS + 1 }))).toBe(
      "sampleWallMs is 86400001 ms, more than a day",
    );
    expect(implausibleWorkload(sample(2, { source: "given" }))).toBe('its source is "given", not "measured"');
    expect(implausibleWorkload(sample(2, { cutOff: { items: 1, ms: 850 } }))).toBe(
      "it was cut off waiting for items (a lower bound, never cached)",
    );
    expect(implausibleWorkload(sample(2, { sampled: 0, indices: [] }))).toBe(
      "it says 0 items were sampled, with 0 indices",
    );
  });

  it("refuses figures that contradict each other", () => {
    expect(implausibleWorkload(sample(5, {}, 2))).toBe("itemTimeMs.mean (5 ms) exceeds the max (2 ms)");
    // Mean 1, max 3: the spread is at most sqrt(2 x 2 / 1) = 2.
    expect(implausibleWorkload(sample(1, {}, 3, 2.01))).toBe(
      "itemTimeMs.cv (2.01) is more than items of mean 1 ms and max 3 ms can vary",
    );
    expect(implausibleWorkload(sample(2, { outputBytes: { mean: 10, max: 9 } }))).toBe(
      "outputBytes.mean (10) exceeds its max (9)",
    );
    expect(implausibleWorkload(sample(2, { memoryBytesPerItem: 10 }))).toBe(
      "memoryBytesPerItem (10) is outside 18..1099511627776 bytes",
    );
  });

  it("maxCv is the Bhatia-Davis bound, doubled for the sample variance", () => {
    expect(maxCv(1, 3)).toBe(2);
    expect(maxCv(2, 2)).toBe(0);
    expect(maxCv(0, 5)).toBe(0);
    // Two records, 0 and 2 ms, weight 1 each: mean 1, sample variance 2, cv sqrt(2) <= maxCv(1, 2) = sqrt(2).
    expect(maxCv(1, 2)).toBeCloseTo(Math.SQRT2, 12);
  });
});

describe("contradiction", () => {
  it("a computing item against cached figures that say the task waits, and the reverse", () => {
    expect(contradiction(sample(2, { cpuToWall: 0.02 }), sample(2, { cpuToWall: 0.97 }))).toBe(
      "the cache says items wait (CPU-to-wall 0.02), and an item computed (0.97)",
    );
    expect(contradiction(sample(2, { cpuToWall: 0.9 }), sample(2, { cpuToWall: 0.05 }))).toBe(
      "the cache says items compute (CPU-to-wall 0.90), and an item waited (0.05)",
    );
    // Within the margins, or an item too short to tell: no contradiction.
    expect(contradiction(sample(2, { cpuToWall: 0.3 }), sample(2, { cpuToWall: 0.8 }))).toBeNull();
    expect(contradiction(sample(0.5, { cpuToWall: 0.02 }), sample(0.5, { cpuToWall: 1 }))).toBeNull();
  });

  it("a promise where the cache says synchronous", () => {
    expect(contradiction(sample(2), sample(2, { async: true }))).toBe(
      "the cache says the task is synchronous, and an item returned a promise",
    );
    expect(contradiction(sample(2, { async: true }), sample(2))).toBeNull();
  });

  it("an item a hundred times slower than the slowest cached, or faster than the median", () => {
    expect(contradiction(sample(1, {}, 2), sample(201))).toBe(
      "an item took 201 ms, over 100 times the slowest cached one (2 ms)",
    );
    expect(contradiction(sample(1, {}, 2), sample(199))).toBeNull();
    // A cold first call of a 1 us item may take 5 ms: the slowest cached item counts as 0.1 ms at least.
    expect(contradiction(sample(0.001), sample(5))).toBeNull();
    expect(contradiction(sample(0.001), sample(11))).toBe(
      "an item took 11 ms, over 100 times the slowest cached one (0.001 ms)",
    );
    expect(contradiction(sample(500), sample(4))).toBe(
      "an item took 4 ms, under 1/100 of the cached median (500 ms)",
    );
    expect(contradiction(sample(500), sample(6))).toBeNull();
  });
});
