// The warm-up figure end to end: read from the module-cost cache into the workload the plan
// rests on, shown in the plan's text, and kept out when the caller turns it off.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { planExecution } from "@amorsize/cost-model";
import { createExecutor, type Executor, resolveTask, WorkerCrashedError } from "@amorsize/executor";
import { measureSpawnCost } from "@amorsize/spawn-cost";
import { AmorsizeValidationError } from "@amorsize/types";
import { beforeAll, describe, expect, it } from "@jest/globals";
import { COLD_MIN_CPU_SHARE, COLD_MIN_ITEMS } from "../src/cold-sample.js";
import { earlyPoolWorkers, type ModuleCosts } from "../src/decide.js";
import { executeHosted } from "../src/execute.js";
import { formatPlan } from "../src/format.js";
import { execute } from "../src/index.js";
import { moduleHash } from "../src/plan-cache.js";
import {
  LOADING_IMPORT_MS,
  type Machine,
  prepare,
  probesAgainst,
  REPROBE_BELOW_READINGS,
  sampledWarm,
  samplesCold,
} from "../src/prepare.js";
import { median } from "../src/sampling/stats.js";
import { readModuleCost, writeWarmup } from "../src/warmup.js";
import { TEST_CACHE_DIR } from "./cache-dir.js";
import { hardware, spawnCost, workload } from "./profiles.js";

const fixture = new URL("./fixtures/cold-first-call.mjs", import.meta.url).pathname;
const task = { module: fixture, export: "coldFirst" };
const items = Array.from({ length: 12 }, (_, i) => i);

/** 200 items of 5 ms that log their `x` to `log`: on a fixed 8-core machine, parallel saves far more than a probe needs. */
function loggedItems(log: string) {
  writeFileSync(log, "");
  return Array.from({ length: 200 }, (_, x) => ({ x, log }));
}
const onEightCores = { machine: { hardware: hardware(8), spawnCost: spawnCost(8) } };

beforeAll(async () => {
  // The fixture's module imported here first, and the probe tests' task run here, as a
  // program's earlier calls would: their calls do not sample it cold (see `samplesCold` and
  // `sampledWarm`). A cold sample of it read a warm-up from its first items 2 times in 6,
  // and, rightly, ran no probe against them.
  await prepare({ module: fixture, export: "coldFirst" }, [], { cache: false }, onEightCores);
  await inTempDir("amorsize-probe-", async (dir) => {
    const warm = { cache: false, warmup: { probe: false }, sample: { minItems: 2, maxItems: 2 } };
    await prepare(
      { module: fixture, export: "loggedSpin" },
      loggedItems(join(dir, "warm.log")),
      warm,
      onEightCores,
    );
  });
});

/**
 * Module source (it imports `readFileSync` from node:fs) of `compute(ms)`: that many
 * milliseconds of the calling thread's own CPU time (its schedstat, on Linux; wall time
 * elsewhere, never past 20 times the time), so a busy machine leaves what sampling reads
 * of an item as on a quiet one.
 */
const COMPUTE_SOURCE = `const threadMs = () => {
  try {
    process.cpuUsage();
    return Number(readFileSync("/proc/thread-self/schedstat", "latin1").split(" ")[0]) / 1e6;
  } catch {
    return null;
  }
};
const compute = (ms) => {
  const wall = performance.now();
  const start = threadMs();
  while (performance.now() - wall < 20 * ms) {
    if (start === null ? performance.now() - wall >= ms : (threadMs() ?? Infinity) - start >= ms) break;
  }
};
`;

