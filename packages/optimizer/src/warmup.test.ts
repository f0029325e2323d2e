import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createExecutor, type Executor, ItemError, resolveTask } from "@amorsize/executor";
import { WARMUP_READINGS } from "@amorsize/types";
import { afterAll, describe, expect, it } from "@jest/globals";
import { machine, spawnCost, workload } from "../test/profiles.js";
import { planOf, wholeSerialMs, withFrozenMachine } from "./decide.js";
import {
  expectation,
  indexTrend,
  middleReading,
  PROBE_MIN_SAVING_MS,
  PROBE_SAVING_SHARE,
  probeBlock,
  probeBudgetMs,
  probeIndices,
  probeWarmup,
  readBeside,
  readingOf,
  readModuleCost,
  readWarmup,
  SETTLED_MAX_ALLOWANCE,
  warmupBeside,
  warmupGrowth,
  warmupOf,
  withReading,
  writeWarmup,
} from "./warmup.js";

const fixture = new URL("../test/fixtures/cold-first-call.mjs", import.meta.url).pathname;
const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "amorsize-warmup-"));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("expectation(): what an item should take warm, from the sampled items", () => {
  it("follows input size when the sampled sizes differ, with the spread around that rule", () => {
    const { ms, spread } = expectation([
      { index: 0, ms: 10, bytes: 1000 },
      { index: 5, ms: 40, bytes: 4000 },
    ]);
    expect(ms(2000)).toBeCloseTo(20, 9);
    expect(spread).toBeCloseTo(0, 9);
  });

  it("takes the mean when every sampled input has the same size", () => {
    const { ms, spread } = expectation([
      { index: 0, ms: 1, bytes: 9 },
      { index: 1, ms: 3, bytes: 9 },
    ]);
    expect(ms(9)).toBe(2);
    expect(ms(90)).toBe(2);
    // Ratios to the mean: -0.5 and +0.5.
    expect(spread).toBeCloseTo(Math.SQRT1_2, 9);
    expect(expectation([{ index: 3, ms: 5, bytes: 9 }]).spread).toBe(0);
  });

  // A task whose items cost more along the input (1 ms plus 0.5 ms per index), whose inputs
  // differ in size only by an id's digits.
  const rising = [40, 0, 10, 30, 20, 50].map((index) => ({
    index,
    ms: 1 + 0.5 * index,
    bytes: index < 10 ? 27 : 29,
  }));

  it("puts items on the line along the input when their times follow their place, not their size", () => {
    const read = expectation(rising);
    expect(read.alongInput).toBe(true);
    expect(read.spread).toBeCloseTo(0, 9);
    // Two items from index 10: 6 and 6.5 ms.
    expect(read.ms(58, 2, 10)).toBeCloseTo(12.5, 9);
    expect(read.ms(29, 1, 45)).toBeCloseTo(23.5, 9);
    // Without a place, the mean: 13.5 ms an item.
    expect(read.ms(29, 2)).toBeCloseTo(27, 9);
    // By size alone, the same items would read 0.5 ms for index 45 or the mean's 31 times more.
    expect(expectation(rising, false).alongInput).toBe(false);
  });

  it("keeps to the mean where sizes differ but times do not follow them", () => {
    const flat = [27, 29, 28, 27, 29].map((bytes, index) => ({ index, ms: 2, bytes }));
    const read = expectation(flat);
    expect(read.ms(29)).toBe(2);
    expect(read.ms(27, 3, 4)).toBe(6);
    expect(read.spread).toBe(0);
    expect(read.alongInput).toBe(false);
  });
});

describe("indexTrend(): a line of item times along the input", () => {
  it("fits the sampled times against their indices", () => {
    const line = indexTrend([
      { index: 0, ms: 1, bytes: 9 },
      { index: 10, ms: 2.1, bytes: 9 },
      { index: 20, ms: 2.9, bytes: 9 },
      { index: 30, ms: 4, bytes: 9 },
    ]);
    // Least squares: slope 0.098 ms per index, through (15, 2.5).
    expect(line?.slope).toBeCloseTo(0.098, 9);
    expect(line?.at(15)).toBeCloseTo(2.5, 9);
    // Never under a tenth of the least sampled time, where the line runs below zero.
    expect(line?.at(-1000)).toBeCloseTo(0.1, 9);
  });

  it("reads a slope only past Student's t for its items (95%), and leaves out items outside the sample's figures", () => {
    // Four items whose slope is 2.67 standard errors from flat: too few to tell (4.30 at
    // two degrees of freedom); the same pattern twice over, eight items, is a line (2.45).
    const four = [1, 1.7, 1.5, 2.2].map((ms, k) => ({ index: 10 * k, ms, bytes: 9 }));
    expect(indexTrend(four)).toBeNull();
    expect(indexTrend([...four, ...four])?.slope).toBeCloseTo(0.034, 9);
    // A line of items in the figures, and a first item run cold that is not: the line.
    const line = [0, 10, 20, 30].map((index) => ({ index, ms: 1 + 0.1 * index, bytes: 9, inBasis: true }));
    const cold = { index: 5, ms: 50, bytes: 9 };
    expect(indexTrend([...line, { ...cold, inBasis: false }])?.slope).toBeCloseTo(0.1, 9);
    expect(indexTrend([...line, cold])).toBeNull();
  });

  it("is null for times with no clear slope, fewer than four items, or one index", () => {
    const noisy = [1, 3, 1, 3, 3, 1].map((ms, index) => ({ index, ms, bytes: 9 }));
    expect(indexTrend(noisy)).toBeNull();
    expect(indexTrend(noisy.slice(0, 3).map((t, i) => ({ ...t, ms: i + 1 })))).toBeNull();
    expect(indexTrend([1, 2, 3, 4].map((ms) => ({ index: 7, ms, bytes: 9 })))).toBeNull();
  });
});

