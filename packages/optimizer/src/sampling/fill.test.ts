import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CloneError, ItemError, resolveTask } from "@amorsize/executor";
import { afterEach, describe, expect, it } from "@jest/globals";
import { ThreadClock } from "./clock.js";
import { fillWhile, ownShare } from "./fill.js";

const fixture = new URL("../../test/fixtures/fill-tasks.mjs", import.meta.url).pathname;
const task = (name: string) => resolveTask({ module: fixture, export: name });
const data = Array.from({ length: 50 }, (_, i) => i);
const never = () => new Promise<never>(() => {});
const hooks = globalThis as { fillHook?: (x: number) => void };

/** A promise that settles once the task's hook has seen `after` items, and the items it saw. */
function waiting(after: number) {
  const seen: number[] = [];
  const pending = new Promise<void>((resolve) => {
    hooks.fillHook = (x) => {
      seen.push(x);
      if (seen.length === after) resolve();
    };
  });
  return { pending, seen };
}

afterEach(() => {
  delete hooks.fillHook;
});

/** Runs `body` with a schedstat file of its own (no time run or queued yet), removed after. */
async function withSchedstat(body: (path: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "amorsize-fill-clock-"));
  try {
    const path = join(dir, "schedstat");
    writeFileSync(path, "0 0 0\n");
    await body(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("fillWhile(): items run in this thread while it waits", () => {
  it("runs items in input order, skipping those done, until what it waits for settles", async () => {
    // Each item takes 1.2 ms, past a stretch (1 ms): the settling is seen after the fourth.
    const { pending, seen } = waiting(4);
    const skip = (i: number) => i === 0 || i === 2;
    const filled = await fillWhile(pending, task("hooked"), data, skip, { onError: "throw" });
    expect(seen).toEqual([1, 3, 4, 5]);
    expect([...filled.results]).toEqual([
      [1, 10],
      [3, 30],
      [4, 40],
      [5, 50],
    ]);
    expect(filled.failures.size).toBe(0);
    expect(filled.workMs).toBeGreaterThan(4);
    // Each item's own time (1.2 ms at least) and its input's cloned size (a small integer: 4 bytes serialized).
    expect(filled.timed.map((t) => t.bytes)).toEqual([4, 4, 4, 4]);
    for (const { ms } of filled.timed) expect(ms).toBeGreaterThanOrEqual(1.1);
    // Their input indices; without `ownTimes` their own time is their wall time less their
    // share of their stretch's waits for a core (none on an idle machine).
    expect(filled.timed.map((t) => t.index)).toEqual([1, 3, 4, 5]);
    for (const { ms, ownMs } of filled.timed) {
      expect(ownMs).toBeGreaterThanOrEqual(0);
      expect(ownMs).toBeLessThanOrEqual(ms);
    }
  });

  it("takes each stretch's waits for a core, as the thread's clock reads them, out of its items' times", async () => {
    await withSchedstat(async (path) => {
      // The items' hook moves the file on: 0.6 ms queued in each item (each is a stretch).
      let queuedNs = 0;
      const { pending } = waiting(3);
      const tell = hooks.fillHook!;
      hooks.fillHook = (x) => {
        queuedNs += 600_000;
        writeFileSync(path, `0 ${queuedNs} 0\n`);
        tell(x);
      };
      const filled = await fillWhile(pending, task("hooked"), data, () => false, {
        onError: "throw",
        threadClock: new ThreadClock(path, false),
      });
      expect(filled.timed.length).toBeGreaterThanOrEqual(3);
      // Each item keeps its wall time less its share of its stretch's 0.6 ms: ms x 0.6 / the stretch's wall time.
      for (const { ms, ownMs } of filled.timed) {
        expect(ms - ownMs).toBeGreaterThan(0);
        expect(ms - ownMs).toBeLessThanOrEqual(0.6 + 1e-9);
      }
    });
  });

  it("keeps each item's wall time whole as its own time where the clock read no wait", async () => {
    await withSchedstat(async (path) => {
      const { pending } = waiting(3);
      const filled = await fillWhile(pending, task("hooked"), data, () => false, {
        onError: "throw",
        threadClock: new ThreadClock(path, false),
      });
      expect(filled.timed.length).toBeGreaterThanOrEqual(3);
      for (const { ms, ownMs } of filled.timed) expect(ownMs).toBe(ms);
    });
  });

  it("takes a stretch's waits for a core out of its items' times in proportion (ownShare)", () => {
    const timed = [
      { index: 0, ms: 5, ownMs: 5, bytes: 4 },
      { index: 1, ms: 2, ownMs: 2, bytes: 4 },
      { index: 2, ms: 6, ownMs: 6, bytes: 4 },
    ];
    // Items 1 and 2 ran in a stretch of 10 ms, 2.5 of it queued: each keeps 75% of its time.
    ownShare(timed, 1, 10, 2.5);
    expect(timed.map((t) => t.ownMs)).toEqual([5, 1.5, 4.5]);
    // No wall time, or a clock that read no wait (or went back): the times stand.
    ownShare(timed, 0, 0, 3);
    ownShare(timed, 0, 10, -1);
    expect(timed.map((t) => t.ownMs)).toEqual([5, 2, 6]);
    // A stretch queued throughout leaves nothing of its own.
    ownShare(timed, 2, 10, 12);
    expect(timed[2]!.ownMs).toBe(0);
  });

  it("reads each item's own time from the thread's clock with `ownTimes`: the wall time less any wait for a core", async () => {
    const { pending } = waiting(2);
    const filled = await fillWhile(pending, task("hooked"), data, () => false, {
      onError: "throw",
      ownTimes: true,
    });
    expect(filled.timed.length).toBeGreaterThan(0);
    for (const { ms, ownMs } of filled.timed) {
      expect(ownMs).toBeGreaterThanOrEqual(0);
      expect(ownMs).toBeLessThanOrEqual(ms);
    }
  });

  it("runs nothing before `after` settles, then fills as before; a settled wait ends it without `after`", async () => {
    const seen: number[] = [];
    hooks.fillHook = (x) => seen.push(x);
    let send!: () => void;
    const after = new Promise<void>((resolve) => {
      send = resolve;
    });
    let settle!: () => void;
    const pending = new Promise<void>((resolve) => {
      settle = resolve;
    });
    const filling = fillWhile(pending, task("hooked"), data, () => false, { onError: "throw", after });
    // Turns of the event loop pass (timers, immediates): no item runs while `after` is pending.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(seen).toEqual([]);
    send();
    await new Promise((resolve) => setTimeout(resolve, 20));
    settle();
    const filled = await filling;
    expect(seen.length).toBeGreaterThan(0);
    expect([...filled.results.keys()]).toEqual(seen);
    // What it waits for settling first (the probe ended before it sent anything) runs nothing.
    const none = await fillWhile(Promise.resolve(), task("hooked"), data, () => false, {
      onError: "throw",
      after: never(),
    });
    expect(none.results.size).toBe(0);
  });

  it("rejects with the abort's reason while it waits for `after`, running nothing", async () => {
    const seen: number[] = [];
    hooks.fillHook = (x) => seen.push(x);
    const stop = new AbortController();
    const filling = fillWhile(never(), task("hooked"), data, () => false, {
      onError: "throw",
      signal: stop.signal,
      after: never(),
    });
    setTimeout(() => stop.abort(new Error("stopped")), 10);
    await expect(filling).rejects.toThrow("stopped");
    expect(seen).toEqual([]);
  });

  it("stops at the end of the input, and on a rejection as on a resolution", async () => {
    const few = await fillWhile(never(), task("hooked"), [7, 8], () => false, { onError: "throw" });
    expect([...few.results]).toEqual([
      [0, 70],
      [1, 80],
    ]);
    const none = await fillWhile(
      Promise.reject(new Error("probe failed")),
      task("hooked"),
      data,
      () => false,
      {
        onError: "throw",
      },
    );
    expect(none.results.size).toBe(0);
  });

  it("awaits an async task's items", async () => {
    const filled = await fillWhile(never(), task("awaited"), [1, 2, 3], () => false, { onError: "throw" });
    expect([...filled.results.values()]).toEqual([1, 2, 3]);
  });

  it("rejects with an ItemError at the item's input index under throw, and collects it under collect", async () => {
    const thrown = fillWhile(never(), task("failsOnThree"), data, () => false, { onError: "throw" });
    await expect(thrown).rejects.toBeInstanceOf(ItemError);
    await expect(thrown).rejects.toMatchObject({ index: 3 });
    const { pending } = waiting(6);
    const collected = await fillWhile(pending, task("failsOnThree"), data, () => false, {
      onError: "collect",
    });
    expect(collected.failures.get(3)).toBeInstanceOf(ItemError);
    expect((collected.failures.get(3) as ItemError).index).toBe(3);
    expect(collected.results.has(3)).toBe(false);
    expect(collected.results.get(4)).toBe(40);
  });

  it("leaves an item that cannot be cloned to the run, and fails a result that cannot be", async () => {
    const items: unknown[] = [0, () => 1, 2, 3];
    const filled = await fillWhile(never(), task("graphOnTwo"), items, () => false, { onError: "collect" });
    expect(filled.failures.get(2)).toBeInstanceOf(CloneError);
    expect([...filled.results.keys()]).toEqual([0, 3]);
    expect(filled.failures.has(1)).toBe(false);
    await expect(
      fillWhile(never(), task("graphOnTwo"), items, () => false, { onError: "throw" }),
    ).rejects.toBeInstanceOf(CloneError);
  });

  it("stops when the signal aborts, an item that never settles included", async () => {
    const aborted = new AbortController();
    aborted.abort(new Error("stopped"));
    await expect(
      fillWhile(never(), task("hooked"), data, () => false, { onError: "throw", signal: aborted.signal }),
    ).rejects.toThrow("stopped");
    // Item 2 never settles: the abort while it is awaited ends the fill.
    const controller = new AbortController();
    hooks.fillHook = () => setTimeout(() => controller.abort(new Error("stopped while awaited")), 5);
    await expect(
      fillWhile(never(), task("neverSettles"), data, () => false, {
        onError: "collect",
        signal: controller.signal,
      }),
    ).rejects.toThrow("stopped while awaited");
  });
});
