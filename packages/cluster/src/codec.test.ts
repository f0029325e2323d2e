import { describe, expect, it } from "@jest/globals";
import { CODEC, decodeAll, decodeChunkItems, encodeAll, encodeEach, encodeResults } from "./codec.js";

describe("codec", () => {
  it("keeps what structured clone keeps, as base64 that JSON carries unchanged", () => {
    const values = [1n, undefined, Number.NaN, -0, new Map([[1, new Date(0)]]), new Int16Array([-1, 2])];
    const payload = encodeAll(values);
    expect(JSON.parse(JSON.stringify({ payload })).payload).toBe(payload);
    const back = decodeAll(payload);
    expect(back).toStrictEqual(values);
    expect(Object.is(back[3], -0)).toBe(true);
  });

  it("refuses what structured clone refuses, by position, and encodes the rest", () => {
    const fn = () => 1;
    const { payload, kept, refused } = encodeEach(["a", fn, "c", Symbol("s")]);
    expect(kept).toEqual([0, 2]);
    expect(refused.map((r) => [r.position, r.reason])).toEqual([
      [1, `${String(fn)} could not be cloned.`],
      [3, "Symbol(s) could not be cloned."],
    ]);
    expect(decodeAll(payload)).toEqual(["a", "c"]);
  });

  it("sends a result that cannot travel as undefined in its place", () => {
    const { payload, refused } = encodeResults([1, new WeakMap(), 3]);
    expect(refused.map((r) => r.position)).toEqual([1]);
    expect(decodeAll(payload)).toEqual([1, undefined, 3]);
  });

  it("refuses a chunk of another codec or version, saying which", () => {
    expect(decodeChunkItems({ codec: CODEC, payload: encodeAll([1]) })).toEqual([1]);
    expect(() => decodeChunkItems({ items: [1] } as never)).toThrow(
      "Cannot read a chunk encoded as undefined: this host reads v8+base64",
    );
    expect(() => decodeAll(encodeAll([]).slice(0, 2))).toThrow();
    expect(() => decodeAll(Buffer.from([0xff, 0x0f, 0x49, 0x02]).toString("base64"))).toThrow(
      "Expected a v8+base64 array payload",
    );
  });
});
