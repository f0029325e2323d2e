import { once } from "node:events";
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "@jest/globals";
import { CloneError, ItemError, sampleTask, spreadIndices, TaskLoadError } from "../src/index.js";

const fixture = new URL("./fixtures/tasks.mjs", import.meta.url).pathname;
const task = (name: string) => ({ module: fixture, export: name });

/** `count` threads of this process that spin (for at most 10 s) once each has said so. */
async function startSpinners(count: number): Promise<Worker[]> {
  const spinners = Array.from(
    { length: count },
    () =>
      new Worker(
        "const { parentPort } = require('node:worker_threads'); parentPort.postMessage('spinning'); const end = Date.now() + 10000; while (Date.now() < end);",
        { eval: true },
      ),
  );
  await Promise.all(spinners.map((w) => once(w, "message")));
  return spinners;
}

describe("spreadIndices", () => {
  it("visits every index once, spreading the first ones over the input", () => {
    const order = [...spreadIndices(8)];
    expect(order.slice(0, 3)).toEqual([4, 2, 6]);
    expect([...order].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect([...spreadIndices(1)]).toEqual([0]);
    expect([...spreadIndices(0)]).toEqual([]);
  });
});

describe("sampleTask", () => {
  it("samples items spread over an array and keeps their results", async () => {
    // Large enough that the 3%-of-the-job limit cannot end sampling before maxItems.
    const data = Array.from({ length: 100_000 }, (_, i) => i);
    const {
      workload,
      precomputed,
      data: rejoined,
    } = await sampleTask(task("heavy"), data, { maxItems: 8, budgetMs: 1000 });
    expect(workload.sampled).toBe(8);
    // The first three of the spread order: the middle, then the quartiles.
    expect(workload.indices).toEqual(expect.arrayContaining([50_000, 25_000, 75_000]));
    expect(Math.min(...workload.indices)).toBeLessThan(25_000);
    expect(Math.max(...workload.indices)).toBeGreaterThan(75_000);
    expect(workload.totalItems).toBe(100_000);
    for (const index of workload.indices) expect(precomputed.get(index)).toBe(index * 2);
    expect(rejoined).toBe(data);
    expect(workload.inputKind).toBe("number");
    expect(workload.source).toBe("measured");
  });

  it("re-joins a generator: nothing lost, nothing repeated", async () => {
    function* numbers() {
      for (let i = 0; i < 50; i++) yield i;
    }
    const result = await sampleTask(task("heavy"), numbers(), { minItems: 5, maxItems: 5, budgetMs: 1000 });
    expect(result.workload.indices).toEqual([0, 1, 2, 3, 4]);
    expect(result.workload.totalItems).toBeNull();
    expect([...(result.data as Iterable<number>)]).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it("times fast items in blocks of consecutive items, keeping every result", async () => {
    const data = Array.from({ length: 100_000 }, (_, i) => i);
    const { workload, precomputed } = await sampleTask(task("square"), data, { maxItems: 8, budgetMs: 1000 });
    // The first unit is one item; once items are known to be fast, units are blocks.
    expect(workload.sampled).toBeGreaterThan(8);
    expect(precomputed.size).toBe(workload.sampled);
    for (const [index, value] of precomputed) expect(value).toBe(index * index);
  });

  it("re-joins a generator sampled in blocks", async () => {
    function* numbers() {
      for (let i = 0; i < 20_000; i++) yield i;
    }
    const result = await sampleTask(task("square"), numbers(), { maxItems: 4, budgetMs: 1000 });
    expect(result.workload.sampled).toBeGreaterThan(4);
    expect(result.workload.indices).toEqual(Array.from({ length: result.workload.sampled }, (_, i) => i));
    expect([...(result.data as Iterable<number>)]).toEqual(Array.from({ length: 20_000 }, (_, i) => i));
  });

  it("re-joins an async generator, and knows the length when it read it all", async () => {
    async function* numbers() {
      for (let i = 0; i < 3; i++) yield i;
    }
    const result = await sampleTask(task("square"), numbers(), { minItems: 5, maxItems: 5 });
    expect(result.workload.totalItems).toBe(3);
    const seen: unknown[] = [];
    for await (const x of result.data as AsyncIterable<unknown>) seen.push(x);
    expect(seen).toEqual([0, 1, 2]);
  });

  it("tells an async, waiting task by its low CPU share", async () => {
    // The first item alone, then several at once, as async tasks are sampled. A sample of
    // two items is at the mercy of whatever else this thread does meanwhile: in a loaded
    // CI run a GC of 27 MB left by earlier tests burned 13-21 ms of this thread's CPU
    // inside two 20 ms waits, and the loop was never idle. The budget is generous: on a
    // loaded machine the first 20 ms wait can take over 60 ms (the default budget), and
    // sampling then rightly stops after it (the slow-item rule, tested below).
    const items = Array.from({ length: 40 }, (_, i) => i);
    const { workload } = await sampleTask(task("waits"), items, { budgetMs: 2000 });
    expect(workload.async).toBe(true);
    expect(workload.sampled).toBeGreaterThanOrEqual(8);
    expect(workload.cpuToWall).toBeLessThan(0.5);
  });

  it("does not count another thread's CPU as the task's", async () => {
    // Two threads of the same process spin through the whole sample: process.cpuUsage()
    // alone would count about two cores' time against each wait, and make the waiting
    // task look CPU-bound.
    const spinners = await startSpinners(2);
    try {
      // A generous budget, so a loaded machine's slow first wait does not end sampling early.
      const { workload } = await sampleTask(task("waits"), [1, 2, 3, 4, 5, 6, 7, 8], {
        minItems: 8,
        maxItems: 8,
        budgetMs: 2000,
      });
      expect(workload.async).toBe(true);
      expect(workload.cpuToWall).toBeLessThan(0.5);
    } finally {
      await Promise.all(spinners.map((w) => w.terminate()));
    }
  });

  it("leaves time spent queued for a core out of item times", async () => {
    const data = Array.from({ length: 2000 }, (_, i) => i);
    const options = { minItems: 12, maxItems: 12, budgetMs: 10_000 };
    const alone = await sampleTask(task("fixedWork"), data, options);
    // Four spinning threads on this process: the sampling thread waits for a core often.
    const spinners = await startSpinners(4);
    try {
      const crowded = await sampleTask(task("fixedWork"), data, options);
      // Wall time per item roughly doubles or more here; the item's own time does not.
      expect(crowded.workload.itemTimeMs.mean).toBeLessThan(1.6 * alone.workload.itemTimeMs.mean);
    } finally {
      await Promise.all(spinners.map((w) => w.terminate()));
    }
  });

  it("samples an async task several items at a time, keeping every result", async () => {
    const data = Array.from({ length: 20 }, (_, i) => i);
    const { workload, precomputed } = await sampleTask(task("tracksConcurrency"), data, {
      maxItems: 20,
      budgetMs: 5000,
    });
    const fixtureModule = (await import(fixture)) as { concurrencySeen(): number };
    expect(fixtureModule.concurrencySeen()).toBeGreaterThan(1);
    expect(workload.async).toBe(true);
    expect(workload.sampled).toBe(precomputed.size);
    for (const [index, value] of precomputed) expect(value).toBe(index);
  });

  it("stops after one slow item instead of sampling minItems", async () => {
    const { workload } = await sampleTask(task("heavy"), [1, 2, 3], { minItems: 3, budgetMs: 0.1 });
    expect(workload.sampled).toBe(1);
  });

  it("reports an item that throws with its index", async () => {
    const error = await sampleTask(task("failsOnSeven"), [5, 6, 7, 8], { minItems: 4, maxItems: 4 }).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(ItemError);
    expect(error.code).toBe("AMORSIZE_ITEM_FAILED");
    expect(error.index).toBe(2);
    expect(error.cause.message).toBe("seven is not allowed");
  });

  it("collects a failing item instead, under onError collect", async () => {
    const result = await sampleTask(task("failsOnSeven"), [5, 6, 7, 8], {
      minItems: 4,
      maxItems: 4,
      onError: "collect",
    });
    expect([...result.failures.keys()]).toEqual([2]);
    expect(result.precomputed.has(2)).toBe(false);
    expect(result.workload.sampled).toBe(3);
  });

  it("tells which item's promise rejected, first or later", async () => {
    // The spread order of 4 items starts at index 2 (the 7): the first, awaited alone.
    const first = await sampleTask(task("rejectsOnSeven"), [5, 6, 7, 8], { minItems: 4, maxItems: 4 }).catch(
      (e) => e,
    );
    expect(first).toBeInstanceOf(ItemError);
    expect(first.index).toBe(2);
    const later = await sampleTask(task("rejectsOnSeven"), [5, 6, 8, 7], {
      minItems: 4,
      maxItems: 4,
      onError: "collect",
    });
    expect([...later.failures.keys()]).toEqual([3]);
    expect([...later.precomputed.entries()].sort((a, b) => a[0] - b[0])).toEqual([
      [0, 5],
      [1, 6],
      [2, 8],
    ]);
  });

  it("collects failures inside blocks of fast items with their own indices, running the rest", async () => {
    const data = Array.from({ length: 20_000 }, (_, i) => i);
    const result = await sampleTask(task("failsOnThrees"), data, { maxItems: 6, onError: "collect" });
    // Blocks of consecutive items: every tenth one failed, and the items after it still ran.
    expect(result.failures.size).toBeGreaterThan(5);
    for (const [index, error] of result.failures) {
      expect(index % 10).toBe(3);
      expect((error as Error).message).toBe(`bad ${index}`);
    }
    expect(result.precomputed.size).toBeGreaterThan(50);
    for (const [index, value] of result.precomputed) {
      expect(index % 10).not.toBe(3);
      expect(value).toBe(index * 2);
    }
    const thrown = await sampleTask(task("failsOnThrees"), data, { maxItems: 6 }).catch((e) => e);
    expect(thrown).toBeInstanceOf(ItemError);
    expect(thrown.index % 10).toBe(3);
  });

  it("reports an uncloneable item and an uncloneable result before any worker starts", async () => {
    const item = await sampleTask(task("square"), [1, Symbol("x"), 3], { minItems: 3 }).catch((e) => e);
    expect(item).toBeInstanceOf(CloneError);
    expect(item.code).toBe("AMORSIZE_ITEM_NOT_CLONEABLE");
    expect(item.index).toBe(1);
    expect(item.message).toMatch(/^Item 1 cannot be sent to a worker: /);
    const result = await sampleTask(task("returnsFunction"), [1, 2], { minItems: 1 }).catch((e) => e);
    expect(result).toBeInstanceOf(CloneError);
    expect(result.code).toBe("AMORSIZE_RESULT_NOT_CLONEABLE");
  });

  it("names the module and export that cannot be loaded", async () => {
    const missing = await sampleTask({ module: "/nonexistent/task.mjs" }, [1]).catch((e) => e);
    expect(missing).toBeInstanceOf(TaskLoadError);
    expect(missing.code).toBe("AMORSIZE_TASK_NOT_FOUND");
    expect(missing.message).toContain("/nonexistent/task.mjs#default");
    const noExport = await sampleTask(task("nope"), [1]).catch((e) => e);
    expect(noExport.code).toBe("AMORSIZE_EXPORT_NOT_FOUND");
    expect(noExport.message).toContain('no export "nope"');
    const notFn = await sampleTask(task("notAFunction"), [1]).catch((e) => e);
    expect(notFn.code).toBe("AMORSIZE_EXPORT_NOT_FUNCTION");
  });

  it("rejects bad sample options with the option's path", async () => {
    await expect(sampleTask(task("square"), [1], { maxItems: 0 })).rejects.toThrow(
      "options.maxItems: Too small: expected number to be >0, got 0",
    );
    await expect(sampleTask(task("square"), [1], { parallelism: 0.5 })).rejects.toThrow(
      "options.parallelism: Too small: expected number to be >=1, got 0.5",
    );
    await expect(sampleTask(task("square"), [1], { onError: "ignore" as "throw" })).rejects.toThrow(
      "options.onError",
    );
  });

  it("keeps sampling a share of the job spread over the cores it may use", async () => {
    // About 4 s of serial work whose mean never gets precise: only the job share stops it.
    const data = Array.from({ length: 2000 }, (_, i) => i);
    const options = { maxItems: 1000, budgetMs: 10_000 };
    const one = await sampleTask(task("scattered"), data, { ...options, parallelism: 1 });
    const ten = await sampleTask(task("scattered"), data, { ...options, parallelism: 10 });
    // 3% of ~4 s is ~120 ms on one core; a tenth of that on ten, and at least minItems
    // (3 units). A loaded machine stretches both, so they are compared, not counted.
    expect(ten.workload.sampleWallMs * 3).toBeLessThan(one.workload.sampleWallMs);
    expect(ten.workload.sampled).toBeLessThan(one.workload.sampled);
    expect(ten.workload.sampled).toBeGreaterThanOrEqual(3);
  });

  it("reports a module that throws while loading as a load failure", async () => {
    const broken = new URL("./fixtures/throws-on-load.mjs", import.meta.url).pathname;
    const error = await sampleTask({ module: broken }, [1]).catch((e) => e);
    expect(error).toBeInstanceOf(TaskLoadError);
    expect(error.code).toBe("AMORSIZE_TASK_LOAD_FAILED");
    expect(error.message).toContain("broken at load");
  });

  it("stops reading a source that never yields when the signal aborts", async () => {
    let closed = false;
    const never: AsyncIterable<number> = {
      [Symbol.asyncIterator]: () => ({
        next: () => new Promise<IteratorResult<number>>(() => {}),
        return: async () => {
          closed = true;
          return { done: true, value: undefined };
        },
      }),
    };
    const controller = new AbortController();
    const pending = sampleTask(task("square"), never, { signal: controller.signal });
    controller.abort(new Error("enough"));
    await expect(pending).rejects.toThrow("enough");
    expect(closed).toBe(true);
  });

  it("gives an empty workload for an empty generator", async () => {
    function* none() {}
    const result = await sampleTask(task("square"), none());
    expect(result.workload.totalItems).toBe(0);
    expect(result.workload.sampled).toBe(0);
  });

  it("rejects a string instead of sampling its characters", async () => {
    await expect(sampleTask(task("square"), "abc" as never)).rejects.toThrow(
      "data: Expected an array, an iterable or an async iterable, got string",
    );
  });

  it("rejects data that is not iterable", async () => {
    await expect(sampleTask(task("square"), 42 as never)).rejects.toThrow(
      "data: Expected an array, an iterable or an async iterable, got number",
    );
  });
});
