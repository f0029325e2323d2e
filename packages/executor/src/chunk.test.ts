import { afterEach, beforeEach, describe, expect, it, jest } from "@jest/globals";
import {
  assemble,
  BeginBound,
  type Chunk,
  ChunkClock,
  ChunkDraft,
  indexAt,
  newChunk,
  precomputedIn,
  rangeOf,
  START_WAIT_MS,
} from "./chunk.js";
import { stampBegin } from "./protocol.js";

describe("ChunkDraft", () => {
  it("sends the items read and sets precomputed ones aside, with their indices", () => {
    const draft = new ChunkDraft(10, new Map<number, unknown>([[12, "twelve"]]));
    for (const [index, value] of [
      [10, "a"],
      [11, "b"],
      [12, "c"],
      [13, "d"],
    ] as const) {
      draft.add(index, value);
    }
    const chunk = draft.chunk(14)!;
    expect(chunk).toMatchObject({
      first: 10,
      span: 4,
      items: ["a", "b", "d"],
      indices: [10, 11, 13],
      pre: [12, "twelve"],
    });
    expect([indexAt(chunk, 0), indexAt(chunk, 2)]).toEqual([10, 13]);
    expect(rangeOf(chunk)).toEqual([10, 13]);
    expect(precomputedIn(chunk)).toBe(1);
    expect(assemble(chunk, ["A", "B", "D"])).toEqual(["A", "B", "twelve", "D"]);
    // A lost chunk keeps its precomputed results only.
    expect(assemble(chunk, null)).toEqual([undefined, undefined, "twelve", undefined]);
  });

  it("keeps no index list while nothing is precomputed, and makes no chunk of nothing", () => {
    const draft = new ChunkDraft(5, undefined);
    draft.add(5, 1);
    draft.add(6, 2);
    const chunk = draft.chunk(7)!;
    expect(chunk).toMatchObject({ first: 5, span: 2, items: [1, 2], indices: null, pre: null });
    const results = [10, 20];
    expect(assemble(chunk, results)).toBe(results);
    expect(new ChunkDraft(3, undefined).chunk(3)).toBeNull();
  });
});

describe("BeginBound", () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it("does not count the time a check waits for a worker, and aborts ms after the worker began it", () => {
    const request: { w?: Int32Array; y?: number; o?: number } = {};
    const bound = new BeginBound(request, 100);
    jest.advanceTimersByTime(1_000);
    expect(bound.signal.aborted).toBe(false);
    stampBegin(request.w!, request.y!, request.o!);
    jest.advanceTimersByTime(99);
    expect(bound.signal.aborted).toBe(false);
    jest.advanceTimersByTime(2);
    expect([bound.signal.aborted, bound.expired]).toEqual([true, true]);
  });

  it("stops once cleared", () => {
    const request: { w?: Int32Array; y?: number; o?: number } = {};
    const bound = new BeginBound(request, 100);
    stampBegin(request.w!, request.y!, request.o!);
    bound.clear();
    jest.advanceTimersByTime(1_000);
    expect([bound.signal.aborted, bound.expired]).toEqual([false, false]);
  });
});

