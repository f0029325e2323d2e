import { readdirSync, readFileSync } from "node:fs";
import { MAX_TIMER_MS } from "@amorsize/types";
import { afterAll, afterEach, describe, expect, it, jest } from "@jest/globals";
import { setLingerGraceMs } from "../src/child-processes.js";
import {
  ChunkTimeoutError,
  CloneError,
  type Executor,
  ExecutorClosedError,
  ItemError,
  mapNow,
  TaskLoadError,
  WorkerCrashedError,
} from "../src/index.js";
import { MAX_ISOLATED_CRASHES } from "../src/isolate.js";
import type { PoolContext } from "../src/parallel.js";
import { resolveTask } from "../src/task.js";
import {
  closeAll,
  closeShared,
  fixture,
  Gate,
  osThreads,
  poolThreadIds,
  range,
  runFixture,
  runNode,
  shared,
  task,
  track,
  within,
} from "./helpers.js";

afterEach(closeAll);
// A test that lengthened the grace before a close() ends lingering workers' processes gives it back, failed or not.
afterEach(() => setLingerGraceMs(undefined));
/** Where /proc tells processes apart (Linux): the tests of ending a worker's processes need it. */
const onProc = osThreads() !== null && processesHere() !== null;
afterAll(closeShared);

async function rejection(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    return error as Error & Record<string, unknown>;
  }
  throw new Error("expected a rejection");
}

describe("an item that throws", () => {
  it("under throw: rejects with an ItemError carrying the index and the original error", async () => {
    const executor = shared({ workers: 1 });
    const error = await rejection(
      executor.map(task("tasks.mjs", "failOnMultiplesOfFive"), range(20), { chunkSize: 3 }),
    );
    expect(error).toBeInstanceOf(ItemError);
    expect(error).toMatchObject({ code: "AMORSIZE_ITEM_FAILED", name: "ItemError", index: 5, range: [5, 5] });
    expect(error.message).toBe("Item 5 failed: bad item 5");
    const cause = error.cause as Error & { code?: string };
    expect(cause).toBeInstanceOf(Error);
    expect(cause.name).toBe("TaskFailure");
    expect(cause.message).toBe("bad item 5");
    expect(cause.code).toBe("E_TASK");
    expect(cause.stack).toContain("failOnMultiplesOfFive");
    expect(cause.stack).toContain("tasks.mjs");
    const report = (error as unknown as ItemError).report!;
    expect(report.errors).toEqual([
      { index: 5, range: [5, 5], code: "AMORSIZE_ITEM_FAILED", message: "Item 5 failed: bad item 5" },
    ]);
    expect(report.failed).toBe(1);
  });

  it("under collect: returns every other result and the errors by index", async () => {
    const executor = shared({ workers: 2 });
    for (const exportName of ["failOnMultiplesOfFive", "rejectOnMultiplesOfFive"]) {
      const { results, errors, report } = await executor.map(task("tasks.mjs", exportName), range(20), {
        chunkSize: 3,
        onError: "collect",
      });
      expect(results).toEqual(range(20).map((x) => (x !== 0 && x % 5 === 0 ? undefined : x * 2)));
      expect(errors.map((e) => [e.constructor, e.index, (e.cause as Error).message])).toEqual([
        [ItemError, 5, "bad item 5"],
        [ItemError, 10, "bad item 10"],
        [ItemError, 15, "bad item 15"],
      ]);
      expect(report).toMatchObject({ succeeded: 17, failed: 3 });
      expect(report.errors.map((e) => e.index)).toEqual([5, 10, 15]);
    }
  });

  it("under collect: a failed item's slot holds undefined, not a hole (serial, parallel and mapNow alike)", async () => {
    const ref = task("tasks.mjs", "failOnMultiplesOfFive");
    const expected = range(12).map((x) => (x === 5 || x === 10 ? undefined : x * 2));
    const runs = [
      await track({ mode: "serial" }).map(ref, range(12), { onError: "collect" }),
      await shared({ workers: 2 }).map(ref, range(12), { chunkSize: 3, onError: "collect" }),
      await mapNow(ref, range(12), { onError: "collect" }),
    ];
    for (const { results } of runs) {
      // toStrictEqual tells a hole from undefined; forEach and filter skip a hole.
      expect(results).toStrictEqual(expected);
      expect(Object.keys(results)).toHaveLength(12);
    }
  });

  it("keeps a thrown value that is not an Error as the cause", async () => {
    const executor = shared({ workers: 1 });
    const { errors } = await executor.map(task("tasks.mjs", "throwString"), range(3), { onError: "collect" });
    expect(errors).toHaveLength(1);
    expect(errors[0]!.cause).toBe("plain string");
    expect(errors[0]!.message).toBe("Item 1 failed: plain string");
  });
});

