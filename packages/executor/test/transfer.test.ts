import { afterAll, describe, expect, it } from "@jest/globals";
import { closeShared, shared, task } from "./helpers.js";

afterAll(closeShared);

describe('transfer: "auto"', () => {
  it("moves typed arrays in items: the sent buffers are detached afterwards", async () => {
    const executor = shared({ workers: 2 });
    const items = Array.from({ length: 8 }, () => new Uint8Array(1024).fill(1));
    const { results } = await executor.map(task("tasks.mjs", "byteLength"), items, {
      chunkSize: 3,
      transfer: "auto",
    });
    expect(results).toEqual(Array(8).fill(1024));
    for (const item of items) expect(item.byteLength).toBe(0);
  });

  it("moves buffers one level down in objects, and ArrayBuffers themselves", async () => {
    const executor = shared({ workers: 1 });
    const items = [{ data: new Uint8Array([1, 2, 3]) }, { data: new Uint8Array([4, 5]) }];
    const buffers = [new ArrayBuffer(16), new ArrayBuffer(32)];
    const sums = await executor.map(task("tasks.mjs", "sumData"), items, { transfer: "auto" });
    const lengths = await executor.map(task("tasks.mjs", "byteLength"), buffers, { transfer: "auto" });
    expect(sums.results).toEqual([6, 9]);
    expect(lengths.results).toEqual([16, 32]);
    expect(items.map((item) => item.data.byteLength)).toEqual([0, 0]);
    expect(buffers.map((buffer) => buffer.byteLength)).toEqual([0, 0]);
  });

  it("copies a view over part of a buffer, leaving the caller's memory alone", async () => {
    const executor = shared({ workers: 1 });
    const whole = new Uint8Array(64).fill(2);
    const part = whole.subarray(8, 16);
    const { results } = await executor.map(task("tasks.mjs", "byteLength"), [part], { transfer: "auto" });
    expect(results).toEqual([8]);
    expect(whole.byteLength).toBe(64);
    expect(part.byteLength).toBe(8);
  });

  it("copies by default", async () => {
    const executor = shared({ workers: 1 });
    const items = [new Uint8Array(100)];
    await executor.map(task("tasks.mjs", "byteLength"), items);
    expect(items[0]!.byteLength).toBe(100);
  });

  it("brings typed-array results back intact", async () => {
    const executor = shared({ workers: 2 });
    const { results } = await executor.map<Uint8Array>(task("tasks.mjs", "makeBytes"), [3, 5, 0], {
      chunkSize: 1,
      transfer: "auto",
    });
    expect(results.map((bytes) => [...bytes])).toEqual([[7, 7, 7], [7, 7, 7, 7, 7], []]);
  });
});

describe("Buffers", () => {
  it("reach the task as Buffers and come back as Buffers, copied or moved, in a map and a stream", async () => {
    // Structured clone gives Uint8Arrays: the task's toString("utf8") listed the bytes
    // ("104,105"), where the calling thread's task read the text.
    const executor = shared({ workers: 2 });
    const items = ["hi", "there", "buffers"].map((text) => Buffer.from(text));
    // A small Buffer is a view into a shared pool: only its own bytes are its text.
    const expected = items.map((item) => ["Buffer", item.toString("utf8")]);
    for (const transfer of ["none", "auto"] as const) {
      const copies = items.map((item) => Buffer.from(item));
      const { results } = await executor.map(task("tasks.mjs", "describeBuffer"), copies, {
        chunkSize: 2,
        transfer,
      });
      for (const result of results) expect(Buffer.isBuffer(result)).toBe(true);
      expect(results.map((result) => JSON.parse((result as Buffer).toString("utf8")))).toEqual(expected);
    }
    const streamed: unknown[] = [];
    for await (const { value } of executor.stream(task("tasks.mjs", "describeBuffer"), items, {
      chunkSize: 1,
    }))
      streamed.push(JSON.parse((value as Buffer).toString("utf8")));
    expect(streamed).toEqual(expected);
    // A Uint8Array stays one.
    const { results } = await executor.map(task("tasks.mjs", "byteLength"), [new Uint8Array(3)]);
    expect(results).toEqual([3]);
  });
});
