import { describe, expect, it } from "@jest/globals";
import { SourceError } from "../errors.js";
import { type BlockRange, spreadIndices } from "./order.js";
import {
  assertTaskData,
  type Block,
  type BlockSink,
  sampleArray,
  sampleIterable,
  sizedLength,
} from "./source.js";

/** A sink that runs `runs` blocks of `size` items, recording them. */
function sink(runs: number, size: number, fail?: Error): BlockSink & { blocks: Block[] } {
  const ranges: BlockRange[] = [];
  const blocks: Block[] = [];
  return {
    blocks,
    ranges,
    shouldStop: () => blocks.length >= runs,
    blockSize: () => size,
    run: async (block) => {
      if (fail) throw fail;
      ranges.push({ first: block.first, length: block.items.length });
      blocks.push(block);
    },
  };
}

/** A source that counts what was read from it and whether it was closed. */
function counted(n: number): Iterable<number> & { read: number; closed: boolean } {
  const source = {
    read: 0,
    closed: false,
    [Symbol.iterator]: () => ({
      next: (): IteratorResult<number> =>
        source.read < n ? { done: false, value: source.read++ } : { done: true, value: undefined },
      return: (): IteratorResult<number> => {
        source.closed = true;
        return { done: true, value: undefined };
      },
    }),
  };
  return source;
}

describe("sampleArray", () => {
  it("runs blocks in spread order, each ending before a block already run", async () => {
    const data = Array.from({ length: 16 }, (_, i) => i * 10);
    const s = sink(4, 3);
    await sampleArray(data, s);
    // Spread order 8, 3, 12, 6 (see spreadIndices): the block at 6 stops at the one at 8.
    expect([...spreadIndices(16)].slice(0, 4)).toEqual([8, 3, 12, 6]);
    expect(s.blocks).toEqual([
      { first: 8, items: [80, 90, 100] },
      { first: 3, items: [30, 40, 50] },
      { first: 12, items: [120, 130, 140] },
      { first: 6, items: [60, 70] },
    ]);
  });

  it("skips starts inside blocks already run, and covers a short input once", async () => {
    const s = sink(100, 4);
    await sampleArray([0, 1, 2, 3, 4, 5], s);
    const seen = s.blocks.flatMap((b) => b.items);
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });
});

