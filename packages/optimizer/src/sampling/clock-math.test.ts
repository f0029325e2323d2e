import { describe, expect, it } from "@jest/globals";
import {
  blockItemFigures,
  type ClockReading,
  concurrentItemFigures,
  cpuBetween,
  othersBetween,
  ownMs,
  ownTime,
  parseSchedstat,
  threadCpuBetween,
  type UnitWindow,
} from "./clock-math.js";

const reading = (r: Partial<ClockReading>): ClockReading => ({
  processCpuMs: 0,
  threadCpuMs: null,
  queuedMs: 0,
  loopActiveMs: 0,
  loopIdleMs: 0,
  ...r,
});

describe("parseSchedstat", () => {
  it("reads the runtime and the time queued for a core, in milliseconds", () => {
    expect(parseSchedstat("123456789 5200000 42\n")).toEqual({ runMs: 123.456789, queuedMs: 5.2 });
  });

  it("gives null for anything but two numbers", () => {
    expect(parseSchedstat("")).toBeNull();
    expect(parseSchedstat("12")).toBeNull();
    expect(parseSchedstat("run queued slices")).toBeNull();
  });
});

describe("ownTime", () => {
  it("takes the queueing off the window around the clock reads, never beyond the unit's wall time", () => {
    // The case seen under load: a 1.75 ms item whose reads saw 5.2 ms of queueing in a 7 ms window.
    expect(ownTime(1.75, 7, 5.2)).toBe(1.75);
    expect(ownTime(4, 4.5, 2)).toBe(2.5);
    expect(ownTime(4, 4.5, 0)).toBe(4);
  });

  it("is never negative", () => {
    expect(ownTime(3, 4, 6)).toBe(0);
  });
});

describe("blockItemFigures", () => {
  const window = (
    before: Partial<ClockReading>,
    after: Partial<ClockReading>,
    outerMs: number,
  ): UnitWindow => ({
    before: reading(before),
    after: reading(after),
    outerMs,
    heapGrowth: 4096,
  });

  it("shares the block's figures out evenly over its items", () => {
    const figures = blockItemFigures(
      window(
        { processCpuMs: 100, threadCpuMs: 50, queuedMs: 10, loopActiveMs: 1000, loopIdleMs: 200 },
        { processCpuMs: 108, threadCpuMs: 58, queuedMs: 14, loopActiveMs: 1008, loopIdleMs: 200 },
        10,
      ),
      8,
      4,
    );
    // Own time: 10 ms window less 4 ms queued = 6 ms, a quarter each.
    expect(figures).toEqual({
      wallMs: 2,
      cpuMs: 2,
      threadCpuMs: 2,
      ownMs: 1.5,
      idleMs: 0,
      heapGrowth: 1024,
      otherCpuMs: null,
    });
  });

  it("leaves the time spent queued for a core out of item times", () => {
    // The same four items alone (2 ms) and on a crowded core (4 ms of wall, 2.5 ms queued).
    const alone = blockItemFigures(window({}, {}, 2.5), 2, 4);
    const crowded = blockItemFigures(window({ queuedMs: 100 }, { queuedMs: 102.5 }, 4.5), 4, 4);
    expect(alone.ownMs).toBe(0.5);
    expect(crowded.wallMs).toBe(1);
    expect(crowded.ownMs).toBe(0.5);
  });

  it("counts the time the event loop waited in its poll as waiting", () => {
    const figures = blockItemFigures(
      window(
        { loopActiveMs: 10, loopIdleMs: 100 },
        { processCpuMs: 1, loopActiveMs: 11, loopIdleMs: 119 },
        20.5,
      ),
      20,
      1,
    );
    expect(figures).toEqual({
      wallMs: 20,
      cpuMs: 1,
      threadCpuMs: null,
      ownMs: 20,
      idleMs: 19,
      heapGrowth: 4096,
      otherCpuMs: null,
    });
  });
});

