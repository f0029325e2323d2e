import { describe, expect, it } from "@jest/globals";
import { InputTooLargeError, SourceError } from "./errors.js";
import { guardedInput, MAX_COLLECTED_ITEMS, type SourceFence } from "./guard.js";
import { sampleIterable } from "./sampling/source.js";

/** A source of `n` numbers (endless when n is Infinity) that records whether it was closed. */
function source(n: number, fail?: Error): Iterable<number> & { closed: boolean } {
  const s = {
    closed: false,
    *[Symbol.iterator]() {
      try {
        for (let i = 0; i < n; i++) yield i;
        if (fail) throw fail;
      } finally {
        s.closed = true;
      }
    },
  };
  return s;
}

const drain = (data: unknown) => [...(data as Iterable<unknown>)];

describe("guardedInput", () => {
  it("leaves arrays and typed arrays as they are", () => {
    const array = [1, 2, 3];
    expect(guardedInput(array, { limit: 1 })).toBe(array);
    const typed = new Float64Array(4);
    expect(guardedInput(typed, { limit: 1 })).toBe(typed);
    expect(MAX_COLLECTED_ITEMS).toBe(16_777_216);
  });

  it("reads up to the limit, then closes the source and throws InputTooLargeError", () => {
    const exact = source(3);
    expect(drain(guardedInput(exact, { limit: 3 }))).toEqual([0, 1, 2]);
    const endless = source(Number.POSITIVE_INFINITY);
    const seen: unknown[] = [];
    expect(() => {
      for (const x of guardedInput(endless, { limit: 4 }) as Iterable<unknown>) seen.push(x);
    }).toThrow(InputTooLargeError);
    expect(seen).toEqual([0, 1, 2, 3]);
    expect(endless.closed).toBe(true);
  });

  it("turns the source's failure into a SourceError naming the item, or keeps it in a fence", () => {
    expect(() => drain(guardedInput(source(2, new Error("bad")), {}))).toThrow(
      new SourceError(2, new Error("bad")).message,
    );
    const fence: SourceFence = { failure: null };
    expect(drain(guardedInput(source(2, new Error("bad")), { fence }))).toEqual([0, 1]);
    expect(fence.failure).toMatchObject({ code: "AMORSIZE_SOURCE_FAILED", index: 2 });
    // A SourceError already naming its item (from a re-joined sample) is kept as it is.
    const named = new SourceError(7, new Error("late"));
    const failing = {
      *[Symbol.iterator]() {
        yield 1;
        throw named;
      },
    };
    expect(() => drain(guardedInput(failing, {}))).toThrow(named);
  });

  it("adds its bound to a re-joined sample's own reader instead of wrapping it", async () => {
    const endless = source(Number.POSITIVE_INFINITY);
    const read = await sampleIterable(endless, undefined, {
      ranges: [],
      shouldStop: () => true,
      blockSize: () => 1,
      run: async () => {},
    });
    const bounded = guardedInput(read.data, { limit: 3 });
    expect(bounded).toBe(read.data);
    expect(() => drain(bounded)).toThrow("more than options.maxItems (3) items");
    expect(endless.closed).toBe(true);
  });

  it("closes the source when the consumer leaves early", () => {
    const s = source(10);
    for (const x of guardedInput(s, {}) as Iterable<number>) if (x === 2) break;
    expect(s.closed).toBe(true);
  });

  it("guards an async source alike", async () => {
    let closed = false;
    async function* endless() {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        closed = true;
      }
    }
    const seen: unknown[] = [];
    const reading = (async () => {
      for await (const x of guardedInput(endless(), { limit: 2 }) as AsyncIterable<unknown>) seen.push(x);
    })();
    await expect(reading).rejects.toMatchObject({ code: "AMORSIZE_INPUT_TOO_LARGE", limit: 2 });
    expect(seen).toEqual([0, 1]);
    expect(closed).toBe(true);
    async function* failing() {
      yield 0;
      throw new Error("async bad");
    }
    const fence: SourceFence = { failure: null };
    for await (const _ of guardedInput(failing(), { fence }) as AsyncIterable<unknown>) seen.push(_);
    expect(fence.failure?.message).toBe("The input failed to give item 1: async bad");
  });
});