/** Runs `body` with a fresh temporary folder, removed afterwards whatever happens. */
async function inTempDir(prefix: string, body: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  try {
    await body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("prepare(): the warm-up probe on a machine where the plan starts workers", () => {
  it("runs on a pool of the plan's size where sampling started none, and leaves it open for the run", async () => {
    await inTempDir("amorsize-probe-", async (dir) => {
      const asked: number[] = [];
      let pool: Executor | undefined;
      const prepared = await prepare(
        { module: fixture, export: "loggedSpin" },
        loggedItems(join(dir, "calls.log")),
        { cacheDir: dir, cache: false },
        {
          ...onEightCores,
          startProbePool: (workers) => {
            asked.push(workers);
            pool = createExecutor({ workers });
            return pool;
          },
        },
      );
      try {
        expect(prepared.workload.warmup?.source).toBe("probe");
        expect(asked).toHaveLength(1);
        expect(asked[0]).toBeGreaterThanOrEqual(2);
        expect(pool?.workers).toBe(asked[0]);
        expect(pool?.closed).toBe(false);
      } finally {
        await pool?.close();
      }
    });
  });

  it("runs items sampling left once each, their results kept beside the sampled ones", async () => {
    await inTempDir("amorsize-probe-", async (dir) => {
      const log = join(dir, "calls.log");
      const prepared = await prepare(
        { module: fixture, export: "loggedSpin" },
        loggedItems(log),
        { cacheDir: dir, cache: false },
        onEightCores,
      );
      const { warmup, sampled } = prepared.workload;
      expect(warmup?.source).toBe("probe");
      const calls = readFileSync(log, "utf8").trim().split("\n").map(Number);
      // Each item that ran, ran once, and its result is kept for the run: the sampled ones,
      // the probe's, and those this thread ran while the probe's worker started and ran.
      expect(new Set(calls).size).toBe(calls.length);
      expect([...prepared.precomputed.keys()].sort((a, b) => a - b)).toEqual(
        [...calls].sort((a, b) => a - b),
      );
      for (const [index, result] of prepared.precomputed) expect(result).toBe(index + 1);
      // Items this thread ran while the probe's worker started and ran (a live decision: see
      // the execute() test below) count among them, from the start of the input (sampling
      // starts at its middle), and the time they took is part of sampling's.
      const filled = calls.length - sampled - warmup!.items;
      expect(filled).toBeGreaterThanOrEqual(0);
      expect(prepared.overheadMs.filled !== undefined).toBe(filled > 0);
      if (filled > 0) {
        expect(prepared.overheadMs.filled).toBeLessThanOrEqual(prepared.overheadMs.sample);
        expect(calls).toContain(0);
      }
    });
  });
});

describe("execute(): items this thread ran while the probe ran", () => {
  it("are not run again, and the plan covers only what is left", async () => {
    await inTempDir("amorsize-probe-", async (dir) => {
      const log = join(dir, "calls.log");
      const items = loggedItems(log);
      // execute() as a host with a fixed 8-core machine gives it: parallel is worth a probe.
      const hosted = { prepare: { machine: onEightCores.machine } };
      const result = await executeHosted<number>(
        { module: fixture, export: "loggedSpin" },
        items,
        { cacheDir: dir, cache: false },
        performance.now(),
        hosted,
      );
      expect(result.results).toEqual(items.map(({ x }) => x + 1));
      const calls = readFileSync(log, "utf8").trim().split("\n").map(Number);
      expect([...calls].sort((a, b) => a - b)).toEqual(items.map(({ x }) => x));
      const { workload } = result.optimized;
      expect(workload.warmup?.source).toBe("probe");
      // Sampled, probed and filled items ran before the plan: it covers the rest only. Whether
      // this thread ran items beside the probe rests on live readings (the items' CPU share and
      // largest time against the probe's budget); when it did, it says so, and they count.
      const before = 200 - result.plan.totalItems!;
      const filled = before - workload.sampled - workload.warmup!.items;
      expect(filled).toBeGreaterThanOrEqual(0);
      expect(result.overheadMs.filled !== undefined).toBe(filled > 0);
    });
  });
});

describe("formatPlan(): the items run while a probe ran, and a warm-up measured beside them", () => {
  it("says both", () => {
    const measured = {
      ...workload(400, 5),
      warmup: { excessMs: 40, items: 4, settled: true, busyThreads: 2, source: "probe" as const },
    };
    const plan = planExecution({ hardware: hardware(2), spawnCost: spawnCost(2), workload: measured });
    const overhead = { probe: 0.2, spawnCost: 0.3, sample: 120, filled: 95, plan: 0.5, total: 121 };
    const text = formatPlan(plan, measured, overhead);
    expect(text).toContain(
      "runs its first 4 items 40.0 ms slower than warm ones (measured now, beside the calling thread running items)",
    );
    expect(text).toContain("(sampling 120 ms, of which 95.0 ms ran items of the run while the probe ran)");
  });
});

describe("the module-cost cache", () => {
  it("keeps a warm-up measured beside a busy thread as such", async () => {
    await inTempDir("amorsize-modules-", async (dir) => {
      const { machineKey } = spawnCost(2);
      const warmup = { excessMs: 40, items: 4, settled: true, busyThreads: 2, source: "probe" as const };
      expect(await writeWarmup(dir, "task@hash", machineKey, warmup, 12)).toBeNull();
      expect(readModuleCost(dir, "task@hash", machineKey)).toEqual({
        warmup: { ...warmup, source: "cached" },
        readings: [{ excessMs: 40, items: 4, settled: true, busyThreads: 2 }],
        moduleLoadMs: 12,
      });
    });
  });
});

describe("prepare(): a probe candidate that cannot be cloned", () => {
  it("is left to the run, which fails or collects it as that item, and the probe takes the others", async () => {
    await inTempDir("amorsize-probe-", async (dir) => {
      const items: Record<string, unknown>[] = loggedItems(join(dir, "calls.log"));
      // Sampling starts at the middle (index 100): the probe's first candidate is the item
      // after it, which holds a function here. It runs in this thread, but cannot go to a worker.
      items[101] = { ...items[101], callback: () => {} };
      const prepared = await prepare(
        { module: fixture, export: "loggedSpin" },
        items,
        { cacheDir: dir, cache: false },
        onEightCores,
      );
      expect(prepared.workload.indices).toContain(100);
      expect(prepared.workload.warmup?.source).toBe("probe");
      // Nor does this thread run it while the probe goes on.
      expect(prepared.precomputed.has(101)).toBe(false);
      expect(prepared.failures.has(101)).toBe(false);
      // Every item that ran (sampled, probed, or run here beside the probe) ran once and is kept.
      const calls = readFileSync(join(dir, "calls.log"), "utf8").trim().split("\n").map(Number);
      expect(new Set(calls).size).toBe(calls.length);
      expect([...prepared.precomputed.keys()].sort((a, b) => a - b)).toEqual(
        [...calls].sort((a, b) => a - b),
      );
      expect(calls.length).toBeGreaterThanOrEqual(
        prepared.workload.sampled + prepared.workload.warmup!.items,
      );
    });
  });
});

describe("prepare(): no warm-up probe against a cold sample", () => {
  it("samples cold when this call imported the module and loaded code (pure)", () => {
    expect(samplesCold({ importMs: LOADING_IMPORT_MS, fresh: true })).toBe(true);
    expect(samplesCold({ importMs: LOADING_IMPORT_MS - 0.1, fresh: true })).toBe(false);
    expect(samplesCold({ importMs: 500, fresh: false })).toBe(false);
  });

  it("does not probe on the call that imported the module, and probes on the next", async () => {
    await inTempDir("amorsize-cold-", async (dir) => {
      // A module that takes at least 20 ms to load, as a library does: its first import is
      // this test's, whatever the machine's load.
      const module = join(dir, "loads-slowly.mjs");
      writeFileSync(
        module,
        `import { appendFileSync } from "node:fs";
const spin = (ms) => { const end = performance.now() + ms; while (performance.now() < end); };
spin(20);
export function work({ x, log }) { appendFileSync(log, x + "\\n"); spin(5); return x + 1; }
`,
      );
      const task = { module, export: "work" };
      const options = { cacheDir: dir, cache: false };
      const first = await prepare(task, loggedItems(join(dir, "first.log")), options, onEightCores);
      // No probe; the sample's own reading of its cold start may give a figure (its items'
      // first calls run cold too: on a busy machine one read 10.7 ms over 4 items).
      expect(first.workload.warmup?.source).not.toBe("probe");
      expect(first.workload.moduleLoadMs).toBeGreaterThanOrEqual(20);
      const second = await prepare(task, loggedItems(join(dir, "second.log")), options, onEightCores);
      expect(second.workload.warmup?.source).toBe("probe");
    });
  });

  it("runs an item longer than the probe's budget here beside the probe only once the probe's workers have imported the task", async () => {
    await inTempDir("amorsize-after-", async (dir) => {
      const module = join(dir, "long-items.mjs");
      writeFileSync(
        module,
        `import { appendFileSync, readFileSync } from "node:fs";
${COMPUTE_SOURCE}
export function work({ x, log }) { appendFileSync(log, x + " " + (performance.timeOrigin + performance.now()) + "\\n"); compute(100); return x + 1; }
`,
      );
      const task = { module, export: "work" };
      const at = () => performance.timeOrigin + performance.now();
      // A warm thread, as a program's earlier call leaves it (see the test below).
      await import(pathToFileURL(module).href);
      const log = join(dir, "items.log");
      await prepare(task, [{ x: 9, log }], { cache: false, warmup: { probe: false } }, onEightCores);
      writeFileSync(log, "");
      // The probe's pool: its workers' import takes 60 ms, each of its units 100 ms.
      const preload = { calledAt: 0, doneAt: 0 };
      const pool = {
        workers: 2,
        preload: async () => {
          preload.calledAt = at();
          await new Promise((resolve) => setTimeout(resolve, 60));
          preload.doneAt = at();
          return [12];
        },
        map: async (_task: unknown, chunk: ReadonlyArray<{ x: number }>) => {
          // Its item takes about what one does here.
          await new Promise((resolve) => setTimeout(resolve, 100));
          return {
            results: chunk.map((item) => item.x + 1),
            errors: [],
            report: { busyMs: 100, queuedMs: 0 },
          };
        },
        close: async () => undefined,
      } as unknown as Executor;
      // Three items of 100 ms on 8 cores: one sampled here, one for the probe, one for this thread.
      const items = [0, 1, 2].map((x) => ({ x, log }));
      const options = { cache: false, warmup: { cache: false } };
      const prepared = await prepare(task, items, options, { ...onEightCores, probePool: () => pool });
      expect(preload.calledAt).toBeGreaterThan(0);
      const starts = readFileSync(log, "utf8")
        .trim()
        .split("\n")
        .map((line) => Number(line.split(" ")[1]));
      // Every item run here started before the probe began, or after its workers' import.
      const beside = starts.filter((t) => t >= preload.calledAt);
      expect(beside.length).toBeGreaterThan(0);
      for (const t of beside) expect(t).toBeGreaterThanOrEqual(preload.doneAt);
      // Every item ran once: each result kept, here or from the probe.
      expect(starts).toHaveLength(2);
      expect(prepared.precomputed.size).toBe(3);
      expect(prepared.workload.warmup?.source).toBe("probe");
    });
  }, 30_000);

  it("keeps the probe's fresh-worker import with the cached warm-up: this thread's, of a module it has, says nothing of it", async () => {
    await inTempDir("amorsize-cold-", async (dir) => {
      const module = join(dir, "loads-slowly-too.mjs");
      writeFileSync(
        module,
        `import { appendFileSync } from "node:fs";
const spin = (ms) => { const end = performance.now() + ms; while (performance.now() < end); };
spin(20);
export function work({ x, log }) { appendFileSync(log, x + "\\n"); spin(5); return x + 1; }
`,
      );
      const task = { module, export: "work" };
      // The caller imported the module first, as a program that also calls the task does:
      // this thread finds it loaded, in about a millisecond.
      await import(pathToFileURL(module).href);
      // And a call has found it: what this thread's own import took is then on record, and
      // the calls below are not the one that imported it, so they are never read as cold
      // (a first call's import of a module the thread had, found in the cache, took 5 ms of
      // wall time and more beside busy processes, was read as loading code, and no probe ran).
      // It has run the task too (two items, no probe): the calls below sample a warm thread.
      const warm = { cache: false, warmup: { probe: false }, sample: { minItems: 2, maxItems: 2 } };
      await prepare(task, loggedItems(join(dir, "warm.log")), warm, onEightCores);
      // The plan cache off (every call samples), the module-cost cache on.
      const options = { cacheDir: dir, cache: false, warmup: { cache: true } };
      const probed = await prepare(task, loggedItems(join(dir, "first.log")), options, onEightCores);
      expect(probed.workload.warmup?.source).toBe("probe");
      const key = `${resolveTask(task).key}@${await moduleHash(resolveTask(task))}`;
      const { machineKey } = spawnCost(8);
      expect(readModuleCost(dir, key, machineKey)?.readings).toHaveLength(1);
      // A cached figure that leaves the plan parallel stands: no probe, no reading added.
      const cached = await prepare(task, loggedItems(join(dir, "cached.log")), options, onEightCores);
      expect(cached.workload.warmup?.source).toBe("cached");
      expect(readModuleCost(dir, key, machineKey)?.readings).toHaveLength(1);
      expect(cached.workload.moduleLoadMs).toBeGreaterThanOrEqual(20);

      // A cached figure that alone keeps the plan serial, with fewer than REPROBE_BELOW_READINGS
      // readings (one probe a busy moment slowed), is probed again.
      const other = join(dir, "other-cache");
      const entry = () => readModuleCost(other, key, machineKey);
      const slowed = { excessMs: 1e6, items: 4, settled: false, source: "probe" as const };
      expect(await writeWarmup(other, key, machineKey, slowed)).toBeNull();
      const again = { ...options, cacheDir: other };
      // A probe that reads nothing (its worker died after its unit) leaves it to stand, adding nothing.
      const died = {
        map: async (_task: unknown, units: readonly unknown[]) => ({
          results: units.map(() => undefined),
          errors: [new WorkerCrashedError([0, 0], new Error("gone"), { after: true })],
          report: {},
        }),
        close: async () => undefined,
      };
      const unread = await prepare(task, loggedItems(join(dir, "died.log")), again, {
        ...onEightCores,
        probePool: () => died as unknown as Executor,
      });
      expect(unread.workload.warmup).toEqual({ ...slowed, source: "cached" });
      expect(entry()?.readings).toHaveLength(1);
      // A probe that reads: the lesser of the two readings is the call's figure, its own.
      const reprobed = await prepare(task, loggedItems(join(dir, "reprobed.log")), again, onEightCores);
      expect(entry()?.readings).toHaveLength(2);
      expect(entry()?.readings[0]?.excessMs).toBe(1e6);
      expect(reprobed.workload.warmup?.source).toBe("probe");
      expect(reprobed.workload.warmup?.excessMs).toBe(entry()?.warmup.excessMs);
      expect(reprobed.workload.warmup?.excessMs).toBeLessThan(1e6);
      expect(entry()?.moduleLoadMs).toBeGreaterThanOrEqual(20);
      // That figure leaves the plan parallel: the next call reads it.
      const settled = await prepare(task, loggedItems(join(dir, "settled.log")), again, onEightCores);
      expect(settled.workload.warmup?.source).toBe("cached");
      expect(entry()?.readings).toHaveLength(2);

      // Two readings that both keep the plan serial stand: no third probe.
      const third = join(dir, "third-cache");
      expect(await writeWarmup(third, key, machineKey, slowed)).toBeNull();
      expect(await writeWarmup(third, key, machineKey, slowed)).toBeNull();
      expect(readModuleCost(third, key, machineKey)?.readings).toHaveLength(2);
      expect(REPROBE_BELOW_READINGS).toBe(2);
      const twice = await prepare(
        task,
        loggedItems(join(dir, "twice.log")),
        { ...options, cacheDir: third },
        onEightCores,
      );
      expect(twice.workload.warmup).toEqual({ ...slowed, source: "cached" });
      expect(readModuleCost(third, key, machineKey)?.readings).toHaveLength(2);
    });
  });
});

/**
 * Writes a module that loads for 20 ms and whose k-th call in a thread computes 48/k^2 ms,
 * at least 1 ms: V8's compiling as it goes, in miniature. The calls compute for that much
 * of their thread's CPU time (its schedstat, on Linux; wall time elsewhere, never past 20
 * times the time), not a stretch of wall time: sampling reads an item's own time, less the
 * time it waited for a core, and a wall-clock spin's own time shrank by that much on a
 * busy machine, blurring the cold start (as a count of loop iterations timed at load did
 * when the timing itself was preempted). Its path.
 */
function warmingModule(dir: string, name: string): string {
  const module = join(dir, name);
  writeFileSync(
    module,
    `import { readFileSync } from "node:fs";
const spin = (ms) => { const end = performance.now() + ms; while (performance.now() < end); };
${COMPUTE_SOURCE}
spin(20);
let calls = 0;
export function warming(x) { calls++; compute(Math.max(1, 48 / calls ** 2)); return x + 1; }
`,
  );
  return module;
}

/**
 * The later items' pace: the median time of the last third of the items sampling timed
 * alone, as they ran (a warming module's items are all timed alone), the warm reference a
 * cold reading scales the figures to. Read from the same items as the figures, it moves
 * with them when the machine is busy: against the sampled mean, a sample of six items whose
 * last two ran slow (preempted, on CI) read 7.0 ms against "under 6.1".
 */
function laterItemsMs(prepared: { timedItems?: readonly { ms: number }[] | undefined }): number {
  const times = (prepared.timedItems ?? []).map((item) => item.ms);
  expect(times.length).toBeGreaterThanOrEqual(COLD_MIN_ITEMS);
  return median(times.slice(Math.floor((2 * times.length) / 3)));
}

describe("prepare(): a cold sample read as the task runs warm", () => {
  it("samples longer, scales the item times to the later items', and takes the warm-up from the earlier ones", async () => {
    await inTempDir("amorsize-cold-", async (dir) => {
      const module = warmingModule(dir, "warms-up.mjs");
      const items = Array.from({ length: 300 }, (_, x) => x);
      const onTwoCores = { machine: { hardware: hardware(2), spawnCost: spawnCost(2) } };
      // A budget no loaded machine spends before the cold items' count: at load 5 on 2 cores,
      // 4 items took the default 250 ms of wall time and sampling stopped short of 6.
      const options = { cache: false, sample: { budgetMs: 10_000 } };
      const prepared = await prepare({ module, export: "warming" }, items, options, onTwoCores);
      const { workload } = prepared;
      expect(workload.warmup).toMatchObject({ source: "sampled", excessMs: expect.any(Number) });
      expect(workload.warmup!.excessMs).toBeGreaterThan(0);
      // More than the 3 items a warm thread's budget would stop at.
      expect(workload.sampled).toBeGreaterThanOrEqual(COLD_MIN_ITEMS);
      // The items' time is read at the later items' pace (read raw, 1.5-1.8 times it here).
      expect(workload.itemTimeMs.mean).toBeLessThanOrEqual(1.1 * laterItemsMs(prepared));
      for (const [index, result] of prepared.precomputed) expect(result).toBe(index + 1);
      const { hardware: hw, spawnCost: sc, constraints } = prepared;
      const plan = planExecution({ hardware: hw, spawnCost: sc, workload, constraints });
      expect(formatPlan(plan, workload)).toContain("measured in the sample's cold start");
    });
  });

  it("reads a task the caller imported but never ran as cold, and the next call's sample as warm", async () => {
    await inTempDir("amorsize-cold-", async (dir) => {
      const module = warmingModule(dir, "imported-unrun.mjs");
      // The caller imported the module (its 20 ms load is this test's): this thread finds it
      // loaded in about a millisecond, and the task has never run here.
      await import(pathToFileURL(module).href);
      const task = { module, export: "warming" };
      const onTwoCores = { machine: { hardware: hardware(2), spawnCost: spawnCost(2) } };
      const options = { cache: false, warmup: { cache: false }, sample: { budgetMs: 10_000 } };
      const items = Array.from({ length: 300 }, (_, x) => x);
      const first = await prepare(task, items, options, onTwoCores);
      expect(first.workload.warmup).toMatchObject({ source: "sampled" });
      expect(first.workload.sampled).toBeGreaterThanOrEqual(COLD_MIN_ITEMS);
      // The items' time is read at the later items' pace (read raw, 1.5-1.8 times it here).
      expect(first.workload.itemTimeMs.mean).toBeLessThanOrEqual(1.1 * laterItemsMs(first));
      // The task has run here now: the next call's items are warm, and read no warm-up of this thread's.
      const second = await prepare(task, items, options, onTwoCores);
      expect(second.workload.warmup?.source).not.toBe("sampled");
    });
  });

  it("probes only against a sample taken warm (pure)", () => {
    const warm = { loaded: false, unrun: false, guarded: false, warmHere: false };
    expect(probesAgainst(warm)).toBe(true);
    // This call's import loaded code: never.
    expect(probesAgainst({ ...warm, loaded: true })).toBe(false);
    expect(probesAgainst({ ...warm, loaded: true, warmHere: true })).toBe(false);
    // The task had not run here: only when its sample read warm, or ran in a worker.
    expect(probesAgainst({ ...warm, unrun: true })).toBe(false);
    expect(probesAgainst({ ...warm, unrun: true, warmHere: true })).toBe(true);
    expect(probesAgainst({ ...warm, unrun: true, guarded: true })).toBe(true);
  });

  it("takes a sample of the unrun task as warm only from enough computing items that read no warm-up (pure)", () => {
    expect(sampledWarm(COLD_MIN_ITEMS, 1, false)).toBe(true);
    expect(sampledWarm(COLD_MIN_ITEMS - 1, 1, false)).toBe(false);
    expect(sampledWarm(COLD_MIN_ITEMS, COLD_MIN_CPU_SHARE - 0.01, false)).toBe(false);
    expect(sampledWarm(COLD_MIN_ITEMS, 1, true)).toBe(false);
  });
});

describe("execute(): a fresh worker's warm-up from the module-cost cache", () => {
  it("rests the plan on the cached figure, says it was cached, and shows it", async () => {
    const resolved = resolveTask(task);
    const hash = await moduleHash(resolved);
    const { machineKey } = await measureSpawnCost({ cacheDir: TEST_CACHE_DIR });
    const warmup = { excessMs: 123, items: 2, settled: false, source: "probe" as const };
    expect(await writeWarmup(TEST_CACHE_DIR, `${resolved.key}@${hash}`, machineKey, warmup)).toBeNull();

    const result = await execute<number>(task, items, {
      cacheDir: TEST_CACHE_DIR,
      cache: false,
      warmup: { cache: true },
    });
    expect(result.results).toEqual(items.map((x) => x * 2));
    expect(result.optimized.workload.warmup).toEqual({
      excessMs: 123,
      items: 2,
      settled: false,
      source: "cached",
    });
    expect(formatPlan(result.plan, result.optimized.workload)).toContain(
      "runs its first 2 items 123 ms slower than warm ones (cached)",
    );

    // Off: neither read nor measured.
    const off = await execute<number>(task, items, {
      cacheDir: TEST_CACHE_DIR,
      cache: false,
      warmup: { cache: false, probe: false },
    });
    expect(off.results).toEqual(items.map((x) => x * 2));
    expect(off.optimized.workload.warmup).toBeUndefined();
  });

  it("gives the cached figures to the pool started while sampling, beside a machine the model takes", async () => {
    const seen: { machine: Machine; cached: unknown }[] = [];
    await prepare(
      task,
      items,
      { cacheDir: TEST_CACHE_DIR, cache: false, warmup: { cache: true } },
      {
        onFirstTiming: (_itemMs, machine, _total, cached) => seen.push({ machine, cached }),
      },
    );
    expect(seen).toHaveLength(1);
    const [{ machine, cached }] = seen as [{ machine: Machine; cached: ModuleCosts }];
    // The entry was written with a warm-up and no import time.
    expect(cached.warmup).toEqual({ excessMs: 123, items: 2, settled: false, source: "cached" });
    expect(cached.moduleLoadMs).toBeNull();
    expect(Object.keys(machine).sort()).toEqual(["constraints", "hardware", "spawnCost"]);
    // The early pool's rule plans with both: a machine carrying more is rejected by the model.
    expect(() => earlyPoolWorkers(5, 1000, machine, cached)).not.toThrow();
  });

  it("rejects a warm-up option of the wrong type, naming it", async () => {
    const bad = execute(task, items, { warmup: { probe: "yes" as unknown as boolean } });
    await expect(bad).rejects.toBeInstanceOf(AmorsizeValidationError);
    await expect(bad).rejects.toThrow("options.warmup.probe");
  });
});
