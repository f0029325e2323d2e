import { describe, expect, it } from "@jest/globals";
import {
  blockLimit,
  CONCURRENT_SAMPLES,
  LONE_NOISE_MS,
  MAX_BLOCK,
  nextBlockSize,
  ranIndices,
  SHARE_SPENT_BLOCK,
  scrambledSpread,
  sizedPositions,
  spreadFraction,
  spreadIndices,
} from "./order.js";

describe("spreadFraction", () => {
  it("gives the base-2 van der Corput sequence", () => {
    expect([1, 2, 3, 4, 5, 6, 7].map(spreadFraction)).toEqual([0.5, 0.25, 0.75, 0.125, 0.625, 0.375, 0.875]);
  });
});

describe("scrambledSpread", () => {
  it("keeps the first point at the middle and each point in a cell of its own", () => {
    expect(scrambledSpread(1, 20)).toBe(0.5);
    // The first 2^k - 1 points fall in distinct cells of width 2^-k, as van der Corput's do.
    for (let k = 1; k <= 12; k++) {
      const cells = new Set(
        Array.from({ length: 2 ** k - 1 }, (_, j) => Math.floor(scrambledSpread(j + 1, 20) * 2 ** k)),
      );
      expect(cells.size).toBe(2 ** k - 1);
    }
  });

  it("does not put the points at the cells' starts", () => {
    const points = Array.from({ length: 15 }, (_, j) => scrambledSpread(j + 1, 20));
    // Plain van der Corput points are multiples of 1/16 here.
    expect(points.filter((x) => (x * 16) % 1 !== 0).length).toBeGreaterThan(10);
  });
});

describe("spreadIndices", () => {
  it("visits every index once, the same order for the same length", () => {
    for (const n of [0, 1, 2, 7, 10, 16, 1000, 4097]) {
      const order = [...spreadIndices(n)];
      expect(order).toHaveLength(n);
      expect(new Set(order).size).toBe(n);
      expect([...spreadIndices(n)]).toEqual(order);
    }
  });

  it("starts at the middle, then spreads each prefix over the input", () => {
    // The first seven only: a generator is read as far as the sampler reads it.
    const indices = spreadIndices(100_000);
    const order = Array.from({ length: 7 }, () => indices.next().value as number);
    expect(order[0]).toBe(50_000);
    // The 2nd and 3rd in different halves, the first seven in different eighths.
    expect(Math.floor(order[1]! / 50_000)).not.toBe(Math.floor(order[2]! / 50_000));
    expect(new Set(order.slice(0, 7).map((i) => Math.floor(i / 12_500))).size).toBe(7);
  });

  it("samples an input whose costs repeat with a period at several phases", () => {
    // Plain van der Corput indices of 1,024 x m items are multiples of 128 x m for the
    // first seven: one phase of any period of 2 to 16, for every m. Chosen at random, the
    // seven would all fall in one phase for a length in 64 (period 2) or fewer.
    for (const period of [2, 4, 8, 16]) {
      let onePhase = 0;
      for (let m = 1; m <= 32; m++) {
        const order = spreadIndices(1024 * m);
        const first = Array.from({ length: 7 }, () => order.next().value as number);
        if (new Set(first.map((i) => i % period)).size === 1) onePhase++;
      }
      expect(onePhase).toBeLessThanOrEqual(2);
    }
  });
});

