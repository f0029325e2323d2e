import { describe, expect, it } from "@jest/globals";
import { bytesPerValue, estimateBytes } from "./size.js";

describe("estimateBytes", () => {
  it("counts primitives, strings by length and buffers by byte length", () => {
    expect(estimateBytes(7)).toBe(9);
    expect(estimateBytes(true)).toBe(1);
    expect(estimateBytes(undefined)).toBe(1);
    expect(estimateBytes(null)).toBe(1);
    expect(estimateBytes(255n)).toBe(10);
    expect(estimateBytes("x".repeat(200))).toBe(204);
    expect(estimateBytes(new Uint8Array(1000))).toBe(1016);
    expect(estimateBytes(new Float64Array(new ArrayBuffer(800), 80, 10))).toBe(96);
    expect(estimateBytes(new ArrayBuffer(64))).toBe(72);
    expect(estimateBytes(new Date(0))).toBe(9);
    expect(estimateBytes(/ab+/)).toBe(11);
  });

  it("sums small containers: arrays, objects (keys too), Maps and Sets", () => {
    expect(estimateBytes([1, 2, 3])).toBe(8 + 3 * 9);
    expect(estimateBytes({ a: 1, bc: "xy" })).toBe(8 + (4 + 1 + 9) + (4 + 2 + 6));
    expect(estimateBytes(new Set([1, 2]))).toBe(8 + 2 * (8 + 2 * 9));
    expect(estimateBytes(new Map([["k", 1]]))).toBe(8 + (8 + 5 + 9));
    expect(estimateBytes([])).toBe(8);
  });

  it("extrapolates a big container from 8 evenly spaced children", () => {
    // Children 0, 125, 250, ... 875 of 1,000 strings: 0, 250, 500 and 750 are even and hold
    // 10 characters (14 bytes), the other four are empty (4 bytes): 9 bytes on average.
    const strings = Array.from({ length: 1000 }, (_, i) => (i % 2 === 0 ? "x".repeat(10) : ""));
    expect(estimateBytes(strings)).toBe(8 + 1000 * 9);
    expect(estimateBytes(Array.from({ length: 100_000 }, () => 0))).toBe(8 + 100_000 * 9);
  });

  it("counts containers nested 3 levels down as 16 bytes each", () => {
    expect(estimateBytes([[["x".repeat(100)]]])).toBe(8 + 8 + 8 + 104);
    expect(estimateBytes([[[["x".repeat(100)]]]])).toBe(8 + 8 + 8 + 16);
  });
});

describe("bytesPerValue", () => {
  it("is the mean of the first, middle and last values", () => {
    expect(bytesPerValue([])).toBe(0);
    expect(bytesPerValue(["abcd"])).toBe(8);
    expect(bytesPerValue(["", "xx", "x".repeat(8), "zz", "x".repeat(14)])).toBe((4 + 12 + 18) / 3);
  });
});
