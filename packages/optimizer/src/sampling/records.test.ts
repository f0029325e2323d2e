import { describe, expect, it } from "@jest/globals";
import type { ItemFigures } from "./clock-math.js";
import {
  emptyWorkload,
  HELPER_MIN_UNIT_MS,
  HELPER_MIN_UNITS,
  helperShareOf,
  itemRecord,
  readsOtherThreads,
  type SampleRecord,
  summarise,
} from "./records.js";

const figures: ItemFigures = { wallMs: 2, cpuMs: 1.5, ownMs: 1.75, idleMs: 0, heapGrowth: 64 };

const record = (r: Partial<SampleRecord>): SampleRecord => ({
  index: 0,
  wallMs: 1,
  cpuMs: 1,
  ownMs: 1,
  idleMs: 0,
  heapGrowth: 0,
  inBytes: 0,
  outBytes: 0,
  inKind: "number",
  outKind: "number",
  async: false,
  weight: 1,
  ...r,
});

describe("itemRecord", () => {
  it("records an item's figures, sizes and payload kinds", () => {
    const sized = { index: 7, item: "abc", result: [1, 2], ok: true, inBytes: 6, outBytes: 9 };
    expect(itemRecord(sized, figures, false, 4)).toEqual({
      index: 7,
      ...figures,
      inBytes: 6,
      outBytes: 9,
      inKind: "string",
      outKind: "plain-array",
      async: false,
      weight: 4,
    });
  });

  it("gives an item that threw its input's kind as output", () => {
    const sized = { index: 3, item: { a: 1 }, result: undefined, ok: false, inBytes: 12, outBytes: 0 };
    expect(itemRecord(sized, figures, true, 1)).toMatchObject({
      outKind: "object",
      outBytes: 0,
      async: true,
    });
  });
});

describe("summarise", () => {
  it("assembles the workload from weighted records", () => {
    // A block of 4 items sized at two positions (weight 2 each) and one item alone.
    const records = [
      record({
        index: 10,
        ownMs: 1,
        wallMs: 1,
        cpuMs: 1,
        inBytes: 8,
        outBytes: 16,
        heapGrowth: 10,
        weight: 2,
      }),
      record({
        index: 13,
        ownMs: 1,
        wallMs: 1,
        cpuMs: 1,
        inBytes: 8,
        outBytes: 16,
        heapGrowth: 30,
        weight: 2,
      }),
      record({
        index: 50,
        ownMs: 4,
        wallMs: 4,
        cpuMs: 2,
        inBytes: 20,
        outBytes: 4,
        heapGrowth: -50,
        outKind: "string",
      }),
    ];
    const workload = summarise(records, [10, 11, 12, 13, 50], 100, 7.5);
    // Own times 1 (weight 4) and 4 (weight 1): mean 8 / 5; cpu 6 over own 8.
    expect(workload).toEqual({
      sampled: 5,
      indices: [10, 11, 12, 13, 50],
      totalItems: 100,
      itemTimeMs: {
        mean: 1.6,
        median: 1,
        p90: 3.4000000000000004,
        max: 4,
        cv: Math.sqrt((((1 - 1.6) ** 2 * 4 + (4 - 1.6) ** 2) / 5) * (5 / 4)) / 1.6,
      },
      cpuToWall: 0.75,
      inputBytes: { mean: 52 / 5, max: 20 },
      outputBytes: { mean: 68 / 5, max: 16 },
      inputKind: "number",
      outputKind: "number",
      // Median heap growth 10 is below the item's own input and result.
      memoryBytesPerItem: 52 / 5 + 68 / 5,
      sampleWallMs: 7.5,
      async: false,
      source: "measured",
    });
  });

  it("leaves the first quarter of the records out of the time figures, not out of the sizes", () => {
    const records = [
      record({ ownMs: 100, wallMs: 100, cpuMs: 100, inBytes: 400 }),
      record({ ownMs: 2, wallMs: 2, cpuMs: 2, inBytes: 0 }),
      record({ ownMs: 2, wallMs: 2, cpuMs: 2, inBytes: 0 }),
      record({ ownMs: 2, wallMs: 2, cpuMs: 2, inBytes: 0, heapGrowth: 1000 }),
    ];
    const workload = summarise(records, [0, 1, 2, 3], null, 1);
    expect(workload.itemTimeMs).toEqual({ mean: 2, median: 2, p90: 2, max: 2, cv: 0 });
    expect(workload.inputBytes).toEqual({ mean: 100, max: 400 });
    expect(workload.totalItems).toBeNull();
    expect(workload.memoryBytesPerItem).toBe(100);
  });

  it("takes the heap growth's median when items hold more than their payloads", () => {
    const records = [100, 5000, 7000].map((heapGrowth) => record({ heapGrowth, inBytes: 8, outBytes: 8 }));
    expect(summarise(records, [0, 1, 2], 3, 1).memoryBytesPerItem).toBe(5000);
  });

  it("tells a waiting task by its low CPU share, and an async one by its records", () => {
    const records = [
      record({ async: true, wallMs: 20, ownMs: 15, cpuMs: 0.5, idleMs: 15 }),
      record({ async: true, wallMs: 16, ownMs: 12, cpuMs: 0.5, idleMs: 12 }),
      record({ async: true, wallMs: 12, ownMs: 9, cpuMs: 0.5, idleMs: 9 }),
      record({ async: true, wallMs: 8, ownMs: 6, cpuMs: 0.5, idleMs: 6 }),
    ];
    const workload = summarise(records, [0, 1, 2, 3], 4, 20);
    expect(workload.async).toBe(true);
    expect(workload.cpuToWall).toBe(1.5 / 28.5);
  });

  it("gives the empty workload when nothing was read", () => {
    expect(summarise([], [], 0, 3)).toEqual(emptyWorkload(3));
    expect(emptyWorkload()).toMatchObject({ sampled: 0, totalItems: 0, sampleWallMs: 0, source: "given" });
  });
});

