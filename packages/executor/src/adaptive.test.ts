import { describe, expect, it } from "@jest/globals";
import { ChunkSizer, MAX_ADAPTIVE_CHUNK, MAX_CHUNK_BYTES } from "./adaptive.js";

describe("ChunkSizer", () => {
  it("starts at one item with no estimate", () => {
    const sizer = new ChunkSizer({ workers: 2, targetMs: [10, 100], total: null });
    expect(sizer.size).toBe(1);
    expect(sizer.perItemMs).toBeNull();
    expect(sizer.next(null)).toBe(1);
  });

  it("doubles while chunks run shorter than the window, then holds", () => {
    const sizer = new ChunkSizer({ workers: 2, targetMs: [10, 100], total: null });
    const sizes: number[] = [];
    for (let i = 0; i < 8; i++) {
      sizer.record(sizer.size, sizer.size * 0.5);
      sizes.push(sizer.size);
    }
    // 0.5 ms per item: 32 items take 16 ms, inside [10, 100].
    expect(sizes).toEqual([2, 4, 8, 16, 32, 32, 32, 32]);
    expect(sizer.perItemMs).toBeCloseTo(0.5, 12);
  });

  it("smooths the time per item (0.8 old + 0.2 new) and cuts to 2 x low when too slow", () => {
    const sizer = new ChunkSizer({ workers: 2, targetMs: [10, 100], total: null });
    for (let i = 0; i < 5; i++) sizer.record(sizer.size, sizer.size * 0.5);
    expect(sizer.size).toBe(32);
    sizer.record(32, 320); // 10 ms per item now
    expect(sizer.perItemMs).toBeCloseTo(2.4, 12);
    expect(sizer.size).toBe(32); // 2.4 x 32 = 76.8 ms: still inside the window
    sizer.record(32, 320);
    expect(sizer.perItemMs).toBeCloseTo(3.92, 12);
    expect(sizer.size).toBe(5); // 125 ms predicted: floor(20 / 3.92)
  });

  it("grows by doubling when chunks measure zero time", () => {
    const sizer = new ChunkSizer({ workers: 1, targetMs: [10, 100], total: null });
    sizer.record(1, 0);
    sizer.record(2, 0);
    expect(sizer.size).toBe(4);
  });

  it("never asks for more than an equal share of a known input, nor MAX_ADAPTIVE_CHUNK", () => {
    const known = new ChunkSizer({ workers: 2, targetMs: [10, 100], total: 100 });
    for (let i = 0; i < 10; i++) known.record(known.size, 0);
    expect(known.size).toBe(50);
    const unknown = new ChunkSizer({ workers: 2, targetMs: [10, 100], total: null });
    for (let i = 0; i < 40; i++) unknown.record(unknown.size, 0);
    expect(unknown.size).toBe(MAX_ADAPTIVE_CHUNK);
  });

  it("holds a chunk to maxItems and to maxBytes of items and results", () => {
    expect(MAX_ADAPTIVE_CHUNK).toBe(65_536);
    expect(MAX_CHUNK_BYTES).toBe(1_048_576);
    const sizer = new ChunkSizer({ workers: 2, targetMs: [10, 100], total: null, maxItems: 1000 });
    for (let i = 0; i < 20; i++) sizer.record(sizer.size, 0);
    expect(sizer.size).toBe(1000);
    const bytes = new ChunkSizer({ workers: 2, targetMs: [10, 100], total: null, maxBytes: 10_000 });
    bytes.recordBytes("items", 30);
    expect(bytes.bytesPerItem).toBe(30);
    bytes.recordBytes("results", 20);
    expect(bytes.bytesPerItem).toBe(50);
    for (let i = 0; i < 20; i++) bytes.record(bytes.size, 0);
    expect(bytes.size).toBe(200); // 10,000 / 50
    expect(bytes.next(null)).toBe(200);
  });

  it("follows bigger items at once and smaller ones slowly (0.8 old + 0.2 new)", () => {
    const sizer = new ChunkSizer({ workers: 1, targetMs: [10, 100], total: null, maxBytes: 12_000 });
    sizer.recordBytes("items", 10);
    for (let i = 0; i < 20; i++) sizer.record(sizer.size, 0);
    expect(sizer.size).toBe(1200);
    sizer.recordBytes("items", 100);
    expect(sizer.bytesPerItem).toBe(100);
    // The next chunk is cut before any duration says so.
    expect(sizer.next(null)).toBe(120);
    sizer.recordBytes("items", 50);
    expect(sizer.bytesPerItem).toBe(90);
    expect(sizer.next(null)).toBe(133);
  });

  it("ignores invalid byte counts and never asks for less than one item", () => {
    const sizer = new ChunkSizer({ workers: 1, targetMs: [10, 100], total: null, maxBytes: 100 });
    sizer.recordBytes("items", Number.NaN);
    sizer.recordBytes("items", -5);
    sizer.recordBytes("results", Number.POSITIVE_INFINITY);
    expect(sizer.bytesPerItem).toBeNull();
    sizer.recordBytes("results", 1e9);
    expect(sizer.next(null)).toBe(1);
  });

  it("shrinks near the end of a known input so workers finish together, down to ~low/10 ms", () => {
    const sizer = new ChunkSizer({ workers: 2, targetMs: [10, 100], total: null });
    for (let i = 0; i < 5; i++) sizer.record(sizer.size, sizer.size * 0.5);
    expect(sizer.size).toBe(32);
    expect(sizer.next(null)).toBe(32);
    expect(sizer.next(1000)).toBe(32); // 1000 / (2 x 2) = 250: far from the end
    expect(sizer.next(40)).toBe(10); // ceil(40 / 4)
    expect(sizer.next(5)).toBe(2); // floor: 1 ms of work = 2 items at 0.5 ms
    expect(sizer.next(0)).toBe(32);
  });

  it("ignores empty and invalid measurements", () => {
    const sizer = new ChunkSizer({ workers: 2, targetMs: [10, 100], total: null });
    sizer.record(0, 5);
    sizer.record(3, Number.NaN);
    expect(sizer.perItemMs).toBeNull();
    expect(sizer.size).toBe(1);
  });

  it("starts at `initial` when given (within the cap) and adapts from there", () => {
    const sizer = new ChunkSizer({ workers: 2, targetMs: [10, 100], total: 1000, initial: 64 });
    expect(sizer.next(null)).toBe(64);
    // 64 items of 5 ms: 320 ms, past the window's top: cut to the size that takes 2 x low.
    sizer.record(64, 320);
    expect(sizer.size).toBe(4);
    expect(new ChunkSizer({ workers: 2, targetMs: [10, 100], total: 100, initial: 5000 }).size).toBe(50);
  });
});