describe("a worker that dies", () => {
  it.each([
    ["exitOnThree", "the task called process.exit(7)"],
    ["throwOutsideOnThree", "thrown outside the task"],
  ])(
    "%s: only the item that killed it fails; the chunk's other items are run again",
    async (exportName, message) => {
      const executor = shared({ workers: 2 });
      const { results, errors, report } = await executor.map(task("crash.mjs", exportName), range(12), {
        chunkSize: 3,
        onError: "collect",
      });
      expect(results).toEqual(range(12).map((x) => (x === 3 ? undefined : x)));
      expect(errors).toHaveLength(1);
      const error = errors[0]!;
      expect(error).toBeInstanceOf(WorkerCrashedError);
      expect(error).toMatchObject({ code: "AMORSIZE_WORKER_CRASHED", range: [3, 3], index: 3 });
      expect(error.message).toBe(`A worker died while running item 3: ${message}`);
      expect((error.cause as Error).message).toBe(message);
      expect(report).toMatchObject({ items: 12, succeeded: 11, failed: 1 });
      // The pool replaced the worker.
      const again = await executor.map(task("tasks.mjs", "square"), range(4), { chunkSize: 1 });
      expect(again.results).toEqual([0, 1, 4, 9]);
    },
  );

  it("with 2,500-item chunks, only the items that kill their worker are lost", async () => {
    const executor = shared({ workers: 2 });
    const { results, errors, report } = await executor.map(
      task("crash.mjs", "exitOnThousands"),
      range(5000),
      {
        chunkSize: 2500,
        onError: "collect",
      },
    );
    const lost = [1000, 2000, 3000, 4000];
    expect(results).toEqual(range(5000).map((x) => (lost.includes(x) ? undefined : x)));
    expect(errors.map((e) => [e.constructor, e.index, e.range])).toEqual(
      lost.map((x) => [WorkerCrashedError, x, [x, x]]),
    );
    expect(report).toMatchObject({ items: 5000, succeeded: 4996, failed: 4 });
  });

  it("under throw: rejects with the WorkerCrashedError of the item", async () => {
    const executor = shared({ workers: 2 });
    const error = await rejection(
      executor.map(task("crash.mjs", "exitOnThree"), range(12), { chunkSize: 3 }),
    );
    expect(error).toBeInstanceOf(WorkerCrashedError);
    expect(error).toMatchObject({ index: 3, range: [3, 3] });
    expect(error.message).toBe("A worker died while running item 3: the task called process.exit(7)");
  });

  it("out of memory under resourceLimits: the item is found by running halves again", async () => {
    const executor = track({ workers: 1, resourceLimits: { maxOldGenerationSizeMb: 16 } });
    const { results, errors } = await executor.map(task("crash.mjs", "exhaustMemoryOnThree"), range(8), {
      chunkSize: 4,
      onError: "collect",
    });
    expect(results).toEqual([0, 1, 2, undefined, 4, 5, 6, 7]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(WorkerCrashedError);
    expect(errors[0]).toMatchObject({ index: 3, range: [3, 3] });
    expect((errors[0]!.cause as { code?: string }).code).toBe("ERR_WORKER_OUT_OF_MEMORY");
  });

  it("a task that kills every worker: a bounded number of restarts, every item failed", async () => {
    const executor = shared({ workers: 2 });
    const { results, errors, report } = await within(
      executor.map(task("crash.mjs", "alwaysExit"), range(100), { chunkSize: 25, onError: "collect" }),
      60_000,
      "map",
    );
    expect(results).toEqual(new Array(100).fill(undefined));
    expect(report).toMatchObject({ items: 100, succeeded: 0, failed: 100 });
    // Every item is in exactly one error's range.
    const covered = errors.flatMap((e) => range(e.range[1] - e.range[0] + 1).map((i) => e.range[0] + i));
    expect(covered.sort((a, b) => a - b)).toEqual(range(100));
    // Past the budget a crashed chunk or part fails whole: at most one more error per
    // chunk (4) and per part in flight (2 per crash looked into, 2 workers).
    expect(errors.length).toBeLessThanOrEqual(MAX_ISOLATED_CRASHES + 8);
  });
});

describe("a worker killed by a timer its task left behind, after its chunk returned", () => {
  it("does not fail the next run on the same executor; a warning says it", async () => {
    const warn = jest.spyOn(process, "emitWarning").mockImplementation(() => {});
    try {
      const executor = track({ workers: 1 });
      // The timer throws only once the gate is opened, after the first run has ended.
      const gate = new Int32Array(new SharedArrayBuffer(4));
      const items = range(4).map((x) => ({ x, gate }));
      const first = await executor.map(task("late.mjs", "throwOnTwoWhenReleased"), items, { chunkSize: 4 });
      expect(first.results).toEqual(range(4));
      Atomics.store(gate, 0, 1);
      const second = await executor.map(task("late.mjs", "doubleAfterTimer"), range(8), { chunkSize: 4 });
      expect(second.results).toEqual(range(8).map((x) => x * 2));
      expect(second.errors).toEqual([]);
      expect(warn.mock.calls).toEqual([
        [
          "A worker died of what items 0..3 of an ended run left behind (a timer?): timer boom",
          { type: "AmorsizeWarning", code: "AMORSIZE_WORKER_CRASHED" },
        ],
      ]);
    } finally {
      warn.mockRestore();
    }
  });

  it("killing an idle worker after its run ended: a warning, and the pool goes on", async () => {
    const { code, stdout, stderr } = await runNode([fixture("idle-crash.mjs")], 30_000, {
      PISCINA_DISABLE_ATOMICS: "1",
    });
    expect(code).toBe(0);
    expect(stderr).toContain("AmorsizeWarning");
    expect(JSON.parse(stdout)).toEqual({
      first: [0, 1, 2, 3],
      warning:
        "AMORSIZE_WORKER_CRASHED: A worker died of what items 0..3 of an ended run left behind (a timer?): timer boom",
      second: [1, 4, 9],
    });
  });

  it("is reported by its own run while it runs, naming the chunk; the results are kept", async () => {
    const executor = track({ workers: 1 });
    const { results, errors, report } = await executor.map(
      task("late.mjs", "throwLaterOnTwoThenWait"),
      range(8),
      {
        chunkSize: 4,
        onError: "collect",
      },
    );
    expect(results).toEqual(range(8));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(WorkerCrashedError);
    expect(errors[0]).toMatchObject({ index: null, range: [0, 3] });
    expect(errors[0]!.message).toBe(
      "A worker died after items 0..3 had returned (their results are kept): timer boom",
    );
    expect(report).toMatchObject({ items: 8, succeeded: 8, failed: 0 });
    const thrown = await rejection(
      executor.map(task("late.mjs", "throwLaterOnTwoThenWait"), range(8), { chunkSize: 4 }),
    );
    expect(thrown).toMatchObject({ code: "AMORSIZE_WORKER_CRASHED", index: null, range: [0, 3] });
  });
});

describe("a task that cannot be loaded fails once, before any item is sent", () => {
  it.each([
    ["missing.mjs", "x", "AMORSIZE_TASK_NOT_FOUND", "the module does not exist"],
    [
      "load-errors.mjs",
      "x",
      "AMORSIZE_TASK_LOAD_FAILED",
      "the module threw while loading: broken at load time",
    ],
    [
      "single.mjs",
      "triple",
      "AMORSIZE_EXPORT_NOT_FOUND",
      'the module has no export "triple" (it exports "only")',
    ],
    [
      "tasks.mjs",
      "notAFunction",
      "AMORSIZE_EXPORT_NOT_FUNCTION",
      'export "notAFunction" is number, not a function',
    ],
    // `module.exports = { half, scale, factor }` named without an export: the functions it holds.
    [
      "cjs-object.cjs",
      "default",
      "AMORSIZE_EXPORT_NOT_FUNCTION",
      'export "default" is object, not a function (it holds the functions "half", "scale": name one as the export, module#half)',
    ],
  ])("%s#%s", async (module, exportName, code, detail) => {
    // A run with a chunk time-out loads the task in every worker first: it fails the same way.
    const runs = [
      [shared({ workers: 2 }), {}],
      [track({ workers: 2 }), { chunkTimeoutMs: 5000 }],
      [track({ mode: "serial" }), {}],
    ] as const;
    for (const [executor, options] of runs) {
      const error = await rejection(
        executor.map(task(module, exportName), range(10), { onError: "collect", ...options }),
      );
      expect(error).toBeInstanceOf(TaskLoadError);
      const href = `file://${fixture(module)}`;
      expect(error).toMatchObject({ code, module: href, exportName });
      expect(error.message).toBe(`Cannot load task ${href}#${exportName}: ${detail}`);
      const report = (error as unknown as TaskLoadError).report!;
      expect(report).toMatchObject({ items: 0, chunks: 0, succeeded: 0 });
      expect(report.errors).toEqual([{ index: null, range: null, code, message: error.message }]);
    }
  });
});

describe("values structured clone cannot send", () => {
  const items = [1, 2, () => 3, 4, Symbol("x"), 6];

  it("an uncloneable item under collect: a CloneError per item, the others still run", async () => {
    const executor = shared({ workers: 2 });
    const { results, errors } = await executor.map(task("tasks.mjs", "identity"), items, {
      chunkSize: 3,
      onError: "collect",
    });
    expect(results).toEqual([1, 2, undefined, 4, undefined, 6]);
    expect(errors.map((e) => [e.constructor, e.code, e.index])).toEqual([
      [CloneError, "AMORSIZE_ITEM_NOT_CLONEABLE", 2],
      [CloneError, "AMORSIZE_ITEM_NOT_CLONEABLE", 4],
    ]);
    expect((errors[0] as CloneError).reason).toMatch(/^\(\) ?=> ?3 could not be cloned\.$/);
    expect(errors[1]!.message).toBe("Item 4 cannot be sent to a worker: Symbol(x) could not be cloned.");
  });

  it("an uncloneable item under throw", async () => {
    const executor = shared({ workers: 1 });
    const error = await rejection(executor.map(task("tasks.mjs", "identity"), items, { chunkSize: 3 }));
    expect(error).toBeInstanceOf(CloneError);
    expect(error).toMatchObject({ code: "AMORSIZE_ITEM_NOT_CLONEABLE", index: 2 });
  });

  it("an uncloneable result under collect: the chunk's other results come back", async () => {
    const executor = shared({ workers: 1 });
    const { results, errors } = await executor.map(task("tasks.mjs", "symbolResultOnOdd"), range(6), {
      chunkSize: 6,
      onError: "collect",
    });
    expect(results).toEqual([0, undefined, 2, undefined, 4, undefined]);
    expect(errors.map((e) => [e.code, e.index])).toEqual([
      ["AMORSIZE_RESULT_NOT_CLONEABLE", 1],
      ["AMORSIZE_RESULT_NOT_CLONEABLE", 3],
      ["AMORSIZE_RESULT_NOT_CLONEABLE", 5],
    ]);
    expect((errors[0] as CloneError).reason).toBe("Symbol(odd) could not be cloned.");
  });

  it("an uncloneable result under throw", async () => {
    const executor = shared({ workers: 2 });
    const error = await rejection(
      executor.map(task("tasks.mjs", "functionResultOnTwo"), range(9), { chunkSize: 3 }),
    );
    expect(error).toBeInstanceOf(CloneError);
    expect(error).toMatchObject({ code: "AMORSIZE_RESULT_NOT_CLONEABLE", index: 2 });
    expect(error.message).toBe("Item 2 has a result that cannot be sent back: () => x could not be cloned.");
  });
});

describe("under throw, nothing is left running", () => {
  it("stops reading and sending, and rejects once the busy workers were terminated", async () => {
    const executor = shared({ workers: 2 });
    const gate = new Gate();
    // Item 0 blocks its worker; item 1 fails on the other worker once item 0 has started.
    const items = [
      gate.item(0, { block: true }),
      gate.item(1, { fail: true, after: 0 }),
      ...range(20).map((i) => gate.item(i + 2)),
    ];
    const error = await rejection(executor.map(task("hang.mjs", "waitAtGate"), items, { chunkSize: 1 }));
    expect(error).toBeInstanceOf(ItemError);
    expect(error.index).toBe(1);
    const blocked = gate.threadOf(0);
    expect(blocked).not.toBe(0);
    expect(poolThreadIds(executor)).not.toContain(blocked);
    // maxInFlight defaults to 2 per worker: 4 items were read, no more.
    expect((error as unknown as ItemError).report?.items).toBe(4);
    const again = await executor.map(task("tasks.mjs", "square"), range(4), { chunkSize: 1 });
    expect(again.results).toEqual([0, 1, 4, 9]);
  });
});

describe("chunk time-out", () => {
  // Only the chunk that never ends is sent (the others are precomputed), so no other
  // chunk's clock ever runs and the time-out can be short, whatever the machine's load.
  // When a clock starts is ChunkClock's business, tested on its own with fake timers.
  const spin = task("hang.mjs", "spinForeverOnFour");
  const around = new Map(
    range(9)
      .map((i): [number, unknown] => [i, `pre ${i}`])
      .filter(([i]) => i < 3 || i > 5),
  );

  it("arms a time-out longer than a timer keeps for the longest one: the run ends", async () => {
    // A timer past 2^31 - 1 ms fires after 1 ms with a TimeoutOverflowWarning; the chunk's
    // clock, not due, armed it again: a timer (and a warning) every millisecond of the run.
    const delays: number[] = [];
    const setTimer = globalThis.setTimeout;
    const spy = jest.spyOn(globalThis, "setTimeout").mockImplementation(((
      fn: () => void,
      ms?: number,
      ...rest: unknown[]
    ) => {
      delays.push(ms ?? 0);
      return Reflect.apply(setTimer, globalThis, [fn, ms, ...rest]) as NodeJS.Timeout;
    }) as typeof setTimeout);
    try {
      const executor = shared({ workers: 1 });
      // Four items of 20 ms: a chunk's clock runs for 40 ms.
      const items = [20_000, 20_000, 20_000, 20_000];
      const { results } = await executor.map(task("tasks.mjs", "spinMicros"), items, {
        chunkSize: 2,
        chunkTimeoutMs: 1e12,
      });
      expect(results).toEqual(items);
      expect(delays.filter((ms) => ms > MAX_TIMER_MS)).toEqual([]);
      expect(delays.filter((ms) => ms === MAX_TIMER_MS).length).toBeGreaterThan(0);
    } finally {
      spy.mockRestore();
    }
  });

  it("under collect: runs the chunk again in halves until the item that does not end is alone, every other result kept", async () => {
    const executor = shared({ workers: 1 });
    // 400 ms: the parts that end (items 3 and 5 alone) must be read before their clocks run
    // out on a busy machine too.
    const { results, errors, report } = await executor.map(spin, range(9), {
      chunkSize: 3,
      chunkTimeoutMs: 400,
      onError: "collect",
      precomputed: around,
    });
    // Items 3..5 timed out together; 3 and 5 end on their own, 4 spins for ever.
    expect(results).toEqual(range(9).map((i) => (i === 3 || i === 5 ? i : around.get(i))));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(ChunkTimeoutError);
    expect(errors[0]).toMatchObject({ code: "AMORSIZE_CHUNK_TIMEOUT", range: [4, 4], timeoutMs: 400 });
    expect(errors[0]!.message).toBe("Item 4 did not finish within 400 ms");
    expect(errors[0]).toMatchObject({ notBegunAfterMs: null });
    expect(new ChunkTimeoutError([3, 5], 50).message).toBe("Items 3..5 did not finish within 50 ms");
    // A chunk whose worker never began it says so.
    expect(new ChunkTimeoutError([3, 5], 50, 10_000)).toMatchObject({
      notBegunAfterMs: 10_000,
      message:
        "Items 3..5 were not begun within 10000 ms: their worker did not start, or its import of the task did not end",
    });
    expect(report).toMatchObject({ items: 9, succeeded: 2, failed: 1, precomputed: 6 });
    // The spinning worker was terminated and replaced.
    const again = await executor.map(task("tasks.mjs", "square"), range(4), { chunkSize: 1 });
    expect(again.results).toEqual([0, 1, 4, 9]);
  });

  (onProc ? it : it.skip)(
    "ends the processes a timed-out worker waits on, so that it exits (Linux), every other result kept",
    async () => {
      // Item 2 waits in execFileSync on a shell that waits on a sleep of 120 s: a terminated
      // worker cannot exit before that call returns, and the process with it (process.exit()
      // included) until the sleep ended. The shell and the sleep under it are killed as the
      // time-out ends the worker. 1 s: room to see them start on a busy machine.
      const before = osThreads();
      const executor = track({ workers: 1 });
      const running = executor.map(task("hang.mjs", "shellSleepsOnTwo"), range(5), {
        chunkSize: 1,
        chunkTimeoutMs: 1000,
        onError: "collect",
      });
      const started = await pidsOnceRunning(["sh", "sleep"]);
      const { results, errors } = await running;
      expect(results).toEqual([0, 1, undefined, 3, 4]);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ code: "AMORSIZE_CHUNK_TIMEOUT", range: [2, 2] });
      await until(() => started.every(ended), "the sleep and its shell ending");
      await executor.close();
      await until(() => (osThreads() ?? 0) <= (before ?? 0), "the stuck worker's thread exiting");
    },
  );

  (onProc ? it : it.skip)(
    "ends the processes a worker waits on when its bounded import of the task ran out (Linux)",
    async () => {
      // The module's import waits in execFileSync on a shell that waits on a 120 s sleep. A
      // run with a chunk time-out loads the task first, each load bounded (10 s at least
      // through map(); 1.5 s here, white-box): past the bound the worker is ended, and the
      // processes it waits on with it.
      const before = osThreads();
      const executor = track({ workers: 1 });
      const context = executor as unknown as PoolContext;
      const loading = rejection(
        context.ensureTaskEverywhere(resolveTask(task("shell-sleeps-at-import.mjs", "identity")), 1500),
      );
      const started = await pidsOnceRunning(["sh", "sleep"]);
      const error = await loading;
      expect(error).toMatchObject({ code: "AMORSIZE_TASK_LOAD_FAILED" });
      expect(error.message).toContain("had not loaded it within 1500 ms");
      await until(() => started.every(ended), "the sleep and its shell ending");
      await executor.close();
      await until(() => (osThreads() ?? 0) <= (before ?? 0), "the worker's thread exiting");
    },
  );

  it("loads the task in every worker, side by side, before a run with a time-out dispatches", async () => {
    // The module's import takes 600 ms, past the 400 ms time-out. A run without time-outs
    // loads it in one worker and lets the others import inside their first chunk; with one,
    // both workers load it before any chunk (once it ran on the chunk's clock and a trivial
    // item timed out; chunk clocks now leave imports out as well).
    const executor = track({ workers: 2 });
    const { results, errors, report } = await executor.map(task("slow-load-600.mjs", "double"), range(8), {
      chunkSize: 1,
      chunkTimeoutMs: 400,
      onError: "collect",
    });
    expect(errors).toEqual([]);
    expect(results).toEqual(range(8).map((x) => x * 2));
    // Both workers loaded it, each before any chunk; the next run finds it loaded everywhere.
    expect(report.taskLoads).toMatchObject({ count: 2 });
    expect(report.taskLoads!.maxMs).toBeGreaterThanOrEqual(599);
    const again = await executor.map(task("slow-load-600.mjs", "double"), range(4), { chunkTimeoutMs: 400 });
    expect(again.report.taskLoads).toBeUndefined();
  });

  it("counts a replacement worker's start and import on no chunk's clock", async () => {
    // Item 4 spins past the 400 ms time-out; its worker is ended, and the replacement
    // imports the module in 600 ms inside item 5's chunk. That import is not item 5's
    // time: with it on the clock, item 5 timed out, and so on for every item after it.
    const executor = track({ workers: 1 });
    const { results, errors } = await executor.map(
      task("slow-load-spins.mjs", "doubleSpinOnFour"),
      range(7),
      {
        chunkSize: 1,
        chunkTimeoutMs: 400,
        onError: "collect",
      },
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: "AMORSIZE_CHUNK_TIMEOUT", range: [4, 4] });
    expect(results).toEqual([0, 2, 4, 6, undefined, 10, 12]);
  });

  it("ends a worker whose import of the task never ends, with a TaskLoadError, and stays usable", async () => {
    // A run with a time-out loads the task everywhere first, bounded by how long its clock
    // waits for a worker to begin a chunk (10 s at least); the bound is shortened here.
    const executor = track({ workers: 2 });
    const loads = executor as unknown as {
      ensureTaskEverywhere(task: unknown, boundMs: number): Promise<number[]>;
    };
    const error = await rejection(
      loads.ensureTaskEverywhere(resolveTask(task("import-never-ends.mjs", "identity")), 300),
    );
    expect(error).toBeInstanceOf(TaskLoadError);
    expect(error).toMatchObject({ code: "AMORSIZE_TASK_LOAD_FAILED", exportName: "identity" });
    expect(error.message).toContain("had not loaded it within 300 ms");
    const again = await executor.map(task("tasks.mjs", "square"), range(4), {
      chunkSize: 1,
      chunkTimeoutMs: 5_000,
    });
    expect(again.results).toEqual([0, 1, 4, 9]);
  });

  it("bounds a load from when a worker begins it, not while it waits behind another run's chunk", async () => {
    const executor = track({ workers: 1 });
    const loads = executor as unknown as {
      ensureTaskEverywhere(task: unknown, boundMs: number): Promise<number[]>;
    };
    // The only worker spins for 1 s on another run's item; the check waits behind it.
    const busy = executor.map(task("tasks.mjs", "spinMicros"), [1_000_000], { chunkSize: 1 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const loaded = await loads.ensureTaskEverywhere(resolveTask(task("single.mjs", "only")), 300);
    expect(loaded).toHaveLength(1);
    expect((await busy).results).toEqual([1_000_000]);
  });

  it("under throw: rejects with it", async () => {
    const executor = shared({ workers: 1 });
    const error = await rejection(
      executor.map(spin, range(9), { chunkSize: 3, chunkTimeoutMs: 50, precomputed: around }),
    );
    expect(error).toBeInstanceOf(ChunkTimeoutError);
    // Item 3 ended before item 4 ran on past the time-out: it ran again for its result, and
    // the time-out names the items that did not end, from item 4 (the chunk is 3..5).
    expect(error.range).toEqual([4, 5]);
    expect(error.message).toBe("Items 4..5 did not finish within 50 ms");
  });
});

