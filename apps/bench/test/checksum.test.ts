import { describe, expect, it } from "@jest/globals";
import { checksum } from "../src/checksum.js";

describe("checksum", () => {
  it("is equal for equal results, whatever the key order", () => {
    expect(checksum([{ id: 1, hash: 2 }, 3.5, "x"])).toBe(checksum([{ hash: 2, id: 1 }, 3.5, "x"]));
    expect(checksum(new Float64Array([1, 2]))).toBe(checksum(new Float64Array([1, 2])));
  });

  it("differs when any value, the order or the kind differs", () => {
    const base = checksum([1, 2, 3]);
    expect(checksum([1, 2, 4])).not.toBe(base);
    expect(checksum([1, 3, 2])).not.toBe(base);
    expect(checksum([1, 2, 3.0000001])).not.toBe(base);
    expect(checksum(new Float64Array([1, 2, 3]))).not.toBe(base);
    expect(checksum(["1", "2", "3"])).not.toBe(base);
    expect(checksum([1, 2, 3, undefined])).not.toBe(base);
    expect(checksum([null])).not.toBe(checksum([undefined]));
  });

  it("is a 16-digit hex string", () => {
    expect(checksum({ a: [true, false] })).toMatch(/^[0-9a-f]{16}$/);
  });
});
