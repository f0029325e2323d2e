import { ExecutionReportSchema } from "@amorsize/types";
import { afterEach, describe, expect, it } from "@jest/globals";
import { ItemError, mapNow, resolveTask } from "../src/index.js";
import { closeAll, collect, osThreads, range, task, track } from "./helpers.js";

afterEach(closeAll);

describe("serial mode", () => {
  it("runs in the calling thread, results in input order, starting no thread", async () => {
    const before = osThreads();
    const executor = track({ mode: "serial" });
    const { results, report } = await executor.map(task("tasks.mjs", "square"), range(1000));
    expect(results).toEqual(range(1000).map((x) => x * x));
    expect(osThreads()).toBe(before);
    expect(ExecutionReportSchema.parse(report)).toEqual(report);
    expect(report).toMatchObject({
      mode: "serial",
      workers: 0,
      chunkSize: null,
      adaptive: false,
      items: 1000,
      succeeded: 1000,
      chunks: 0,
    });
    expect(report.chunkSizes).toBeUndefined();
  });

  it("counts the time it awaits an item's own promise as busy: the item runs there", async () => {
    // Five items of 10 ms whose work all follows their first await (a minifier's promise
    // API): the calling thread is busy with them the whole run, not idle. Counted idle, the
    // run's busy time read under a millisecond, and a session learned items of nothing.
    const executor = track({ mode: "serial" });
    const { report } = await executor.map(task("tasks.mjs", "spinMicrosAsync"), [1e4, 1e4, 1e4, 1e4, 1e4]);
    expect(report.busyMs).toBeGreaterThanOrEqual(50);
    expect(report.busyMs).toBeLessThanOrEqual(report.wallMs);
    const now = await mapNow(resolveTask(task("tasks.mjs", "spinMicrosAsync")), [1e4, 1e4, 1e4, 1e4, 1e4]);
    expect(now.report.busyMs).toBeGreaterThanOrEqual(50);
    expect(now.report.busyMs).toBeLessThanOrEqual(now.report.wallMs);
  });

  it("runs async tasks and iterables, with precomputed results", async () => {
    const executor = track({ mode: "serial" });
    function* numbers() {
      yield* range(10);
    }
    const precomputed = new Map<number, unknown>([
      [0, "zero"],
      [7, "seven"],
    ]);
    const fromGenerator = await executor.map(task("tasks.mjs", "square"), numbers(), { precomputed });
    const asyncTask = await executor.map(task("tasks.mjs", "squareAsync"), range(10), { precomputed });
    const expected = range(10).map((x) => precomputed.get(x) ?? x * x);
    expect(fromGenerator.results).toEqual(expected);
    expect(asyncTask.results).toEqual(expected);
  });

  it("with concurrency n keeps up to n items awaiting, results still in order", async () => {
    for (const concurrency of [1, 4]) {
      const executor = track({ mode: "serial", concurrency });
      const tracker = { active: 0, max: 0 };
      const items = range(20).map((value) => ({ tracker, value }));
      const { results, report } = await executor.map(task("tasks.mjs", "trackConcurrency"), items);
      expect(results).toEqual(range(20));
      expect(tracker.max).toBe(concurrency);
      expect(report.mode).toBe(concurrency === 1 ? "serial" : "concurrent");
    }
  });

  it("collects failures, sync and async, by index", async () => {
    const executor = track({ mode: "serial", concurrency: 3 });
    for (const exportName of ["failOnMultiplesOfFive", "rejectOnMultiplesOfFive"]) {
      const { results, errors } = await executor.map(task("tasks.mjs", exportName), range(12), {
        onError: "collect",
      });
      expect(results).toEqual(range(12).map((x) => (x === 5 || x === 10 ? undefined : x * 2)));
      expect(errors.map((e) => [e.constructor, e.index])).toEqual([
        [ItemError, 5],
        [ItemError, 10],
      ]);
    }
  });

  it("rejects with the error the source throws", async () => {
    const executor = track({ mode: "serial" });
    const broken = new Error("source broke");
    function* numbers() {
      yield* range(5);
      throw broken;
    }
    await expect(executor.map(task("tasks.mjs", "square"), numbers())).rejects.toBe(broken);
  });

  it("a map over an iterable whose last item fails still has a slot for every item", async () => {
    const executor = track({ mode: "serial" });
    function* numbers() {
      yield* range(11);
    }
    const { results, report } = await executor.map(task("tasks.mjs", "failOnMultiplesOfFive"), numbers(), {
      onError: "collect",
    });
    expect(results).toHaveLength(11);
    expect(results[10]).toBeUndefined();
    expect(report).toMatchObject({ items: 11, succeeded: 9, failed: 2 });
  });

  it("a stream fails with the error its source throws, or with the first failure under throw", async () => {
    const executor = track({ mode: "serial" });
    const broken = new Error("source broke");
    function* numbers() {
      yield* range(5);
      throw broken;
    }
    const fromBrokenSource = executor.stream(task("tasks.mjs", "square"), numbers());
    await expect(collect(fromBrokenSource)).rejects.toBe(broken);
    expect(fromBrokenSource.report()).toMatchObject({ items: 5, succeeded: 5, failed: 0 });
    const failing = executor.stream(task("tasks.mjs", "failOnMultiplesOfFive"), range(12));
    await expect(collect(failing)).rejects.toMatchObject({ code: "AMORSIZE_ITEM_FAILED", index: 5 });
    expect(failing.report()).toMatchObject({ items: 6, succeeded: 5, failed: 1 });
  });

  it("under throw, rejects with the first failure", async () => {
    const executor = track({ mode: "serial" });
    await expect(executor.map(task("tasks.mjs", "failOnMultiplesOfFive"), range(12))).rejects.toMatchObject({
      code: "AMORSIZE_ITEM_FAILED",
      index: 5,
    });
  });

  it("streams, ordered and not, and stops early on break", async () => {
    const executor = track({ mode: "serial", concurrency: 4 });
    const ordered: number[] = [];
    for await (const { index } of executor.stream(task("tasks.mjs", "squareAsync"), range(50)))
      ordered.push(index);
    expect(ordered).toEqual(range(50));
    const unordered: number[] = [];
    for await (const { index } of executor.stream(task("tasks.mjs", "squareAsync"), range(50), {
      ordered: false,
    })) {
      unordered.push(index);
    }
    expect([...unordered].sort((a, b) => a - b)).toEqual(range(50));
    let pulled = 0;
    function* source() {
      for (let i = 0; i < 100_000; i++) {
        pulled++;
        yield i;
      }
    }
    const stream = executor.stream(task("tasks.mjs", "square"), source());
    let seen = 0;
    for await (const _ of stream) if (++seen === 10) break;
    // A serial stream computes at most STREAM_HIGH_WATER (1024) results ahead.
    expect(pulled).toBeLessThanOrEqual(1025);
    expect(stream.report().succeeded).toBeGreaterThanOrEqual(10);
  });

  it("yields to the event loop during a long synchronous run, so progress is reported", async () => {
    const executor = track({ mode: "serial" });
    const done: number[] = [];
    // ~200 us each: about 40 ms in all, several 10 ms slices.
    await executor.map(task("tasks.mjs", "spinMicros"), Array(200).fill(200), {
      onProgress: (progress) => done.push(progress.done),
    });
    expect(done.length).toBeGreaterThan(1);
    expect(done.at(-1)).toBe(200);
    expect([...done].sort((a, b) => a - b)).toEqual(done);
  });
});
