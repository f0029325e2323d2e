import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type MeasuredFigure, SpawnCostProfileSchema } from "@amorsize/types";
import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import { Tinypool, type Options as TinypoolOptions } from "tinypool";
import { SpawnCostWarningCode } from "./errors.js";
import { SPAWN_COST_ESTIMATES } from "./estimates.js";
import { type MeasureOutcome, runMeasurements } from "./measure.js";
import { measureSpawnCostWith, resolveSpawnCostOptions } from "./spawn-cost.js";

const fixture = (name: string) => fileURLToPath(new URL(`../test/fixtures/${name}`, import.meta.url));

/** A pool factory that remembers every pool, to check each was destroyed. */
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

function figures(outcome: MeasureOutcome): [string, MeasuredFigure][] {
  return [
    ["workerStart.fixedMs", outcome.workerStart.fixedMs],
    ["workerStart.perWorkerMs", outcome.workerStart.perWorkerMs],
    ["dispatch.latencyUs", outcome.dispatch.latencyUs],
    ["dispatch.throughputUs", outcome.dispatch.throughputUs],
    ...Object.entries(outcome.clone).flatMap(([kind, cost]): [string, MeasuredFigure][] => [
      [`clone.${kind}.perItemUs`, cost.perItemUs],
      [`clone.${kind}.perByteNs`, cost.perByteNs],
    ]),
  ];
}

function expectAllEstimated(outcome: MeasureOutcome, reason: RegExp) {
  expect(outcome.anyMeasured).toBe(false);
  for (const [name, figure] of figures(outcome)) {
    expect([name, figure.provenance, figure.samples, figure.spread]).toEqual([name, "estimated", 0, null]);
    expect([name, figure.reason]).toEqual([name, expect.stringMatching(reason)]);
  }
  expect(outcome.workerStart.fixedMs.value).toBe(SPAWN_COST_ESTIMATES.workerStart.fixedMs);
  expect(outcome.dispatch.latencyUs.value).toBe(SPAWN_COST_ESTIMATES.dispatch.latencyUs);
  expect(outcome.clone.object.perByteNs.value).toBe(SPAWN_COST_ESTIMATES.clone.object.perByteNs);
}

describe("runMeasurements when measuring fails", () => {
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
    expect(outcome.warnings.map((w) => w.code)).toContain(SpawnCostWarningCode.measurementFailed);
    recorder.expectAllDestroyed();
  });
});

describe("runMeasurements within its budget", () => {
  it("estimates every figure, says the budget ran out, and starts one pool only, when the budget is 1 ms", async () => {
    const recorder = recordingPools();
    const outcome = await runMeasurements(
      { budgetMs: 1, maxWorkers: 3 },
      { createPool: recorder.createPool },
    );
    expectAllEstimated(outcome, /budget|clone figures need the empty-task latency/);
    expect(outcome.dispatch.latencyUs.reason).toBe("the 1 ms budget ran out after 0 samples (needs 20)");
    expect(outcome.warnings).toEqual([
      {
        code: SpawnCostWarningCode.budgetExhausted,
        message: expect.stringMatching(/^The 1 ms budget ran out before dispatch\.latencyUs, /),
      },
    ]);
    expect(recorder.pools).toHaveLength(1);
    recorder.expectAllDestroyed();
  });

  it("measures every figure with pools of 1..maxWorkers and destroys each one", async () => {
    const recorder = recordingPools();
    const outcome = await runMeasurements(
      { budgetMs: 5000, maxWorkers: 3 },
      { createPool: recorder.createPool },
    );
    expect(outcome.anyMeasured).toBe(true);
    const warned = outcome.warnings.map((w) => w.message).join("\n");
    for (const [name, figure] of figures(outcome)) {
      expect(Number.isFinite(figure.value) && figure.value >= 0).toBe(true);
      if (name === "clone.number.perByteNs") {
        expect(figure.provenance).toBe("estimated");
        expect(figure.reason).toMatch(/^a number always serialises to the same \d+ bytes/);
      } else if (name.startsWith("clone.") && figure.provenance === "estimated") {
        // On a machine busy enough to drown a clone fit in noise, the figure falls back, and says so.
        expect([name, figure.reason]).toEqual([name, expect.stringMatching(/too noisy|budget/)]);
        expect(warned).toContain(name.slice(0, name.lastIndexOf(".")));
      } else {
        expect([name, figure.provenance]).toEqual([name, "measured"]);
        expect(figure.samples).toBeGreaterThan(0);
      }
    }
    const sizes = recorder.pools.map(({ options }) => [options.minThreads, options.maxThreads]);
    // the dispatch/clone pool of two workers first, then start-up rounds over k = 1..3
    expect(sizes[0]).toEqual([2, 2]);
    expect(sizes.slice(1, 4)).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
    recorder.expectAllDestroyed();
  });

  it("puts the whole start of a one-worker pool in perWorkerMs when maxWorkers is 1", async () => {
    const recorder = recordingPools();
    const outcome = await runMeasurements(
      { budgetMs: 5000, maxWorkers: 1 },
      { createPool: recorder.createPool },
    );
    expect(outcome.workerStart.fixedMs).toEqual({
      value: 0,
      provenance: "estimated",
      reason:
        "maxWorkers is 1: one pool size cannot separate the fixed part, so it is 0 and all is in perWorkerMs",
      samples: 0,
      spread: null,
    });
    expect(outcome.workerStart.perWorkerMs.provenance).toBe("measured");
    expect(outcome.workerStart.perWorkerMs.value).toBeGreaterThan(0);
    for (const { options } of recorder.pools)
      expect([options.minThreads, options.maxThreads]).toEqual([1, 1]);
    recorder.expectAllDestroyed();
  });
});

