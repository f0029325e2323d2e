// mapNow(): a short array run at once in the calling thread, with the results, errors and
// report a serial executor's map() gives for the same items.
import {
  AmorsizeValidationError,
  type ExecutionReport,
  ExecutionReportSchema,
  MapNowOptionsSchema,
} from "@amorsize/types";
import { afterEach, describe, expect, it } from "@jest/globals";
import { ItemError, importTask, mapNow, resolveTask, TaskLoadError } from "../src/index.js";
import { atAGlance } from "../src/now.js";
import { closeAll, osThreads, range, task, track } from "./helpers.js";

afterEach(closeAll);

/** A report without the figures that depend on the clock. */
function untimed(report: ExecutionReport) {
  const { wallMs: _w, busyMs: _b, utilisation: _u, itemsPerSecond: _i, ...rest } = report;
  return rest;
}

/** What the serial executor's map() gives for the same run, or the error it rejects with. */
async function serialMap(exportName: string, items: unknown[], onError?: "collect") {
  const executor = track({ mode: "serial" });
  return executor.map(task("tasks.mjs", exportName), items, onError ? { onError } : {});
}

const now = (exportName: string, items: unknown[], options?: Parameters<typeof mapNow>[2]) =>
  mapNow(resolveTask(task("tasks.mjs", exportName)), items, options);

