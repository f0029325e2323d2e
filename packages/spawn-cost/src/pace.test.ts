import { describe, expect, it } from "@jest/globals";
import { chunkGapsUs, gapDraft, morePace, paceRate, roundCv, speedDraft, speedIterations } from "./pace.js";
import type { PaceAnswer } from "./protocol.js";

const chunk = (thread: number, startMs: number, endMs: number, iterations = 40_000): PaceAnswer => ({
  thread,
  startMs,
  endMs,
  busyMs: endMs - startMs,
  iterations,
});

describe("chunkGapsUs", () => {
  it("takes each worker's chunks in the order they started and measures the idle time between them", () => {
    // Thread 7's chunks out of order; thread 9 on another clock altogether.
    const answers = [
      chunk(7, 20.5, 30.5),
      chunk(9, 1000, 1010),
      chunk(7, 0, 10),
      chunk(7, 10.25, 20.25),
      chunk(9, 1010.125, 1020.125),
    ];
    expect(chunkGapsUs(answers)).toEqual([250, 250, 125]);
  });

  it("has no gap before a worker's first chunk, and none below zero", () => {
    expect(chunkGapsUs([chunk(1, 0, 10)])).toEqual([]);
    expect(chunkGapsUs([chunk(1, 0, 10), chunk(1, 9.5, 19.5)])).toEqual([0]);
  });
});

describe("gapDraft", () => {
  it("is the median of the gaps, with their spread, once there are three", () => {
    expect(gapDraft([250, 125, 375, 250], 600)).toEqual({ value: 250, samples: 4, spread: 62.5 });
  });

  it("is implausible, not a figure, when gaps longer than the estimate spread past half their median", () => {
    // Median 1,900 us, deviation 1,350 (71%): a busy machine's.
    expect(gapDraft([300, 600, 1900, 1900, 3200, 3900, 500, 3500], 600)).toEqual({
      reason:
        "the gaps between chunks (median 1900 us) deviated by 1350 us from it: too unsteady to use (a busy machine?)",
      implausible: true,
    });
    // The same spread under the estimate (100 us) is kept: the estimate would not be smaller.
    expect(gapDraft([3, 5, 6, 19, 19, 32, 35, 39], 600)).toEqual({ value: 19, samples: 8, spread: 13.5 });
    // Half the median exactly is kept.
    expect(gapDraft([100, 200, 300], 600)).toEqual({ value: 200, samples: 3, spread: 100 });
  });

  it("is short of time with fewer than three gaps", () => {
    expect(gapDraft([250, 300], 600)).toEqual({
      reason: "the 600 ms budget ran out after 2 samples (needs 3)",
      budgetShort: true,
    });
  });
});

describe("paceRate and speedIterations", () => {
  it("reads the loop's iterations per millisecond from the chunks that computed, and sizes 10 ms of it", () => {
    const rate = paceRate([chunk(1, 0, 10), chunk(1, 10, 18), chunk(2, 0, 10)]);
    expect(rate).toBe(4000);
    expect(speedIterations(4000)).toBe(40_000);
    expect(speedIterations(0.01)).toBe(1);
  });

  it("has no rate without a chunk that computed", () => {
    expect(paceRate([])).toBeNull();
    expect(paceRate([chunk(1, 5, 5, 0)])).toBeNull();
  });
});

describe("roundCv", () => {
  it("is the sample standard deviation of the workers' times over their mean", () => {
    expect(roundCv([10, 10])).toBe(0);
    expect(roundCv([9, 11])).toBeCloseTo(Math.SQRT2 / 10, 12);
    // Mean 10, squared deviations 4, 0, 4 over 2: a standard deviation of 2.
    expect(roundCv([8, 10, 12])).toBeCloseTo(0.2, 12);
  });

  it("is 0 for a round of fewer than two or no time", () => {
    expect(roundCv([10])).toBe(0);
    expect(roundCv([0, 0])).toBe(0);
  });
});

describe("speedDraft", () => {
  it("is the median of the rounds' spreads once there are three", () => {
    const rounds = [
      [8, 10, 12],
      [10, 10, 10],
      [9, 10, 11],
    ];
    expect(speedDraft(rounds, 3, 600)).toEqual({ value: expect.closeTo(0.1, 12), samples: 3, spread: 0.1 });
  });

  it("is implausible, not a figure, when the workers' times for the same work spread past their mean", () => {
    const rounds = [
      [1, 20],
      [1, 25],
      [2, 30],
    ];
    expect(speedDraft(rounds, 2, 600)).toEqual({
      reason: "equal work on 2 workers spread by 128% of its time: too noisy to use (a busy machine?)",
      implausible: true,
    });
  });

  it("says a pool of one has nothing to compare, and is short of time with two rounds", () => {
    expect(speedDraft([[10]], 1, 600)).toEqual({ reason: "a pool of one worker has no other to drift from" });
    expect(
      speedDraft(
        [
          [10, 11],
          [10, 10],
        ],
        2,
        600,
      ),
    ).toEqual({ reason: "the 600 ms budget ran out after 2 samples (needs 3)", budgetShort: true });
  });
});

describe("morePace", () => {
  it("takes another step while one fits before the end and the cap is not reached", () => {
    expect(morePace(0, 6, 100, 20, 120)).toBe(true);
    expect(morePace(0, 6, 101, 20, 120)).toBe(false);
    expect(morePace(6, 6, 0, 20, 120)).toBe(false);
  });
});
