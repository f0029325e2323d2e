import { relative } from "node:path";
import { pathToFileURL } from "node:url";
import { ExecutionReportSchema, type Progress } from "@amorsize/types";
import { afterAll, afterEach, describe, expect, it } from "@jest/globals";
import { closeAll, closeShared, fixture, poolThreadIds, range, shared, task, track } from "./helpers.js";

afterEach(closeAll);
afterAll(closeShared);

describe("map() on a pool", () => {
  it("returns results in input order, whatever the chunk size", async () => {
    const executor = shared({ workers: 2 });
    const items = range(103);
    for (const chunkSize of [1, 7, 50, 500] as const) {
      const { results, errors, report } = await executor.map<number>(task("tasks.mjs", "square"), items, {
        chunkSize,
      });
      expect(results).toEqual(items.map((x) => x * x));
      expect(errors).toEqual([]);
      expect(report.chunks).toBe(Math.ceil(103 / chunkSize));
      expect(report.chunkSize).toBe(Math.min(chunkSize, 103));
      expect(report.succeeded).toBe(103);
    }
  });

  it("runs sync, async, default and CommonJS exports", async () => {
    const executor = shared({ workers: 2 });
    const items = range(20);
    const sync = await executor.map(task("tasks.mjs", "square"), items, { chunkSize: 3 });
    const async = await executor.map(task("tasks.mjs", "squareAsync"), items, { chunkSize: 3 });
    const byDefault = await executor.map(task("tasks.mjs"), items, { chunkSize: 3 });
    const commonJs = await executor.map(task("cjs-task.cjs"), items, { chunkSize: 3 });
    expect(sync.results).toEqual(items.map((x) => x * x));
    expect(async.results).toEqual(items.map((x) => x * x));
    expect(byDefault.results).toEqual(items.map((x) => x + 1));
    expect(commonJs.results).toEqual(items.map((x) => x * 2));
  });

  it("runs a CommonJS module's functions that Node gives no named export, and its methods bound to it", async () => {
    const items = range(12);
    for (const executor of [shared({ workers: 2 }), track({ mode: "serial" })]) {
      const half = await executor.map(task("cjs-object.cjs", "half"), items, { chunkSize: 3 });
      expect(half.results).toEqual(items.map((x) => x / 2));
      // A method reading `this` reads module.exports, as exports.scale(x) would.
      const scaled = await executor.map(task("cjs-object.cjs", "scale"), items, { chunkSize: 3 });
      expect(scaled.results).toEqual(items.map((x) => x * 10));
      const notFunction = await executor.map(task("cjs-object.cjs", "factor"), items).catch((e) => e);
      expect(notFunction).toMatchObject({ code: "AMORSIZE_EXPORT_NOT_FUNCTION" });
      const missing = await executor.map(task("cjs-object.cjs", "double"), items).catch((e) => e);
      expect(missing).toMatchObject({ code: "AMORSIZE_EXPORT_NOT_FOUND" });
      // Only module.exports' own properties: what every object inherits is no export.
      const inherited = await executor.map(task("cjs-object.cjs", "toString"), items).catch((e) => e);
      expect(inherited).toMatchObject({ code: "AMORSIZE_EXPORT_NOT_FOUND" });
    }
  });

  it("accepts a module as a path relative to the working directory, a file URL string or a URL", async () => {
    const executor = shared({ workers: 1 });
    const path = fixture("tasks.mjs");
    for (const module of [relative(process.cwd(), path), pathToFileURL(path).href, pathToFileURL(path)]) {
      const { results } = await executor.map({ module, export: "square" }, [2, 3]);
      expect(results).toEqual([4, 9]);
    }
  });

  it("reads sync iterables and async iterables", async () => {
    const executor = shared({ workers: 2 });
    function* numbers() {
      for (let i = 0; i < 25; i++) yield i;
    }
    async function* later() {
      for (let i = 0; i < 25; i++) yield i;
    }
    const fromSet = await executor.map(task("tasks.mjs", "square"), new Set(range(25)), { chunkSize: 4 });
    const fromGenerator = await executor.map(task("tasks.mjs", "square"), numbers(), { chunkSize: 4 });
    const fromAsync = await executor.map(task("tasks.mjs", "square"), later(), { chunkSize: 4 });
    const expected = range(25).map((x) => x * x);
    expect(fromSet.results).toEqual(expected);
    expect(fromGenerator.results).toEqual(expected);
    expect(fromAsync.results).toEqual(expected);
    expect(fromAsync.report.items).toBe(25);
    expect(fromAsync.report.chunks).toBe(7);
  });

  it("rejects with the error the source throws, after closing what it started", async () => {
    const executor = shared({ workers: 2 });
    const broken = new Error("source broke");
    function* numbers() {
      yield* range(5);
      throw broken;
    }
    async function* later() {
      yield* range(5);
      throw broken;
    }
    for (const source of [numbers(), later()]) {
      await expect(executor.map(task("tasks.mjs", "square"), source, { chunkSize: 2 })).rejects.toBe(broken);
    }
    const again = await executor.map(task("tasks.mjs", "square"), range(3));
    expect(again.results).toEqual([0, 1, 4]);
  });

  it("handles an empty input", async () => {
    const executor = shared({ workers: 2 });
    const { results, report } = await executor.map(task("tasks.mjs", "square"), []);
    expect(results).toEqual([]);
    expect(report).toMatchObject({ items: 0, succeeded: 0, failed: 0, chunks: 0, chunkSize: null });
    expect(report.chunkSizes).toBeUndefined();
  });

  it("keeps its workers between runs", async () => {
    const executor = track({ workers: 2 });
    const first = await executor.map(task("tasks.mjs", "square"), range(10), { chunkSize: 1 });
    const threads = poolThreadIds(executor);
    const second = await executor.map(task("tasks.mjs", "square"), range(10), { chunkSize: 1 });
    const after = poolThreadIds(executor);
    expect(first.results).toEqual(second.results);
    expect(after).toEqual(threads);
    expect(after).toHaveLength(2);
  });

  it("reports what happened, valid against the schema", async () => {
    const executor = shared({ workers: 2 });
    const { report } = await executor.map(task("tasks.mjs", "square"), range(40), { chunkSize: 10 });
    expect(ExecutionReportSchema.parse(report)).toEqual(report);
    expect(report).toMatchObject({
      mode: "parallel",
      workers: 2,
      chunkSize: 10,
      adaptive: false,
      items: 40,
      succeeded: 40,
      failed: 0,
      chunks: 4,
      errors: [],
      aborted: false,
      chunkSizes: { min: 10, max: 10, mean: 10 },
    });
    expect(report.chunkMs.count).toBe(4);
    expect(report.busyMs).toBeCloseTo(report.chunkMs.mean * 4, 6);
    expect(report.itemsPerSecond).toBeCloseTo((40 * 1000) / report.wallMs, 6);
  });

  it("calls onProgress once per chunk, with totals and an ETA", async () => {
    const executor = shared({ workers: 2 });
    const seen: Progress[] = [];
    await executor.map(task("tasks.mjs", "square"), range(20), {
      chunkSize: 5,
      onProgress: (progress) => seen.push(progress),
    });
    expect(seen.map((p) => [p.done, p.total, p.failed])).toEqual([
      [5, 20, 0],
      [10, 20, 0],
      [15, 20, 0],
      [20, 20, 0],
    ]);
    expect(seen.at(-1)?.etaMs).toBe(0);
  });

  it("takes the progress total from totalItems for an iterable", async () => {
    const executor = shared({ workers: 1 });
    const seen: Progress[] = [];
    await executor.map(task("tasks.mjs", "square"), new Set(range(6)), {
      chunkSize: 3,
      totalItems: 6,
      onProgress: (progress) => seen.push(progress),
    });
    expect(seen.map((p) => [p.done, p.total])).toEqual([
      [3, 6],
      [6, 6],
    ]);
  });

  it("fails the run with the error a progress callback throws", async () => {
    const executor = shared({ workers: 1 });
    const oops = new Error("progress broke");
    await expect(
      executor.map(task("tasks.mjs", "square"), range(6), {
        chunkSize: 2,
        onProgress: () => {
          throw oops;
        },
      }),
    ).rejects.toBe(oops);
  });
});

