import { afterAll, afterEach, describe, expect, it } from "@jest/globals";
import { closeAll, closeShared, Gate, poolThreadIds, range, shared, task, track } from "./helpers.js";

afterEach(closeAll);
afterAll(closeShared);

describe("aborting a run", () => {
  it("rejects with signal.reason, terminates the busy workers, and leaves the pool usable", async () => {
    const executor = shared({ workers: 2 });
    const gate = new Gate();
    const controller = new AbortController();
    const items = range(10).map((i) => gate.item(i, { block: true }));
    const running = executor.map(task("hang.mjs", "waitAtGate"), items, {
      chunkSize: 1,
      signal: controller.signal,
    });
    await gate.waitForStarted(2);
    const reason = new Error("stop now");
    controller.abort(reason);
    await expect(running).rejects.toBe(reason);
    const busy = [gate.threadOf(0), gate.threadOf(1)];
    expect(busy).not.toContain(0);
    for (const id of busy) expect(poolThreadIds(executor)).not.toContain(id);
    expect(gate.started).toBe(2);
    // The pool replaced both workers: a run that needs two at once completes.
    const second = new Gate();
    const both = executor.map(
      task("hang.mjs", "waitAtGate"),
      [second.item(0, { after: 1 }), second.item(1, { after: 0 })],
      { chunkSize: 1 },
    );
    expect((await both).results).toEqual([0, 1]);
  });

  it("rejects at once when the signal is already aborted, running nothing", async () => {
    const executor = shared({ workers: 1 });
    const gate = new Gate();
    const reason = new Error("too late");
    await expect(
      executor.map(task("hang.mjs", "waitAtGate"), [gate.item(0)], { signal: AbortSignal.abort(reason) }),
    ).rejects.toBe(reason);
    expect(gate.started).toBe(0);
  });

  it("aborts a serial run awaiting an item that never settles", async () => {
    const executor = track({ mode: "serial", concurrency: 3 });
    const controller = new AbortController();
    const running = executor.map(task("hang.mjs", "neverSettles"), range(5), { signal: controller.signal });
    setImmediate(() => controller.abort("enough"));
    await expect(running).rejects.toBe("enough");
  });

  it("aborts a stream: the next read rejects with the reason", async () => {
    const executor = shared({ workers: 2 });
    const gate = new Gate();
    const controller = new AbortController();
    const items = range(6).map((i) => gate.item(i, { block: i >= 2 }));
    const stream = executor.stream(task("hang.mjs", "waitAtGate"), items, {
      chunkSize: 1,
      signal: controller.signal,
    });
    const seen: number[] = [];
    const reason = new Error("abort stream");
    await expect(
      (async () => {
        for await (const { value } of stream) {
          seen.push(value as number);
          if (seen.length === 2) {
            await gate.waitForStarted(4);
            controller.abort(reason);
          }
        }
      })(),
    ).rejects.toBe(reason);
    expect(seen).toEqual([0, 1]);
    expect(stream.report().aborted).toBe(true);
    expect(poolThreadIds(executor)).not.toContain(gate.threadOf(2));
    expect(poolThreadIds(executor)).not.toContain(gate.threadOf(3));
  });

  it("aborts a serial stream whose results are buffered: the next read rejects, none of them yielded", async () => {
    const executor = shared({ mode: "serial" });
    const controller = new AbortController();
    const reason = new Error("abort buffered stream");
    const seen: number[] = [];
    const stream = executor.stream(task("tasks.mjs", "square"), range(2000), { signal: controller.signal });
    const error = await (async () => {
      for await (const { index } of stream) {
        seen.push(index);
        // The serial loop has computed a stretch of results past this one by now.
        if (seen.length === 1) controller.abort(reason);
      }
    })().catch((e) => e);
    expect(error).toBe(reason);
    expect(seen).toEqual([0]);
    expect(stream.report().aborted).toBe(true);
  });
});

describe("leaving a stream early", () => {
  it("stops reading, cancels chunks in flight, and returns once nothing runs", async () => {
    const executor = shared({ workers: 2 });
    const gate = new Gate();
    let pulled = 0;
    function* source() {
      for (let i = 0; i < 1000; i++) {
        pulled++;
        yield gate.item(i, { block: i >= 2 });
      }
    }
    const stream = executor.stream(task("hang.mjs", "waitAtGate"), source(), { chunkSize: 1 });
    const seen: number[] = [];
    for await (const { index } of stream) {
      seen.push(index);
      if (seen.length === 2) {
        await gate.waitForStarted(4);
        break;
      }
    }
    expect(seen).toEqual([0, 1]);
    // Two chunks in flight per worker: 4 read at first, 1 more once item 0 was consumed.
    expect(pulled).toBe(5);
    expect(gate.started).toBe(4);
    for (const value of [2, 3]) expect(poolThreadIds(executor)).not.toContain(gate.threadOf(value));
    const report = stream.report();
    expect(report.aborted).toBe(false);
    expect(report.succeeded).toBe(2);
  });

  it("report() before the end throws a clear error", async () => {
    const executor = shared({ workers: 1 });
    const stream = executor.stream(task("tasks.mjs", "square"), range(3));
    expect(() => stream.report()).toThrow(
      "stream.report() is available once the stream has ended: read it to the end or leave the loop first",
    );
    const values: number[] = [];
    for await (const { value } of stream) values.push(value as number);
    expect(values).toEqual([0, 1, 4]);
    expect(stream.report().succeeded).toBe(3);
  });
});