describe("warmupOf(): the warm-up fresh-worker times show", () => {
  it("sums the excess over the expected times, less two spreads of them, never below zero", () => {
    expect(warmupOf([60, 3, 2], [1, 1, 1], 0)).toEqual({ excessMs: 62, items: 3, settled: false });
    // Items merely larger than the rule says are no warm-up: 0.5 spread on 10 ms items.
    expect(warmupOf([15, 12], [10, 10], 0.5).excessMs).toBe(0);
    expect(warmupOf([1, 1], [5, 5], 0).excessMs).toBe(0);
  });

  it("reads how the warm-up grows from four items or more whose later half lost less", () => {
    // A compressor: 30 + 32 ms lost on the first two items, 8 + 6 on the next two: the excess
    // grew 14 / 62 of itself from two items to four.
    const compressor = warmupOf([72, 82, 48, 36], [42, 50, 40, 30], 0);
    expect(compressor).toEqual({ excessMs: 76, items: 4, settled: false, growth: 14 / 62 });
    // Six items: halves of three, log2(6 / 3) = one doubling.
    expect(warmupOf([20, 20, 20, 12, 12, 11], [10, 10, 10, 10, 10, 10], 0).growth).toBeCloseTo(5 / 30, 12);
    // Later items that ran faster than warm ones grow nothing.
    expect(warmupOf([40, 40, 5, 5], [10, 10, 10, 10], 0).growth).toBe(0);
  });

  it("reads blocks at their count: their spread over the root of it, the growth per doubling of the items", () => {
    // Four blocks of 4 items alike, each 40 ms warm, with a 0.5 spread per item: 0.25 per block.
    const blocks = warmupOf([70, 60, 46, 44], [40, 40, 40, 40], 0.5, [4, 4, 4, 4]);
    expect(blocks.items).toBe(16);
    expect(blocks.excessMs).toBeCloseTo(60 - 2 * 0.5 * Math.sqrt((4 * 40 ** 2) / 4), 9);
    // The last block within 2 x 0.25 of its expectation: settled (within 2 x 0.5 per item too).
    expect(blocks.settled).toBe(true);
    expect(warmupOf([70, 60, 46, 61], [40, 40, 40, 40], 0.5, [4, 4, 4, 4]).settled).toBe(false);
    // Blocks of 1, 1, 2 and 4 items: the first half holds 2 of 8 items, two doublings.
    expect(warmupGrowth([30, 20, 25, 45], [10, 10, 20, 40], 0, [1, 1, 2, 4])).toBeCloseTo(10 / 30 / 2, 12);
  });

  it("reads no growth from a first half whose excess is within two spreads of its expectation", () => {
    // 4 ms over 20 ms expected, with a 0.2 spread: within 2 x 0.2 x sqrt(2 x 10 ** 2) = 5.7 ms.
    expect(warmupGrowth([12, 12, 10.5, 10.5], [10, 10, 10, 10], 0.2)).toBeNull();
    expect(warmupGrowth([12, 12, 10.5, 10.5], [10, 10, 10, 10], 0)).toBeCloseTo(0.25, 12);
  });

  it("says no growth where its items cannot show one", () => {
    // Three items have no halves to compare.
    expect(warmupOf([60, 30, 20], [10, 10, 10], 0)).not.toHaveProperty("growth");
    // A later half that lost as much or more: nothing says the warm-up slows.
    expect(warmupOf([20, 20, 20, 20], [10, 10, 10, 10], 0)).not.toHaveProperty("growth");
    expect(warmupOf([12, 12, 30, 30], [10, 10, 10, 10], 0)).not.toHaveProperty("growth");
    // No first-half excess at all.
    expect(warmupOf([10, 10, 10, 10], [10, 10, 10, 10], 0)).not.toHaveProperty("growth");
    expect(warmupGrowth([8, 9, 11, 10], [10, 10, 10, 10])).toBeNull();
  });

  it("is not settled where two spreads of the last unit's expectation pass SETTLED_MAX_ALLOWANCE", () => {
    // A Markdown renderer's probe: blocks of 28, 27, 28 and 16 items against a flat rule with a
    // spread of 1.2 per item: the last block at 1.5x its expectation was within 2 x 1.2 / 4.
    const renderer = [31.3, 7.4, 7.6, 5.1];
    const expected = [5.5, 2.9, 4.3, 3.3];
    const counts = [28, 27, 28, 16];
    expect(SETTLED_MAX_ALLOWANCE).toBe(0.5);
    expect(warmupOf(renderer, expected, 1.22, counts).settled).toBe(false);
    // The same blocks against a rule of spread 0.5: 2 x 0.5 / 4 = 0.25, and 5.1 > 3.3 x 1.25.
    expect(warmupOf(renderer, expected, 0.5, counts).settled).toBe(false);
    // A last block at its expectation under a tight rule is settled; under a loose one it says nothing.
    expect(warmupOf([31.3, 7.4, 7.6, 3.3], expected, 0.5, counts).settled).toBe(true);
    expect(warmupOf([31.3, 7.4, 7.6, 3.3], expected, 1.01, counts).settled).toBe(false);
    expect(warmupOf([31.3, 7.4, 7.6, 3.3], expected, 1, counts).settled).toBe(true);
  });

  it("is settled when the last item (after the first) ran within 10% of its expectation", () => {
    // A compressor: its hot loop compiled within the first item.
    expect(warmupOf([110, 52, 48], [47, 47, 47], 0).settled).toBe(true);
    // A parser: still slower on its third item.
    expect(warmupOf([150, 94, 80], [24, 24, 24], 0).settled).toBe(false);
    // One item says nothing about what follows; a fine item gets 0.05 ms of slack.
    expect(warmupOf([60], [60], 0).settled).toBe(false);
    expect(warmupOf([3, 0.26], [0.2, 0.2], 0).settled).toBe(true);
  });
});

