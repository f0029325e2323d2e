import { describe, expect, it } from "@jest/globals";
import {
  baselineWindow,
  chunkLengths,
  cloneCellWants,
  cloneChunkCap,
  cloneExtendedEnd,
  firstProbeLength,
  guessPerItemUs,
  moreLatency,
  moreThroughput,
  nextProbeLength,
  phaseEnds,
  predictStartMs,
  settled,
  startupSettled,
} from "./rules.js";

const repeat = (value: number, count: number) => Array.from({ length: count }, () => value);
/** `count` samples around 100 whose MAD is 20% of their median: never settled. */
const spread = (count: number) => Array.from({ length: count }, (_, i) => (i % 2 === 0 ? 80 : 120));

describe("settled", () => {
  it("needs the minimum count and a MAD within the share of the median", () => {
    expect(settled([10, 10, 11], 3)).toBe(true);
    expect(settled([10, 10, 11], 4)).toBe(false);
    expect(settled([8, 10, 12], 3)).toBe(false); // MAD 2 > 0.1 x 10
    expect(settled([8, 10, 12], 3, 0.2)).toBe(true);
    expect(settled([0, 0, 0], 3)).toBe(false); // a median of 0 is no timing
  });
});

describe("phaseEnds", () => {
  it("ends each phase at its share of the time left after the first pool is up", () => {
    expect(phaseEnds(100, 1100)).toEqual({ latency: 160, throughput: 200, clone: 450 });
  });

  it("ends every phase at once when the deadline has passed", () => {
    expect(phaseEnds(100, 50)).toEqual({ latency: 100, throughput: 100, clone: 100 });
  });
});

describe("moreLatency", () => {
  const softEnd = 50;
  const deadline = 100;

  it("samples until settled with twice the minimum, the cap, or the deadline", () => {
    expect(moreLatency([], 0, softEnd, deadline)).toBe(true);
    expect(moreLatency(repeat(70, 25), 0, softEnd, deadline)).toBe(true);
    expect(moreLatency(repeat(70, 40), 0, softEnd, deadline)).toBe(false);
    expect(moreLatency(spread(400), 0, softEnd, deadline)).toBe(false);
    expect(moreLatency([], 100, softEnd, deadline)).toBe(false);
  });

  it("stops at the phase's end once it has the minimum, not before", () => {
    expect(moreLatency(spread(20), 50, softEnd, deadline)).toBe(false);
    expect(moreLatency(spread(19), 50, softEnd, deadline)).toBe(true);
    expect(moreLatency(spread(20), 49, softEnd, deadline)).toBe(true);
  });
});

describe("moreThroughput", () => {
  it("samples batches until settled, the cap, the deadline, or the phase's end with the minimum", () => {
    expect(moreThroughput([], 0, 50, 100)).toBe(true);
    expect(moreThroughput([40, 40, 41], 0, 50, 100)).toBe(false);
    expect(moreThroughput(spread(20), 0, 50, 100)).toBe(false);
    expect(moreThroughput(spread(3), 50, 50, 100)).toBe(false);
    expect(moreThroughput(spread(2), 50, 50, 100)).toBe(true);
    expect(moreThroughput(spread(2), 100, 50, 100)).toBe(false);
  });
});

describe("the clone cells' stop rules", () => {
  it("extends an implausible kind into half the time between the phase's end and the deadline", () => {
    expect(cloneExtendedEnd(1000, 3000)).toBe(2000);
    expect(cloneExtendedEnd(1000, 500)).toBe(1000);
  });

  it("settles a plausible cell with four samples within 5%", () => {
    const calm = [2, 2, 2.05, 2];
    expect(cloneCellWants(calm, true, 0, 10, 20)).toBe(false);
    expect(cloneCellWants(calm.slice(0, 3), true, 0, 10, 20)).toBe(true);
    expect(cloneCellWants([2, 2.5, 2, 2.5], true, 0, 10, 20)).toBe(true); // MAD 0.25 > 5% of 2.25
  });

  it("keeps sampling an implausible kind's settled cell until the extended end", () => {
    const calm = [2, 2, 2, 2];
    expect(cloneCellWants(calm, false, 15, 10, 20)).toBe(true);
    expect(cloneCellWants(calm, false, 20, 10, 20)).toBe(false);
  });

  it("stops a cell at the phase's end once it has two samples, and at fifteen in any case", () => {
    expect(cloneCellWants([1, 3], true, 10, 10, 20)).toBe(false);
    expect(cloneCellWants([1], true, 10, 10, 20)).toBe(true);
    expect(cloneCellWants([1], false, 25, 10, 20)).toBe(true);
    expect(cloneCellWants(spread(15), false, 0, 10, 20)).toBe(false);
  });
});

