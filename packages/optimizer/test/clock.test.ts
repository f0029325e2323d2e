import { describe, expect, it } from "@jest/globals";
import { type ClockReading, cpuBetween } from "../src/sample.js";

const reading = (r: Partial<ClockReading>): ClockReading => ({
  processCpuMs: 0,
  threadCpuMs: null,
  queuedMs: 0,
  loopActiveMs: 0,
  loopIdleMs: 0,
  ...r,
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