describe("mapNow()", () => {
  it("gives a serial map's results and report, in the calling thread", async () => {
    const before = osThreads();
    const quick = await now("square", range(100));
    const serial = await serialMap("square", range(100));
    expect(quick.results).toEqual(range(100).map((x) => x * x));
    expect(quick.errors).toEqual([]);
    expect(ExecutionReportSchema.parse(quick.report)).toEqual(quick.report);
    expect(untimed(quick.report)).toEqual(untimed(serial.report));
    expect(quick.report).toMatchObject({
      mode: "serial",
      items: 100,
      succeeded: 100,
      failed: 0,
      aborted: false,
    });
    expect(osThreads()).toBe(before);
  });

  it("awaits an item's promise before the next item starts", async () => {
    const tracker = { active: 0, max: 0 };
    const items = range(6).map((value) => ({ value, tracker }));
    const { results, report } = await now("trackConcurrency", items);
    expect(results).toEqual(range(6));
    expect(tracker.max).toBe(1);
    expect(report.succeeded).toBe(6);
  });

  it("rejects at the first failure with the serial map's ItemError and report", async () => {
    const items = range(12);
    const quick = await now("failOnMultiplesOfFive", items).catch((e: unknown) => e);
    const serial = await serialMap("failOnMultiplesOfFive", items).catch((e: unknown) => e);
    expect(quick).toBeInstanceOf(ItemError);
    const [a, b] = [quick as ItemError, serial as ItemError];
    expect([a.code, a.index, a.message]).toEqual([b.code, b.index, b.message]);
    expect(a.message).toBe("Item 5 failed: bad item 5");
    expect(untimed(a.report!)).toEqual(untimed(b.report!));
    expect(a.report).toMatchObject({ items: 6, succeeded: 5, failed: 1 });
  });

  it("collects every failure, by index, and runs the other items", async () => {
    const items = range(12);
    const quick = await now("rejectOnMultiplesOfFive", items, { onError: "collect" });
    const serial = await serialMap("rejectOnMultiplesOfFive", items, "collect");
    expect(quick.results).toEqual(serial.results);
    expect(quick.results[5]).toBeUndefined();
    expect(quick.errors.map((e) => [e.code, e.message])).toEqual(
      serial.errors.map((e) => [e.code, e.message]),
    );
    expect(quick.errors.map((e) => (e as ItemError).index)).toEqual([5, 10]);
    expect(untimed(quick.report)).toEqual(untimed(serial.report));
  });

  it("rejects with the signal's reason, before anything runs or while an item is awaited", async () => {
    const reason = new Error("stop");
    const tracker = { active: 0, max: 0 };
    await expect(
      now("trackConcurrency", [{ value: 1, tracker }], { signal: AbortSignal.abort(reason) }),
    ).rejects.toBe(reason);
    expect(tracker.max).toBe(0);
    const controller = new AbortController();
    const waiting = mapNow(resolveTask(task("hang.mjs", "neverSettles")), range(3), {
      signal: controller.signal,
    });
    setImmediate(() => controller.abort("enough"));
    await expect(waiting).rejects.toBe("enough");
  });

  it("gives the event loop a turn every slice when its items outlast one, and stops there on an abort", async () => {
    // 40 items of 3 ms: 120 ms where the caller expected a short run.
    const items = range(40).map(() => 3000);
    let turns = 0;
    const ticker = setInterval(() => turns++, 1);
    try {
      const run = await now("spinMicros", items);
      expect(run.results).toEqual(items);
      // A turn at least every ~10 ms of the 120: a loop held to its end gives none.
      expect(turns).toBeGreaterThanOrEqual(4);
      // Async items whose promises settle at once, and items that throw (under collect), alike.
      for (const exportName of ["spinMicrosAsync", "spinMicrosThenThrow"]) {
        const before = turns;
        await now(exportName, items, { onError: "collect" });
        expect(turns - before).toBeGreaterThanOrEqual(4);
      }
      const controller = new AbortController();
      const reason = new Error("stop");
      setTimeout(() => controller.abort(reason), 20);
      const spun = globalThis as { spunItems?: number };
      spun.spunItems = 0;
      const long = range(400).map(() => 3000);
      await expect(now("spinMicrosCounted", long, { signal: controller.signal })).rejects.toBe(reason);
      // Stopped at the first slice after the abort (about 20 ms in), not after all 400 items.
      expect(spun.spunItems).toBeGreaterThan(0);
      expect(spun.spunItems).toBeLessThan(400);
    } finally {
      clearInterval(ticker);
    }
  });

  it("fails to load a missing export as the serial map does", async () => {
    const quick = await now("noSuchExport", [1]).catch((e: unknown) => e);
    const serial = await serialMap("noSuchExport", [1]).catch((e: unknown) => e);
    expect(quick).toBeInstanceOf(TaskLoadError);
    expect((quick as TaskLoadError).message).toBe((serial as TaskLoadError).message);
  });

  it("takes an array only, and validates its options", async () => {
    const resolved = resolveTask(task("tasks.mjs", "square"));
    await expect(mapNow(resolved, new Set([1]) as never)).rejects.toThrow(
      new AmorsizeValidationError(["items: mapNow() takes an array, got a Set"]),
    );
    const bad = await mapNow(resolved, [1], { onError: "ignore" } as never).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(AmorsizeValidationError);
    expect((bad as AmorsizeValidationError).issues.join("\n")).toMatch(/^options\.onError: /);
  });

  it("takes a task reference where a resolved task is documented, and names a bad one's field", async () => {
    // A careless caller passes { module, export } as execute() takes it: it was a TypeError from deep in the loader.
    const plain = await mapNow<number>(task("tasks.mjs", "square"), [2, 3]);
    expect(plain.results).toEqual([4, 9]);
    const bad = await mapNow({ export: "square" } as never, [1]).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(AmorsizeValidationError);
    expect((bad as AmorsizeValidationError).issues.join("\n")).toMatch(/^task\.module: /);
    await expect(importTask(null as never)).rejects.toBeInstanceOf(AmorsizeValidationError);
  });

  it("takes at a glance only options the schema accepts, as the schema gives them", () => {
    const signal = new AbortController().signal;
    const cases: Array<[unknown, boolean]> = [
      [{}, true],
      [{ onError: "collect" }, true],
      [{ onError: "throw", signal }, true],
      [{ onError: undefined, signal: undefined }, true],
      [{ onError: "ignore" }, false],
      [{ signal: {} }, false],
      [{ other: undefined }, false],
      [{ [Symbol("x")]: 1 }, false],
      [Object.create({ onError: "collect" }), false],
      [null, false],
      ["collect", false],
    ];
    for (const [options, glance] of cases) {
      const taken = atAGlance(options);
      expect(taken !== null).toBe(glance);
      // Taken at a glance means valid, and what the schema would give.
      if (taken !== null) expect(taken).toEqual(MapNowOptionsSchema.parse(options));
    }
    // An unknown key is refused before its value is read: a getter there is the schema's to meet.
    const getter = Object.defineProperty({}, "other", {
      enumerable: true,
      get() {
        throw new Error("read");
      },
    });
    expect(atAGlance(getter)).toBeNull();
    // Each value is read once: the copy keeps what was checked.
    let reads = 0;
    const counted = Object.defineProperty({}, "onError", {
      enumerable: true,
      get() {
        reads++;
        return reads === 1 ? "collect" : "ignore";
      },
    });
    expect(atAGlance(counted)).toEqual({ onError: "collect" });
    expect(reads).toBe(1);
  });
});
