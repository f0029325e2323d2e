import type { WorkloadSample } from "@amorsize/types";
import { describe, expect, it } from "@jest/globals";
import { inputSizes, plainSize, scaleAt, sizeLine, withSizeScale } from "./size-scale.js";

/** The line of the timed records' time on size, at the input's sizes: as sampleTask takes them. */
const sizeScaling = (
  ...[timed, sizeOf, input]: [
    Parameters<typeof sizeLine>[0],
    Parameters<typeof sizeLine>[1],
    Parameters<typeof scaleAt>[1],
  ]
) => scaleAt(sizeLine(timed, sizeOf), input);

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

describe("sizeScaling(): whether item times grow with the sizes, and the factor", () => {
  // A compressor's three sampled inputs (KiB) and times (ms); the input's mean is 354 KiB.
  const sizes = new Map([
    [7, 491],
    [15, 231],
    [22, 193],
  ]);
  const sizeOf = (index: number) => sizes.get(index) ?? 0;
  const input = { mean: 354, max: 503, cv: 0.3 };

  it("scales by the line of time on size at the input's mean size, over the sampled mean", () => {
    const fit = sizeScaling([record(7, 28.2), record(15, 13.6), record(22, 11.6)], sizeOf, input);
    // Means 305 KiB and 17.8 ms; slope 2,939.2 / 52,616 = 0.05586 ms per KiB, fixed 0.760 ms:
    // 20.54 ms at 354 KiB.
    expect(fit?.perSizeMs).toBeCloseTo(0.0558689372, 9);
    expect(fit?.fixedMs).toBeCloseTo(0.7599741523, 9);
    expect(fit?.scale.factor).toBeCloseTo(1.1537965125, 9);
    expect(fit?.scale.sampledMeanSize).toBeCloseTo(305, 9);
    expect(fit?.scale.inputMeanSize).toBe(354);
  });

  it("fits through the origin when the fixed part comes out negative", () => {
    // 491 KiB in 30 ms, 231 in 10: the line would start at -7.8 ms. Means 361 KiB, 20 ms.
    const fit = sizeScaling([record(7, 30), record(15, 10)], sizeOf, { ...input, mean: 400 });
    expect(fit?.fixedMs).toBe(0);
    expect(fit?.perSizeMs).toBeCloseTo(20 / 361, 12);
    expect(fit?.scale.factor).toBeCloseTo(400 / 361, 12);
  });

  it("weighs a block's sized item by the items it stands for", () => {
    const fit = sizeScaling([record(7, 28, 2), record(15, 13, 1)], sizeOf, input);
    expect(fit?.scale.sampledMeanSize).toBeCloseTo((2 * 491 + 231) / 3, 10);
  });

  it("does not scale times that do not grow with the sizes, or by less than 2%", () => {
    // Larger items faster.
    expect(sizeScaling([record(7, 2), record(15, 9), record(22, 10)], sizeOf, input)).toBeNull();
    // One time whatever the size, give or take noise: the line is almost flat.
    expect(sizeScaling([record(7, 5.1), record(15, 5), record(22, 4.9)], sizeOf, input)).toBeNull();
    // Noise again, for an input of items far larger than the sampled ones: 3.5% of the time
    // grows with size (under a quarter), which 4x the size would have made a 10% scaling.
    expect(
      sizeScaling([record(7, 5.1), record(15, 5), record(22, 4.9)], sizeOf, { ...input, mean: 1220 }),
    ).toBeNull();
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
  // 2 ms fixed and 0.05 ms per unit: 18 ms at the sampled mean of 320, 20 ms at the input's 360.
  const fit = {
    scale: { factor: 20 / 18, sampledMeanSize: 320, inputMeanSize: 360 },
    fixedMs: 2,
    perSizeMs: 0.05,
  };

  it("scales mean, median and p90, raises the largest to the line's at the input's largest", () => {
    const scaled = withSizeScale(workload, fit, { mean: 360, max: 600, cv: 0.8 });
    expect(scaled.itemTimeMs.mean).toBeCloseTo(20, 10);
    expect(scaled.itemTimeMs.median).toBeCloseTo((14 * 20) / 18, 10);
    expect(scaled.itemTimeMs.p90).toBeCloseTo((26 * 20) / 18, 10);
    // 2 + 0.05 x 600.
    expect(scaled.itemTimeMs.max).toBeCloseTo(32, 10);
    // The sizes' spread in the 18 ms of the 20 that grow with size.
    expect(scaled.itemTimeMs.cv).toBeCloseTo(0.8 * 0.9, 10);
    expect(scaled.sizeScale).toEqual(fit.scale);
  });

  it("keeps the sample's own largest time and spread where they are larger", () => {
    const scaled = withSizeScale(workload, fit, { mean: 360, max: 310, cv: 0.1 });
    expect(scaled.itemTimeMs.max).toBeCloseTo((28 * 20) / 18, 10);
    expect(scaled.itemTimeMs.cv).toBe(0.5);
  });

  it("leaves the workload as it is without a fit", () => {
    expect(withSizeScale(workload, null, { mean: 1, max: 1, cv: 0 })).toBe(workload);
  });
});