describe("warmupBeside(): a probe's warm-up read against items run beside it in this thread", () => {
  // A compressor's probe: its fresh worker's times and inputs, and what the sample (items
  // timed alone) said they should take warm: 0.1047 us a byte.
  const timings = {
    coldMs: [126.8, 67.1, 61.6, 33],
    bytes: [515_000, 314_000, 407_000, 251_000],
    counts: [1, 1, 1, 1],
  };
  const sampleRuleMs = [53.9, 32.9, 42.6, 26.3];
  // Items this thread ran meanwhile, warm, beside the worker: 0.12 us a byte, alike.
  const beside = [
    { ownMs: 48, bytes: 400_000 },
    { ownMs: 36, bytes: 300_000 },
    { ownMs: 60, bytes: 500_000 },
  ];

  it("takes what the items beside it ran at, by input size, as the warm reference", () => {
    const warmMs = timings.bytes.map((b) => b * 0.00012);
    const lost = timings.coldMs.map((c, i) => c - warmMs[i]!);
    const excess = lost.reduce((a, e) => a + e, 0);
    expect(warmupBeside(timings, beside)).toEqual({
      excessMs: expect.closeTo(excess, 9),
      items: 4,
      settled: true,
      // The last two items lost 12.8 and 2.9 ms against the first two's 65 and 29.4.
      growth: expect.closeTo((lost[2]! + lost[3]!) / (lost[0]! + lost[1]!), 9),
    });
    // Against the sample's rule, the last item (33 ms against 26.3) reads as a warm-up
    // still going on, and every item's share of the two threads' contention as warm-up too.
    const alone = warmupOf(timings.coldMs, sampleRuleMs, 0);
    expect(alone.settled).toBe(false);
    expect(alone.excessMs).toBeGreaterThan(excess + 20);
  });

  it("takes the spread of the items beside it around their rule", () => {
    const probe = { coldMs: [100, 48], bytes: [300_000, 300_000], counts: [1, 1] };
    const scattered = [
      { ownMs: 36, bytes: 300_000 },
      { ownMs: 44, bytes: 300_000 },
    ];
    // Same sizes: their mean, 40 ms, and ratios of -0.1 and +0.1 to it: a last item at 48 ms
    // is within two spreads of 40 (0.28), not within 10%.
    const read = warmupBeside(probe, scattered);
    const spread = Math.sqrt(2 * 0.1 ** 2);
    const { excessMs, ...rest } = warmupOf([100, 48], [40, 40], spread);
    expect(read).toEqual({ ...rest, excessMs: expect.closeTo(excessMs, 9) });
    expect(read?.settled).toBe(true);
    expect(warmupOf([100, 48], [40, 40], 0).settled).toBe(false);
    // Ratios of -0.25 and +0.25: two spreads of 0.71, looser than SETTLED_MAX_ALLOWANCE, say nothing.
    const loose = warmupBeside(probe, [
      { ownMs: 30, bytes: 300_000 },
      { ownMs: 50, bytes: 300_000 },
    ]);
    expect(loose).toEqual(warmupOf([100, 48], [40, 40], Math.sqrt(2 * 0.25 ** 2)));
    expect(loose?.settled).toBe(false);
  });

  it("times the items beside it by their own time, their waits for a core left out", () => {
    // This thread waited for a core in the second item: 60 ms of wall time, 40 its own.
    const ran = [
      { index: 0, ms: 40, ownMs: 40, bytes: 300_000 },
      { index: 1, ms: 60, ownMs: 40, bytes: 300_000 },
    ];
    const read = warmupBeside({ coldMs: [100, 41], bytes: [300_000, 300_000], counts: [1, 1] }, ran);
    expect(read).toEqual(warmupOf([100, 41], [40, 40], 0));
    expect(read?.settled).toBe(true);
  });

  it("replaces the probe's own reading whole, growth included, once there is one (readBeside)", () => {
    const probed = { excessMs: 90, items: 4, settled: false, growth: 0.4, source: "probe" as const };
    // Beside items that say the later half lost as much as the first: no growth.
    expect(readBeside(probed, { excessMs: 60, items: 4, settled: false })).toEqual({
      excessMs: 60,
      items: 4,
      settled: false,
      busyThreads: 2,
      source: "probe",
    });
    expect(readBeside(probed, { excessMs: 60, items: 4, settled: false, growth: 0.1 }).growth).toBe(0.1);
    // A probe of wall times (no schedstat) says so whichever reading stands, and the cache keeps it.
    const walled = { ...probed, waits: true as const };
    expect(readBeside(walled, null).waits).toBe(true);
    expect(readBeside(walled, { excessMs: 60, items: 4, settled: false }).waits).toBe(true);
    expect(readingOf(readBeside(walled, null))).toEqual({
      excessMs: 90,
      items: 4,
      settled: false,
      growth: 0.4,
      busyThreads: 2,
      waits: true,
    });
    expect(readingOf(readBeside(probed, null))).not.toHaveProperty("waits");
    // Too little ran beside it to read against: the probe's own reading, two threads computing.
    expect(readBeside(probed, null)).toEqual({ ...probed, busyThreads: 2 });
  });

  it("is null when the sampled items put item time on a line along the input", () => {
    // Items beside the probe crowd the input's start; the probe's are spread over it.
    const sampled = [0, 100, 200, 300, 50, 250].map((index) => ({
      index,
      ms: 0.1 + 0.03 * index,
      bytes: 28,
    }));
    const cheapStart = [{ ownMs: 6, bytes: 28 }];
    const probe = { coldMs: [8, 3, 9], bytes: [56, 56, 56], counts: [2, 2, 2] };
    expect(warmupBeside(probe, cheapStart, sampled)).toBeNull();
    // Sampled items at one time whatever their place: the items beside it are the reference.
    const flat = sampled.map((t) => ({ ...t, ms: 3 }));
    expect(warmupBeside(probe, cheapStart, flat)).not.toBeNull();
  });

  it("is null when this thread ran less than 5 ms beside the probe", () => {
    expect(warmupBeside(timings, [])).toBeNull();
    expect(warmupBeside(timings, [{ ownMs: 4.9, bytes: 40_000 }])).toBeNull();
    expect(warmupBeside(timings, [{ ownMs: 5, bytes: 40_000 }])).not.toBeNull();
  });
});

