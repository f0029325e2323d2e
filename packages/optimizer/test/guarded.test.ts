// Sampling where the protection holds: with isolate, chunkTimeoutMs or resourceLimits, a
// sampled item that exits, aborts, loops, never settles, runs out of memory or returns
// what cannot be cloned fails as that item, with every other result kept. In the calling
// thread, the exit or the abort would end this test process.

import { threadId } from "node:worker_threads";
import { type ExecuteOptions, ExecutionReportSchema } from "@amorsize/types";
import { describe, expect, it } from "@jest/globals";
import { execute, optimize, sampleTask } from "../src/index.js";
import { spreadIndices } from "../src/sample.js";
import { TEST_CACHE_DIR } from "./cache-dir.js";

const fixture = new URL("./fixtures/misbehaves.mjs", import.meta.url).pathname;
const task = (name: string) => ({ module: fixture, export: name });
const items = Array.from({ length: 8 }, (_, i) => i);
const base: ExecuteOptions = { cacheDir: TEST_CACHE_DIR, cache: false, onError: "collect" };

/** How long past its time-out a misbehaving item may take to become an error (the bound). */
const SLACK_MS = 10_000;

describe("guarded sampling", () => {
  it("samples item 4 first among 8 items: the fixtures misbehave there", () => {
    expect(spreadIndices(8).next().value).toBe(4);
  });

  it.each<[string, ExecuteOptions, string, number]>([
    ["exitsAtFour", { isolate: true }, "AMORSIZE_WORKER_CRASHED", 0],
    ["abortsAtFour", { isolate: true }, "AMORSIZE_ITEM_FAILED", 0],
    ["loopsAtFour", { chunkTimeoutMs: 400 }, "AMORSIZE_CHUNK_TIMEOUT", 400],
    ["neverSettlesAtFour", { isolate: true }, "AMORSIZE_ITEM_UNSETTLED", 0],
    [
      "runsOutOfMemoryAtFour",
      { resourceLimits: { maxOldGenerationSizeMb: 32 } },
      "AMORSIZE_WORKER_CRASHED",
      0,
    ],
    ["uncloneableAtFour", { isolate: true }, "AMORSIZE_RESULT_NOT_CLONEABLE", 0],
  ])("%s: the item fails with its code, every other result is kept", async (name, guard, code, timeoutMs) => {
    const started = performance.now();
    const { results, errors, report } = await execute<number>(task(name), items, { ...base, ...guard });
    expect(performance.now() - started).toBeLessThan(timeoutMs + SLACK_MS);
    expect(results).toEqual([0, 2, 4, 6, undefined, 10, 12, 14]);
    expect(errors).toHaveLength(1);
    // Every one names item 4 by its range; a time-out is a chunk's, so its index is null.
    expect(errors[0]).toMatchObject({ code, range: [4, 4] });
    expect(ExecutionReportSchema.parse(report)).toMatchObject({ failed: 1, succeeded: 7, items: 8 });
    expect(report.errors).toEqual([expect.objectContaining({ code, range: [4, 4] })]);
  });

  it("starts the next sampled item's time-out once the replacement worker has imported the task", async () => {
    // The import takes 600 ms, past the 400 ms time-out. After item 4 timed out, the pool's
    // replacement worker imported the task inside item 2's time-out, which it then lost
    // (the executor's chunk clock now counts from the items' start).
    const slowLoops = {
      module: new URL("./fixtures/slow-import-loops.mjs", import.meta.url).pathname,
      export: "loopsAtFour",
    };
    const { results, errors } = await execute<number>(slowLoops, items, { ...base, chunkTimeoutMs: 400 });
    expect(results).toEqual([0, 2, 4, 6, undefined, 10, 12, 14]);
    expect(errors).toEqual([expect.objectContaining({ code: "AMORSIZE_CHUNK_TIMEOUT", range: [4, 4] })]);
  });

  it("in the calling thread, an uncloneable result at a sampled index is kept, as a loop keeps it", async () => {
    const { results, errors, plan } = await execute<unknown>(task("uncloneableAtFour"), items, base);
    // No worker was to send it back: the call stays in the calling thread (see unsendable.ts).
    expect(errors).toEqual([]);
    expect(typeof results[4]).toBe("function");
    expect(results.filter((r) => typeof r !== "function")).toEqual([0, 2, 4, 6, 10, 12, 14]);
    expect(plan.reasons[0]?.code).toBe("ITEMS_NOT_SENDABLE");
  });

  it("in the calling thread, an uncloneable item at a sampled index runs there: the task's own error, if any", async () => {
    // Item 4, sampled first, is a symbol: no worker could be sent it, and `doubles` throws on it.
    const data: unknown[] = [...items];
    data[4] = Symbol("four");
    const { results, errors } = await execute<number>(task("doubles"), data, base);
    expect(errors).toEqual([expect.objectContaining({ code: "AMORSIZE_ITEM_FAILED", index: 4 })]);
    expect(results).toEqual([0, 2, 4, 6, undefined, 10, 12, 14]);
  });

  it("in a worker (isolate), an uncloneable item at a sampled index is that item's error under collect", async () => {
    const data: unknown[] = [...items];
    data[4] = Symbol("four");
    const { results, errors } = await execute<number>(task("doubles"), data, { ...base, isolate: true });
    expect(errors).toEqual([expect.objectContaining({ code: "AMORSIZE_ITEM_NOT_CLONEABLE", index: 4 })]);
    expect(results).toEqual([0, 2, 4, 6, undefined, 10, 12, 14]);
  });

  it("under throw, the sampled item's failure rejects the call with its code and index", async () => {
    await expect(
      execute(task("exitsAtFour"), items, { ...base, onError: "throw", isolate: true }),
    ).rejects.toMatchObject({
      code: "AMORSIZE_WORKER_CRASHED",
      index: 4,
    });
  });
});

