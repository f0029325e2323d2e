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
