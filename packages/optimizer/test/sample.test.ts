import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { planExecution } from "@amorsize/cost-model";
import { describe, expect, it } from "@jest/globals";
import { formatPlan } from "../src/format.js";
import { CloneError, ItemError, sampleTask, TaskLoadError } from "../src/index.js";
import { spreadIndices } from "../src/sampling/order.js";
import { scaledToSizes } from "../src/sampling/size-scale.js";
import { quantile } from "../src/sampling/stats.js";
import { hardware, spawnCost, workload } from "./profiles.js";

const fixture = new URL("./fixtures/tasks.mjs", import.meta.url).pathname;
const task = (name: string) => ({ module: fixture, export: name });

// Which items run, in what order and blocks, and when sampling stops are decided by pure
// functions tested with fixed numbers beside them (src/sampling/*.test.ts). These tests
// check what does not depend on the machine's speed or load: options give budgets that a
// loaded machine cannot exhaust, so the item-count rules decide.

/**
 * The sampled results that are not `expected(index)`: none when every result was kept.
 * One pass: an expect() per item, or Jest's deep equality on 20,000 items, costs ~300 ms.
 */
const wrongResults = (results: Map<number, unknown>, expected: (index: number) => unknown) =>
  [...results].filter(([index, value]) => value !== expected(index));

/** Where `values` first differ from 0, 1, 2, ...: -1 when they do not. */
const firstOutOfRange = (values: readonly unknown[]) => values.findIndex((x, i) => x !== i);

describe("sampleTask: bounded blocks and async tasks", () => {
  it("stops a block sized from a fast item once it runs past the budget, with a clock check between items", async () => {
    // Item 100 (sampled first) is instant; the block sized from it (items 45..99) holds
    // 60 ms items, 3 s in all. Clock checks at positions 1, 2, 4, 8 stop it at 4 or 8
    // items (240 ms and 480 ms of them against a 300 ms budget). The budget is one a busy
    // machine does not spend on the first, instant item, once the task is imported and the
    // sampler's code has run: on the first call of the file, a loaded machine spent 93-238
    // ms before that item ended, and sampling stopped before the block it is about.
    await sampleTask(task("slowButZero"), [0, 0, 0], { minItems: 3, maxItems: 3 });
    const data = Array.from({ length: 200 }, (_, i) => (i === 100 ? 0 : i));
    expect([...spreadIndices(200)].slice(0, 2)).toEqual([100, 45]);
    const { workload, precomputed } = await sampleTask(task("slowButZero"), data, {
      budgetMs: 300,
      minItems: 3,
    });
    expect(precomputed.has(100)).toBe(true);
    expect(precomputed.size).toBeLessThanOrEqual(12);
    expect(workload.itemTimeMs.max).toBeGreaterThan(1);
  });

  it("times cloning the real values both ways: an object graph's result costs more to read back than its number item", async () => {
    const { workload } = await sampleTask(task("buildsGraph"), [20_000, 20_000, 20_000], {
      minItems: 3,
      maxItems: 3,
    });
    const clone = workload.cloneMs!;
    expect(Object.keys(clone).sort()).toEqual([
      "itemDeserialize",
      "itemSerialize",
      "resultDeserialize",
      "resultSerialize",
    ]);
    expect(clone.resultDeserialize).toBeGreaterThan(clone.itemDeserialize);
    expect(clone.resultSerialize).toBeGreaterThan(clone.itemSerialize);
  });

  it("samples a CPU-bound async task one item at a time and keeps every result", async () => {
    // Its promises settle before the event loop turns, so nothing can have waited: it is
    // sampled alone whatever the clocks read (the rule is asyncItemsWait, tested with fixed
    // figures in src/sampling/session.test.ts). Sampled together, index 32 alone would be
    // followed by indices 16 to 31 at once: 17 items, not 6.
    const data = Array.from({ length: 64 }, (_, i) => i);
    const { workload, precomputed } = await sampleTask(task("computesAsync"), data, {
      minItems: 6,
      maxItems: 6,
      budgetMs: 10_000,
    });
    expect(workload.async).toBe(true);
    expect(workload.sampled).toBe(6);
    expect(wrongResults(precomputed, (i) => i + 1)).toEqual([]);
  });
});