describe("concurrentItemFigures", () => {
  // 20 ms window: 5 ms queued, the loop 15 ms in its poll and 2 ms active; two other
  // threads of the process spun through it (40 ms of process CPU), the thread ran 1 ms.
  const window: UnitWindow = {
    before: reading({ processCpuMs: 0, threadCpuMs: 100, queuedMs: 0, loopActiveMs: 50, loopIdleMs: 500 }),
    after: reading({ processCpuMs: 40, threadCpuMs: 101, queuedMs: 5, loopActiveMs: 52, loopIdleMs: 515 }),
    outerMs: 20,
    heapGrowth: 8000,
  };

  it("scales each item's latency by the window's busy and idle shares, and shares CPU and heap evenly", () => {
    expect(concurrentItemFigures(window, [20, 16, 12, 8])).toEqual([
      { wallMs: 20, cpuMs: 0.5, threadCpuMs: 0.25, ownMs: 15, idleMs: 15, heapGrowth: 2000 },
      { wallMs: 16, cpuMs: 0.5, threadCpuMs: 0.25, ownMs: 12, idleMs: 12, heapGrowth: 2000 },
      { wallMs: 12, cpuMs: 0.5, threadCpuMs: 0.25, ownMs: 9, idleMs: 9, heapGrowth: 2000 },
      { wallMs: 8, cpuMs: 0.5, threadCpuMs: 0.25, ownMs: 6, idleMs: 6, heapGrowth: 2000 },
    ]);
  });

  it("takes an empty window as all busy, none idle", () => {
    const empty: UnitWindow = { before: reading({}), after: reading({}), outerMs: 0, heapGrowth: 0 };
    expect(concurrentItemFigures(empty, [0])).toEqual([
      { wallMs: 0, cpuMs: 0, threadCpuMs: null, ownMs: 0, idleMs: 0, heapGrowth: 0 },
    ]);
  });

  it("never gives an item more than its latency as idle time, nor a negative own time", () => {
    const odd: UnitWindow = {
      before: reading({ queuedMs: 0, loopIdleMs: 0 }),
      after: reading({ queuedMs: 30, loopIdleMs: 30 }),
      outerMs: 20,
      heapGrowth: 0,
    };
    expect(concurrentItemFigures(odd, [10])).toEqual([
      { wallMs: 10, cpuMs: 0, threadCpuMs: null, ownMs: 0, idleMs: 10, heapGrowth: 0 },
    ]);
  });
});

describe("othersBetween", () => {
  const others = (othersCpuMs: number | null | undefined): ClockReading =>
    reading(othersCpuMs === undefined ? {} : { othersCpuMs });

  it("is the other threads' runtime between two readings, shared out", () => {
    expect(othersBetween(others(10), others(16))).toBe(6);
    expect(othersBetween(others(10), others(16), 0.5)).toBe(3);
    // A thread that exited keeps its last runtime: the sum never falls; if it did, 0.
    expect(othersBetween(others(16), others(10))).toBe(0);
  });

  it("is null when either reading has no figure", () => {
    expect(othersBetween(others(null), others(16))).toBeNull();
    expect(othersBetween(others(10), others(undefined))).toBeNull();
  });
});

describe("cpuBetween", () => {
  it("takes the process's CPU time when nothing bounds it", () => {
    expect(cpuBetween(reading({ processCpuMs: 10 }), reading({ processCpuMs: 17 }))).toBe(7);
  });

  it("caps it by the thread's own runtime plus the schedstat staleness", () => {
    // 40 ms of process CPU (other threads busy), 2 ms of this thread's runtime: at most 2 + 10.
    const before = reading({ processCpuMs: 0, threadCpuMs: 100 });
    const after = reading({ processCpuMs: 40, threadCpuMs: 102 });
    expect(cpuBetween(before, after)).toBe(12);
  });

  it("caps it by the event loop's active time, which excludes waiting in the poll", () => {
    // 20 ms window, of which the loop waited 19 ms: at most 1 ms of this thread's CPU.
    const before = reading({ processCpuMs: 0, threadCpuMs: 100, loopActiveMs: 50, loopIdleMs: 500 });
    const after = reading({ processCpuMs: 30, threadCpuMs: 100, loopActiveMs: 51, loopIdleMs: 519 });
    expect(cpuBetween(before, after)).toBe(1);
  });

  it("ignores the event loop before it has started (every figure 0)", () => {
    const before = reading({ processCpuMs: 0, threadCpuMs: 100 });
    const after = reading({ processCpuMs: 5, threadCpuMs: 105 });
    expect(cpuBetween(before, after)).toBe(5);
  });

  it("never reports negative time", () => {
    const before = reading({ processCpuMs: 5, threadCpuMs: 100 });
    const after = reading({ processCpuMs: 5, threadCpuMs: 80 });
    expect(cpuBetween(before, after)).toBe(0);
  });
});

describe("threadCpuBetween", () => {
  it("is the thread's own runtime between two readings, without the staleness slack", () => {
    // 40 ms of process CPU (other threads busy), 2.5 ms of this thread's runtime: 2.5, where cpuBetween allows 12.5.
    const before = reading({ processCpuMs: 0, threadCpuMs: 100 });
    const after = reading({ processCpuMs: 40, threadCpuMs: 102.5 });
    expect(threadCpuBetween(before, after)).toBe(2.5);
    expect(cpuBetween(before, after)).toBe(12.5);
  });

  it("is null without the thread's runtime, and never negative", () => {
    expect(threadCpuBetween(reading({ processCpuMs: 1 }), reading({ processCpuMs: 5 }))).toBeNull();
    expect(threadCpuBetween(reading({ threadCpuMs: 100 }), reading({ threadCpuMs: 99 }))).toBe(0);
  });
});

describe("ownMs: chunks' busy time in a worker less their waits for a core", () => {
  it("takes the waits off where they were told, never below 0", () => {
    expect(ownMs({ busyMs: 8, queuedMs: 7 })).toBe(1);
    expect(ownMs({ busyMs: 8 })).toBe(8);
    expect(ownMs({ busyMs: 8, queuedMs: 9 })).toBe(0);
  });
});