describe("precomputed results", () => {
  it("places them at their index and never runs those items", async () => {
    const executor = shared({ workers: 2 });
    // The task throws for 5, 10 and 15: had they been run, the map would reject.
    const precomputed = new Map<number, unknown>([
      [5, "five"],
      [10, "ten"],
      [15, "fifteen"],
    ]);
    const { results, report } = await executor.map(task("tasks.mjs", "failOnMultiplesOfFive"), range(20), {
      chunkSize: 3,
      precomputed,
    });
    expect(results).toEqual(range(20).map((x) => precomputed.get(x) ?? x * 2));
    expect(report).toMatchObject({ items: 20, succeeded: 17, precomputed: 3, failed: 0 });
  });

  it("sends no chunk for a stretch that is all precomputed, from an array or a generator", async () => {
    const executor = shared({ workers: 2 });
    const precomputed = new Map<number, unknown>([4, 5, 18, 19].map((i) => [i, -i]));
    function* numbers() {
      yield* range(20);
    }
    for (const items of [range(20), numbers()]) {
      const { results, report } = await executor.map(task("tasks.mjs", "square"), items, {
        chunkSize: 2,
        precomputed,
      });
      expect(results).toEqual(range(20).map((x) => (precomputed.has(x) ? -x : x * x)));
      // [0,1] [2,3] [4..7 sends 6,7] [8,9] ... [16,17]; [18,19] is not sent.
      expect(report.chunks).toBe(8);
      expect(report.chunkSizes).toEqual({ min: 2, max: 2, mean: 2 });
      expect(report).toMatchObject({ items: 20, succeeded: 16, precomputed: 4, failed: 0 });
    }
  });

  it("works with an async source and precomputed first items", async () => {
    const executor = shared({ workers: 1 });
    async function* numbers() {
      yield* range(10);
    }
    const { results } = await executor.map(task("tasks.mjs", "square"), numbers(), {
      chunkSize: 4,
      precomputed: new Map([
        [0, "zero"],
        [1, "one"],
      ]),
    });
    expect(results).toEqual(["zero", "one", 4, 9, 16, 25, 36, 49, 64, 81]);
  });
});

describe("adaptive chunking", () => {
  it("starts at one item, grows the chunks and finishes with every result", async () => {
    const executor = shared({ workers: 2 });
    const items = range(3000);
    // Every chunk runs far shorter than the window's low end (1 s), whatever the load, so
    // the sizer doubles after each measurement; its rule is tested with exact numbers in
    // src/adaptive.test.ts.
    const { results, report } = await executor.map<number>(task("tasks.mjs", "square"), items, {
      targetChunkMs: [1000, 2000],
    });
    expect(results).toEqual(items.map((x) => x * x));
    expect(report.adaptive).toBe(true);
    expect(report.chunkSize).toBe(1);
    expect(report.chunkSizes?.min).toBe(1);
    expect(report.chunkSizes!.max).toBeGreaterThan(1);
    expect(report.chunks).toBeGreaterThan(2);
    expect(report.succeeded).toBe(3000);
  });
});