describe("readsOtherThreads", () => {
  it("reads them for the first block, and for blocks expected to last half the helper unit or more", () => {
    expect(readsOtherThreads(null, 1)).toBe(true);
    // 1 ms items: any block. 1 us items: 999 of them make 0.999 ms, short of 1 ms.
    expect(readsOtherThreads(1, 1)).toBe(true);
    expect(readsOtherThreads(0.001, 999)).toBe(false);
    expect(readsOtherThreads(0.001, 1000)).toBe(true);
    expect(readsOtherThreads(0.05, 10)).toBe(false);
  });
});

describe("helperShareOf", () => {
  it("takes the least share any long enough unit showed", () => {
    // 20 ms units: helpers busy 15, 9 and 30 ms beside them (the 30 ms one caught a compile).
    const records = [15, 9, 30].map((otherCpuMs) => record({ cpuMs: 20, otherCpuMs }));
    expect(helperShareOf(records)).toEqual({ helperCpuShare: 0.45 });
  });

  it("says nothing from units too short to tell, or with nothing measured", () => {
    const short = record({ cpuMs: HELPER_MIN_UNIT_MS / 4, weight: 2, otherCpuMs: 5 });
    expect(helperShareOf([short])).toEqual({});
    expect(helperShareOf([record({ cpuMs: 20 }), record({ cpuMs: 20, otherCpuMs: null })])).toEqual({});
    // A block's sized record stands for its share of the block: weight counts.
    const sized = record({ cpuMs: 1, weight: 4, otherCpuMs: 0.5 });
    expect(helperShareOf([sized, sized])).toEqual({ helperCpuShare: 0.5 });
    expect(helperShareOf([sized, record({ cpuMs: 1, weight: 1, otherCpuMs: 0.1 })])).toEqual({});
  });

  it("says nothing from a single long enough unit: one unit is no least (HELPER_MIN_UNITS)", () => {
    // The demo's hasher: one 29 ms item beside short ones, its helpers busy with something else.
    const one = [record({ cpuMs: 29, otherCpuMs: 9.25 }), record({ cpuMs: 0.9, otherCpuMs: 0 })];
    expect(HELPER_MIN_UNITS).toBe(2);
    expect(helperShareOf(one)).toEqual({});
    expect(helperShareOf([...one, record({ cpuMs: 12, otherCpuMs: 0.6 })]).helperCpuShare).toBeCloseTo(
      0.05,
      12,
    );
  });

  it("reaches the workload summary", () => {
    const records = [1, 2, 3, 4].map((k) => record({ index: k, cpuMs: 10, otherCpuMs: 3 }));
    expect(summarise(records, [1, 2, 3, 4], 100, 40).helperCpuShare).toBeCloseTo(0.3, 12);
    expect("helperCpuShare" in summarise([record({ cpuMs: 10 })], [0], 100, 10)).toBe(false);
  });
});
