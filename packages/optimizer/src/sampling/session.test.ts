import { describe, expect, it } from "@jest/globals";
import type { SampleRecord } from "./records.js";
import { asyncItemsWait, SampleSession } from "./session.js";
import { sampleArray } from "./source.js";
import { resolveLimits } from "./stop.js";

/** What a record may add to its clock figures: the thread's fresh CPU time, and whether the loop turned. */
type Extra = Partial<Pick<SampleRecord, "threadCpuMs" | "loopTurned">>;

const record = (
  wallMs: number,
  cpuMs: number,
  idleMs: number,
  ownMs = wallMs,
  extra: Extra = {},
): SampleRecord => ({
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
  ...extra,
});

/** A record with the thread's own CPU time read fresh (Linux), of an item whose promise needed the loop to turn, or not. */
const fresh = (
  figures: { wallMs: number; ownMs?: number; cpuMs: number; threadCpuMs: number; idleMs: number },
  loopTurned: boolean,
): SampleRecord =>
  record(figures.wallMs, figures.cpuMs, figures.idleMs, figures.ownMs ?? figures.wallMs, {
    threadCpuMs: figures.threadCpuMs,
    loopTurned,
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

  it("takes items whose promises settled before the event loop turned to compute, however short or stalled", () => {
    // terser's minify, figures read live in the bench's workload (items of ~13 ms), whose
    // sampling went on 16 items at once: a 9.8 ms item, under a scheduler tick ...
    const short = { wallMs: 10.6, ownMs: 9.8, cpuMs: 10.8, threadCpuMs: 9.7, idleMs: 0 };
    expect(asyncItemsWait([fresh(short, false)])).toBe(false);
    // ... and an 18.6 ms item whose thread waited 5 ms on V8's helper threads (a GC on a busy machine).
    const stalled = { wallMs: 27.9, ownMs: 18.6, cpuMs: 13.4, threadCpuMs: 13.3, idleMs: 0 };
    expect(asyncItemsWait([fresh(stalled, false)])).toBe(false);
    // The thread blocked most of the item: still nothing it could have waited for with others.
    const blocked = { wallMs: 107.7, cpuMs: 49.3, threadCpuMs: 39.3, idleMs: 0 };
    expect(asyncItemsWait([fresh(blocked, false), fresh(short, false)])).toBe(false);
  });

  it("reads a fresh CPU time of the thread to the item's length, without a scheduler tick's slack", () => {
    // An item that computes 9.7 of its 9.8 ms and lets the loop turn (it yields between phases).
    const computes = { wallMs: 10.6, ownMs: 9.8, cpuMs: 10.8, threadCpuMs: 9.7, idleMs: 0 };
    expect(asyncItemsWait([fresh(computes, true)])).toBe(false);
    expect(asyncItemsWait([fresh({ wallMs: 3, cpuMs: 3, threadCpuMs: 2.9, idleMs: 0 }, true)])).toBe(false);
    // Under a millisecond a reading's error (~0.05 ms) weighs: taken to wait.
    expect(asyncItemsWait([fresh({ wallMs: 0.5, cpuMs: 0.5, threadCpuMs: 0.5, idleMs: 0 }, true)])).toBe(
      true,
    );
    // A thread that waited on V8's helpers for a fifth of an item that turned the loop: not shown computing.
    const stalled = { wallMs: 27.9, ownMs: 18.6, cpuMs: 13.4, threadCpuMs: 13.3, idleMs: 0 };
    expect(asyncItemsWait([fresh(stalled, true)])).toBe(true);
  });

  it("reads timer waits as waiting on a busy machine, where wall time stretches and CPU time does not", () => {
    // A 5 ms wait stretched to 12 ms, its poll not seen idle (the thread was kept off its
    // loop past the timer): 10.5 ms of CPU with a tick's slack, 0.5 ms read fresh.
    const unseen = { wallMs: 12, cpuMs: 10.5, threadCpuMs: 0.5, idleMs: 0 };
    expect(asyncItemsWait([fresh(unseen, true)])).toBe(true);
    // The same with 7 ms queued for a core after the timer fired (counted idle by the loop).
    const queued = { wallMs: 12, ownMs: 5, cpuMs: 0.8, threadCpuMs: 0.3, idleMs: 11.5 };
    expect(asyncItemsWait([fresh(queued, true)])).toBe(true);
    // A 40 ms wait stretched to 70 ms.
    const long = { wallMs: 70, ownMs: 41, cpuMs: 10.4, threadCpuMs: 0.4, idleMs: 40 };
    expect(asyncItemsWait([fresh(long, true)])).toBe(true);
    // A first item that settled at once (a cache hit), then one that waited.
    const hit = { wallMs: 0.5, cpuMs: 0.5, threadCpuMs: 0.5, idleMs: 0 };
    const miss = { wallMs: 40, cpuMs: 0.6, threadCpuMs: 0.4, idleMs: 39 };
    expect(asyncItemsWait([fresh(hit, false), fresh(miss, true)])).toBe(true);
  });

  it("keeps a tick's caution where the thread's CPU time is not read (no schedstat)", () => {
    const noThread = { threadCpuMs: null, loopTurned: true };
    expect(asyncItemsWait([record(10.6, 10.8, 0, 9.8, noThread)])).toBe(true);
    expect(asyncItemsWait([record(20, 20, 0, 20, noThread)])).toBe(false);
    // The loop did not turn: nothing waited, whatever the clocks say.
    expect(asyncItemsWait([record(10.6, 10.8, 0, 9.8, { threadCpuMs: null, loopTurned: false })])).toBe(
      false,
    );
  });
});

/**
 * A session whose items are taken to wait, or not, whatever the clocks read: what the session
 * does with the answer, apart from the live readings (tested above on fixed ones).
 */
class FixedAnswer extends SampleSession {
  constructor(
    fn: (item: unknown) => unknown,
    private readonly answer: boolean,
  ) {
    super(fn, {
      limits: resolveLimits({ minItems: 12, maxItems: 12, budgetMs: 60_000 }, 12, 1),
      onError: "throw",
    });
  }
  protected override waits(): boolean {
    return this.answer;
  }
}

/** An async task that only waits, and the most of its items that were in flight at once. */
function waitingTask() {
  let inFlight = 0;
  let most = 0;
  const fn = async (item: unknown) => {
    inFlight++;
    most = Math.max(most, inFlight);
    await new Promise((resolve) => setTimeout(resolve, 1));
    inFlight--;
    return item;
  };
  return { fn, most: () => most };
}

describe("SampleSession: an async task's items, run by what asyncItemsWait answers", () => {
  it.each([
    [true, "several at once"],
    [false, "one at a time"],
  ])("items that wait (%s) are sampled %s, every result kept in its place", async (answer) => {
    const task = waitingTask();
    const session = new FixedAnswer(task.fn, answer);
    try {
      await sampleArray(
        Array.from({ length: 12 }, (_, i) => i * 10),
        session,
      );
    } finally {
      session.close();
    }
    expect(task.most() > 1).toBe(answer);
    expect(session.records.every((r) => r.async)).toBe(true);
    expect(session.precomputed.size).toBe(12);
    for (const [index, result] of session.precomputed) expect(result).toBe(index * 10);
  });
});
