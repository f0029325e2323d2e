import { describe, expect, it } from "@jest/globals";
import { driftedTailMs, expectedMaxNormal, lockstepLastRoundMs, sharedFinishMs } from "./tail.js";

// Figures worked by hand; each case says how.
describe("the end-of-run arithmetic", () => {
  it("expectedMaxNormal reads the table to 20 and keeps rising past it", () => {
    expect(expectedMaxNormal(1)).toBe(0);
    expect(expectedMaxNormal(2)).toBe(0.5642);
    expect(expectedMaxNormal(2.5)).toBe(0.5642);
    expect(expectedMaxNormal(20)).toBe(1.8675);
    expect(expectedMaxNormal(21)).toBeGreaterThan(1.8675);
    expect(expectedMaxNormal(64)).toBeGreaterThan(expectedMaxNormal(21));
  });

  it("sharedFinishMs shares cores fairly among the jobs still running", () => {
    // One job per core: the largest load.
    expect(
      sharedFinishMs(
        [
          { load: 300, count: 1 },
          { load: 0, count: 1 },
        ],
        2,
      ),
    ).toBe(300);
    // Three 300 ms jobs on 2 cores run at 2/3 speed: 450 ms.
    expect(sharedFinishMs([{ load: 300, count: 3 }], 2)).toBe(450);
    // 100, 100, 200 on 2 cores: the 100s finish at 150 (2/3 speed), the 200 has 100 left
    // and runs alone: 250.
    expect(
      sharedFinishMs(
        [
          { load: 100, count: 2 },
          { load: 200, count: 1 },
        ],
        2,
      ),
    ).toBe(250);
  });

  it("driftedTailMs: residuals D/k..D, on a core each or shared", () => {
    // A core each: D (k - 1) / (2k) = 120 x 3 / 8.
    expect(driftedTailMs(120, 4, 4)).toBe(45);
    // Residuals 30, 60, 90, 120 on 2 cores finish at 60, 105, 135, 165; their mean
    // finish on 2 cores is 300 / 2 = 150: 15 ms of tail.
    expect(driftedTailMs(120, 4, 2)).toBe(15);
  });

  it("lockstepLastRoundMs: the last round's finish beyond the mean", () => {
    // 5 chunks of 10 ms (the last 4 ms) on 2 workers: 10+10+4 = 24 and 10+10 = 20 against
    // a mean of 22.
    const fiveChunks = { chunkSize: 10, chunks: 5, active: 2, cycleMs: 10, lastCycleMs: 4 };
    expect(lockstepLastRoundMs(fiveChunks, 2, 2)).toBe(2);
    // 4 chunks, no chunk left over: 10+10 = 20 and 10+4 = 14 against a mean of 17.
    expect(lockstepLastRoundMs({ ...fiveChunks, chunks: 4 }, 2, 2)).toBe(3);
  });
});