describe("the clone chunks' calibration", () => {
  it("caps a chunk at 1 MiB of items, 20000 items, and no fewer than 4", () => {
    expect(cloneChunkCap(11)).toBe(20_000);
    expect(cloneChunkCap(100_000)).toBe(10);
    expect(cloneChunkCap(1_000_000)).toBe(4);
  });

  it("guesses an item's round trip from the documented estimate", () => {
    expect(guessPerItemUs("object", 100)).toBe(1.3 + 3.3);
    expect(guessPerItemUs("number", 11)).toBe(0.1);
  });

  it("sizes the first probe for half the 250 us target at the guessed cost", () => {
    expect(firstProbeLength(20_000, 0.1)).toBe(1250);
    expect(firstProbeLength(20_000, 100)).toBe(4);
    expect(firstProbeLength(10, 0.1)).toBe(10);
  });

  it("grows a probe within the noise towards the target, at most eightfold and within the cap", () => {
    expect(nextProbeLength(100, 0.5, 20_000)).toBe(500); // 50 us extra: x5 for 250
    expect(nextProbeLength(100, 0.01, 20_000)).toBe(800); // 1 us extra: x250, capped at x8
    expect(nextProbeLength(100, -1, 20_000)).toBe(800); // no extra time measured: x8
    expect(nextProbeLength(100, 0.5, 300)).toBe(300);
  });

  it("stops probing once the extra time stands out (125 us) or the cap is reached", () => {
    expect(nextProbeLength(100, 2, 20_000)).toBeUndefined();
    expect(nextProbeLength(100, 1.25, 20_000)).toBeUndefined();
    expect(nextProbeLength(20_000, 0.001, 20_000)).toBeUndefined();
  });

  it("samples chunks of about 250 us and twice that, within the cap", () => {
    expect(chunkLengths(0.5, 20_000)).toEqual([500, 1000]);
    expect(chunkLengths(0.01, 20_000)).toEqual([10_000, 20_000]);
    expect(chunkLengths(100, 20_000)).toEqual([4, 8]);
    expect(chunkLengths(0, 10)).toEqual([5, 10]);
    expect(chunkLengths(50, 7)).toEqual([4, 7]);
  });
});

describe("the start-up rounds", () => {
  it("predicts a pool's start and destroy from its median start, else the documented estimate", () => {
    expect(predictStartMs([], [], 3)).toBe(10 + 30 * 3);
    const points = [
      { k: 3, ms: 90 },
      { k: 3, ms: 100 },
      { k: 2, ms: 50 },
    ];
    expect(predictStartMs(points, [4, 6, 100], 3)).toBe(95 + 6);
    expect(predictStartMs(points, [], 1)).toBe(40);
  });

  it("settles when every pool size has two samples within 10% of their median", () => {
    const round = (ms: number[]) => ms.map((value, i) => ({ k: i + 1, ms: value }));
    expect(startupSettled([...round([30, 31, 60]), ...round([30, 30, 62])], 3)).toBe(true);
    expect(startupSettled([...round([30, 31, 60]), ...round([30, 30, 90])], 3)).toBe(false);
    expect(startupSettled([...round([30, 31]), ...round([30, 30])], 3)).toBe(false);
    expect(
      startupSettled(
        [
          { k: 1, ms: 30 },
          { k: 1, ms: 30 },
        ],
        1,
      ),
    ).toBe(false); // fewer than three in all
  });
});

describe("baselineWindow", () => {
  it("keeps the latest twelve empty-task times", () => {
    const times = Array.from({ length: 16 }, (_, i) => i);
    expect(baselineWindow(times)).toEqual(times.slice(4));
    expect(baselineWindow([3, 1])).toEqual([3, 1]);
  });
});
