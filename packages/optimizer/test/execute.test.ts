import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { planExecution } from "@amorsize/cost-model";
import type { BackendMapOptions, WorkloadSample } from "@amorsize/types";
import { ExecutionReportSchema, PlanSchema } from "@amorsize/types";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { execute, ItemError, type OptimizeResult, optimize, planTheRest, stream } from "../src/index.js";

const fixture = new URL("./fixtures/tasks.mjs", import.meta.url).pathname;
const task = (name: string) => ({ module: fixture, export: name });
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "amorsize-optimizer-test-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("execute", () => {
  it("runs every item exactly once, reusing sampled results", async () => {
    const log = join(dir, "calls.log");
    writeFileSync(log, "");
    const items = range(300).map((x) => ({ x, log }));
    // Force a parallel run so sampled results and worker results must be merged.
    const { results, plan, report, optimized } = await execute<number>(task("logged"), items, {
      cacheDir: dir,
      cache: false,
      workers: 2,
      minSpeedup: 1,
    });
    expect(plan.mode).toBe("parallel");
    expect(results).toEqual(range(300).map((x) => x + 1));
    const calls = readFileSync(log, "utf8").trim().split("\n").map(Number);
    expect(calls.sort((a, b) => a - b)).toEqual(range(300));
    expect(ExecutionReportSchema.parse(report).succeeded).toBe(300);
    // The plan taken covers what sampling left; the plan for the whole input is kept too.
    expect(PlanSchema.parse(plan).totalItems).toBe(300 - optimized.workload.sampled);
    expect(optimized.plan.totalItems).toBe(300);
  });

  it("re-joins a generator with nothing lost or repeated", async () => {
    function* numbers() {
      for (let i = 0; i < 500; i++) yield i;
    }
    const { results } = await execute<number>(task("square"), numbers(), { cacheDir: dir, cache: false });
    expect(results).toEqual(range(500).map((x) => x * x));
  });

  it("re-joins an async generator", async () => {
    async function* numbers() {
      for (let i = 0; i < 200; i++) yield i;
    }
    const { results } = await execute<number>(task("default"), numbers(), { cacheDir: dir, cache: false });
    expect(results).toEqual(range(200).map((x) => 2 * x));
  });

  it("puts predicted and measured wall time side by side", async () => {
    const { check, overheadMs, wallMs } = await execute(task("square"), range(1000), {
      cacheDir: dir,
      cache: false,
    });
    expect(check.predictedWallMs).toBeGreaterThanOrEqual(0);
    expect(check.measuredWallMs).toBeGreaterThan(0);
    expect(wallMs).toBeGreaterThanOrEqual(check.measuredWallMs + overheadMs.sample);
    // End to end: the time spent deciding (measured) plus the run (predicted), against the call's wall time.
    const e2e = check.endToEnd;
    expect(e2e.decidedMs).toBeGreaterThanOrEqual(overheadMs.total);
    expect(e2e.predictedMs).toBeCloseTo(e2e.decidedMs + check.predictedWallMs, 6);
    expect(e2e.measuredMs).toBe(wallMs);
    expect(e2e.predictedSpeedup).toBeCloseTo(e2e.serialMs / e2e.predictedMs, 6);
    expect(e2e.measuredSpeedup).toBeCloseTo(e2e.serialMs / wallMs, 6);
  });

  it("returns an empty result for an empty input without starting anything", async () => {
    const { results, plan } = await execute(task("square"), [], { cacheDir: dir });
    expect(results).toEqual([]);
    expect(plan.mode).toBe("serial");
    expect(plan.reasons[0]?.code).toBe("NO_ITEMS");
  });

  it("collects a failure found while sampling together with the rest", async () => {
    const items = range(20);
    const { results, errors, report } = await execute<number>(task("failsOnSeven"), items, {
      cacheDir: dir,
      cache: false,
      onError: "collect",
      sample: { minItems: 20, maxItems: 20 },
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(ItemError);
    expect((errors[0] as ItemError).index).toBe(7);
    expect(results[7]).toBeUndefined();
    expect(results[8]).toBe(8);
    expect(report.failed).toBe(1);
    expect(report.succeeded).toBe(19);
  });

  it("rejects bad options with the option's path", async () => {
    await expect(execute(task("square"), [1], { maxWorkers: -1 })).rejects.toThrow(
      "options.maxWorkers: Too small: expected number to be >0, got -1",
    );
    await expect(execute(task("square"), [1], { onError: "ignore" as never })).rejects.toThrow(
      'options.onError: Invalid option: expected one of "throw"|"collect", got "ignore"',
    );
  });

  it("rejects an aborted signal before doing anything", async () => {
    const controller = new AbortController();
    controller.abort(new Error("stop"));
    await expect(execute(task("square"), [1], { signal: controller.signal })).rejects.toThrow("stop");
  });
});