describe("runMeasurements with implausible samples", () => {
  it("reports a copying kind whose big items measure cheaper per byte as estimated, with a warning", async () => {
    const recorder = recordingPools();
    const outcome = await runMeasurements(
      { budgetMs: 5000, maxWorkers: 3 },
      { workerFile: fixture("inverted-worker.mjs"), createPool: recorder.createPool },
    );
    for (const kind of ["plain-array", "object", "string", "typed-array"] as const) {
      for (const figure of [outcome.clone[kind].perItemUs, outcome.clone[kind].perByteNs]) {
        expect([kind, figure.provenance, figure.reason]).toEqual([
          kind,
          "estimated",
          expect.stringMatching(
            /^the \d+ samples were too noisy: \d+-element items measured no dearer per byte/,
          ),
        ]);
      }
    }
    // The kinds the fixture does not distort are still measured.
    expect(outcome.clone.number.perItemUs.provenance).toBe("measured");
    expect(outcome.clone["typed-array-transfer"].perItemUs.provenance).toBe("measured");
    expect(outcome.warnings).toContainEqual({
      code: SpawnCostWarningCode.implausibleFit,
      message: expect.stringContaining("clone.plain-array, clone.object, clone.string, clone.typed-array"),
    });
    recorder.expectAllDestroyed();
  });
});

describe("runMeasurements with a start-up line that falls", () => {
  it("takes the per-worker estimate, derives the fixed part from the measured mean, and warns", async () => {
    const recorder = recordingPools();
    // Each pool learns when it was created, so its workers can answer at a set time.
    const createPool = (options: TinypoolOptions) =>
      recorder.createPool({
        ...options,
        workerData: { createdAt: performance.timeOrigin + performance.now() },
      });
    const outcome = await runMeasurements(
      // Budget enough for the start-up rounds after the dispatch and clone phases.
      { budgetMs: 6000, maxWorkers: 3 },
      { workerFile: fixture("flat-start-worker.mjs"), createPool },
    );
    const reason =
      /^the \d+ start-up samples were too noisy: larger pools measured no slower to start than smaller ones/;
    expect(outcome.workerStart.perWorkerMs).toMatchObject({
      provenance: "estimated",
      value: SPAWN_COST_ESTIMATES.workerStart.perWorkerMs,
      reason: expect.stringMatching(reason),
    });
    expect(outcome.workerStart.fixedMs).toMatchObject({
      provenance: "estimated",
      reason: expect.stringMatching(/fixed part derived from their mean start$/),
    });
    // The fixed part keeps the measured level: pools here took 320-440 ms to start.
    expect(outcome.workerStart.fixedMs.value).toBeGreaterThan(200);
    expect(outcome.warnings).toContainEqual({
      code: SpawnCostWarningCode.implausibleFit,
      message: expect.stringContaining("workerStart"),
    });
    // The rest is measured as usual.
    expect(outcome.dispatch.latencyUs.provenance).toBe("measured");
    recorder.expectAllDestroyed();
  });
});

describe("measureSpawnCostWith when measuring fails", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "amorsize-spawn-cost-measure-"));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("returns a schema-valid estimated profile, does not throw and does not cache it", async () => {
    const options = resolveSpawnCostOptions({ cacheDir: dir });
    const profile = await measureSpawnCostWith(options, { workerFile: fixture("broken-worker.mjs") });
    expect(SpawnCostProfileSchema.parse(profile)).toEqual(profile);
    expect(profile.source).toBe("estimated");
    expect(profile.cachePath).toBeNull();
    expect(profile.warnings.map((w) => w.code)).toEqual([
      SpawnCostWarningCode.measurementFailed,
      SpawnCostWarningCode.notCached,
    ]);
    expect(existsSync(path.join(dir, "spawn-cost-v1.json"))).toBe(false);
  });
});
