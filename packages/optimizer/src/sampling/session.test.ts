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
    // A minifier with a promise API: 2 ms of CPU, never idle.
    expect(asyncItemsWait([record(2, 2, 0)])).toBe(false);
    // The same on a busy machine: 13 ms of wall, 9 of them queued for a core.
    expect(asyncItemsWait([record(13, 3.9, 0, 4)])).toBe(false);
    // A timer wait: the loop idle for most of it.
    expect(asyncItemsWait([record(20, 0.4, 19.5)])).toBe(true);
    // Idle not accounted, but little CPU for its time: waiting too.
    expect(asyncItemsWait([record(20, 1, 0)])).toBe(true);
    // Computing but idle a fifth of the time: taken to wait.
    expect(asyncItemsWait([record(10, 8, 2)])).toBe(true);
    expect(asyncItemsWait([])).toBe(false);
  });
});