describe("sampleIterable", () => {
  it("re-joins a generator: nothing lost, nothing repeated", async () => {
    const source = counted(20);
    const s = sink(2, 3);
    const read = await sampleIterable(source, undefined, s);
    expect(s.blocks).toEqual([
      { first: 0, items: [0, 1, 2] },
      { first: 3, items: [3, 4, 5] },
    ]);
    // The six sampled, and the next one read ahead (see below).
    expect(source.read).toBe(7);
    expect(read.length).toBeNull();
    expect([...(read.data as Iterable<number>)]).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it("knows the length of a source it read to the end", async () => {
    const s = sink(10, 4);
    const read = await sampleIterable(counted(5), undefined, s);
    expect(read.length).toBe(5);
    expect(s.blocks.map((b) => b.items)).toEqual([[0, 1, 2, 3], [4]]);
    expect([...(read.data as Iterable<number>)]).toEqual([0, 1, 2, 3, 4]);
  });

  it("reads the next item of a synchronous source sampling stopped before: one that ended there is known to have", async () => {
    // Sampling stops after one block of two items: the source had two, or three.
    const two = counted(2);
    const ended = await sampleIterable(two, undefined, sink(1, 2));
    expect(ended.length).toBe(2);
    expect([...(ended.data as Iterable<number>)]).toEqual([0, 1]);
    const three = counted(3);
    const more = await sampleIterable(three, undefined, sink(1, 2));
    expect(more.length).toBeNull();
    expect(three.read).toBe(3);
    // The item read ahead was not run: the run gets it, once.
    expect(more.failure).toBeNull();
    expect([...(more.data as Iterable<number>)]).toEqual([0, 1, 2]);
    // A source that fails at the item read ahead fails where the run reads it, not here.
    function* failsAtTwo() {
      yield* [0, 1];
      throw new Error("late");
    }
    const failing = await sampleIterable(failsAtTwo(), undefined, sink(1, 2));
    expect(failing.failure).toBeNull();
    expect(failing.length).toBe(2);
    const seen: unknown[] = [];
    expect(() => {
      for (const x of failing.data as Iterable<unknown>) seen.push(x);
    }).toThrow("The input failed to give item 2: late");
    expect(seen).toEqual([0, 1]);
  });

  it("reads no item ahead of an async source: its next item may be a wait", async () => {
    let reads = 0;
    async function* two() {
      for (let i = 0; i < 2; i++) {
        reads++;
        yield i;
      }
    }
    const read = await sampleIterable(two(), undefined, sink(1, 2));
    expect(reads).toBe(2);
    expect(read.length).toBeNull();
    const seen: unknown[] = [];
    for await (const x of read.data as AsyncIterable<unknown>) seen.push(x);
    expect(seen).toEqual([0, 1]);
  });

  it("re-joins an async generator", async () => {
    async function* numbers() {
      for (let i = 0; i < 10; i++) yield i;
    }
    const read = await sampleIterable(numbers(), undefined, sink(1, 4));
    const seen: unknown[] = [];
    for await (const x of read.data as AsyncIterable<unknown>) seen.push(x);
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("closes the source when the consumer of the re-joined data stops early", async () => {
    const source = counted(20);
    const read = await sampleIterable(source, undefined, sink(1, 2));
    for (const x of read.data as Iterable<number>) if (x === 5) break;
    expect(source.closed).toBe(true);
  });

  it("closes the source when the consumer stops within the items sampling read", async () => {
    const source = counted(20);
    const read = await sampleIterable(source, undefined, sink(2, 3));
    for (const x of read.data as Iterable<number>) if (x === 1) break;
    expect(source.closed).toBe(true);
  });

  it("keeps what it read of a source that fails, and ends the data with a SourceError", async () => {
    function* failing() {
      yield* [0, 1, 2, 3, 4];
      throw new Error("source broke");
    }
    const s = sink(10, 3);
    const read = await sampleIterable(failing(), undefined, s);
    // The block cut short by the failure still ran.
    expect(s.blocks.map((b) => b.items)).toEqual([
      [0, 1, 2],
      [3, 4],
    ]);
    // It ended at its failure: what runs is the five items read.
    expect(read.length).toBe(5);
    expect(read.failure).toBeInstanceOf(SourceError);
    expect(read.failure).toMatchObject({ code: "AMORSIZE_SOURCE_FAILED", index: 5 });
    const seen: unknown[] = [];
    expect(() => {
      for (const x of read.data as Iterable<unknown>) seen.push(x);
    }).toThrow("The input failed to give item 5: source broke");
    expect(seen).toEqual([0, 1, 2, 3, 4]);
  });

  it("names the item when a source fails after sampling, and a rejected async read", async () => {
    function* failsAtSeven() {
      yield* [0, 1, 2, 3, 4, 5, 6];
      throw new Error("late");
    }
    const read = await sampleIterable(failsAtSeven(), undefined, sink(1, 2));
    expect(() => [...(read.data as Iterable<unknown>)]).toThrow("The input failed to give item 7: late");
    const rejects: AsyncIterable<number> = {
      [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(new Error("no")) }),
    };
    const failed = await sampleIterable(rejects, undefined, sink(1, 2));
    expect(failed.failure).toMatchObject({ index: 0, message: "The input failed to give item 0: no" });
  });

  it("closes the source and rethrows when running a block fails", async () => {
    const source = counted(20);
    await expect(sampleIterable(source, undefined, sink(1, 2, new Error("item failed")))).rejects.toThrow(
      "item failed",
    );
    expect(source.closed).toBe(true);
  });
});

describe("sizedLength", () => {
  it("reads the item count of a Set or a Map, and of nothing else", () => {
    expect(sizedLength(new Set([1, 2, 3]))).toBe(3);
    expect(sizedLength(new Map([["a", 1]]))).toBe(1);
    expect(sizedLength(new Set())).toBe(0);
    expect(sizedLength([1, 2])).toBeNull();
    expect(sizedLength({ size: 4, *[Symbol.iterator]() {} })).toBeNull();
    // A Set that iterates its own way gives what its iterator gives, not its size.
    const doubled = new Set([1, 2]);
    Object.defineProperty(doubled, Symbol.iterator, {
      *value() {
        for (const x of doubled.values()) yield* [x, x];
      },
    });
    expect([...doubled]).toEqual([1, 1, 2, 2]);
    expect(sizedLength(doubled)).toBeNull();
  });
});

describe("assertTaskData", () => {
  it("accepts arrays, typed arrays, iterables and async iterables", () => {
    for (const data of [[1], new Uint8Array(2), new Set([1]), (async function* () {})()]) {
      expect(() => assertTaskData(data)).not.toThrow();
    }
  });

  it("rejects a string, null and anything not iterable, saying what it got", () => {
    expect(() => assertTaskData("abc")).toThrow(
      "data: Expected an array, an iterable or an async iterable, got string",
    );
    expect(() => assertTaskData(null)).toThrow("got null");
    expect(() => assertTaskData({})).toThrow("got [object Object]");
    expect(() => assertTaskData(42)).toThrow("got number");
  });
});