describe("sampling in a worker: what it measures", () => {
  it("measures the module's load in the fresh worker and does not charge it to the sampling budget", async () => {
    const slow = {
      module: new URL("./fixtures/slow-import.mjs", import.meta.url).pathname,
      export: "double",
    };
    const { workload, moduleLoadMs } = await sampleTask(slow, items, {
      isolate: true,
      budgetMs: 300,
      minItems: 3,
    });
    // The module's top level waits 400 ms; timers fire no earlier than asked.
    expect(moduleLoadMs).toBeGreaterThanOrEqual(399);
    // Charged to the 300 ms budget, that wait would leave one item sampled; not charged, three
    // trivial items fit in it with room for a busy machine's slow turns between threads.
    expect(workload.sampled).toBeGreaterThanOrEqual(3);
  });

  it("does not charge a replacement worker's start and import to the sampling budget either", async () => {
    // Item 4, sampled first, loops past the time-out; its worker is ended and the next block's
    // replacement imports the module for 600 ms. Charged to the 300 ms budget, that import
    // ended sampling after that block (one item sampled, 635-651 ms of sampling time). Left
    // out, sampling goes on past it, to two or three items (the last block's size follows
    // how fast the first ones read), and the import is no sampling time: under its 600 ms
    // whatever else is counted (5-7 ms here; item 4's time-out ran on the first worker,
    // whose start is left out too).
    const slowLoops = {
      module: new URL("./fixtures/slow-import-loops.mjs", import.meta.url).pathname,
      export: "loopsAtFour",
    };
    const { workload, failures } = await sampleTask(slowLoops, items, {
      guard: { chunkTimeoutMs: 400 },
      onError: "collect",
      budgetMs: 300,
      minItems: 3,
    });
    expect([...failures.keys()]).toEqual([4]);
    expect(workload.sampled).toBeGreaterThanOrEqual(2);
    expect(workload.sampleWallMs).toBeLessThan(600);
  });
});

describe("bounded decisions", () => {
  it("imports a guarded task's module in its workers only, never in the calling thread", async () => {
    // A top level that loops, exits or fills the heap would take the caller with it: an
    // explain of a module whose top level looped never returned, whatever its time-out.
    const callerOnly = {
      module: new URL("./fixtures/throws-in-caller.mjs", import.meta.url).pathname,
      export: "double",
    };
    process.env.AMORSIZE_TEST_CALLER_THREAD = String(threadId);
    try {
      const optimized = await optimize(callerOnly, items, { cacheDir: TEST_CACHE_DIR, cache: false });
      expect(optimized.workload.sampled).toBeGreaterThan(0);
      const { results, errors } = await execute<number>(callerOnly, items, {
        ...base,
        chunkTimeoutMs: 5_000,
      });
      expect(errors).toEqual([]);
      expect(results).toEqual(items.map((x) => x * 2));
    } finally {
      delete process.env.AMORSIZE_TEST_CALLER_THREAD;
    }
  });

  it("optimize() answers with a plan and a warning when a sampled item never returns", async () => {
    const started = performance.now();
    const result = await optimize(task("neverReturnsAtFour"), items, {
      cacheDir: TEST_CACHE_DIR,
      cache: false,
      sample: { budgetMs: 50 },
    });
    // The bound is the budget + 800 ms; the rest of the slack is for a busy machine.
    expect(performance.now() - started).toBeLessThan(50 + 800 + SLACK_MS);
    expect(result.plan.mode).toMatch(/serial|parallel|concurrent/);
    expect(result.warnings).toEqual([
      expect.objectContaining({
        code: "SAMPLE_CUT_OFF",
        message: expect.stringContaining("Sampling stopped waiting for item 4 after "),
      }),
    ]);
    // The cut-off item is a lower bound of at least the time it had, and the workload says so.
    expect(result.workload.itemTimeMs.max).toBeGreaterThanOrEqual(result.workload.itemTimeMs.mean);
    expect(result.workload.itemTimeMs.max).toBeGreaterThan(50);
    expect(result.workload.cutOff).toEqual({ items: 1, ms: expect.any(Number) });
    expect(result.workload.cutOff!.ms).toBeGreaterThan(50);
  });

  it("optimize() in the calling thread when asked (sample.isolate: false) still plans a quick task", async () => {
    const result = await optimize(task("uncloneableAtFour"), [1, 2, 3], {
      cacheDir: TEST_CACHE_DIR,
      cache: false,
      sample: { isolate: false },
    });
    expect(result.workload.sampled).toBe(3);
    expect(result.workload.moduleLoadMs).toBeGreaterThanOrEqual(0);
  });
});