describe("probeIndices(): the items a probe runs", () => {
  it("takes the next item not yet run after each sampled one, at most four", () => {
    const timed = [0, 10, 11, 30, 40, 50].map((index) => ({ index, ms: 1, bytes: 9 }));
    const done = (i: number) => [0, 1, 10, 11, 12, 30, 40, 50].includes(i);
    expect(probeIndices(timed, done, 100)).toEqual([2, 13, 14, 31]);
    // Nothing past the end.
    expect(probeIndices([{ index: 9, ms: 1, bytes: 9 }], () => false, 10)).toEqual([]);
  });

  it("takes the next ones after those when the sample was short, round after round", () => {
    // A compressor's two sampled items: a probe of two could not see its workers settle.
    const timed = [15, 7].map((index) => ({ index, ms: 20, bytes: 9 }));
    const done = (i: number) => i === 7 || i === 15 || i === 17;
    expect(probeIndices(timed, done, 30)).toEqual([16, 8, 18, 9]);
    // Up to the end of the input and no further.
    expect(probeIndices([{ index: 27, ms: 1, bytes: 9 }], () => false, 30)).toEqual([28, 29]);
  });
});

describe("probeBudgetMs(): whether a warm-up probe is worth it, on fixed profiles", () => {
  it("gives no budget to a serial plan or a stream", () => {
    expect(probeBudgetMs(withFrozenMachine({ ...machine(2), workload: workload(20, 1) }))).toBeNull();
    expect(probeBudgetMs(withFrozenMachine({ ...machine(2), workload: workload(null, 5) }))).toBeNull();
  });

  it("gives a share of what parallel saves over serial, once that is worth a probe", () => {
    const input = withFrozenMachine({ ...machine(2), workload: workload(1000, 5) });
    const budget = probeBudgetMs(input);
    // 5 s serial on 2 workers saves about 2.5 s.
    expect(budget).not.toBeNull();
    expect(budget! / PROBE_SAVING_SHARE).toBeGreaterThan(2000);
    expect(budget! / PROBE_SAVING_SHARE).toBeLessThan(2600);
    // 200 ms of work saves under the 100 ms a probe needs to be worth its worker.
    expect(probeBudgetMs(withFrozenMachine({ ...machine(2), workload: workload(40, 5) }))).toBeNull();
  });

  it("gives a smaller saving its share when a pool started while sampling has fresh workers for the probe", () => {
    const small = withFrozenMachine({ ...machine(2), workload: workload(40, 5) });
    const pooled = probeBudgetMs(small, true);
    const saving = wholeSerialMs(small) - planOf(small).predicted.wallMs;
    expect(saving).toBeGreaterThan(0);
    expect(saving).toBeLessThan(PROBE_MIN_SAVING_MS);
    expect(pooled).toBeCloseTo(PROBE_SAVING_SHARE * saving, 9);
    // Still nothing for a serial plan, pool or not.
    expect(probeBudgetMs(withFrozenMachine({ ...machine(2), workload: workload(20, 1) }), true)).toBeNull();
  });

  it("gives a smaller saving its share when this thread would run items beside the probe", () => {
    const small = withFrozenMachine({ ...machine(2), workload: workload(40, 5) });
    const saving = wholeSerialMs(small) - planOf(small).predicted.wallMs;
    const asked: number[] = [];
    const fills = (budgetMs: number) => {
      asked.push(budgetMs);
      return true;
    };
    expect(probeBudgetMs(small, false, fills)).toBeCloseTo(PROBE_SAVING_SHARE * saving, 9);
    // Asked with the budget the probe would get.
    expect(asked).toEqual([PROBE_SAVING_SHARE * saving]);
    expect(probeBudgetMs(small, false, () => false)).toBeNull();
    // Nothing for a serial plan, or a job under the least saving worth a probe, whoever fills.
    expect(
      probeBudgetMs(withFrozenMachine({ ...machine(2), workload: workload(20, 1) }), false, fills),
    ).toBeNull();
  });
});

