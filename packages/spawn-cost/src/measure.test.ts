import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import v8 from "node:v8";
import { SpawnCostProfileSchema } from "@amorsize/types";
import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import { Tinypool, type Options as TinypoolOptions } from "tinypool";
import { allFigures } from "../test/profile-fixture.js";
import type { MeasureOutcome } from "./assemble.js";
import { SpawnCostWarningCode } from "./errors.js";
import { SPAWN_COST_ESTIMATES } from "./estimates.js";
import { runMeasurements } from "./measure.js";
import type { MeasureTask } from "./protocol.js";
import { measureSpawnCostWith, resolveSpawnCostOptions } from "./spawn-cost.js";

const fixture = (name: string) => fileURLToPath(new URL(`../test/fixtures/${name}`, import.meta.url));

/**
 * Pools that answer at once on a fake clock, which each task moves on by a set
 * time: the driver's decisions (which pools, how many samples, when to stop)
 * then depend on nothing but these times.
 */
function fakePools(
  times: {
    startMs?: (k: number) => number;
    chunk?: (task: MeasureTask) => unknown[];
    /** Answers pace tasks in place of the fake workers. */
    pace?: (task: MeasureTask) => unknown;
  } = {},
) {
  let clock = 0;
  let paced = 0;
  /** Pace tasks of equal work (iterations) run. */
  let equalWork = 0;
  const threadClock = [0, 0];
  const startMs = times.startMs ?? ((k: number) => 10 + 25 * k);
  const sizes: number[][] = [];
  const createPool = (options: TinypoolOptions): Tinypool => {
    sizes.push([options.minThreads as number, options.maxThreads as number]);
    let started = false;
    const pool = {
      threads: [],
      on: () => pool,
      destroy: async () => {},
      run: async (task: MeasureTask) => {
        if (task.op === "barrier") {
          // The pool is up when its first barrier task is answered; the others wait with it.
          if (!started) clock += startMs(task.parties);
          started = true;
          return [];
        }
        if (task.op === "pace" && times.pace) return times.pace(task);
        if (task.op === "pace") {
          if (task.iterations !== undefined) equalWork++;
          // Two workers, asked in turn. A chunk of `ms` starts 1/4 ms after its worker's last
          // one ended; equal work (iterations, 1000 a millisecond) runs 1/32 slower on the second.
          const thread = paced++ % 2;
          const busyMs =
            task.iterations === undefined
              ? (task.ms ?? 0)
              : (task.iterations / 1000) * (thread === 0 ? 1 : 1.03125);
          const startMs = threadClock[thread]! + 2 ** -2;
          threadClock[thread] = startMs + busyMs;
          clock += busyMs / 2;
          return {
            busyMs,
            iterations: task.iterations ?? busyMs * 1000,
            startMs,
            endMs: startMs + busyMs,
            thread,
          };
        }
        // 1/16 ms for an empty task; 2^-10 ms (~0.98 us) per item and, copied, 2^-20 ms (~0.95 ns) per byte.
        const bytes = task.items.length > 0 && !task.transfer ? v8.serialize(task.items[0]).byteLength : 0;
        clock += 2 ** -4 + task.items.length * (2 ** -10 + bytes * 2 ** -20);
        return times.chunk ? times.chunk(task) : task.items;
      },
    };
    return pool as unknown as Tinypool;
  };
  return { sizes, createPool, now: () => clock, equalWork: () => equalWork };
}

