import { describe, expect, it } from "@jest/globals";
import { workerCounts } from "../src/markdown.js";
import {
  bestConfigs,
  chunkGrid,
  pickOracle,
  runSweep,
  type SweepConfig,
  sweepConfigs,
  workerGrid,
} from "../src/oracle.js";
import { poolMapChunkSize } from "../src/strategies.js";

describe("the oracle's sweep", () => {
  it("chunk grid: geometric, capped at ceil(n / workers), which is always included", () => {
    expect(chunkGrid(100, 2, 2)).toEqual([1, 2, 4, 8, 16, 32, 50]);
    expect(chunkGrid(100, 1, 4)).toEqual([1, 4, 16, 64, 100]);
    expect(chunkGrid(3, 4, 2)).toEqual([1]);
    expect(chunkGrid(64, 1, 2)).toEqual([1, 2, 4, 8, 16, 32, 64]);
    // At least one more each step; 8 x 1.2 rounds to 10, which is the cap.
    expect(chunkGrid(10, 1, 1.2)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 10]);
    expect(() => chunkGrid(10, 1, 1)).toThrow("chunk grid factor must be > 1, got 1");
  });

  it("configurations: every worker count x its grid, fewest chunks first", () => {
    const configs = sweepConfigs(8, 2, 2);
    expect(configs).toEqual([
      { workers: 1, chunkSize: 8 },
      { workers: 2, chunkSize: 4 },
      { workers: 1, chunkSize: 4 },
      { workers: 2, chunkSize: 2 },
      { workers: 1, chunkSize: 2 },
      { workers: 2, chunkSize: 1 },
      { workers: 1, chunkSize: 1 },
    ]);
  });

  it("worker counts: every one up to 8, then a grid of factor 1.5 with the cores and twice them", () => {
    expect(workerGrid(1)).toEqual([1]);
    expect(workerGrid(4)).toEqual([1, 2, 3, 4]);
    expect(workerGrid(16)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 12, 16]);
    expect(workerGrid(32)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 18, 27, 32]);
    expect(workerGrid(20)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 18, 20]);
    const swept = new Set(sweepConfigs(64, 32, 2).map((c) => c.workers));
    expect([...swept].sort((a, b) => a - b)).toEqual(workerGrid(32));
    expect(workerCounts(4)).toBe("1..4");
    expect(workerCounts(32)).toBe("1..8, 12, 16, 18, 27, 32");
    expect(workerCounts(1)).toBe("1");
  });

  it("best configurations: fastest completed first, cut ones left out", () => {
    const points = [
      { workers: 1, chunkSize: 8, ms: 30 },
      { workers: 2, chunkSize: 4, ms: 10 },
      { workers: 2, chunkSize: 1, ms: null, note: "cut" },
      { workers: 1, chunkSize: 4, ms: 20 },
    ];
    expect(bestConfigs(points, 2)).toEqual([
      { workers: 2, chunkSize: 4, ms: 10 },
      { workers: 1, chunkSize: 4, ms: 20 },
    ]);
  });

  it("runs each configuration, takes the median, and cuts one slower than cutoff x the best", async () => {
    const seen: string[] = [];
    const times: Record<string, number[]> = { "1x8": [9, 7, 8], "2x4": [5, 4, 6] };
    const run = (c: SweepConfig, signal: AbortSignal) => {
      const key = `${c.workers}x${c.chunkSize}`;
      seen.push(key);
      const queue = times[key];
      if (queue) return Promise.resolve(queue.shift()!);
      if (key === "2x2") return Promise.reject(new Error("boom"));
      // Any other configuration never finishes on its own: only the cut-off can end it.
      return new Promise<number>((_, reject) =>
        signal.addEventListener("abort", () => reject(new Error("aborted"))),
      );
    };
    const points = await runSweep(
      [
        { workers: 1, chunkSize: 8 },
        { workers: 2, chunkSize: 4 },
        { workers: 2, chunkSize: 2 },
        { workers: 1, chunkSize: 1 },
      ],
      3,
      run,
      2,
    );
    expect(points).toEqual([
      { workers: 1, chunkSize: 8, ms: 8 },
      { workers: 2, chunkSize: 4, ms: 5 },
      { workers: 2, chunkSize: 2, ms: null, note: "failed: boom" },
      { workers: 1, chunkSize: 1, ms: null, note: "cut: slower than 2x the best so far" },
    ]);
    // A failed or cut configuration is not repeated.
    expect(seen).toEqual(["1x8", "1x8", "1x8", "2x4", "2x4", "2x4", "2x2", "1x1"]);
  });

  it("cuts against serial's time from the start: a configuration cutoff x slower than serial cannot win", async () => {
    const seen: string[] = [];
    const run = (c: SweepConfig, signal: AbortSignal) => {
      seen.push(`${c.workers}x${c.chunkSize}`);
      if (c.workers === 2) return Promise.resolve(15);
      // Never finishes: only a cut-off at 2 x serial's 10 ms can end it.
      return new Promise<number>((_, reject) =>
        signal.addEventListener("abort", () => reject(new Error("aborted"))),
      );
    };
    const configs = [
      { workers: 1, chunkSize: 8 },
      { workers: 2, chunkSize: 4 },
    ];
    expect(await runSweep(configs, 1, run, 2, 10)).toEqual([
      { workers: 1, chunkSize: 8, ms: null, note: "cut: slower than 2x the best so far" },
      { workers: 2, chunkSize: 4, ms: 15 },
    ]);
    expect(seen).toEqual(["1x8", "2x4"]);
  });

  it("Pool.map's chunk size is ceil(n / (4 x workers))", () => {
    expect(poolMapChunkSize(100_000, 2)).toBe(12_500);
    expect(poolMapChunkSize(401, 2)).toBe(51);
    expect(poolMapChunkSize(3, 2)).toBe(1);
    expect(poolMapChunkSize(0, 2)).toBe(1);
  });
});

describe("the oracle", () => {
  const serial = { label: "serial", samples: [12, 10, 11] };
  const fast = { label: "2 x 64", samples: [30, 9, 8] };
  const slow = { label: "1 x 1", samples: [50, 40, 45] };

  it("picks serial when the plain loop beats every parallel configuration", () => {
    expect(pickOracle([serial, slow, { label: "2 x 8", samples: [20, 19, 21] }])).toBe(serial);
  });

  it("picks the parallel configuration with the lowest median when one beats serial", () => {
    // Medians: serial 11, fast 9 (its 30 ms outlier does not count), slow 45.
    expect(pickOracle([serial, slow, fast])).toBe(fast);
  });

  it("leaves out candidates that never completed, and gives a tie to the first (serial)", () => {
    const failed = { label: "failed", samples: [] };
    expect(pickOracle([failed, slow])).toBe(slow);
    expect(pickOracle([serial, { label: "tie", samples: [11] }])).toBe(serial);
    expect(pickOracle([failed])).toBeUndefined();
    expect(pickOracle([])).toBeUndefined();
  });
});