describe("probeWarmup(): a fresh worker against the calling thread", () => {
  const timed = [{ index: 0, ms: 1, bytes: 9 }];
  const items = [1, 2, 3, 4].map((index) => ({ index, items: [index], bytes: 9 }));

  it("measures a slow first call in a fresh worker as the warm-up, keeping each item's result", async () => {
    const task = resolveTask({ module: fixture, export: "coldFirst" });
    const probed = await probeWarmup(task, items, timed, { budgetMs: 10_000, onError: "throw" });
    // Every item ran once (the budget is far), its result kept for the run.
    expect([...probed.results]).toEqual([
      [1, 2],
      [2, 4],
      [3, 6],
      [4, 8],
    ]);
    expect(probed.warmup?.items).toBe(4);
    expect(probed.warmup?.source).toBe("probe");
    // The first call spins 60 ms against the 1 ms the calling thread took.
    expect(probed.warmup?.excessMs).toBeGreaterThanOrEqual(59);
    expect(probed.moduleLoadMs).not.toBeNull();
  });

  it("with `onDispatch`, imports the task in the pool's workers first, tells once, then sends the first unit", async () => {
    const task = resolveTask({ module: fixture, export: "coldFirst" });
    const real = createExecutor({ workers: 1 });
    const calls: string[] = [];
    const pool = {
      preload: (ref: Parameters<Executor["preload"]>[0]) => {
        calls.push("preload");
        return real.preload(ref);
      },
      map: (...args: Parameters<Executor["map"]>) => {
        calls.push("map");
        return real.map(...args);
      },
    } as unknown as Executor;
    try {
      const probed = await probeWarmup(task, items.slice(0, 2), timed, {
        budgetMs: 10_000,
        onError: "throw",
        pool,
        onDispatch: () => calls.push("dispatch"),
      });
      expect(calls).toEqual(["preload", "dispatch", "map", "map"]);
      expect([...probed.results]).toEqual([
        [1, 2],
        [2, 4],
      ]);
      // The worker's import, measured by the preload's check.
      expect(probed.moduleLoadMs).toBeGreaterThanOrEqual(0);
      // A pool that has the task already reports no import, and is told all the same.
      calls.length = 0;
      const again = await probeWarmup(task, items.slice(2), timed, {
        budgetMs: 10_000,
        onError: "throw",
        pool,
        onDispatch: () => calls.push("dispatch"),
      });
      expect(calls).toEqual(["preload", "dispatch", "map", "map"]);
      expect(again.moduleLoadMs).toBeNull();
    } finally {
      await real.close();
    }
  });

  it("with `onDispatch`, rejects with the abort's reason while the import is pending, telling nothing", async () => {
    const task = resolveTask({ module: fixture, export: "coldFirst" });
    const pool = { preload: () => new Promise<never>(() => {}) } as unknown as Executor;
    const stop = new AbortController();
    const told: number[] = [];
    const probing = probeWarmup(task, items, timed, {
      budgetMs: 10_000,
      onError: "throw",
      pool,
      signal: stop.signal,
      onDispatch: () => told.push(1),
    });
    setTimeout(() => stop.abort(new Error("stopped")), 10);
    await expect(probing).rejects.toThrow("stopped");
    expect(told).toEqual([]);
  });

  /**
   * A pool whose runs report `reports` in turn (busy and queued times, ms), each item's
   * result its double, and that keeps the options each run was asked with: the probe's
   * rules on fixed times, as a worker on a machine of any load would report them.
   */
  function reporting(reports: ReadonlyArray<{ busyMs: number; queuedMs?: number }>) {
    const asked: unknown[] = [];
    const pool = {
      map: async (_task: unknown, chunk: readonly number[], options: unknown) => {
        asked.push(options);
        return { results: chunk.map((x) => x * 2), errors: [], report: reports[asked.length - 1] };
      },
    } as unknown as Executor;
    return { pool, asked };
  }

  it("runs on past items that lost the budget, within the wait cap, and reads the growth from the later ones", async () => {
    const task = resolveTask({ module: fixture, export: "coldFirst" });
    // The first item loses 60 ms, more than a 59 ms budget (where the rule before stopped);
    // the four items' 64 ms stay under the 177 ms wait cap, so all four run, and the last
    // three, as fast as warm, show a warm-up that does not grow. (Fixed times: a real
    // worker given a third of a core would reach the cap, which counts the wall time the
    // decision waits.)
    const { pool } = reporting([{ busyMs: 61 }, { busyMs: 1 }, { busyMs: 1 }, { busyMs: 1 }]);
    const probed = await probeWarmup(task, items, timed, { budgetMs: 59, onError: "throw", pool });
    expect(probed.warmup?.items).toBe(4);
    expect([...probed.results.keys()]).toEqual([1, 2, 3, 4]);
    expect(probed.warmup?.excessMs).toBeCloseTo(60, 9);
    expect(probed.warmup?.growth).toBe(0);
    // Reports that do not tell the waits for a core apart (no schedstat): wall times, said so.
    expect(probed.warmup?.waits).toBe(true);
    // A 5 ms budget's 15 ms cap ends the probe at its first item.
    const narrow = await probeWarmup(task, items, timed, {
      budgetMs: 5,
      onError: "throw",
      pool: reporting([{ busyMs: 61 }, { busyMs: 1 }]).pool,
    });
    expect(narrow.warmup?.items).toBe(1);
    expect([...narrow.results.keys()]).toEqual([1]);
    expect(narrow.warmup).not.toHaveProperty("growth");
  });

  it("reads each item's own time: what its worker waited for a core is no warm-up", async () => {
    // What a busy machine does to a fresh worker: the first item computes 61 ms, and each
    // later one runs its 1 ms in 8 ms, 7 of them waiting for a core.
    const later = { busyMs: 8, queuedMs: 7 };
    const { pool, asked } = reporting([{ busyMs: 61, queuedMs: 0 }, later, later, later]);
    const task = resolveTask({ module: fixture, export: "coldFirst" });
    const probed = await probeWarmup(task, items, timed, { budgetMs: 59, onError: "throw", pool });
    expect(asked).toEqual(Array(4).fill(expect.objectContaining({ measureCpu: true, chunkSize: 1 })));
    expect(probed.timings.coldMs).toEqual([61, 1, 1, 1]);
    expect(probed.warmup).not.toHaveProperty("waits");
    expect(probed.warmup?.items).toBe(4);
    expect(probed.warmup?.excessMs).toBeCloseTo(60, 9);
    expect(probed.warmup?.growth).toBe(0);
    expect([...probed.results]).toEqual([
      [1, 2],
      [2, 4],
      [3, 6],
      [4, 8],
    ]);
  });

  it("stops once its items took the wait cap in all, whatever they lost", async () => {
    const task = resolveTask({ module: fixture, export: "coldFirst" });
    // Said to take 60 ms warm, the first item loses nothing, and fills a 21 ms budget's 63 ms cap.
    const slow = [{ index: 0, ms: 60, bytes: 9 }];
    const probed = await probeWarmup(task, items, slow, { budgetMs: 21, onError: "throw" });
    expect(probed.warmup?.items).toBe(1);
  });

  it("counts toward its wait cap the time the decision waited, waits for a core included", async () => {
    // Each unit computes 1 ms in 40 ms, 39 of them waiting for a core: its own time is no
    // warm-up, but the decision waited 40 ms for it. A 30 ms budget's 90 ms cap ends the
    // probe after the third unit (120 ms waited), not after 90 of own time.
    const waiting = { busyMs: 40, queuedMs: 39 };
    const { pool } = reporting([waiting, waiting, waiting, waiting]);
    const task = resolveTask({ module: fixture, export: "coldFirst" });
    const probed = await probeWarmup(task, items, timed, { budgetMs: 30, onError: "throw", pool });
    expect(probed.warmup?.items).toBe(3);
    expect(probed.timings.coldMs).toEqual([1, 1, 1]);
    expect(probed.warmup?.excessMs).toBe(0);
  });

  it("starts no item expected to outlast the wait left, the first one included", async () => {
    const task = resolveTask({ module: fixture, export: "coldFirst" });
    // Items said to take 300 ms against a 270 ms cap: nothing runs, nothing is measured.
    const heavy = [{ index: 0, ms: 300, bytes: 9 }];
    const probed = await probeWarmup(task, items, heavy, { budgetMs: 90, onError: "throw" });
    expect(probed.warmup).toBeNull();
    expect(probed.results.size).toBe(0);
  });

  it("ends at an item that fails: its error by input index, collected or thrown", async () => {
    const task = resolveTask({ module: fixture, export: "failsAlways" });
    const collected = await probeWarmup(task, items.slice(1), timed, { budgetMs: 1000, onError: "collect" });
    expect(collected.warmup).toBeNull();
    expect(collected.results.size).toBe(0);
    const failure = collected.failures.get(2) as ItemError;
    expect(failure).toBeInstanceOf(ItemError);
    expect(failure.index).toBe(2);
    await expect(
      probeWarmup(task, items.slice(2), timed, { budgetMs: 1000, onError: "throw" }),
    ).rejects.toMatchObject({
      code: "AMORSIZE_ITEM_FAILED",
      index: 3,
    });
  });
});

