import { describe, expect, it } from "@jest/globals";
import { newChunk } from "./chunk.js";
import { mergePart, partsOf, splitBefore, splitCrashed } from "./isolate.js";

describe("splitBefore", () => {
  it("takes the items before the one that was running, with the rest to run after them", () => {
    // Input 10..15, item 12 precomputed (not sent): items 10, 11, 13, 14, 15; 14 was running.
    const chunk = newChunk(10, 6, ["a", "b", "d", "e", "f"], [10, 11, 13, 14, 15], [12, "c"]);
    const head = splitBefore(chunk, 3);
    expect(head).toMatchObject({
      first: 10,
      span: 4,
      items: ["a", "b", "d"],
      indices: [10, 11, 13],
      pre: [12, "c"],
    });
    expect(head.rest).toMatchObject({ first: 14, span: 2, items: ["e", "f"], indices: [14, 15], pre: null });
    // Consecutive items keep no index list.
    const plain = splitBefore(newChunk(0, 5, [0, 1, 2, 3, 4], null, null), 2);
    expect(plain).toMatchObject({ first: 0, span: 2, items: [0, 1], indices: null });
    expect(plain.rest).toMatchObject({ first: 2, span: 3, items: [2, 3, 4], indices: null, rest: null });
    // Split again (an item before the first crash crashed too): the first rest still follows.
    const again = splitBefore(plain, 1);
    expect(again).toMatchObject({ first: 0, span: 1, items: [0] });
    expect(again.rest).toMatchObject({ first: 1, span: 1, items: [1] });
    expect(again.rest!.rest).toBe(plain.rest);
  });
});

describe("splitCrashed", () => {
  it("runs the item that was running alone first, then those before and after it", () => {
    expect(splitCrashed(2500, 3)).toEqual([
      [3, 4],
      [0, 3],
      [4, 2500],
    ]);
    expect(splitCrashed(5, 0)).toEqual([
      [0, 1],
      [1, 5],
    ]);
    expect(splitCrashed(5, 4)).toEqual([
      [4, 5],
      [0, 4],
    ]);
  });

  it("halves without a hint, or with one outside the chunk", () => {
    expect(splitCrashed(9, -1)).toEqual([
      [0, 5],
      [5, 9],
    ]);
    expect(splitCrashed(2, 2)).toEqual([
      [0, 1],
      [1, 2],
    ]);
  });
});

describe("partsOf and mergePart", () => {
  it("runs a chunk again in parts and puts its results back together by input index", () => {
    // Items of inputs 10..15; input 12 was precomputed, so the chunk sends 5 items.
    const whole = newChunk(10, 6, ["a", "b", "d", "e", "f"], [10, 11, 13, 14, 15], [12, "pre"]);
    const [alone, before, after] = partsOf(whole, splitCrashed(5, 2));
    expect([alone!.items, alone!.indices]).toEqual([["d"], [13]]);
    expect([before!.items, before!.indices]).toEqual([
      ["a", "b"],
      [10, 11],
    ]);
    expect([after!.items, after!.indices]).toEqual([
      ["e", "f"],
      [14, 15],
    ]);
    expect(whole.rerun!.pending).toBe(3);
    // The part after splits again: it is replaced by its two parts.
    const [e, f] = partsOf(after!, splitCrashed(2, -1));
    expect([e!.indices, f!.indices, e!.whole, whole.rerun!.pending]).toEqual([[14], [15], whole, 4]);
    alone!.failed = [13];
    expect(mergePart(alone!, null)).toBeNull();
    expect(mergePart(before!, ["A", "B"])).toBeNull();
    expect(mergePart(e!, ["E"])).toBeNull();
    expect(mergePart(f!, ["F"])).toEqual(["A", "B", "pre", undefined, "E", "F"]);
    expect(whole.failed).toEqual([13]);
  });
});
