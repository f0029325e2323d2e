import type { WorkloadSample } from "@amorsize/types";
import { describe, expect, it } from "@jest/globals";
import { inputSizes, plainSize, scaleAt, scaledToSizes, sizeLine, t95, withSizeScale } from "./size-scale.js";

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
    // 491 KiB in 30 ms, 231 in 10, 193 in 7: the line would start at -7.9 ms. Means 305 KiB, 47/3 ms.
    const fit = sizeScaling([record(7, 30), record(15, 10), record(22, 7)], sizeOf, { ...input, mean: 400 });
    expect(fit?.fixedMs).toBe(0);
    expect(fit?.perSizeMs).toBeCloseTo(47 / 3 / 305, 12);
    expect(fit?.scale.factor).toBeCloseTo(400 / 305, 12);
  });

  it("weighs a block's sized item by the items it stands for", () => {
    const items = [record(7, 28.2, 2), record(15, 13.67, 1), record(22, 11.55, 1)];
    const fit = sizeScaling(items, sizeOf, { ...input, mean: 450 });
    expect(fit?.scale.sampledMeanSize).toBeCloseTo((2 * 491 + 231 + 193) / 4, 10);
  });

  it("does not scale by a slope that noise could give: Student's t of the correlation under its 95% point", () => {
    // Six items blocked ~10 ms each, 2,500-5,000 characters, the largest one delayed: the line
    // is 7.51 ms + 0.83 ms per 1,000 characters, 29% of the time growing with size, which the
    // input's mean of 10,350 would have made 1.52x. r^2 = 0.36: t = 1.50 with 4 degrees of
    // freedom, under 2.132.
    const at = (index: number) => 2000 + 500 * index;
    const noisy = [10.2, 9.6, 10.9, 10.0, 9.9, 13.1].map((ms, k) => record(k + 1, ms));
    const big = { mean: 10_350, max: 12_000, cv: 0.3 };
    expect(sizeScaling(noisy, at, big)).toBeNull();
    // The same line, each time on it within 0.05 ms: scaled by it (1.52x, give or take the 0.05s).
    const line = noisy.map((r) =>
      record(r.index, 7.51 + 0.00083 * at(r.index) + (r.index % 2 ? 0.05 : -0.05)),
    );
    expect(sizeScaling(line, at, big)?.scale.factor).toBeCloseTo(
      (7.51 + 0.00083 * 10_350) / (7.51 + 0.00083 * 3750),
      1,
    );
  });

  it("takes Student's t from its table to 10 degrees of freedom, then from the approximation", () => {
    expect([1, 2, 4, 10].map(t95)).toEqual([6.314, 2.92, 2.132, 1.812]);
    expect(t95(20)).toBeCloseTo(1.73, 10);
    expect(t95(20)).toBeCloseTo(1.725, 2);
  });

  it("does not scale times that do not grow with the sizes, or by less than 2%", () => {
    // Larger items faster.
    expect(sizeScaling([record(7, 2), record(15, 9), record(22, 10)], sizeOf, input)).toBeNull();
    // Almost one time whatever the size, on an exact line (its slope significant): 4.5 ms +
    // 1.2 us per KiB, 7.5% of the time growing with size (under a quarter), which an input of
    // items 4x the sampled ones would have made a 22% scaling, and 1.1% at the input's mean.
    const flat = [7, 15, 22].map((i) => record(i, 4.5 + 0.0012 * sizeOf(i)));
    expect(sizeScaling(flat, sizeOf, input)).toBeNull();
    expect(sizeScaling(flat, sizeOf, { ...input, mean: 1220 })).toBeNull();
  });

  it("does not scale from one or two items, or from sizes that hardly differ", () => {
    expect(sizeScaling([record(7, 28)], sizeOf, input)).toBeNull();
    // Two points always make a line.
    expect(sizeScaling([record(7, 28.2), record(15, 13.6)], sizeOf, { ...input, mean: 450 })).toBeNull();
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

describe("scaledToSizes(): the sampled workload at the whole input's sizes", () => {
  // Every fifth text is 800 + 240 i characters, the others 12,000: mean 10,600.
  const texts = Array.from({ length: 40 }, (_, i) => "x".repeat(i % 5 === 0 ? 800 + i * 240 : 12_000));
  const measured = {
    source: "measured",
    itemTimeMs: { mean: 5.3, median: 5.6, p90: 7.6, max: 8, cv: 0.4 },
  } as WorkloadSample;
  // In the order they ran. The first two are the cold quarter, left out as from the item
  // times: their times (30 ms for 5,600 characters, 0.5 ms for 3,200) follow no line. The
  // others take 1 ms per 1,000 characters.
  const ran = [
    record(20, 30),
    record(10, 0.5),
    record(30, 8),
    record(5, 2),
    record(25, 6.8),
    record(15, 4.4),
  ];

  it("scales by the line through the timed records, at the input's mean size", () => {
    const scaled = scaledToSizes(measured, ran, texts);
    // The timed mean: 5,300 characters and 5.3 ms; 10.6 ms at the input's 10,600.
    expect(scaled.sizeScale?.factor).toBeCloseTo(2, 10);
    expect(scaled.sizeScale?.sampledMeanSize).toBeCloseTo(5300, 10);
    expect(scaled.sizeScale?.inputMeanSize).toBe(10_600);
    expect(scaled.itemTimeMs.mean).toBeCloseTo(10.6, 10);
    // The sample's largest, doubled, is more than the line's 12 ms at 12,000 characters.
    expect(scaled.itemTimeMs.max).toBeCloseTo(16, 10);
  });

  it("leaves times that do not grow with size, figures given and items without a plain size as they are", () => {
    const flat = ran.map((r) => record(r.index, 5));
    expect(scaledToSizes(measured, flat, texts)).toBe(measured);
    const given = { ...measured, source: "given" } as WorkloadSample;
    expect(scaledToSizes(given, ran, texts)).toBe(given);
    expect(
      scaledToSizes(
        measured,
        ran,
        texts.map((text) => ({ text })),
      ),
    ).toBe(measured);
    expect(scaledToSizes(measured, [], [])).toBe(measured);
  });
});