describe("probeWarmup(): blocks of items", () => {
  const timed = [{ index: 0, ms: 1, bytes: 9 }];

  it("runs each block as one chunk, keeps every item's result by input index, and counts the items", async () => {
    const task = resolveTask({ module: fixture, export: "coldFirst" });
    const units = [
      { index: 10, items: [10, 11, 12], bytes: 27 },
      { index: 20, items: [20, 21, 22], bytes: 27 },
    ];
    const probed = await probeWarmup(task, units, timed, { budgetMs: 10_000, onError: "throw" });
    expect([...probed.results]).toEqual([
      [10, 20],
      [11, 22],
      [12, 24],
      [20, 40],
      [21, 42],
      [22, 44],
    ]);
    expect(probed.timings.counts).toEqual([3, 3]);
    expect(probed.warmup?.items).toBe(6);
    // The first block holds the slow first call: 60 ms against the 3 ms three warm items take.
    expect(probed.warmup?.excessMs).toBeGreaterThanOrEqual(57);
  });

  it("ends at a block with a failing item: the failure by input index, the block's other results kept", async () => {
    const task = resolveTask({ module: fixture, export: "failsOn" });
    const units = [
      { index: 10, items: [{ x: 10 }, { x: 11, fail: true }, { x: 12 }], bytes: 27 },
      { index: 20, items: [{ x: 20 }], bytes: 9 },
    ];
    const probed = await probeWarmup(task, units, timed, { budgetMs: 10_000, onError: "collect" });
    expect([...probed.results]).toEqual([
      [10, 10],
      [12, 12],
    ]);
    expect([...probed.failures.keys()]).toEqual([11]);
    expect((probed.failures.get(11) as ItemError).index).toBe(11);
    expect(probed.warmup).toBeNull();
    await expect(
      probeWarmup(task, units, timed, { budgetMs: 10_000, onError: "throw" }),
    ).rejects.toMatchObject({
      code: "AMORSIZE_ITEM_FAILED",
      index: 11,
    });
  });

  it("is one item where items take 5 ms or more, else a block of about 5 ms, at most 256 items", () => {
    expect(probeBlock(34)).toBe(1);
    expect(probeBlock(5)).toBe(1);
    expect(probeBlock(0.24)).toBe(21);
    expect(probeBlock(0.001)).toBe(256);
    expect(probeBlock(0)).toBe(1);
    expect(probeBlock(Number.NaN)).toBe(1);
  });

  it("reads blocks beside this thread's items at their count (items alike: by the mean)", () => {
    const blocks = { coldMs: [30, 12, 11, 10.5], bytes: [90, 90, 90, 90], counts: [10, 10, 10, 10] };
    // This thread ran items of 1 ms each, all of one size.
    const beside = Array.from({ length: 8 }, () => ({ ownMs: 1, bytes: 9 }));
    expect(warmupBeside(blocks, beside)).toEqual({
      excessMs: expect.closeTo(23.5, 9),
      items: 40,
      settled: true,
      growth: expect.closeTo(1.5 / 22, 9),
    });
    expect(expectation(beside.map((b, index) => ({ index, ms: b.ownMs, bytes: b.bytes }))).ms(90, 10)).toBe(
      10,
    );
  });
});

