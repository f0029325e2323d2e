import type { WorkloadSample } from "@amorsize/types";
import { describe, expect, it } from "@jest/globals";
import { inputSizes, plainSize, sizeScaling, withSizeScale } from "./size-scale.js";

const record = (index: number, ownMs: number, weight = 1) => ({ index, ownMs, weight });

describe("plainSize(): sizes that cost nothing to read", () => {
  it("reads a string's length and a binary value's byte length, nothing else", () => {
    expect(plainSize("abcd")).toBe(4);
    expect(plainSize(new Float64Array(3))).toBe(24);
    expect(plainSize(new ArrayBuffer(7))).toBe(7);
    expect(plainSize(new DataView(new ArrayBuffer(9)))).toBe(9);
    expect(plainSize(Buffer.from("xyz"))).toBe(3);
    for (const value of [12, null, undefined, { s: "abc" }, ["abc"], true])
      expect(plainSize(value)).toBeNull();
  });
});

describe("inputSizes(): the whole input's sizes", () => {
  it("gives their mean, largest and relative spread", () => {
    const sizes = inputSizes(["aa", "aaaa", "aaaaaa"]);
    expect(sizes).toEqual({ mean: 4, max: 6, cv: 0.5 });
    expect(inputSizes([new Uint8Array(10)])).toEqual({ mean: 10, max: 10, cv: 0 });
  });

  it("gives none for an empty input or one item without a plain size", () => {
    expect(inputSizes([])).toBeNull();
    expect(inputSizes(["aa", { a: 1 }, "bb"])).toBeNull();
    expect(inputSizes(new Float64Array([1, 2]))).toBeNull();
  });
});

describe("sizeScaling(): whether item times follow the sizes, and the factor", () => {
  // A compressor's three sampled inputs (KiB) and times (ms); the input's mean is 354 KiB.
  const sizes = new Map([
    [7, 491],
    [15, 231],
    [22, 193],
  ]);
  const sizeOf = (index: number) => sizes.get(index) ?? 0;
  const input = { mean: 354, max: 503, cv: 0.3 };

  it("scales by the input's mean size over the sampled items' when time follows size", () => {
    const scale = sizeScaling([record(7, 28.2), record(15, 13.6), record(22, 11.6)], sizeOf, input);
    expect(scale).toEqual({ factor: 354 / 305, sampledMeanSize: 305, inputMeanSize: 354 });
  });

  it("weighs a block's sized item by the items it stands for", () => {
    const scale = sizeScaling([record(7, 28, 2), record(15, 13, 1)], sizeOf, input);
    expect(scale?.sampledMeanSize).toBeCloseTo((2 * 491 + 231) / 3, 10);
  });

  it("does not scale times that do not follow the sizes", () => {
    // One time whatever the size: a key looked up, not text processed.
    expect(sizeScaling([record(7, 5.1), record(15, 5), record(22, 4.9)], sizeOf, input)).toBeNull();
    // Larger items faster.
    expect(sizeScaling([record(7, 2), record(15, 9), record(22, 10)], sizeOf, input)).toBeNull();
  });

  it("does not scale from one item, or from sizes that hardly differ", () => {
    expect(sizeScaling([record(7, 28)], sizeOf, input)).toBeNull();
    const close = (index: number) => (index === 7 ? 200 : 204);
    expect(sizeScaling([record(7, 10), record(15, 12)], close, input)).toBeNull();
    expect(sizeScaling([record(7, 10), record(15, 12)], () => 0, input)).toBeNull();
  });
});

describe("withSizeScale(): the scaled item times", () => {
  const workload = {
    itemTimeMs: { mean: 18, median: 14, p90: 26, max: 28, cv: 0.5 },
  } as WorkloadSample;
  const scale = { factor: 1.2, sampledMeanSize: 300, inputMeanSize: 360 };

  it("scales mean, median and p90, raises the largest to the input's largest at the sample's rate", () => {
    const scaled = withSizeScale(workload, scale, { mean: 360, max: 600, cv: 0.8 });
    expect(scaled.itemTimeMs.mean).toBeCloseTo(21.6, 10);
    expect(scaled.itemTimeMs.median).toBeCloseTo(16.8, 10);
    expect(scaled.itemTimeMs.p90).toBeCloseTo(31.2, 10);
    // 18 ms per 300 units: the largest input, 600, should take 36 ms.
    expect(scaled.itemTimeMs.max).toBeCloseTo(36, 10);
    expect(scaled.itemTimeMs.cv).toBe(0.8);
    expect(scaled.sizeScale).toEqual(scale);
  });

  it("keeps the sample's own largest time and spread where they are larger", () => {
    const scaled = withSizeScale(workload, scale, { mean: 360, max: 310, cv: 0.1 });
    expect(scaled.itemTimeMs.max).toBeCloseTo(33.6, 10);
    expect(scaled.itemTimeMs.cv).toBe(0.5);
  });

  it("leaves the workload as it is without a scale", () => {
    expect(withSizeScale(workload, null, { mean: 1, max: 1, cv: 0 })).toBe(workload);
  });
});
