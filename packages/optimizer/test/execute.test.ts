import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ExecutionReportSchema, PlanSchema } from "@amorsize/types";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { execute, ItemError, optimize, stream } from "../src/index.js";

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
    const { results, plan, report } = await execute<number>(task("logged"), items, {
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
    expect(PlanSchema.parse(plan).totalItems).toBe(300);
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