describe("probeWarmup(): stopped by the caller", () => {
  it("rejects with the signal's reason, keeping nothing half-run", async () => {
    const task = resolveTask({ module: fixture, export: "coldFirst" });
    const controller = new AbortController();
    const reason = new Error("stop");
    controller.abort(reason);
    const probe = probeWarmup(task, [{ index: 1, items: [1], bytes: 9 }], [{ index: 0, ms: 1, bytes: 9 }], {
      budgetMs: 1000,
      onError: "collect",
      signal: controller.signal,
    });
    await expect(probe).rejects.toBe(reason);
  });
});

describe("the module-cost cache", () => {
  const key = "file:///tasks/a.mjs#f@abc";
  const warmup = { excessMs: 350, items: 3, settled: false, source: "probe" as const };
  const machineKey = spawnCost(2).machineKey;

  it("gives back what was written, as cached, for the same module version and machine only", async () => {
    const dir = tempDir();
    expect(readWarmup(dir, key, machineKey)).toBeNull();
    expect(await writeWarmup(dir, key, machineKey, warmup)).toBeNull();
    expect(readWarmup(dir, key, machineKey)).toEqual({
      excessMs: 350,
      items: 3,
      settled: false,
      source: "cached",
    });
    expect(readWarmup(dir, `${key}0`, machineKey)).toBeNull();
    expect(readWarmup(dir, key, { ...machineKey, usableCores: 4 })).toBeNull();
  });

  it("reads an entry measured the way of an earlier figures version (MODULE_FIGURES) as a miss", async () => {
    const dir = tempDir();
    await writeWarmup(dir, key, machineKey, warmup, 39.5);
    const [name] = readdirSync(join(dir, "modules"));
    // The same entry under the unnumbered name of figures 1: read as written, it would hit.
    const old = createHash("sha256").update(key).digest("hex").slice(0, 32);
    renameSync(join(dir, "modules", name!), join(dir, "modules", `${old}.json`));
    expect(readModuleCost(dir, key, machineKey)).toBeNull();
    // And under the names of figures 2 (a probe that stopped at a lost budget, no growth
    // read), 3 (single items only, for a fine task too) and 4 (busy times, waits for a core
    // included).
    let from = `${old}.json`;
    for (const figures of [2, 3, 4]) {
      const name = `${createHash("sha256").update(`${figures}/${key}`).digest("hex").slice(0, 32)}.json`;
      renameSync(join(dir, "modules", from), join(dir, "modules", name));
      expect(readModuleCost(dir, key, machineKey)).toBeNull();
      from = name;
    }
  });

  it("keeps the growth the probe read; an entry without one reads as none", async () => {
    const dir = tempDir();
    await writeWarmup(dir, key, machineKey, { ...warmup, items: 4, growth: 0.25 });
    expect(readWarmup(dir, key, machineKey)).toEqual({
      excessMs: 350,
      items: 4,
      settled: false,
      growth: 0.25,
      source: "cached",
    });
  });

  it("keeps a fresh worker's import beside the warm-up when given one; an entry without it reads as none", async () => {
    const dir = tempDir();
    await writeWarmup(dir, key, machineKey, warmup, 39.5);
    expect(readModuleCost(dir, key, machineKey)).toEqual({
      warmup: { excessMs: 350, items: 3, settled: false, source: "cached" },
      readings: [{ excessMs: 350, items: 3, settled: false }],
      moduleLoadMs: 39.5,
    });
    // A later probe that reported none keeps the entry's.
    await writeWarmup(dir, key, machineKey, warmup);
    expect(readModuleCost(dir, key, machineKey)?.moduleLoadMs).toBe(39.5);
    const other = tempDir();
    await writeWarmup(other, key, machineKey, warmup);
    expect(readModuleCost(other, key, machineKey)?.moduleLoadMs).toBeNull();
  });

  it("keeps the last three probes' readings, the middle one by excess standing for them", async () => {
    const dir = tempDir();
    const reading = (excessMs: number) => ({ excessMs, items: 8, settled: excessMs < 10 });
    // Each write adds to the readings the entry holds when it writes.
    const write = async (excessMs: number) => {
      expect(
        await writeWarmup(dir, key, machineKey, { ...reading(excessMs), source: "probe" }, 5),
      ).toBeNull();
      return readModuleCost(dir, key, machineKey);
    };
    expect((await write(1.4))?.warmup).toEqual({ ...reading(1.4), source: "cached" });
    // Of two, the lesser: a probe a busy moment slowed (72 ms) does not decide alone.
    expect((await write(72))?.warmup.excessMs).toBe(1.4);
    expect((await write(0.6))?.warmup.excessMs).toBe(1.4);
    // A fourth drops the oldest (1.4): 72, 0.6 and 0.9 read 0.9.
    const fourth = await write(0.9);
    expect(fourth?.readings.map((r) => r.excessMs)).toEqual([72, 0.6, 0.9]);
    expect(fourth?.warmup).toEqual({ ...reading(0.9), source: "cached" });
    // A module whose fresh workers do lose that much reads so every time.
    await write(70);
    expect((await write(75))?.warmup.excessMs).toBe(70);
  });

  it("takes the middle reading by excess, of two the lesser (middleReading, withReading)", () => {
    const r = (excessMs: number) => ({ excessMs, items: 4, settled: true });
    expect(middleReading([])).toBeNull();
    expect(middleReading([r(5)])).toEqual(r(5));
    expect(middleReading([r(5), r(3)])).toEqual(r(3));
    expect(middleReading([r(5), r(90), r(3)])).toEqual(r(5));
    const three = withReading([r(1), r(2), r(3)], { ...r(4), busyThreads: 2, source: "probe" });
    expect(three).toEqual([r(2), r(3), { ...r(4), busyThreads: 2 }]);
    expect(three).toHaveLength(WARMUP_READINGS);
  });

  it("reads a corrupt entry as a miss, and says why a write failed instead of throwing", async () => {
    const dir = tempDir();
    await writeWarmup(dir, key, machineKey, warmup);
    const file = join(dir, "modules");
    const [name] = readdirSync(file);
    writeFileSync(join(file, name!), "{ not json");
    expect(readWarmup(dir, key, machineKey)).toBeNull();
    // A cache folder that is a file cannot hold the entry.
    const blocked = join(tempDir(), "file");
    writeFileSync(blocked, "");
    const problem = await writeWarmup(blocked, key, machineKey, warmup);
    expect(problem?.code).toBe("MODULE_CACHE_UNWRITABLE");
    expect(problem?.message).toContain(`Could not write the module-cost cache in ${blocked}`);
  });
});
