import { ExecutionReportSchema } from "@amorsize/types";
import { afterAll, describe, expect, it } from "@jest/globals";
import { closeShared, collect, Gate, range, runFixture, shared, task } from "./helpers.js";

afterAll(closeShared);

describe("stream()", () => {
  it("yields { index, value } in input order by default, from an array, a generator or an async generator", async () => {
    const executor = shared({ workers: 2 });
    function* numbers() {
      yield* range(30);
    }
    async function* later() {
      yield* range(30);
    }
    const expected = range(30).map((index) => ({ index, value: index * index }));
    for (const source of [range(30), numbers(), later()]) {
      const stream = executor.stream(task("tasks.mjs", "squareAsync"), source, { chunkSize: 4 });
      expect(await collect(stream)).toEqual(expected);
      const report = stream.report();
      expect(ExecutionReportSchema.parse(report)).toEqual(report);
      expect(report).toMatchObject({ items: 30, succeeded: 30, chunks: 8 });
    }
  });

  it("yields the results computed before an item failed under throw, in order, then its error", async () => {
    // Item k of 5,000 throws (5), the others do not (1): a serial run computed every item
    // before it, and its last stretch's results were dropped with the failure (items
    // 0..4,320 before item 4,321 gave 4,096).
    const failingAt = (k: number) => range(5000).map((i) => (i === k ? 5 : 1));
    const indicesBefore = async (stream: AsyncIterable<{ index: number }>) => {
      const seen: number[] = [];
      const error = await (async () => {
        for await (const { index } of stream) seen.push(index);
      })().catch((e) => e);
      return { seen, error };
    };
    const serial = shared({ mode: "serial" });
    for (const k of [5, 4321]) {
      const { seen, error } = await indicesBefore(
        serial.stream(task("tasks.mjs", "failOnMultiplesOfFive"), failingAt(k), {}),
      );
      expect(error).toMatchObject({ code: "AMORSIZE_ITEM_FAILED", index: k });
      expect(seen).toEqual(range(k));
    }
    // On workers, what came in order before the failure: a prefix of the input, short of it.
    const { seen, error } = await indicesBefore(
      shared({ workers: 2 }).stream(task("tasks.mjs", "failOnMultiplesOfFive"), failingAt(4321), {
        chunkSize: 50,
      }),
    );
    expect(error).toMatchObject({ code: "AMORSIZE_ITEM_FAILED", index: 4321 });
    expect(seen).toEqual(range(seen.length));
    expect(seen.length).toBeLessThanOrEqual(4321);
    // On one worker, whose chunks complete in order, every item before it, as serially: the
    // failing chunk's results before its failing item too (4,300..4,320 were dropped).
    for (const k of [5, 4321]) {
      const one = await indicesBefore(
        shared({ workers: 1 }).stream(task("tasks.mjs", "failOnMultiplesOfFive"), failingAt(k), {
          chunkSize: 50,
        }),
      );
      expect(one.error).toMatchObject({ code: "AMORSIZE_ITEM_FAILED", index: k });
      expect(one.seen).toEqual(range(k));
    }
    // So for a result that cannot be sent back (item 2's, a function).
    const clone = await indicesBefore(
      shared({ workers: 1 }).stream(task("tasks.mjs", "functionResultOnTwo"), range(6), { chunkSize: 50 }),
    );
    expect(clone.error).toMatchObject({ code: "AMORSIZE_RESULT_NOT_CLONEABLE", index: 2 });
    expect(clone.seen).toEqual([0, 1]);
    // And for an item that ends its worker: the items before it, lost with the worker, run
    // again and come first (none came), then the crash, which item 3 causes again.
    const crash = await indicesBefore(
      shared({ workers: 1 }).stream(task("crash.mjs", "exitOnThree"), range(6), { chunkSize: 50 }),
    );
    expect(crash.error).toMatchObject({ code: "AMORSIZE_WORKER_CRASHED", index: 3 });
    expect(crash.seen).toEqual([0, 1, 2]);
    // And for an item that never ends, under a chunk time-out: the items before it, lost
    // with the worker ended at the time-out, run again and come first, then the time-out,
    // from that item on (its chunk named items 0..5).
    const hang = await indicesBefore(
      shared({ workers: 1 }).stream(task("hang.mjs", "spinForeverOnFour"), range(6), {
        chunkSize: 50,
        chunkTimeoutMs: 300,
      }),
    );
    expect(hang.error).toMatchObject({ code: "AMORSIZE_CHUNK_TIMEOUT", range: [4, 5] });
    expect(hang.seen).toEqual([0, 1, 2, 3]);
    // While the items before it run again, a later chunk's failure (item 4 throws, in the
    // chunk queued behind) is not the run's: the time-out, first in input order, is.
    const later = await indicesBefore(
      shared({ workers: 1 }).stream(task("hang.mjs", "spinOnOneThrowOnFour"), range(6), {
        chunkSize: 3,
        chunkTimeoutMs: 300,
      }),
    );
    expect(later.error).toMatchObject({ code: "AMORSIZE_CHUNK_TIMEOUT", range: [1, 2] });
    expect(later.seen).toEqual([0]);
  });

  it("readReady() hands out the ready results in blocks, in the order next() would, and nothing twice", async () => {
    for (const executor of [shared({ workers: 2 }), shared({ mode: "serial" })]) {
      const stream = executor.stream(task("tasks.mjs", "square"), range(5000), { chunkSize: 100 });
      const seen: number[] = [];
      // Wrong values, gathered and checked once: an expect() per result cost 0.3 s of CPU here.
      const wrong: Array<{ index: number; value: unknown }> = [];
      let blocks = 0;
      for (;;) {
        const ready = stream.readReady(700);
        expect(ready.length).toBeLessThanOrEqual(700);
        if (ready.length > 0) {
          blocks++;
          for (const { index, value } of ready) {
            if (value !== index * index) wrong.push({ index, value });
            seen.push(index);
          }
          continue;
        }
        const next = await stream.next();
        if (next.done) break;
        seen.push(next.value.index);
      }
      expect(wrong).toEqual([]);
      expect(seen).toEqual(range(5000));
      // Whole chunks were ready at once: most results came through readReady, not one by one.
      expect(blocks).toBeGreaterThan(0);
      expect(stream.readReady()).toEqual([]);
      expect(stream.report()).toMatchObject({ items: 5000, succeeded: 5000 });
    }
  });

  it("readReady() gives nothing once the run failed, so next() throws the failure, and checks max", async () => {
    const executor = shared({ workers: 1 });
    // The second chunk (4..7) fails at item 5, but only once the gate opens: a failure that
    // came in before the first chunk was read would drop it (a stream stops at a failure
    // under throw), and results that come in while this thread is busy are all taken in
    // before it reads any (a worker's messages are handled without a microtask between them).
    const gate = new Gate();
    const items = range(12).map((i) => gate.item(i, { block: i === 4, fail: i === 5 }));
    const stream = executor.stream(task("hang.mjs", "waitAtGate"), items, { chunkSize: 4 });
    const first = await stream.next();
    expect(first.value).toEqual({ index: 0, value: 0 });
    expect(() => stream.readReady(0)).toThrow("readReady(max): must be an integer of at least 1, got 0");
    expect(() => stream.readReady(1.5)).toThrow(expect.objectContaining({ code: "AMORSIZE_INVALID_INPUT" }));
    const rest: number[] = [];
    let failure: unknown;
    try {
      for (;;) {
        const ready = stream.readReady();
        rest.push(...ready.map((r) => r.index));
        if (ready.length > 0) continue;
        gate.open();
        const next = await stream.next();
        if (next.done) break;
        rest.push(next.value.index);
      }
    } catch (error) {
      failure = error;
    }
    // Under throw the chunk holding the failure (4..7) delivers its results before item 5,
    // and nothing after it: as with next() alone.
    expect(rest).toEqual([1, 2, 3, 4]);
    expect(failure).toMatchObject({ code: "AMORSIZE_ITEM_FAILED", index: 5 });
    expect(stream.readReady()).toEqual([]);
  });

  it("yields in completion order with ordered: false", async () => {
    const executor = shared({ workers: 2 });
    const gate = new Gate();
    // Chunk 0 waits at the gate; chunk 1 finishes first. The consumer opens the gate on
    // its first result, which an ordered stream could never deliver.
    const items = [gate.item(0, { block: true }), gate.item(1, { block: true }), gate.item(2), gate.item(3)];
    const stream = executor.stream(task("hang.mjs", "waitAtGate"), items, { chunkSize: 2, ordered: false });
    const order: number[] = [];
    for await (const { index } of stream) {
      order.push(index);
      if (order.length === 1) gate.open();
    }
    expect(order).toEqual([2, 3, 0, 1]);
  });

  it("skips failed items under collect and lists them in errors", async () => {
    const executor = shared({ workers: 2 });
    const stream = executor.stream(task("tasks.mjs", "failOnMultiplesOfFive"), range(12), {
      chunkSize: 4,
      onError: "collect",
    });
    const indices = (await collect(stream)).map((r) => r.index);
    expect(indices).toEqual([0, 1, 2, 3, 4, 6, 7, 8, 9, 11]);
    expect(stream.errors.map((e) => e.index)).toEqual([5, 10]);
    expect(stream.report().failed).toBe(2);
  });

  it("under throw, the loop throws the first failure", async () => {
    const executor = shared({ workers: 1 });
    const stream = executor.stream(task("tasks.mjs", "failOnMultiplesOfFive"), range(12), { chunkSize: 4 });
    await expect(collect(stream)).rejects.toMatchObject({ code: "AMORSIZE_ITEM_FAILED", index: 5 });
    expect(stream.report().errors).toHaveLength(1);
  });

  it.each([
    [1, 2],
    [2, 4],
  ])(
    "backpressure: %i worker(s), %i chunks in flight: the source is read at most that far ahead",
    async (workers, maxInFlight) => {
      const executor = shared({ workers });
      const chunkSize = 10;
      let pulled = 0;
      function* source() {
        for (let i = 0; i < 200; i++) {
          pulled++;
          yield i;
        }
      }
      const stream = executor.stream(task("tasks.mjs", "square"), source(), { chunkSize, maxInFlight });
      let consumed = 0;
      let lead = 0;
      for await (const { index, value } of stream) {
        expect(index).toBe(consumed);
        expect(value).toBe(index * index);
        consumed++;
        lead = Math.max(lead, pulled - consumed);
        // A slow consumer: give the pool every chance to run ahead.
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(consumed).toBe(200);
      expect(pulled).toBe(200);
      // The chunk being consumed counts as in flight, so the lead stays under maxInFlight chunks.
      expect(lead).toBe(maxInFlight * chunkSize - 1);
    },
  );

  it("streams 1,000,000 items from a generator with bounded heap growth", async () => {
    const { code, stdout, stderr } = await runFixture("stream-heap.mjs", ["--expose-gc"]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    const total = 1_000_000;
    const { count, checksum, growth, items } = JSON.parse(stdout);
    expect(count).toBe(total);
    expect(checksum).toBe((total * (total - 1)) / 2);
    // Keeping the 900,000 later results, or their chunks, would take well over 7 MB.
    expect(growth).toBeLessThan(2 * 1024 * 1024);
    expect(items).toBe(total);
  });

  it("streams 4,000,000 fine items with adaptive chunks in bounded memory", async () => {
    const { code, stdout, stderr } = await runFixture("stream-rss.mjs", [
      "--expose-gc",
      "--max-semi-space-size=2",
    ]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    const { count, bytes, held, growth, maxChunk } = JSON.parse(stdout);
    expect(count).toBe(4_000_000);
    expect(bytes).toBe(200 * 4_000_000);
    // An adaptive chunk holds about 1 MiB of items and results: 204 bytes of each per item.
    expect(maxChunk).toBeLessThanOrEqual(2570);
    // At most maxInFlight (4) chunks of ~1 MiB: 4 MiB, and a string takes 216 bytes in the
    // heap where clone counts 204. Growing chunks (131,072 items) held ~90 MB here.
    expect(held).toBeLessThan(8 * 1024 * 1024);
    // Past the first tenth the process stops growing but for the collector's slack
    // (full collections every 262,144 items); growing chunks took it up by ~550 MB.
    expect(growth).toBeLessThan(64 * 1024 * 1024);
    // The child does ~7 s of CPU work (4.8 s wall alone on 2 cores). In the monorepo's test
    // run beside a busy process per core, its three threads got about a sixth of a core
    // each and ran past Jest's 30 s default: the bound here is for a hang, not a speed.
  }, 180_000);
});