describe("a closed executor", () => {
  it("rejects new runs and runs in flight with ExecutorClosedError", async () => {
    const executor = track({ workers: 1 });
    const gate = new Gate();
    const running = executor.map(task("hang.mjs", "waitAtGate"), [gate.item(0, { block: true })]);
    await gate.waitForStarted(1);
    const outcome = rejection(running);
    await executor.close();
    const error = await outcome;
    expect(error).toBeInstanceOf(ExecutorClosedError);
    expect(error.code).toBe("AMORSIZE_EXECUTOR_CLOSED");
    await expect(executor.map(task("tasks.mjs", "square"), [1])).rejects.toBeInstanceOf(ExecutorClosedError);
    const serial = track({ mode: "serial" });
    await serial[Symbol.asyncDispose]();
    await expect(serial.map(task("tasks.mjs", "square"), [1])).rejects.toBeInstanceOf(ExecutorClosedError);
  });

  it.each([
    ["whose workers exit one at a time", [0.6, 1.5], undefined],
    // The first chunk's failure stops the run at 0.6 s; the other's time-out comes at 1 s.
    ["whose workers exit one at a time, with a chunk time-out due meanwhile", [0.6, 1.5], 1000],
    // Both time-outs come at 0.9 s, before any chunk has failed and stopped the run.
    ["whose chunks time out while its workers are being ended", [1.5, 1.5], 900],
  ])("leaves no worker behind when close() ends a run %s", async (_, seconds, chunkTimeoutMs) => {
    // The sleeps end on their own, one at a time, as they did before a close() ended the
    // processes of workers that outlive it (here only past the test).
    setLingerGraceMs(60_000);
    // Each item holds its worker in a system call, where a terminate cannot reach it before
    // the call returns. An abort of a chunk in the pool being destroyed (by the run as it
    // stops, or by a chunk's time-out) had tinypool start fresh workers to keep its
    // minimum: they outlived close() and held the process open for good. A time-out that
    // falls due meanwhile is the close's doing: the run fails as closed, not as timed out.
    const before = osThreads();
    const executor = track({ workers: 2 });
    const gate = new Gate();
    const items = seconds.map((s, i) => ({ ...gate.item(i), seconds: s }));
    const options = chunkTimeoutMs === undefined ? { chunkSize: 1 } : { chunkSize: 1, chunkTimeoutMs };
    const outcome = rejection(executor.map(task("hang.mjs", "sleepsInSyscall"), items, options));
    await gate.waitForStarted(2);
    try {
      await closedWhileSleeping(executor, outcome, before);
    } finally {
      setLingerGraceMs(undefined);
    }
  });

  (onProc ? it : it.skip).each([
    ["an abort", "abort"],
    ["close()", "close"],
  ] as const)(
    "%s ends the processes a worker waits on once it has not exited after a grace period (Linux)",
    async (_, how) => {
      // The item waits 120 s on a sleep in a synchronous call: the worker's terminate takes
      // effect only once the call returns. An abort's rejection came after its 5 s bound and
      // close() as soon as its pool was destroyed, the thread (and the process) held 120 s.
      const before = osThreads();
      const executor = track({ workers: 1 });
      const gate = new Gate();
      const controller = new AbortController();
      const reason = new Error("stop");
      const outcome = rejection(
        executor.map(task("hang.mjs", "sleepsInSyscall"), [{ ...gate.item(0), seconds: 120 }], {
          signal: controller.signal,
        }),
      );
      await gate.waitForStarted(1);
      const started = await pidsOnceRunning(["sleep"]);
      if (how === "abort") {
        controller.abort(reason);
        expect(await outcome).toBe(reason);
      } else {
        await executor.close();
        expect(await outcome).toBeInstanceOf(ExecutorClosedError);
      }
      await until(() => started.every(ended), "the sleep ending");
      await executor.close();
      await until(() => (osThreads() ?? 0) <= (before ?? 0), "the worker's thread exiting");
    },
  );

  it("leaves no worker behind when close() comes while a bounded load check waits on its workers", async () => {
    // A run with a chunk time-out first loads the task in every worker, each check bounded
    // (10 s at least through map(); 900 ms here, white-box); the bound falls due while the
    // pool is being destroyed, and its abort must start no worker in it (see above).
    // The imports' sleeps end on their own, after the bound, as they did before close()
    // ended the processes of workers that outlive it (see above).
    setLingerGraceMs(60_000);
    const before = osThreads();
    const executor = track({ workers: 2 });
    const context = executor as unknown as PoolContext;
    const loading = rejection(
      context.ensureTaskEverywhere(resolveTask(task("sleep-at-import.mjs", "identity")), 900),
    );
    try {
      await closedWhileSleeping(executor, loading, before);
    } finally {
      setLingerGraceMs(undefined);
    }
  });

  it("ends a pool whose worker dies while close() destroys it, crashing nothing and leaving no worker", async () => {
    // In a child process: the worker's 'error' came into tinypool's destroy(), whose wait
    // for the worker's exit threw a TypeError out of the caller's process (its worker
    // wrapper has no removeListener), and tinypool started fresh workers to keep its minimum.
    const { code, signal, stdout, stderr } = await runFixture("close-while-crashing.mjs", [], 30_000);
    expect({ code, signal, stderr }).toEqual({ code: 0, signal: null, stderr: "" });
    const outcome = JSON.parse(stdout);
    expect(outcome).toMatchObject({ outcome: "AMORSIZE_EXECUTOR_CLOSED", poolThreads: 0 });
    expect(outcome.threadsAfter).toBe(outcome.threadsBefore);
  });
});