describe("ChunkClock", () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  const chunks = (n: number): Chunk[] => Array.from({ length: n }, (_, i) => newChunk(i, 1, [i], null, null));

  it("starts a chunk's clock when a worker is free for it, and times it out after ms", () => {
    const clock = new ChunkClock(2, 100);
    const [a, b, c] = chunks(3) as [Chunk, Chunk, Chunk];
    for (const chunk of [a, b, c]) clock.dispatched(chunk);
    // Two workers: a and b start; c waits in tinypool's queue behind them.
    jest.advanceTimersByTime(60);
    clock.settled(a);
    jest.advanceTimersByTime(40);
    expect([a.timedOut, b.timedOut, c.timedOut]).toEqual([false, true, false]);
    // c started when a settled, at 60 ms: it times out at 160 ms, not at 100.
    jest.advanceTimersByTime(59);
    expect(c.timedOut).toBe(false);
    jest.advanceTimersByTime(1);
    expect(c.timedOut).toBe(true);
  });

  it("aborts the chunk's controller when it times out", () => {
    const clock = new ChunkClock(1, 10);
    const [a] = chunks(1) as [Chunk];
    a.controller = new AbortController();
    clock.dispatched(a);
    jest.advanceTimersByTime(10);
    expect(a.controller.signal.aborted).toBe(true);
  });

  it("counts from when the worker began the chunk's items, not from its start or its import", () => {
    const clock = new ChunkClock(1, 100);
    const [a] = chunks(1) as [Chunk];
    const { w, y, o } = clock.cell(a);
    clock.dispatched(a);
    // A replacement worker starts and imports the task for 250 ms, then begins the items.
    jest.advanceTimersByTime(250);
    expect(a.timedOut).toBe(false);
    stampBegin(w, y, o);
    jest.advanceTimersByTime(98);
    expect(a.timedOut).toBe(false);
    jest.advanceTimersByTime(3);
    expect(a.timedOut).toBe(true);
    expect(a.notBegun).toBe(false);
  });

  it("times out a chunk whose worker never begins it after START_WAIT_MS, or its time-out when longer", () => {
    const short = new ChunkClock(1, 100);
    const long = new ChunkClock(1, START_WAIT_MS * 2);
    const [a, b] = chunks(2) as [Chunk, Chunk];
    const cellA = short.cell(a);
    const cellB = long.cell(b);
    short.dispatched(a);
    long.dispatched(b);
    // Each worker takes its chunk up at once, and imports the task for ever.
    stampBegin(cellA.w, cellA.y, cellA.o, false);
    stampBegin(cellB.w, cellB.y, cellB.o, false);
    jest.advanceTimersByTime(START_WAIT_MS - 1);
    expect(a.timedOut).toBe(false);
    jest.advanceTimersByTime(1);
    expect(a.timedOut).toBe(true);
    expect(a.notBegun).toBe(true);
    jest.advanceTimersByTime(START_WAIT_MS - 1);
    expect(b.timedOut).toBe(false);
    jest.advanceTimersByTime(1);
    expect(b.timedOut).toBe(true);
  });

  it("does not count a chunk's wait for a worker busy with another run's chunk, and bounds it once taken up", () => {
    const clock = new ChunkClock(1, 100);
    const [a] = chunks(1) as [Chunk];
    const { w, y, o } = clock.cell(a);
    clock.dispatched(a);
    // Queued in the pool behind another run's long chunk: never taken up for 30 s.
    jest.advanceTimersByTime(30_000);
    expect(a.timedOut).toBe(false);
    // Taken up, then begun 50 ms later: its time-out runs from the begin.
    stampBegin(w, y, o, false);
    jest.advanceTimersByTime(50);
    stampBegin(w, y, o);
    jest.advanceTimersByTime(98);
    expect(a.timedOut).toBe(false);
    jest.advanceTimersByTime(3);
    expect([a.timedOut, a.notBegun]).toEqual([true, false]);
  });

  it("hands each chunk in flight its own cell, cleared, and more cells when they run out", () => {
    const clock = new ChunkClock(1, 100);
    const many = chunks(200);
    const cells = many.map((chunk) => clock.cell(chunk));
    const buffers = new Map<ArrayBufferLike, number>();
    const where = ({ w, y }: { w: Int32Array; y: number }) => {
      if (!buffers.has(w.buffer)) buffers.set(w.buffer, buffers.size);
      return `${buffers.get(w.buffer)}:${y}`;
    };
    const seen = new Set(cells.map(where));
    expect(seen.size).toBe(200);
    for (const { w, y } of cells) expect(Atomics.load(w, y)).toBe(0);
    // A settled chunk's cell is handed out again, cleared.
    const first = cells[cells.length - 1]!;
    stampBegin(first.w, first.y, first.o);
    clock.settled(many[many.length - 1]!);
    const again = clock.cell(chunks(1)[0]!);
    expect([again.w, again.y]).toEqual([first.w, first.y]);
    expect(Atomics.load(again.w, again.y)).toBe(0);
  });

  it("does not hand out again the cell of a chunk that came back unanswered (its worker may still stamp it)", () => {
    const clock = new ChunkClock(1, 100);
    const [a, b, c] = chunks(3) as [Chunk, Chunk, Chunk];
    const lost = clock.cell(a);
    clock.dispatched(a);
    clock.settled(a, false);
    const next = clock.cell(b);
    expect([next.w, next.y]).not.toEqual([lost.w, lost.y]);
    clock.settled(b, true);
    expect([clock.cell(c).y]).toEqual([next.y]);
  });

  it("forgets a waiting chunk that settles, and starts nothing once stopped", () => {
    const clock = new ChunkClock(1, 10);
    const [a, b, c] = chunks(3) as [Chunk, Chunk, Chunk];
    for (const chunk of [a, b, c]) clock.dispatched(chunk);
    clock.settled(b);
    clock.stopped = true;
    clock.settled(a);
    jest.advanceTimersByTime(1_000);
    expect([a.timedOut, b.timedOut, c.timedOut]).toEqual([false, false, false]);
    expect(c.timer).toBeUndefined();
  });
});