describe("planning the items sampling left", () => {
  // Three 300 ms items on four usable cores, the middle one already run while sampling.
  let base: OptimizeResult;
  beforeAll(async () => {
    const real = await optimize(task("square"), range(10), { cacheDir: dir, cache: false });
    const hardware = {
      ...real.hardware,
      cores: { ...real.hardware.cores, usable: { ...real.hardware.cores.usable, value: 4 } },
    };
    const workload: WorkloadSample = {
      ...real.workload,
      sampled: 1,
      indices: [1],
      totalItems: 3,
      itemTimeMs: { mean: 300, median: 300, p90: 300, max: 300, cv: 0 },
      cpuToWall: 1,
      async: false,
    };
    // Start-up figures of their own: the machine's, measured cold under load, can be nearly flat.
    const figure = (value: number) => ({ value, provenance: "measured" as const, samples: 9, spread: 0.5 });
    const spawnCost = {
      ...real.spawnCost,
      workerStart: { fixedMs: figure(20), perWorkerMs: figure(10) },
    };
    const plan = planExecution({ hardware, spawnCost, workload, constraints: {} });
    base = {
      ...real,
      hardware,
      spawnCost,
      workload,
      plan,
      precomputed: new Map([[1, 1]]),
      failures: new Map(),
    };
  });

  it("gives the remaining items a plan of their own, saying why", () => {
    expect(base.plan).toMatchObject({ mode: "parallel", workers: 3, chunkSize: 1, totalItems: 3 });
    const rest = planTheRest(base, {});
    expect(rest).toMatchObject({ mode: "parallel", workers: 2, chunkSize: 1, totalItems: 2 });
    expect(rest.reasons[0]).toEqual({
      code: "SAMPLED_ITEMS_DONE",
      message: "1 of 3 items ran while sampling; this plan covers the 2 that remain.",
    });
    expect(PlanSchema.parse(rest)).toBeTruthy();
  });

  it("leaves the plan alone when sampling ran nothing of the input, or the plan is serial", () => {
    const none = { ...base, precomputed: new Map() };
    expect(planTheRest(none, {})).toBe(none.plan);
    const serial = { ...base, plan: { ...base.plan, mode: "serial" } as OptimizeResult["plan"] };
    expect(planTheRest(serial, {})).toBe(serial.plan);
  });

  it("keeps a pool started while sampling when its paid start-up makes it no slower", () => {
    // Started long ago: its start-up is paid, and three workers for two items cost nothing more.
    expect(planTheRest(base, {}, { workers: 3, startedMsAgo: 10_000 })).toMatchObject({ workers: 3 });
    // Started just now: a third worker's start-up is a cost for nothing.
    expect(planTheRest(base, {}, { workers: 3, startedMsAgo: 0 })).toMatchObject({ workers: 2 });
  });
});