/**
 * Closes `executor` once both of its workers are inside their system call (their `sleep`
 * children are up, where a terminate cannot reach them), then checks that what was
 * running (`outcome`) failed as closed, the pool holds no thread, and the process's
 * threads are back to `before` (a bound on a wait, not a speed).
 */
async function closedWhileSleeping(
  executor: Executor,
  outcome: Promise<Error>,
  before: number | null,
): Promise<void> {
  await until(() => (sleepChildren() ?? 2) >= 2, "both workers sleeping");
  await executor.close();
  expect(await outcome).toBeInstanceOf(ExecutorClosedError);
  expect(poolThreadIds(executor)).toEqual([]);
  await until(() => (osThreads() ?? 0) <= (before ?? 0), "the workers' threads exiting");
}

/**
 * Resolves once `condition()` holds (polled every 5 ms); rejects naming `what` after 10 s:
 * a bound on a wait, not a measure of speed.
 */
async function until(condition: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`Timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** `sleep` processes whose parent is this process (Linux: read from /proc), or null where /proc cannot tell. */
function sleepChildren(): number | null {
  const found = processesHere();
  return found === null ? null : found.filter((p) => p.name === "sleep" && p.ppid === process.pid).length;
}

/** Ids of processes named `name` this process started, or theirs, at any depth (Linux; none where /proc cannot tell). */
function descendantPids(name: string): number[] {
  const found = processesHere() ?? [];
  const parent = new Map(found.map((p) => [p.pid, p.ppid]));
  const ours = (pid: number): boolean => {
    for (let at = parent.get(pid), hops = 0; at !== undefined && hops < 64; at = parent.get(at), hops++) {
      if (at === process.pid) return true;
    }
    return false;
  };
  return found.filter((p) => p.name === name && ours(p.pid)).map((p) => p.pid);
}

/**
 * Once one process of each name in `names` runs under this one, their ids: read while they
 * run, so that one left to the system after its parent ended is still looked for.
 */
async function pidsOnceRunning(names: readonly string[]): Promise<number[]> {
  let pids: number[] = [];
  await until(
    () => {
      const each = names.map(descendantPids);
      pids = each.flat();
      return each.every((found) => found.length === 1);
    },
    `${names.join(" and ")} running`,
  );
  return pids;
}

/** Whether process `pid` has ended: gone from /proc, or a zombie its parent has not reaped. */
function ended(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return true;
  }
}

/** Every process /proc lists: its id, parent and command name; null where /proc cannot tell. */
function processesHere(): { pid: number; ppid: number; name: string }[] | null {
  let entries: string[];
  try {
    entries = readdirSync("/proc").filter((entry) => /^\d+$/.test(entry));
  } catch {
    return null;
  }
  const found: { pid: number; ppid: number; name: string }[] = [];
  for (const pid of entries) {
    try {
      // "pid (comm) state ppid ...": comm may hold spaces, so read after its closing parenthesis.
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      const ppid = Number(stat.slice(close + 2).split(" ")[1]);
      found.push({ pid: Number(pid), ppid, name: stat.slice(stat.indexOf("(") + 1, close) });
    } catch {
      // Gone already.
    }
  }
  return found;
}
