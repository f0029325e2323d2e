import { describe, expect, it } from "@jest/globals";
import type { SampleRecord } from "./records.js";
import { asyncItemsWait } from "./session.js";

const record = (wallMs: number, cpuMs: number, idleMs: number, ownMs = wallMs): SampleRecord => ({
  index: 0,
  wallMs,
  cpuMs,
  ownMs,
  idleMs,
  heapGrowth: 0,
  inBytes: 8,
  outBytes: 8,
  inKind: "number",
  outKind: "number",
  async: true,
  weight: 1,
});

describe("asyncItemsWait", () => {
  it("samples alone again only items seen to compute", () => {
    // A minifier with a promise API: 20 ms of CPU per item, never idle.
    expect(asyncItemsWait([record(20, 20, 0)])).toBe(false);
    // The same on a busy machine: 40 ms of wall, 20 of them queued for a core.
    expect(asyncItemsWait([record(40, 19, 0, 20)])).toBe(false);
    // A timer wait: the loop idle for most of it.
    expect(asyncItemsWait([record(20, 0.4, 19.5)])).toBe(true);
    // Idle not accounted, and the CPU reading a tick ahead: half its time, not computing.
    expect(asyncItemsWait([record(20, 10, 0)])).toBe(true);
    // Computing but idle a fifth of the time: taken to wait.
    expect(asyncItemsWait([record(20, 16, 4)])).toBe(true);
    // Too short to tell from a CPU reading that may run a tick ahead.
    expect(asyncItemsWait([record(2, 2, 0)])).toBe(true);
    expect(asyncItemsWait([])).toBe(false);
  });
});
