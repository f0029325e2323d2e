import { describe, expect, it } from "@jest/globals";
import { workerItemFigures } from "./guarded.js";

describe("workerItemFigures: a block's per-item figures from its run's report", () => {
  it("takes the busy time, less what the worker waited for a core, as the items' own time", () => {
    // Two items in 10 ms, 4 of them waiting for a core, 5 computing.
    expect(workerItemFigures({ busyMs: 10, queuedMs: 4, cpuMs: 5 }, 2)).toEqual({
      wallMs: 5,
      cpuMs: 2.5,
      ownMs: 3,
      idleMs: 0.5,
      heapGrowth: 0,
    });
  });

  it("reads a preempted computing item as computing, not as waiting", () => {
    // 10 ms busy, 6 of them queued, 4 computing: nothing left waited.
    const figures = workerItemFigures({ busyMs: 10, queuedMs: 6, cpuMs: 4 }, 1);
    expect(figures.ownMs).toBe(4);
    expect(figures.idleMs).toBe(0);
  });

  it("takes the busy time whole where no wait was told, and an item without a CPU figure as computing", () => {
    expect(workerItemFigures({ busyMs: 12 }, 3)).toEqual({
      wallMs: 4,
      cpuMs: 4,
      ownMs: 4,
      idleMs: 0,
      heapGrowth: 0,
    });
    // The process's CPU time (Node before 22.19) can exceed the item's: capped at its own time.
    expect(workerItemFigures({ busyMs: 12, cpuMs: 30 }, 3).cpuMs).toBe(4);
  });
});