describe("nextBlockSize", () => {
  const records = (...wallMs: number[]) => wallMs.map((w) => ({ wallMs: w }));

  it("runs one item until items are known to be fast", () => {
    expect(nextBlockSize(false, [], false)).toBe(1);
    expect(nextBlockSize(false, records(0.1), false)).toBe(1);
    expect(nextBlockSize(false, records(0.001, 0.05), true)).toBe(1);
    expect(nextBlockSize(false, records(0.001, LONE_NOISE_MS), false)).toBe(1);
  });

  it("times fast items in blocks of about half a millisecond, leaving out the cold first item", () => {
    // 2^-10 ms an item: 512 items make 0.5 ms.
    expect(nextBlockSize(false, records(1, 2 ** -10), false)).toBe(512);
    expect(nextBlockSize(false, records(1, 2 ** -10, 2 ** -10, 2 ** -10), true)).toBe(512);
    expect(nextBlockSize(false, records(0.04, 0.02), false)).toBe(25);
  });

  it("keeps blocks to SHARE_SPENT_BLOCK items once sampling has spent its share of the job", () => {
    // Items of 2^-20 ms (about a nanosecond): a block of 4,096, the most, while the share lasts.
    expect(nextBlockSize(false, records(1, 2 ** -20), true)).toBe(MAX_BLOCK);
    expect(nextBlockSize(false, records(1, 2 ** -20), true, true)).toBe(SHARE_SPENT_BLOCK);
    // Smaller blocks, and items timed alone, are as they were.
    expect(nextBlockSize(false, records(0.04, 0.02), false, true)).toBe(25);
    expect(nextBlockSize(false, records(0.1), false, true)).toBe(1);
    expect(nextBlockSize(true, records(0.1), false, true)).toBe(CONCURRENT_SAMPLES);
  });

  it("tries one block when lone items read within the sampler's own noise, until a block was timed", () => {
    // A 1 us item read 0.05-0.09 ms alone on a busy machine: a block of 9 tells.
    expect(nextBlockSize(false, records(0.3, 0.06), false)).toBe(9);
    expect(nextBlockSize(false, records(0.3, 0.06, 0.07), false)).toBe(9);
    // Once a block was timed, its figures decide: 0.06 ms items are slow.
    expect(nextBlockSize(false, records(0.3, 0.06), true)).toBe(1);
    // A block of 1 us items read 0.0077 ms an item beside two lone readings: fast.
    expect(nextBlockSize(false, records(0.3, 0.06, 0.0077, 0.0077, 0.0077), true)).toBe(65);
  });

  it("takes the typical reading, not one inflated by a preemption", () => {
    // A lone unit preempted for 3 ms: the mean (1.5 ms) would keep 2 us items alone.
    expect(nextBlockSize(false, records(0.3, 3, 0.002), true)).toBe(250);
    expect(nextBlockSize(false, records(0.3, 3, 0.002, 0.002), true)).toBe(250);
    expect(nextBlockSize(false, records(0.3, 3, 0.002, 2.5), true)).toBe(1);
    // Slow items stay alone whatever one fast reading says.
    expect(nextBlockSize(false, records(0.3, 0.001, 20, 20), true)).toBe(1);
  });

  it("caps blocks of the fastest items", () => {
    expect(nextBlockSize(false, records(1, 1e-7), false)).toBe(MAX_BLOCK);
  });

  it("runs an async task's items several at a time", () => {
    expect(nextBlockSize(true, records(20, 20), false)).toBe(CONCURRENT_SAMPLES);
  });
});

describe("blockLimit", () => {
  const ran = [
    { first: 10, length: 5 },
    { first: 30, length: 2 },
  ];

  it("ends a block at the next block already run, or at the end of the input", () => {
    expect(blockLimit(0, ran, 100)).toBe(10);
    expect(blockLimit(15, ran, 100)).toBe(30);
    expect(blockLimit(32, ran, 100)).toBe(100);
    expect(blockLimit(0, [], 100)).toBe(100);
  });

  it("gives null for a start inside a block already run", () => {
    expect(blockLimit(10, ran, 100)).toBeNull();
    expect(blockLimit(14, ran, 100)).toBeNull();
    expect(blockLimit(31, ran, 100)).toBeNull();
  });
});

describe("sizedPositions", () => {
  it("sizes every item of a short block, and the first, middle and last of a longer one", () => {
    expect(sizedPositions(0)).toEqual([]);
    expect(sizedPositions(3)).toEqual([0, 1, 2]);
    expect(sizedPositions(4)).toEqual([0, 2, 3]);
    expect(sizedPositions(4096)).toEqual([0, 2048, 4095]);
  });
});

describe("ranIndices", () => {
  it("lists the indices that gave a result, in input order, leaving the blocks as they were", () => {
    const ran = [
      { first: 20, length: 3 },
      { first: 0, length: 2 },
      { first: 10, length: 1 },
    ];
    expect(ranIndices(ran, new Set([0, 1, 10, 20, 22]))).toEqual([0, 1, 10, 20, 22]);
    expect(ran[0]!.first).toBe(20);
    expect(ranIndices([], new Set())).toEqual([]);
  });
});