describe("runMeasurements on pools of a fake clock", () => {
  it("measures on a pool of two, then times rounds of 1..maxWorkers until every size has settled", async () => {
    const fake = fakePools();
    const outcome = await runMeasurements({ budgetMs: 5000, maxWorkers: 3, cores: 2 }, fake);
    // The pool of two for dispatch and clone figures, then a pool of as many as cores for the
    // workers' pace (also a start-up sample), then the rounds.
    expect(fake.sizes).toEqual([
      [2, 2],
      [2, 2],
      [1, 1],
      [2, 2],
      [3, 3],
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
    expect(outcome.warnings).toEqual([]);
    expect(outcome.anyMeasured).toBe(true);
    for (const [name, figure] of allFigures(outcome)) {
      if (name === "clone.number.perByteNs") expect(figure.provenance).toBe("estimated");
      else expect([name, figure.provenance]).toEqual([name, "measured"]);
    }
    expect(outcome.workerStart.fixedMs).toEqual({ value: 10, provenance: "measured", samples: 8, spread: 0 });
    expect(outcome.workerStart.perWorkerMs).toEqual({
      value: 25,
      provenance: "measured",
      samples: 8,
      spread: 0,
    });
    // An empty task takes 62.5 us, one at a time or 64 in flight on the fake pool.
    expect(outcome.dispatch.latencyUs).toEqual({
      value: 62.5,
      provenance: "measured",
      samples: 50,
      spread: 0,
    });
    expect(outcome.dispatch.throughputUs).toEqual({
      value: 62.5,
      provenance: "measured",
      samples: 3,
      spread: 0,
    });
    // Each worker's next chunk starts 250 us after its last: 4 gaps on each of the two.
    expect(outcome.pace.gapUs).toEqual({ value: 250, provenance: "measured", samples: 8, spread: 0 });
    expect(outcome.pace.afterMs).toBe(10);
    // Seven rounds of two ran, the first (cold) not kept.
    expect(fake.equalWork()).toBe(14);
    // Each round of two: 10 and 10.3125 ms for the same 10,000 iterations (the pace read: 1000 a ms).
    expect(outcome.pace.speedCv).toEqual({
      value: expect.closeTo((0.3125 * Math.SQRT1_2) / 10.15625, 12),
      provenance: "measured",
      samples: 6,
      spread: 0,
    });
    for (const kind of ["plain-array", "object", "string", "typed-array"] as const) {
      expect([kind, outcome.clone[kind].perItemUs.value]).toEqual([kind, expect.closeTo(1000 * 2 ** -10, 6)]);
      expect([kind, outcome.clone[kind].perByteNs.value]).toEqual([kind, expect.closeTo(1e6 * 2 ** -20, 6)]);
    }
    expect(outcome.clone.number.perItemUs.value).toBeCloseTo(1000 * (2 ** -10 + 11 * 2 ** -20), 6); // a number serialises to 11 bytes
    expect(outcome.clone["typed-array-transfer"].perItemUs.value).toBeCloseTo(1000 * 2 ** -10, 6);
    expect(outcome.clone["typed-array-transfer"].perByteNs.value).toBeCloseTo(0, 6);
  });

  it("takes the per-worker estimate and warns when larger pools start faster", async () => {
    const fake = fakePools({ startMs: (k) => 440 - 60 * k });
    const outcome = await runMeasurements({ budgetMs: 6000, maxWorkers: 3, cores: 2 }, fake);
    const reason =
      "the 8 start-up samples were too noisy: larger pools measured no slower to start than smaller ones";
    // Starts of 320 (the first pool), 320 (the pace pool of two), then 380, 320, 260 twice: a
    // mean of 320 ms at a mean k of 2.
    expect(outcome.workerStart).toEqual({
      fixedMs: {
        value: 260,
        provenance: "estimated",
        reason: `${reason}; fixed part derived from their mean start`,
        samples: 0,
        spread: null,
      },
      perWorkerMs: { value: 30, provenance: "estimated", reason, samples: 0, spread: null },
    });
    expect(outcome.warnings).toEqual([
      {
        code: SpawnCostWarningCode.implausibleFit,
        message:
          "The samples of workerStart were too noisy to fit (a busy machine?); those figures are documented estimates.",
      },
    ]);
    expect(outcome.dispatch.latencyUs.provenance).toBe("measured");
  });

  it("starts pools of one worker only, and puts their whole start in perWorkerMs, when maxWorkers is 1", async () => {
    const fake = fakePools();
    const outcome = await runMeasurements({ budgetMs: 5000, maxWorkers: 1 }, fake);
    expect(new Set(fake.sizes.map((size) => size.join("x")))).toEqual(new Set(["1x1"]));
    expect(outcome.workerStart).toEqual({
      fixedMs: {
        value: 0,
        provenance: "estimated",
        reason:
          "maxWorkers is 1: one pool size cannot separate the fixed part, so it is 0 and all is in perWorkerMs",
        samples: 0,
        spread: null,
      },
      perWorkerMs: { value: 35, provenance: "measured", samples: 3, spread: 0 },
    });
  });

  it("stops within the budget: one pool and no sample when the first start uses it all", async () => {
    const fake = fakePools();
    const outcome = await runMeasurements({ budgetMs: 50, maxWorkers: 3 }, fake);
    expect(fake.sizes).toEqual([[2, 2]]);
    expect(outcome.anyMeasured).toBe(false);
    expect(outcome.warnings).toEqual([
      {
        code: SpawnCostWarningCode.budgetExhausted,
        message:
          "The 50 ms budget ran out before dispatch.latencyUs, dispatch.throughputUs, workerStart, pace.gapUs, pace.speedCv had enough samples; those figures are documented estimates (raise budgetMs to measure them).",
      },
    ]);
  });

  it("estimates the workers' pace, saying why, when its tasks answer wrongly, and keeps the other figures", async () => {
    const fake = fakePools({ pace: () => ({ busyMs: 10 }) });
    const outcome = await runMeasurements({ budgetMs: 5000, maxWorkers: 3, cores: 2 }, fake);
    const failed = 'a pace task answered {"busyMs":10}, not its times and iterations';
    expect(outcome.pace.gapUs).toEqual({
      value: SPAWN_COST_ESTIMATES.pace.gapUs,
      provenance: "estimated",
      reason: `measuring the gap between chunks failed: ${failed}`,
      samples: 0,
      spread: null,
    });
    expect(outcome.pace.speedCv.provenance).toBe("estimated");
    expect(outcome.workerStart.fixedMs.provenance).toBe("measured");
    expect(outcome.warnings).toEqual([
      {
        code: SpawnCostWarningCode.measurementFailed,
        message: `Measuring failed (worker pace: ${failed}); the figures it concerned are documented estimates.`,
      },
    ]);
  });

  it("names the workers' pace short of the budget when its pool started with no time left for it", async () => {
    // Pools that take 220 ms to start: the pace pool starts, and leaves less than the stream's 100 ms.
    const fake = fakePools({ startMs: () => 220 });
    const outcome = await runMeasurements({ budgetMs: 600, maxWorkers: 3, cores: 2 }, fake);
    expect(fake.sizes.slice(0, 2)).toEqual([
      [2, 2],
      [2, 2],
    ]);
    const short = "the 600 ms budget ran out after 0 samples (needs 3)";
    expect([outcome.pace.gapUs.reason, outcome.pace.speedCv.reason]).toEqual([short, short]);
    expect(outcome.warnings.map((w) => w.message).join("\n")).toContain(
      "The 600 ms budget ran out before pace.gapUs, pace.speedCv had enough samples",
    );
  });

  it("estimates a kind whose chunks fail, and measures the others", async () => {
    // A transferred chunk's buffers must come back; these never do.
    const fake = fakePools({ chunk: (task) => (task.op === "echo" && task.transfer ? [] : task.items) });
    const outcome = await runMeasurements({ budgetMs: 5000, maxWorkers: 3 }, fake);
    const reason =
      "measuring typed-array-transfer clone cost failed: a transferred chunk came back incomplete";
    expect(outcome.clone["typed-array-transfer"].perItemUs).toEqual({
      value: SPAWN_COST_ESTIMATES.clone["typed-array-transfer"].perItemUs,
      provenance: "estimated",
      reason,
      samples: 0,
      spread: null,
    });
    expect(outcome.clone["typed-array"].perItemUs.provenance).toBe("measured");
    expect(outcome.warnings).toEqual([
      {
        code: SpawnCostWarningCode.measurementFailed,
        message:
          "Measuring failed (clone typed-array-transfer: a transferred chunk came back incomplete); the figures it concerned are documented estimates.",
      },
    ]);
  });
});

/** A pool factory that remembers every real pool, to check each was destroyed. */
function recordingPools() {
  const pools: { pool: Tinypool; options: TinypoolOptions }[] = [];
  return {
    pools,
    createPool: (options: TinypoolOptions) => {
      const pool = new Tinypool(options);
      pools.push({ pool, options });
      return pool;
    },
    expectAllDestroyed() {
      expect(pools.length).toBeGreaterThan(0);
      for (const { pool } of pools) expect(pool.threads).toHaveLength(0);
    },
  };
}

function expectAllEstimated(outcome: MeasureOutcome, reason: RegExp) {
  expect(outcome.anyMeasured).toBe(false);
  for (const [name, figure] of allFigures(outcome)) {
    expect([name, figure.provenance, figure.samples, figure.spread]).toEqual([name, "estimated", 0, null]);
    expect([name, figure.reason]).toEqual([name, expect.stringMatching(reason)]);
  }
  expect(outcome.workerStart.fixedMs.value).toBe(SPAWN_COST_ESTIMATES.workerStart.fixedMs);
  expect(outcome.dispatch.latencyUs.value).toBe(SPAWN_COST_ESTIMATES.dispatch.latencyUs);
  expect(outcome.clone.object.perByteNs.value).toBe(SPAWN_COST_ESTIMATES.clone.object.perByteNs);
}

describe("runMeasurements on real worker threads", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "amorsize-spawn-cost-measure-"));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("measures within a small budget: a schema-valid profile, every figure with its provenance, every pool destroyed", async () => {
    const recorder = recordingPools();
    const handles = () =>
      process.getActiveResourcesInfo().filter((r) => r === "Worker" || r === "MessagePort");
    const before = handles();
    const options = resolveSpawnCostOptions({ cacheDir: dir, cache: false, budgetMs: 300, maxWorkers: 3 });
    const profile = await measureSpawnCostWith(options, (plan) =>
      runMeasurements(plan, { createPool: recorder.createPool }),
    );
    expect(SpawnCostProfileSchema.parse(profile)).toEqual(profile);
    const all = allFigures(profile);
    for (const [name, figure] of all) {
      if (figure.provenance === "measured") {
        expect([name, figure.samples > 0, Number.isFinite(figure.value)]).toEqual([name, true, true]);
      } else {
        expect([name, figure.provenance, figure.samples, typeof figure.reason]).toEqual([
          name,
          "estimated",
          0,
          "string",
        ]);
      }
    }
    expect(profile.source).toBe(all.some(([, f]) => f.provenance === "measured") ? "measured" : "estimated");
    // However loaded the machine, the first pool has two workers; then, where the budget
    // allows, one of as many workers as usable cores (at most 3) for the workers' pace; then
    // start-up rounds go 1, 2, 3, 1, ...
    const sizes = recorder.pools.map(({ options: o }) => [o.minThreads, o.maxThreads]);
    const paceK = Math.min(options.machineKey.usableCores, 3);
    // The pace pool ran where the budget allowed: its figures measured, or estimated when
    // what it read fell short (once here, beside other tests: the pool of 2 ran, its gaps
    // were estimated). Measured figures say it ran; so does a second pool of paceK workers
    // where that differs from the first start-up round's size (1).
    const paced =
      profile.pace?.gapUs.provenance === "measured" || (paceK !== 1 && sizes[1]?.[0] === paceK) ? 1 : 0;
    const expected = sizes.map((_, i) =>
      i === 0 ? [2, 2] : i <= paced ? [paceK, paceK] : [((i - 1 - paced) % 3) + 1, ((i - 1 - paced) % 3) + 1],
    );
    expect(sizes).toEqual(expected);
    recorder.expectAllDestroyed();
    expect(handles()).toEqual(before);
  });

  it("falls back to estimates and destroys the pool when the worker cannot load", async () => {
    const recorder = recordingPools();
    const outcome = await runMeasurements(
      { budgetMs: 600, maxWorkers: 3 },
      { workerFile: fixture("broken-worker.mjs"), createPool: recorder.createPool },
    );
    expectAllEstimated(outcome, /fixture: this worker cannot load/);
    expect(outcome.warnings).toEqual([
      {
        code: SpawnCostWarningCode.measurementFailed,
        message: expect.stringContaining("fixture: this worker cannot load"),
      },
    ]);
    recorder.expectAllDestroyed();
  });

  it("gives up on a worker that never answers, and terminates it", async () => {
    const recorder = recordingPools();
    const outcome = await runMeasurements(
      { budgetMs: 600, maxWorkers: 3 },
      { workerFile: fixture("hanging-worker.mjs"), createPool: recorder.createPool, timeoutMs: 300 },
    );
    expectAllEstimated(outcome, /starting a pool of 2 workers took longer than 300 ms/);
    expect(outcome.warnings.map((w) => w.code)).toEqual([SpawnCostWarningCode.measurementFailed]);
    expect(recorder.pools).toHaveLength(1);
    recorder.expectAllDestroyed();
  });
});