describe("sampleTask", () => {
  it("samples items spread over an array and keeps their results", async () => {
    // minItems = maxItems: only the item count ends sampling.
    const data = Array.from({ length: 100_000 }, (_, i) => i);
    const {
      workload,
      precomputed,
      data: rejoined,
    } = await sampleTask(task("heavy"), data, { minItems: 8, maxItems: 8, budgetMs: 10_000 });
    expect(workload.sampled).toBe(8);
    // The first eight of the spread order: the middle, then one in each half, and so on.
    const spread = spreadIndices(100_000);
    const firstEight = Array.from({ length: 8 }, () => spread.next().value as number);
    expect([...workload.indices].sort((a, b) => a - b)).toEqual(firstEight.sort((a, b) => a - b));
    expect(workload.indices).toContain(50_000);
    expect(Math.min(...workload.indices)).toBeLessThan(12_500);
    expect(Math.max(...workload.indices)).toBeGreaterThan(87_500);
    expect(workload.totalItems).toBe(100_000);
    expect(wrongResults(precomputed, (i) => i * 2)).toEqual([]);
    expect([...precomputed.keys()].sort((a, b) => a - b)).toEqual(workload.indices);
    expect(rejoined).toBe(data);
    expect(workload.inputKind).toBe("number");
    expect(workload.source).toBe("measured");
  });

  it("re-joins a generator: nothing lost, nothing repeated", async () => {
    function* numbers() {
      for (let i = 0; i < 50; i++) yield i;
    }
    const result = await sampleTask(task("heavy"), numbers(), { minItems: 5, maxItems: 5, budgetMs: 10_000 });
    expect(result.workload.indices).toEqual([0, 1, 2, 3, 4]);
    expect(result.workload.totalItems).toBeNull();
    expect([...(result.data as Iterable<number>)]).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it("times fast items in blocks of consecutive items, keeping every result", async () => {
    const data = Array.from({ length: 100_000 }, (_, i) => i);
    const { workload, precomputed } = await sampleTask(task("square"), data, {
      minItems: 8,
      maxItems: 8,
      budgetMs: 10_000,
    });
    // The first unit is one item; once items are known to be fast, units are blocks.
    expect(workload.sampled).toBeGreaterThan(8);
    expect(precomputed.size).toBe(workload.sampled);
    expect(wrongResults(precomputed, (i) => i * i)).toEqual([]);
  });

  it("times a lone item by its own call, not the session's steps around it", async () => {
    // The session checks the signal before each unit: here the check sleeps 20 ms, as the
    // session's own steps (entering and resuming a unit: 20-90 us) stretch on a busy machine,
    // and the thread comes back to a cold core. Counted in, every unit of 1 us items would
    // read as slow; after the sleep a lone one still read 0.05-0.09 ms: a block tells.
    const signal = new AbortController().signal;
    const sleeper = new Int32Array(new SharedArrayBuffer(4));
    signal.throwIfAborted = () => void Atomics.wait(sleeper, 0, 0, 20);
    const seen: number[] = [];
    const data = Array.from({ length: 100_000 }, (_, i) => i);
    const { workload } = await sampleTask(task("square"), data, {
      minItems: 8,
      maxItems: 8,
      budgetMs: 10_000,
      signal,
      onFirstTiming: (itemMs) => seen.push(itemMs),
    });
    expect(seen[0]).toBeLessThan(20);
    expect(workload.sampled).toBeGreaterThan(8);
  });

  it("re-joins a generator sampled in blocks", async () => {
    function* numbers() {
      for (let i = 0; i < 20_000; i++) yield i;
    }
    const result = await sampleTask(task("square"), numbers(), {
      minItems: 4,
      maxItems: 4,
      budgetMs: 10_000,
    });
    expect(result.workload.sampled).toBeGreaterThan(4);
    expect(result.workload.indices).toHaveLength(result.workload.sampled);
    expect(firstOutOfRange(result.workload.indices)).toBe(-1);
    const rejoined = [...(result.data as Iterable<number>)];
    expect(rejoined).toHaveLength(20_000);
    expect(firstOutOfRange(rejoined)).toBe(-1);
  });

  it("re-joins an async generator, and knows the length when it read it all", async () => {
    async function* numbers() {
      for (let i = 0; i < 3; i++) yield i;
    }
    const result = await sampleTask(task("square"), numbers(), {
      minItems: 5,
      maxItems: 5,
      budgetMs: 10_000,
    });
    expect(result.workload.totalItems).toBe(3);
    const seen: unknown[] = [];
    for await (const x of result.data as AsyncIterable<unknown>) seen.push(x);
    expect(seen).toEqual([0, 1, 2]);
  });

  it("samples an async, waiting task as async, keeping every result", async () => {
    // Whether its CPU share reads low is a matter of clock arithmetic, tested with fixed
    // readings in src/sampling (concurrentItemFigures, cpuToWall).
    const items = Array.from({ length: 40 }, (_, i) => i);
    const { workload, precomputed } = await sampleTask(task("waits"), items, { budgetMs: 10_000 });
    expect(workload.async).toBe(true);
    // How many it samples (index 20 alone, then 10 to 19 at once) rests on a live reading:
    // a garbage collection on this thread during the 20 ms wait reads as computing, and with
    // other suites beside it this run sampled 3 in 2 of 3 tries. The rule is tested on fixed
    // readings (src/sampling/session.test.ts, asyncItemsWait); the live outcome is the
    // benchmark's io-bound workload (planned concurrent in 5 of 5 repetitions, 2026-12-03).
    expect(precomputed.size).toBe(workload.sampled);
    expect(wrongResults(precomputed, (i) => i)).toEqual([]);
  });

  it("samples a waiting async task, keeping every result", async () => {
    // Whether its items are run several at once is a live decision (asyncItemsWait on the
    // readings of the first one): a test asserted it and failed under load. The rule is
    // tested on fixed readings, and the session's use of its answer with the answer fixed
    // (both in src/sampling/session.test.ts); the live outcome is the benchmark's io-bound
    // workload.
    const data = Array.from({ length: 20 }, (_, i) => i);
    const { workload, precomputed } = await sampleTask(task("waitsFortyMs"), data, {
      maxItems: 20,
      budgetMs: 5000,
    });
    expect(workload.async).toBe(true);
    expect(workload.sampled).toBe(precomputed.size);
    expect(wrongResults(precomputed, (i) => i)).toEqual([]);
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
      budgetMs: 10_000,
      onError: "collect",
    });
    expect([...result.failures.keys()]).toEqual([2]);
    expect(result.precomputed.has(2)).toBe(false);
    expect(result.workload.sampled).toBe(3);
  });

  it("tells which item's promise rejected, first or later", async () => {
    const all = { minItems: 4, maxItems: 4, budgetMs: 10_000 };
    // The spread order of 4 items starts at index 2 (the 7): the first, awaited alone.
    const first = await sampleTask(task("rejectsOnSeven"), [5, 6, 7, 8], all).catch((e) => e);
    expect(first).toBeInstanceOf(ItemError);
    expect(first.index).toBe(2);
    const later = await sampleTask(task("rejectsOnSeven"), [5, 6, 8, 7], {
      minItems: 4,
      maxItems: 4,
      budgetMs: 10_000,
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
    const options = { minItems: 6, maxItems: 6, budgetMs: 10_000 };
    const result = await sampleTask(task("failsOnThrees"), data, { ...options, onError: "collect" });
    // Blocks of consecutive items: every tenth one failed, and the items after it still ran.
    expect(result.failures.size).toBeGreaterThan(5);
    const failed = (i: number) => i % 10 === 3;
    expect(
      [...result.failures].filter(([i, error]) => !failed(i) || (error as Error).message !== `bad ${i}`),
    ).toEqual([]);
    expect(result.precomputed.size).toBeGreaterThan(50);
    expect(wrongResults(result.precomputed, (i) => (failed(i) ? "failed" : i * 2))).toEqual([]);
    const thrown = await sampleTask(task("failsOnThrees"), data, options).catch((e) => e);
    expect(thrown).toBeInstanceOf(ItemError);
    expect(thrown.index % 10).toBe(3);
  });

  it("keeps the results of items a worker could not be sent, or could not send back, and notes them", async () => {
    // `first` reads item[0]: a symbol gives undefined, as a loop over the items gives it.
    for (const onError of ["throw", "collect"] as const) {
      const items = await sampleTask(task("first"), [Symbol("a"), Symbol("b"), Symbol("c")], {
        minItems: 3,
        onError,
      });
      expect(items.failures.size).toBe(0);
      expect([...items.precomputed.entries()].sort((a, b) => a[0] - b[0])).toEqual([
        [0, undefined],
        [1, undefined],
        [2, undefined],
      ]);
      expect([...items.unsendable!.keys()].sort()).toEqual([0, 1, 2]);
      const error = items.unsendable!.get(1)!;
      expect(error).toBeInstanceOf(CloneError);
      expect(error).toMatchObject({ code: "AMORSIZE_ITEM_NOT_CLONEABLE", index: 1 });
      expect(error.message).toMatch(/^Item 1 cannot be sent to a worker: /);
    }
    const results = await sampleTask(task("returnsFunction"), [1, 2], { minItems: 2 });
    expect(results.failures.size).toBe(0);
    expect([...results.unsendable!.values()].map((e) => e.code)).toEqual([
      "AMORSIZE_RESULT_NOT_CLONEABLE",
      "AMORSIZE_RESULT_NOT_CLONEABLE",
    ]);
    expect(typeof results.precomputed.get(1)).toBe("function");
    // Items that clone leave nothing noted.
    expect((await sampleTask(task("square"), [1, 2, 3])).unsendable).toBeUndefined();
  });

  it("notes the items of blocks of fast items whose size it reads, and keeps every result", async () => {
    const symbols = Array.from({ length: 20_000 }, (_, i) => Symbol(String(i)));
    const blocks = await sampleTask(task("first"), symbols, { minItems: 5, maxItems: 5, budgetMs: 10_000 });
    expect(blocks.failures.size).toBe(0);
    expect(blocks.unsendable!.size).toBeGreaterThan(1);
    expect(blocks.unsendable!.has(10_000)).toBe(true);
    for (const [index, error] of blocks.unsendable!) {
      expect(error.index).toBe(index);
      expect(blocks.precomputed.has(index)).toBe(true);
    }
    // Every item a block ran kept its result, noted or not.
    expect(blocks.precomputed.size).toBeGreaterThan(blocks.unsendable!.size);
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

  it("rejects with the signal's reason between items", async () => {
    const controller = new AbortController();
    // The first 20 ms wait is run alone; the abort lands in it, before the next block.
    setTimeout(() => controller.abort(new Error("enough")), 5);
    const items = Array.from({ length: 40 }, (_, i) => i);
    const pending = sampleTask(task("waits"), items, { budgetMs: 10_000, signal: controller.signal });
    await expect(pending).rejects.toThrow("enough");
    const aborted = sampleTask(task("square"), [1], { signal: AbortSignal.abort(new Error("before")) });
    await expect(aborted).rejects.toThrow("before");
  });

  it("runs each sampled item exactly once and keeps its result", async () => {
    const dir = mkdtempSync(join(tmpdir(), "amorsize-sample-"));
    try {
      const log = join(dir, "ran.log");
      const data = Array.from({ length: 64 }, (_, x) => ({ x, log }));
      const { workload, precomputed } = await sampleTask(task("logged"), data, {
        minItems: 8,
        maxItems: 8,
        budgetMs: 10_000,
      });
      const ran = readFileSync(log, "utf8").trim().split("\n").map(Number);
      expect([...ran].sort((a, b) => a - b)).toEqual([...workload.indices]);
      expect(new Set(ran).size).toBe(8);
      expect(wrongResults(precomputed, (i) => i + 1)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reports the first timed unit once, for an early start of the pool", async () => {
    const seen: number[] = [];
    const data = Array.from({ length: 1000 }, (_, i) => i);
    await sampleTask(task("heavy"), data, {
      minItems: 4,
      maxItems: 4,
      budgetMs: 10_000,
      onFirstTiming: (itemMs) => seen.push(itemMs),
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toBeGreaterThan(0);
  });

  it("shows confirms the sampling thread's own CPU time: items that wait while another thread computes wait", async () => {
    // A worker of this process spins the whole time: the process's CPU time grows beside
    // items that block 2 ms each, without computing.
    const spinner = new Worker("for (;;) {}", { eval: true });
    try {
      await new Promise((resolve) => spinner.once("online", resolve));
      const shares: number[] = [];
      await sampleTask(
        task("blocksTwoMs"),
        Array.from({ length: 40 }, (_, i) => i),
        {
          minItems: 4,
          maxItems: 4,
          budgetMs: 10_000,
          confirms: (first) => shares.push(first.cpuToWall) > 0,
        },
      );
      expect(shares).toHaveLength(1);
      // Where the thread's runtime reads (Linux): its own, near 0. Elsewhere the bounds that
      // allow a tick stand, which such items can reach.
      if (process.platform === "linux") expect(shares[0]).toBeLessThan(0.5);
      else expect(shares[0]).toBeLessThanOrEqual(1);
    } finally {
      await spinner.terminate();
    }
  });

  it("asks confirms after the first unit, and stops there when it agrees", async () => {
    const data = Array.from({ length: 1000 }, (_, i) => i);
    const options = { minItems: 4, maxItems: 4, budgetMs: 10_000 };
    const asked: number[] = [];
    const agreed = await sampleTask(task("heavy"), data, {
      ...options,
      confirms: (first) => asked.push(first.sampled) > 0,
    });
    expect(asked).toHaveLength(1);
    expect(agreed.confirmed).toBe(true);
    expect([...agreed.precomputed.keys()]).toEqual([500]);
    const disagreed = await sampleTask(task("heavy"), data, { ...options, confirms: () => false });
    expect(disagreed.confirmed).toBe(false);
    expect(disagreed.precomputed.size).toBe(4);
    // A first unit that disagrees is asked about once more, on the second unit alone.
    const units: number[] = [];
    const twice = await sampleTask(task("heavy"), data, {
      ...options,
      confirms: (figures) => units.push(figures.itemTimeMs.max) === 2,
    });
    expect(units).toHaveLength(2);
    expect(twice.confirmed).toBe(true);
    expect(twice.precomputed.size).toBe(2);
    // Asked twice at most: two units that disagree let sampling go on to its limits.
    let asks = 0;
    const never = await sampleTask(task("heavy"), data, { ...options, confirms: () => ++asks < 0 });
    expect(asks).toBe(2);
    expect(never.confirmed).toBe(false);
    expect(never.precomputed.size).toBe(4);
    // An input of one item ends after its first unit: still asked.
    expect((await sampleTask(task("heavy"), [7], { ...options, confirms: () => true })).confirmed).toBe(true);
    expect((await sampleTask(task("heavy"), [7], options)).confirmed).toBeUndefined();
  });

  it("rejects with a SourceError when the source fails while sampled, unless told to keep what it read", async () => {
    function* failing() {
      yield* [1, 2, 3];
      throw new Error("broke");
    }
    await expect(sampleTask(task("square"), failing())).rejects.toMatchObject({
      code: "AMORSIZE_SOURCE_FAILED",
      index: 3,
    });
    const kept = await sampleTask(task("square"), failing(), { deferSourceError: true });
    // The source ended at its failure: what runs is the three items read.
    expect(kept.workload.totalItems).toBe(3);
    expect([...kept.precomputed.values()]).toEqual([1, 4, 9]);
    expect(() => [...(kept.data as Iterable<unknown>)]).toThrow("The input failed to give item 3: broke");
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

describe("sampleTask: what a cold reading corrects", () => {
  it("marks the items timed alone that its figures rest on, and sums the own time of all they rest on", async () => {
    // Twelve units of a sub-microsecond task: its first items are timed alone, the rest in
    // blocks; the figures leave the first quarter of the records out (the first items).
    const result = await sampleTask(
      task("square"),
      Array.from({ length: 20_000 }, (_, i) => i),
      {
        minItems: 12,
        maxItems: 12,
      },
    );
    const timed = result.timedItems!;
    expect(timed.length).toBeGreaterThan(0);
    expect(timed[0]!.inBasis).toBe(false);
    const aloneMs = timed.filter((t) => t.inBasis).reduce((a, t) => a + t.ms, 0);
    // The blocks' time is in the figures' too.
    expect(result.basisMs).toBeGreaterThan(aloneMs);
    expect(result.workload.sampled).toBeGreaterThan(timed.length);
  });
});

describe("sampleTask: item times scaled to the input's sizes", () => {
  // Whether sampled times follow size is read from a live sample by a pure function
  // (scaledToSizes, tested with fixed records in src/sampling/size-scale.test.ts). Asserted
  // on a live sample it failed under load: of six sampled items, the four timed ones must
  // give a line at Student's t's 95% point, and a busy core added up to 15 ms to one of
  // them (a blocked thread's wake-up that is not counted as queued for a core).
  // Every fifth text (where sampling looks: 5, 10, ..., 30) is shorter, 2,000-8,000
  // characters; the others 12,000.
  const texts = Array.from({ length: 40 }, (_, i) => "x".repeat(i % 5 === 0 ? 800 + i * 240 : 12_000));

  it("says in `explain` that it scaled the sampled times to the input's mean size", () => {
    // A millisecond per 1,000 characters, after the cold quarter (the first two ran).
    const ran = [20, 10, 30, 5, 25, 15].map((index) => ({
      index,
      weight: 1,
      ownMs: texts[index]!.length / 1000,
    }));
    const sampled = { ...workload(texts.length, 5.3), sampled: 6, indices: [5, 10, 15, 20, 25, 30] };
    const scaled = scaledToSizes(sampled, ran, texts);
    expect(scaled.sizeScale?.factor).toBeCloseTo(2, 10);
    const plan = planExecution({ hardware: hardware(2), spawnCost: spawnCost(2), workload: scaled });
    expect(formatPlan(plan, scaled)).toContain("times scaled x2.00 to the input's mean size");
  });

  it("keeps them for items without a plain size", async () => {
    const records = texts.map((text) => ({ text }));
    const { workload } = await sampleTask(task("blocksByLength"), records, {
      minItems: 6,
      maxItems: 6,
      budgetMs: 10_000,
    });
    expect(workload.sizeScale).toBeUndefined();
  });
});

describe("sampleTask: a cold sample read as the task runs warm", () => {
  // Each test imports its own instance of the module (a query of its own): its first call
  // computes for 60 ms, each later one for 1 ms, as a library's first call does while V8
  // compiles it.
  const coldTask = (instance: string) => ({
    module: `${new URL("./fixtures/cold-first-call.mjs", import.meta.url).href}?${instance}`,
    export: "coldFirst",
  });
  const items = Array.from({ length: 12 }, (_, i) => i);
  const limits = { minItems: 12, maxItems: 12, budgetMs: 10_000 };

  it("with `cold`, gives what the first items cost beyond the later ones as the warm-up a fresh worker pays", async () => {
    const { workload, timedItems } = await sampleTask(coldTask("cold-read"), items, {
      ...limits,
      cold: true,
    });
    expect(workload.warmup).toMatchObject({ source: "sampled" });
    // The first item's excess over the later ones' time, which are 1 ms each.
    const first = timedItems![0]!.ms;
    expect(workload.warmup!.excessMs).toBeGreaterThan(first / 2);
    expect(workload.itemTimeMs.max).toBeLessThan(first);
    // Its items priced at the later ones' time, 1 ms each (it read 0.1 ms when the first
    // item's excess was taken off figures that leave that item out).
    expect(workload.itemTimeMs.mean).toBeGreaterThanOrEqual(0.9);
  });

  it("with `cold` and a guard, reads the warm-up from the items its fresh worker timed alone", async () => {
    // Guarded, the items run in a fresh worker, whose first four calls compute for 20 ms
    // each (a single slow first item is read against the later items' spread, which a
    // worker's items beside busy processes widen: it once read no warm-up so).
    const task = { ...coldTask("guarded-cold"), export: "coldFirstFour" };
    const { workload, timedItems } = await sampleTask(task, items, {
      ...limits,
      guard: {},
      cold: true,
    });
    expect(workload.warmup).toMatchObject({ source: "sampled" });
    // The first four items' 80 ms, less what they would take warm.
    expect(workload.warmup!.excessMs).toBeGreaterThan(40);
    // A worker's cold items are no warm reference for a warm-up probe: none is given.
    expect(timedItems).toBeUndefined();
    // Its items priced at the later ones' time: 1 ms of CPU each (own time: not less, and a
    // little more for the clock reads), not scaled by the first items' excess again.
    expect(workload.itemTimeMs.mean).toBeGreaterThanOrEqual(0.9);
    expect(workload.itemTimeMs.mean).toBeLessThan(2);
    // Without `cold`, no warm-up.
    const raw = await sampleTask({ ...coldTask("guarded-raw"), export: "coldFirstFour" }, items, {
      ...limits,
      guard: {},
    });
    expect(raw.workload.warmup).toBeUndefined();
  });

  it("with `cold` and a guard, keeps the warm limits for items that wait", async () => {
    // 20 ms waits, one at a time in the worker, of a job long enough that no share of it
    // stops sampling first: the cold budget (250 ms) would hold a dozen of them, the warm
    // one (60 ms) three.
    const many = Array.from({ length: 1000 }, (_, i) => i);
    const { workload } = await sampleTask(task("waits"), many, { guard: {}, cold: true, minItems: 3 });
    expect(workload.cpuToWall).toBeLessThan(0.5);
    expect(workload.sampled).toBeLessThanOrEqual(5);
  });

  it("without it, the figures are the sample's as it ran: no warm-up read", async () => {
    const { workload, timedItems } = await sampleTask(coldTask("raw"), items, limits);
    // The first item computed 60 ms (its own time is no less), ten times the later items'
    // median (1 ms each): one later item slowed by a collection does not decide it.
    const later = timedItems!.slice(timedItems!.length / 2).map((item) => item.ms);
    expect(timedItems![0]!.ms).toBeGreaterThanOrEqual(59);
    expect(timedItems![0]!.ms).toBeGreaterThan(
      10 *
        quantile(
          [...later].sort((a, b) => a - b),
          0.5,
        ),
    );
    expect(workload.warmup).toBeUndefined();
  });
});