describe("workers started while sampling", () => {
  const ports = () => process.getActiveResourcesInfo().filter((name) => name === "MessagePort").length;

  it("are used for the run when the plan wants them, and closed afterwards", async () => {
    const before = ports();
    const items = range(150);
    const { results, plan } = await execute<number>(task("twoMs"), items, { cacheDir: dir, cache: false });
    expect(plan.mode).toBe("parallel");
    expect(results).toEqual(items.map((x) => x + 1));
    expect(ports()).toBe(before);
  });

  it("are closed when sampling fails after they started", async () => {
    const before = ports();
    // The first sampled index of 150 items is 75 (heavy: workers start); the second is 37.
    const items: unknown[] = range(150);
    items[37] = Symbol("not cloneable");
    const error = await execute(task("twoMs"), items, { cacheDir: dir, cache: false }).catch((e) => e);
    expect(error.code).toBe("AMORSIZE_ITEM_NOT_CLONEABLE");
    expect(error.index).toBe(37);
    expect(ports()).toBe(before);
  });
});

describe("execute on unusual inputs", () => {
  it("returns an empty result for an empty generator and an empty async generator", async () => {
    function* none() {}
    async function* noneAsync() {}
    expect((await execute(task("square"), none(), { cacheDir: dir })).results).toEqual([]);
    const result = await execute(task("square"), noneAsync(), { cacheDir: dir });
    expect(result.results).toEqual([]);
    expect(result.plan.reasons[0]?.code).toBe("NO_ITEMS");
  });

  it("collects errors when every sampled item fails", async () => {
    const { results, errors, report } = await execute(task("failsOnSeven"), [7], {
      cacheDir: dir,
      cache: false,
      onError: "collect",
    });
    expect(results).toEqual([undefined]);
    expect(errors.map((e) => (e as ItemError).index)).toEqual([0]);
    expect(report.failed).toBe(1);
  });

  it("honours an abort while sampling a source that never yields", async () => {
    const never: AsyncIterable<number> = {
      [Symbol.asyncIterator]: () => ({ next: () => new Promise<IteratorResult<number>>(() => {}) }),
    };
    const controller = new AbortController();
    const pending = execute(task("square"), never, {
      cacheDir: dir,
      cache: false,
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(new Error("aborted by the caller")), 50);
    await expect(pending).rejects.toThrow("aborted by the caller");
  });
});

describe("stream", () => {
  it("reports sampled failures under collect and has a report after an early break", async () => {
    async function* numbers() {
      for (let i = 0; i < 20; i++) yield i;
    }
    const results = stream<number>(task("failsOnSeven"), numbers(), {
      cacheDir: dir,
      cache: false,
      onError: "collect",
      sample: { minItems: 20, maxItems: 20 },
    });
    const seen: number[] = [];
    for await (const { index } of results) seen.push(index);
    expect(seen).toEqual(range(20).filter((i) => i !== 7));
    expect(results.errors.map((e) => (e as ItemError).index)).toEqual([7]);
    expect(results.report().failed).toBe(1);
    expect(results.report().succeeded).toBe(19);

    const early = stream<number>(task("square"), range(100), { cacheDir: dir, cache: false });
    for await (const { index } of early) if (index === 3) break;
    expect(early.report().items).toBeGreaterThan(0);
  });

  it("yields every result of an async source in order, with a plan and a report", async () => {
    async function* numbers() {
      for (let i = 0; i < 300; i++) yield i;
    }
    const results = stream<number>(task("square"), numbers(), { cacheDir: dir, cache: false });
    expect(() => results.report()).toThrow("once the stream has ended");
    const seen: number[] = [];
    for await (const { index, value } of results) {
      expect(value).toBe(index * index);
      seen.push(index);
    }
    expect(seen).toEqual(range(300));
    expect(results.plan).toBeDefined();
    expect(results.report().items).toBe(300);
  });
});

describe("the plan cache", () => {
  it("hits for the same task and size, misses when the module changes, and survives a corrupt file", async () => {
    const cacheDir = mkdtempSync(join(dir, "plans-"));
    const module = join(cacheDir, "task.mjs");
    writeFileSync(module, "export default (x) => x + 1;\n");
    const items = range(100);
    const first = await optimize({ module }, items, { cacheDir });
    expect(first.workloadSource).toBe("sampled");
    const second = await optimize({ module }, items, { cacheDir });
    expect(second.workloadSource).toBe("cached");
    expect(second.precomputed.size).toBe(0);
    // Same size bucket (65..128 items) reuses it too.
    expect((await optimize({ module }, range(120), { cacheDir })).workloadSource).toBe("cached");
    // Another size bucket does not.
    expect((await optimize({ module }, range(1000), { cacheDir })).workloadSource).toBe("sampled");

    writeFileSync(module, "export default (x) => x + 2;\n");
    expect((await optimize({ module }, items, { cacheDir })).workloadSource).toBe("sampled");

    const { readdirSync } = await import("node:fs");
    for (const file of readdirSync(join(cacheDir, "plans")))
      writeFileSync(join(cacheDir, "plans", file), "{ not json");
    const afterCorruption = await optimize({ module }, items, { cacheDir });
    expect(afterCorruption.workloadSource).toBe("sampled");
    expect(afterCorruption.warnings.map((w) => w.code)).toContain("PLAN_CACHE_IGNORED");
    expect((await optimize({ module }, items, { cacheDir })).workloadSource).toBe("cached");
    expect((await optimize({ module }, items, { cacheDir, cache: false })).workloadSource).toBe("sampled");
  });
});

describe("execute with a run backend", () => {
  /** An in-process stand-in for a backend such as @amorsize/cluster's, recording what it was asked. */
  function fakeBackend(use: boolean) {
    const calls: { chunkSize: number; precomputed: number[]; items: number }[] = [];
    const backend = {
      kind: "fake",
      async plan() {
        return {
          use,
          workers: 3,
          chunkSize: 10,
          predictedWallMs: 12,
          reasons: [{ code: "FAKE", message: "test" }],
        };
      },
      async map(
        task: { module: string; export: string },
        items: Iterable<unknown>,
        options: BackendMapOptions,
      ) {
        const fn = ((await import(task.module)) as Record<string, (x: unknown) => unknown>)[task.export]!;
        const all = [...items];
        calls.push({
          chunkSize: options.chunkSize,
          precomputed: [...(options.precomputed?.keys() ?? [])],
          items: all.length,
        });
        const results = all.map((x, i) => (options.precomputed?.has(i) ? options.precomputed.get(i) : fn(x)));
        const report = {
          items: all.length,
          succeeded: all.length - (options.precomputed?.size ?? 0),
          precomputed: options.precomputed?.size ?? 0,
          failed: 0,
          wallMs: 5,
          chunks: 4,
          busyMs: 8,
        };
        return { results, errors: [], report };
      },
    };
    return { backend, calls };
  }

  it("runs there when the backend's plan says so, reusing sampled results", async () => {
    const { backend, calls } = fakeBackend(true);
    const items = range(40);
    const result = await execute<number>(task("square"), items, { cacheDir: dir, cache: false, backend });
    expect(result.results).toEqual(items.map((x) => x * x));
    expect(result.report.mode).toBe("cluster");
    expect(result.report.chunkSize).toBe(10);
    expect(result.backend?.decision.use).toBe(true);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.chunkSize).toBe(10);
    expect(calls[0]?.precomputed.sort((a, b) => a - b)).toEqual(result.optimized.workload.indices);
    expect(result.check.predictedWallMs).toBe(12);
  });

  it("keeps the local plan when the backend declines", async () => {
    const { backend, calls } = fakeBackend(false);
    const result = await execute<number>(task("square"), range(40), { cacheDir: dir, cache: false, backend });
    expect(calls).toHaveLength(0);
    expect(result.report.mode).not.toBe("cluster");
    expect(result.backend?.decision.use).toBe(false);
  });

  it("rejects something that is not a backend, and a backend given to stream()", async () => {
    await expect(execute(task("square"), [1], { backend: {} as never })).rejects.toThrow(
      "options.backend: Expected a run backend (an object with plan() and map(), e.g. cluster() from @amorsize/cluster)",
    );
    expect(() => stream(task("square"), [1], { backend: fakeBackend(true).backend as never })).toThrow(
      "options.backend: stream() runs on this machine; use execute() with a backend",
    );
  });
});
