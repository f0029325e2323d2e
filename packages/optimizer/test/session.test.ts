// createAmorsize(): a session's pool, its learning, and its calls in flight together. Calls
// that must use the pool run in a session on a fixed machine (`fixedSession`: 2 cores, cheap
// workers) with parallel taken at any gain (`onPool`): 150 items that block their thread
// for 2 ms (`blocksTwoMs`), 0.3 s of waiting that two workers halve whatever the machine's
// load. Items that computed for 2 ms instead went serial when four calls sampled them side
// by side on a busy machine (the helper threads' reading); a waiting task's plan does not
// rest on it. Nothing here asserts a speed.
import { spawnSync } from "node:child_process";
import { getEventListeners } from "node:events";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { threadId } from "node:worker_threads";
import { resolveTask } from "@amorsize/executor";
import { defaultCacheDir } from "@amorsize/spawn-cost";
import { AmorsizeValidationError, type ExecuteOptions } from "@amorsize/types";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "@jest/globals";
import {
  type Amorsize,
  type AmorsizeOptions,
  createAmorsize,
  ExecutorClosedError,
  execute,
  ItemError,
  type SessionRun,
  TaskLoadError,
  WorkerCrashedError,
} from "../src/index.js";
import { moduleHash, planCacheKey, planCachePath } from "../src/plan-cache.js";
import { CONTRADICTING_RUN_MS } from "../src/profiles.js";
import { createAmorsizeOn } from "../src/session.js";
import { WARM_RUN_ESTIMATE_MS, WARM_RUN_MIN_RUNS, WARM_RUN_SHORT_MS } from "../src/warm-run.js";
import { TEST_CACHE_DIR } from "./cache-dir.js";
import { hardware, spawnCost } from "./profiles.js";

const fixtures = new URL("./fixtures/", import.meta.url);
const tasks = new URL("tasks.mjs", fixtures).pathname;
const task = (name: string) => ({ module: tasks, export: name });
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
/**
 * Items of `blocksFor` that block 0.5 ms: runs of 60 (30 ms) are long enough to be learned
 * from, and items under 1 ms are not cross-checked on their CPU reading when cached figures
 * are read (a 2 ms blocking item's CPU, read beside busy processes, can read as computing,
 * which the check takes as a contradiction: a clean clone's CI then sampled again, twice).
 */
const halfMs = (n: number) => Array.from({ length: n }, () => 0.5);
/** Calls here: the tests' spawn-cost cache, no plan cache. */
const base: ExecuteOptions = { cacheDir: TEST_CACHE_DIR, cache: false };
/** A call that runs on the session's pool (with enough work, see above). */
const onPool: ExecuteOptions = { ...base, workers: 2, minSpeedup: 1 };
/** A session on a fixed 2-core machine with cheap workers (see the header), saving no profile. */
const fixedSession = (options: AmorsizeOptions = {}) =>
  createAmorsizeOn({ hardware: hardware(2), spawnCost: spawnCost(2) }, { saveProfiles: false, ...options });
/** Items of 2 ms (blocked, see the header) for calls that must use the pool. */
const heavy = range(150);
const threads = () => readdirSync("/proc/self/task").length;
const ports = () => process.getActiveResourcesInfo().filter((name) => name === "MessagePort").length;

async function until(condition: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`Timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

let dir: string;
let session: Amorsize | undefined;
/**
 * Runs the fixture's `blocksTwoMs` in this thread until V8 has compiled it. A session's first call
 * of a task whose code this thread never ran reads its sample as cold (see `samplesCold`),
 * and that reading, live, could turn a call that must use the pool serial.
 */
const WARM_FIXTURE = `const { blocksTwoMs } = await import(${JSON.stringify(pathToFileURL(tasks).href)});
for (let i = 0; i < 50; i++) blocksTwoMs(i);`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "amorsize-session-test-"));
  const { blocksTwoMs } = (await import(tasks)) as { blocksTwoMs(x: number): number };
  for (let i = 0; i < 50; i++) blocksTwoMs(i);
  // The optimizer's first import of a module that takes 5 ms or more reads as loading code,
  // and the call samples cold (see `samplesCold`): its first items' waits, woken late on a
  // busy machine, then read as a warm-up that the model grows with each worker's items.
  // With six busy processes on two cores, four calls in flight together read 8-13 ms of
  // warm-up over 4 items, priced at 84-130 ms per worker, and planned serial in 6 runs of
  // 8. A program's earlier calls import the task once; here, one call of two items does.
  await execute(task("blocksTwoMs"), range(2), base);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  await session?.close();
  session = undefined;
});

describe("createAmorsize", () => {
  it("rejects bad options, naming each", () => {
    expect(() => createAmorsize({ idleMs: -1 })).toThrow(AmorsizeValidationError);
    expect(() => createAmorsize({ maxProfiles: 0, idleMs: 1.5 })).toThrow(
      /options\.idleMs: .*expected int.*\n.*options\.maxProfiles: Too small/,
    );
  });

  it("lets the process exit while idle, with its workers up", () => {
    const script = join(dir, "idle.mjs");
    // The built session, on the fixed machine (see fixedSession).
    const entry = pathToFileURL(new URL("../dist/session.js", import.meta.url).pathname).href;
    const machine = { hardware: hardware(2), spawnCost: spawnCost(2) };
    writeFileSync(
      script,
      `import { createAmorsizeOn } from ${JSON.stringify(entry)};
${WARM_FIXTURE}
const session = createAmorsizeOn(${JSON.stringify(machine)}, { idleMs: 600000, saveProfiles: false });
const run = await session.execute(${JSON.stringify(task("blocksTwoMs"))}, Array.from({ length: ${heavy.length} }, (_, i) => i), ${JSON.stringify(onPool)});
console.log(JSON.stringify({ results: run.results.length, warm: session.stats().warmWorkers }));
`,
    );
    const child = spawnSync(process.execPath, [script], { encoding: "utf8", timeout: 60_000 });
    expect(child.stderr).toBe("");
    expect(child.signal).toBeNull();
    expect(child.status).toBe(0);
    expect(JSON.parse(child.stdout)).toEqual({ results: heavy.length, warm: 2 });
  });

  it("shares one pool among calls in flight together, each getting its own results in order", async () => {
    session = fixedSession({ idleMs: 60_000 });
    const inputs = [
      heavy,
      heavy.slice().reverse(),
      heavy.map((x) => (x * 7) % heavy.length),
      heavy.map((x) => (x + 7) % heavy.length),
    ];
    const runs = await Promise.all(
      inputs.map((input) =>
        session!.execute<number>(task("blocksTwoMs"), input, { ...onPool, chunkSize: 7 }),
      ),
    );
    // Each item's result differs (blocksTwoMs gives x + 1), so an item's result in another slot shows.
    inputs.forEach((input, i) => {
      expect(runs[i]!.results).toEqual(input.map((x) => x + 1));
    });
    for (const run of runs) expect(run.report).toMatchObject({ mode: "parallel", workers: 2 });
    expect(session.stats()).toMatchObject({ calls: 4, inFlight: 0, poolStarts: 1, warmWorkers: 2 });
  });

  it("takes more calls in flight together than Node's listener warning counts (10), warning of nothing", () => {
    // In a child process: Node prints the warning on the real process's stderr, out of Jest's reach.
    const script = `
      import { createAmorsize } from ${JSON.stringify(new URL("../dist/index.js", import.meta.url).href)};
      const session = createAmorsize({ saveProfiles: false });
      const task = { module: ${JSON.stringify(tasks)}, export: "blocksTwoMs" };
      const input = Array.from({ length: 40 }, (_, i) => i);
      const options = ${JSON.stringify({ ...onPool, chunkSize: 5 })};
      const runs = await Promise.all(Array.from({ length: 12 }, () => session.execute(task, input, options)));
      console.log(JSON.stringify(runs.map((run) => run.results.every((r, i) => r === i + 1))));
      await session.close();
    `;
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      encoding: "utf8",
      env: { ...process.env, AMORSIZE_CACHE_DIR: TEST_CACHE_DIR },
      timeout: 60_000,
    });
    expect(child.stdout.trim()).toBe(JSON.stringify(range(12).map(() => true)));
    expect(child.stderr).not.toContain("MaxListenersExceededWarning");
  });

  it("stops one call on its own abort, and the others run on", async () => {
    session = fixedSession({ idleMs: 60_000 });
    const controller = new AbortController();
    const reason = new Error("stop this one");
    const stopped = session.execute(task("blocksTwoMs"), range(400), {
      ...onPool,
      chunkSize: 2,
      signal: controller.signal,
      onProgress: () => controller.abort(reason),
    });
    const others = [heavy, heavy].map((input) =>
      session!.execute<number>(task("blocksTwoMs"), input, { ...onPool, chunkSize: 5 }),
    );
    await expect(stopped).rejects.toBe(reason);
    const [a, b] = await Promise.all(others);
    expect(a!.errors).toEqual([]);
    expect(b!.results).toEqual(a!.results);
    expect(a!.results).toHaveLength(heavy.length);
  });

  it("leaves nothing on a long-lived signal its calls were given, once they end", async () => {
    // A server passes its shutdown signal to every call. AbortSignal.any() links each call's
    // signal to it for good (nodejs/node#55351: an entry per call in the source's
    // kDependantSignals, pruned at best when a collection finds the call's signal gone).
    const { signal } = new AbortController();
    const linked = () =>
      Object.getOwnPropertySymbols(signal)
        .filter((symbol) => symbol.description === "kDependantSignals")
        .reduce((n, symbol) => n + (signal as unknown as Record<symbol, Set<unknown>>)[symbol]!.size, 0);
    session = createAmorsize();
    for (let c = 0; c < 20; c++) await session.execute(task("square"), range(4), { ...base, signal });
    expect({ linked: linked(), listeners: getEventListeners(signal, "abort").length }).toEqual({
      linked: 0,
      listeners: 0,
    });
  });

  it("replaces a crashed worker, and the next call runs on the same pool", async () => {
    session = fixedSession({ idleMs: 60_000 });
    const module = join(dir, "exits.mjs");
    writeFileSync(
      module,
      `import { blocksTwoMs } from ${JSON.stringify(pathToFileURL(tasks).href)};
export default (x) => (x === 125 ? process.exit(7) : blocksTwoMs(x));\n`,
    );
    // Sampled in a worker too: the exit must not end the test's process.
    const crashed = await session.execute({ module }, heavy, {
      ...onPool,
      isolate: true,
      onError: "collect",
    });
    expect(crashed.errors.map((e) => e instanceof WorkerCrashedError)).toEqual([true]);
    const next = await session.execute<number>(task("blocksTwoMs"), heavy, onPool);
    expect(next.results).toHaveLength(heavy.length);
    expect(session.stats()).toMatchObject({ poolStarts: 1, warmWorkers: 2 });
  });

  it("runs a serial plan under isolation on its warm pool from the task's second call on", async () => {
    session = fixedSession({ idleMs: 60_000 });
    const items = range(3000);
    // One worker at most: a loop beats it, so the plan is serial, and under isolation runs in a worker.
    const isolatedSerial = { ...base, isolate: true, maxWorkers: 1 };
    const first = await session.execute<number>(task("threadOf"), items, isolatedSerial);
    expect(first.plan.mode).toBe("serial");
    // A first call starts a worker of its own, not every worker of the pool.
    expect(session.stats()).toMatchObject({ poolStarts: 0 });
    const second = await session.execute<number>(task("threadOf"), items, isolatedSerial);
    expect(second.session).toMatchObject({ profile: "learned" });
    expect(session.stats()).toMatchObject({ poolStarts: 1, warmWorkers: 2 });
    const up = threads();
    const streamed: number[] = [];
    for await (const { value } of session.stream<number>(task("threadOf"), items, isolatedSerial))
      streamed.push(value);
    expect(second.plan.mode).toBe("serial");
    expect(streamed).toHaveLength(items.length);
    // Every item of the later calls ran in the pool's workers, none here, and no worker was started.
    const ran = new Set([...second.results, ...streamed]);
    expect(ran.has(threadId)).toBe(false);
    expect(ran.size).toBeLessThanOrEqual(2);
    expect(threads()).toBe(up);
    // Nothing to run: on the warm pool (its 2 workers) too, not a worker started for it.
    const none = await session.execute<number>(task("threadOf"), [], isolatedSerial);
    expect(none.results).toEqual([]);
    expect(none.report.workers).toBe(2);
    expect(threads()).toBe(up);
    expect(session.stats()).toMatchObject({ poolStarts: 1 });
  });

  it("does not start the pool again for a serial plan under isolation once calls stopped coming", async () => {
    session = fixedSession({ idleMs: 300 });
    const items = range(3000);
    const isolatedSerial = { ...base, isolate: true, maxWorkers: 1 };
    await session.execute(task("threadOf"), items, isolatedSerial);
    await session.execute(task("threadOf"), items, isolatedSerial);
    expect(session.stats()).toMatchObject({ poolStarts: 1 });
    await until(() => session!.stats().idleCloses === 1, "the pool closed for idleness");
    // Longer than idleMs since the last call: a call now is a one-off, on a worker of its own.
    await new Promise((resolve) => setTimeout(resolve, 350));
    const later = await session.execute(task("threadOf"), items, isolatedSerial);
    expect(later.session).toMatchObject({ profile: "learned" });
    expect(session.stats()).toMatchObject({ poolStarts: 1, warmWorkers: 0 });
    // The next one, right after it: calls are coming again, and the pool starts.
    await session.execute(task("threadOf"), items, isolatedSerial);
    expect(session.stats()).toMatchObject({ poolStarts: 2 });
  });

  it("learns a serial plan's item time from its runs in a worker, not a slowdown of workers computing at once", async () => {
    session = fixedSession({ idleMs: 60_000 });
    const isolatedSerial = { ...base, isolate: true, maxWorkers: 1 };
    // Sampled at 1 ms an item (a wait, which a busy machine barely stretches), then run at 3 ms.
    await session.execute(task("blocksFor"), Array(40).fill(1), isolatedSerial);
    // Run on a worker it started (its import and warm-up in its time): nothing learned.
    const profileOf = () => session!.stats().profiles.find((p) => p.task.includes("#blocksFor@"))!;
    expect(profileOf().runs).toBe(0);
    for (let call = 0; call < 4; call++) {
      const run = await session.execute(task("blocksFor"), Array(40).fill(3), isolatedSerial);
      expect(run.plan.mode).toBe("serial");
    }
    const profile = profileOf();
    // The item time moved toward the runs' 3 ms (it stayed at 1 ms, and workers read 2-3 times slower).
    expect(profile.itemMs).toBeGreaterThan(2);
    expect(profile.workerSlowdown).toBe(1);
  });

  it("rejects a call in flight with ExecutorClosedError on close(), and leaves no thread behind", async () => {
    const before = { threads: threads(), ports: ports() };
    session = fixedSession({ idleMs: 60_000 });
    let started!: () => void;
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    const call = session.execute(task("blocksTwoMs"), range(2000), {
      ...onPool,
      chunkSize: 2,
      onProgress: () => started(),
    });
    const rejected = expect(call).rejects.toBeInstanceOf(ExecutorClosedError);
    await running;
    await session.close();
    await rejected;
    // Each says that the session was closed, not some executor of its own.
    await expect(call).rejects.toThrow(/^The session is closed: close\(\) was called/);
    await expect(session.execute(task("square"), [1], base)).rejects.toBeInstanceOf(ExecutorClosedError);
    await expect(session.execute(task("square"), [1], base)).rejects.toThrow(/^The session is closed/);
    await session.close();
    expect(session.closed).toBe(true);
    await until(() => threads() <= before.threads, "the workers' threads have exited");
    // A worker's port is closed when its exit is handled, which can come a turn or more
    // after its thread is gone (it failed here once, under load, read at once): a port
    // left open would keep this waiting past the bound.
    await until(() => ports() <= before.ports, "the workers' ports have closed");
  });

  it("closes an idle pool after idleMs, and starts it again for the next call", async () => {
    session = fixedSession({ idleMs: 0 });
    await session.execute(task("blocksTwoMs"), heavy, onPool);
    await until(() => session!.stats().warmWorkers === 0, "the idle pool is closed");
    const again = await session.execute<number>(task("blocksTwoMs"), heavy, onPool);
    expect(again.results).toHaveLength(heavy.length);
    expect(session.stats()).toMatchObject({ poolStarts: 2, idleCloses: 1 });
  });
});

describe("warm(): a session made ready before its first call", () => {
  it("starts the workers and imports the task in each: the first call plans and runs on warm workers", async () => {
    session = fixedSession({ idleMs: 60_000 });
    const warmth = await session.warm(task("blocksTwoMs"));
    expect(warmth).toMatchObject({ workers: 2, tasks: 1 });
    // One import per worker (this thread imported the module in beforeAll).
    expect(warmth.loadsMs).toHaveLength(2);
    expect(session.stats()).toMatchObject({ calls: 0, warmWorkers: 2, poolStarts: 1 });
    // Under isolation (a chunk time-out) the call runs on the warm workers whatever its plan
    // (a serial one a chunk at a time): what is asserted is where it ran, not the plan, which
    // rests on a live sample (once in 17 runs here it came out serial, not traced).
    const first = await session.execute<number>(task("blocksTwoMs"), heavy, {
      ...onPool,
      chunkTimeoutMs: 60_000,
    });
    expect(first.results).toEqual(heavy.map((x) => x + 1));
    expect(first.report.mode).toBe("parallel");
    // On the workers warm() started, which had imported the task: none started, no import made.
    expect(first.report.taskLoads).toBeUndefined();
    expect(session.stats()).toMatchObject({ calls: 1, poolStarts: 1 });
    // A parallel plan on them is charged no worker start-up, only a warm run's own cost
    // (estimated until the session's short runs measure it); a serial one nothing.
    const charged = first.plan.mode === "parallel" ? WARM_RUN_ESTIMATE_MS : 0;
    expect(first.plan.predicted.breakdown.startupMs).toBe(charged);
    // Nothing left to import; no task: the workers only.
    expect((await session.warm([task("blocksTwoMs")])).loadsMs).toEqual([]);
    expect(await session.warm()).toMatchObject({ workers: 2, tasks: 0, loadsMs: [] });
  });

  it("learns what a short run on its warm workers costs beyond the model, and charges it to the next parallel plan on them", async () => {
    session = fixedSession({ idleMs: 60_000 });
    await session.warm(task("blocksTwoMs"));
    // 8 items of 2 ms on two warm workers: about 12 ms predicted, under the 20 ms taken in.
    // Which runs are taken in is read from each run (parallel, predicted under 20 ms less the
    // warm run's charge), not assumed: the prediction rests on a live sample, and 12 such items read 21.2 ms once
    // beside busy processes (their items wake late).
    const items = range(8);
    let short = 0;
    for (let k = 0; k < 6; k++) {
      const run = await session.execute<number>(task("blocksTwoMs"), items, onPool);
      expect(run.results).toEqual(items.map((x) => x + 1));
      // Short by its own figures: the warm run's charge (the plan's start-up) left out.
      const own = run.plan.predicted.wallMs - run.plan.predicted.breakdown.startupMs;
      if (run.plan.mode === "parallel" && run.report.mode === "parallel" && own < WARM_RUN_SHORT_MS) short++;
    }
    const { warmRuns, warmRunMs } = session.stats();
    expect(warmRuns).toBe(short);
    expect(short).toBeGreaterThanOrEqual(WARM_RUN_MIN_RUNS);
    // Each run took 1-3 ms more than predicted here (items that block 2 ms wake late).
    expect(warmRunMs).toBeGreaterThan(0);
    // The next parallel plan on the warm workers is charged what the runs measured (plans made
    // before were dropped): 30 items, far from a loop's 60 ms, whatever the figure (5 ms at most).
    const more = range(30);
    const next = await session.execute<number>(task("blocksTwoMs"), more, onPool);
    expect(next.plan.mode).toBe("parallel");
    expect(next.plan.predicted.breakdown.startupMs).toBe(warmRunMs);
    expect(next.results).toEqual(more.map((x) => x + 1));
  });

  it("rejects a bad reference before starting anything, a task that cannot load with TaskLoadError (the session goes on), and a closed session", async () => {
    session = fixedSession();
    await expect(session.warm({ module: 5 } as never)).rejects.toBeInstanceOf(AmorsizeValidationError);
    await expect(session.warm([task("square"), { module: "" }])).rejects.toThrow(/module/);
    expect(session.stats().poolStarts).toBe(0);
    const missing = session.warm(task("noSuchExport"));
    await expect(missing).rejects.toBeInstanceOf(TaskLoadError);
    await expect(missing).rejects.toThrow(/noSuchExport/);
    const run = await session.execute<number>(task("square"), [1, 2], base);
    expect(run.results).toEqual([1, 4]);
    await session.close();
    await expect(session.warm()).rejects.toBeInstanceOf(ExecutorClosedError);
  });

  it("rejects a warm-up in flight with ExecutorClosedError on close(), and leaves no thread behind", async () => {
    const before = threads();
    // A module whose import takes 400 ms: the warm-up is still importing it when close() comes.
    const module = join(dir, "slow-import.mjs");
    writeFileSync(
      module,
      "await new Promise((resolve) => setTimeout(resolve, 400));\nexport default (x) => x;\n",
    );
    session = fixedSession({ idleMs: 60_000 });
    const warming = session.warm({ module });
    const rejected = expect(warming).rejects.toBeInstanceOf(ExecutorClosedError);
    await until(() => session!.stats().warmWorkers === 2, "the workers are up");
    await session.close();
    await rejected;
    await expect(warming).rejects.toThrow(/^The session is closed/);
    await until(() => threads() <= before, "the workers' threads have exited");
  });

  it("lets the process exit while idle after warming up", () => {
    const script = join(dir, "warm-idle.mjs");
    const entry = pathToFileURL(new URL("../dist/session.js", import.meta.url).pathname).href;
    const machine = { hardware: hardware(2), spawnCost: spawnCost(2) };
    writeFileSync(
      script,
      `import { createAmorsizeOn } from ${JSON.stringify(entry)};
const session = createAmorsizeOn(${JSON.stringify(machine)}, { idleMs: 600000, saveProfiles: false });
const warmth = await session.warm(${JSON.stringify(task("blocksTwoMs"))});
console.log(JSON.stringify({ workers: warmth.workers, warm: session.stats().warmWorkers }));
`,
    );
    const child = spawnSync(process.execPath, [script], { encoding: "utf8", timeout: 60_000 });
    expect(child.stderr).toBe("");
    expect(child.signal).toBeNull();
    expect(child.status).toBe(0);
    expect(JSON.parse(child.stdout)).toEqual({ workers: 2, warm: 2 });
  });
});

describe("a session's learning", () => {
  it("checks a plan made without the item count against the items that ran after sampling", async () => {
    const runs: SessionRun[] = [];
    session = createAmorsize({ onRun: (run) => runs.push(run) });
    function* items() {
      for (let i = 0; i < 150; i++) yield i;
    }
    const serialOnly = { ...base, maxWorkers: 1 };
    const streamed = session.stream<number>(task("fixedWork"), items(), serialOnly);
    for await (const _ of streamed) {
      // consumed
    }
    const executed = await session.execute<number>(task("fixedWork"), items(), serialOnly);
    for (const [run, plan, sampled] of [
      [runs[0]!, streamed.plan!, streamed.optimized!.workload.sampled],
      [runs[1]!, executed.plan, executed.optimized.workload.sampled],
    ] as const) {
      // A serial plan for a stream covers the model's basis; the run did the items after the sampled ones.
      expect(plan).toMatchObject({ mode: "serial", totalItems: null });
      const basis = plan.predicted.items!;
      expect(run.predictedWallMs).toBeCloseTo((plan.predicted.wallMs * (150 - sampled)) / basis, 9);
    }
  });

  it("keeps no profile from a call kept in the calling thread for items no worker can take", async () => {
    session = createAmorsize();
    // Index 100, sampled first (the middle), holds a function: `fixedWork` reads it as NaN.
    const items: unknown[] = range(200);
    items[100] = () => 1;
    for (let call = 0; call < 2; call++) {
      const result = await session.execute(task("fixedWork"), items, base);
      expect(result.plan.reasons[0]?.code).toBe("ITEMS_NOT_SENDABLE");
      expect(result.results).toHaveLength(200);
      // Sampled again each time: a call planned from a profile samples nothing, and would send the function to a worker.
      expect(result.session.profile).toBe("sampled");
      expect(session.stats().profiles).toEqual([]);
    }
  });

  it("plans a second call of the same task from its profile, sampling nothing", async () => {
    const runs: SessionRun[] = [];
    // onRun is told a SessionRun: pushed into SessionRun[] without a cast or an annotation.
    session = createAmorsize({ onRun: (run) => runs.push(run) });
    // One worker at most: no serial check runs leading items of a serial plan on a busy
    // machine (those would be done items too, though not sampled).
    const serialOnly = { ...base, maxWorkers: 1 };
    // Items that block 2 ms: a run of computing items beside busy processes can read ten
    // times the sample's own time (CI once did, for another test of the session), and
    // contradict the profile; a wait reads alike in both.
    const first = await session.execute<number>(task("blocksTwoMs"), range(60), serialOnly);
    const second = await session.execute<number>(task("blocksTwoMs"), range(90), serialOnly);
    expect(first.session.profile).toBe("sampled");
    expect(first.optimized.workload.indices.length).toBeGreaterThan(0);
    expect(second.session.profile).toBe("learned");
    expect(second.optimized.workload.indices).toEqual([]);
    expect(second.plan.reasons.map((r) => r.code)).not.toContain("SAMPLED_ITEMS_DONE");
    expect(second.results).toEqual(first.results.concat(second.results.slice(60)));
    expect(typeof second.session.predictionError).toBe("number");
    expect(runs.map((r) => [r.kind, r.profile])).toEqual([
      ["execute", "sampled"],
      ["execute", "learned"],
    ]);
    const [profile] = session.stats().profiles;
    expect(profile).toMatchObject({ runs: 2, learnedCalls: 1, lastPredictionError: expect.any(Number) });
  });

  it("runs a learned task's short serial calls at once, with the results and errors a full run gives", async () => {
    // Items of next to no work: every plan is serial, and predicted far within a time slice.
    session = createAmorsize();
    const items = range(7);
    const bad = [1, 2, 3, 7, 4, 5, 6];
    const quickCalls = () => session!.stats().quickCalls;
    // Whether a call runs at once depends on how far the measured item time moved since
    // its plan was made (PLAN_REUSE_DRIFT): calls go on until one does, as most will.
    for (let k = 0; k < 200 && quickCalls() === 0; k++) {
      expect((await session.execute<number>(task("failsOnSeven"), items)).results).toEqual(items);
    }
    expect(quickCalls()).toBeGreaterThan(0);
    let collected = 0;
    for (let k = 0; k < 200 && collected === 0; k++) {
      const before = quickCalls();
      const run = await session.execute<number>(task("failsOnSeven"), bad, { onError: "collect" });
      expect(run.results).toEqual([1, 2, 3, undefined, 4, 5, 6]);
      expect(run.errors.map((e) => [(e as ItemError).index, e.message])).toEqual([
        [3, "Item 3 failed: seven is not allowed"],
      ]);
      expect(run.report).toMatchObject({ mode: "serial", items: 7, succeeded: 6, failed: 1 });
      if (quickCalls() > before) {
        collected++;
        expect(run.session.profile).toBe("learned");
        expect(run.optimized.workloadSource).toBe("cached");
        expect(run.plan.mode).toBe("serial");
      }
    }
    expect(collected).toBe(1);
    let thrown = 0;
    for (let k = 0; k < 200 && thrown === 0; k++) {
      const before = quickCalls();
      const error = await session.execute(task("failsOnSeven"), bad).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ItemError);
      expect((error as ItemError).message).toBe("Item 3 failed: seven is not allowed");
      if (quickCalls() > before) thrown++;
    }
    expect(thrown).toBe(1);
    expect(session.stats()).toMatchObject({ inFlight: 0 });
  });

  it("runs the second call of a short task at once, on the plan its first call made for all its items", async () => {
    session = fixedSession();
    // Predicted far within a time slice (QUICK_MAX_MS: 0.04-0.4 ms measured, with six busy
    // processes beside the test too), and more items than sampling runs.
    const items = range(100);
    const first = await session.execute<number>(task("square"), items, base);
    expect(first.session.profile).toBe("sampled");
    expect(first.plan.mode).toBe("serial");
    const second = await session.execute<number>(task("square"), items, base);
    expect(second.session.profile).toBe("learned");
    expect(session.stats().quickCalls).toBe(1);
    expect(second.results).toEqual(first.results);
    expect(second.plan.reasons.map((r) => r.code)).not.toContain("SAMPLED_ITEMS_DONE");
    expect(second.plan.totalItems).toBe(items.length);
  });

  it("saves what its runs taught it to the plan cache, where a new session's first call finds it", async () => {
    // A module of its own, so that no other test's cache entry can answer for it.
    const module = join(dir, "saved-profile.mjs");
    writeFileSync(
      module,
      `export { blocksFor as default } from ${JSON.stringify(pathToFileURL(tasks).href)};\n`,
    );
    // The calls neither read nor write the plan cache themselves (cache: false): what the
    // second session finds is what the first one saved.
    // Serial runs, each learned from: a live plan could be parallel, and a run that starts
    // workers teaches nothing (their warm-up is in its times), so the count would vary.
    session = createAmorsize({ cacheDir: TEST_CACHE_DIR });
    const serial = { ...base, maxWorkers: 1 };
    const runs = [
      await session.execute({ module }, halfMs(60), serial),
      await session.execute({ module }, halfMs(60), serial),
    ];
    expect(runs.map((r) => r.plan.mode)).toEqual(["serial", "serial"]);
    const [learned] = session.stats().profiles;
    expect(learned).toMatchObject({ runs: 2 });
    await session.close();
    // Saved after the first run that refined it, and again on close (the second run refined it since).
    expect(session.stats()).toMatchObject({ profileSaves: 2, lastProfileSaveError: null });

    session = createAmorsize({ cacheDir: TEST_CACHE_DIR, saveProfiles: false });
    const next = await session.execute({ module }, halfMs(60), { cacheDir: TEST_CACHE_DIR });
    // With the warnings beside it, so that a miss says why (the cache's cross-check, a stale
    // or dropped entry): under load this read once came back "sampled", not traced.
    expect({ source: next.optimized.workloadSource, warnings: next.optimized.warnings }).toMatchObject({
      source: "cached",
    });
    expect(next.optimized.workload.itemTimeMs.mean).toBeCloseTo(learned!.itemMs, 9);
    await session.close();
    expect(session.stats().profileSaves).toBe(0);
  });

  it("lends its cache folder to a call that names none: the call reads what the session saved there", async () => {
    // Items of nanoseconds: with items that block 2 ms, a clean clone's CI beside busy
    // processes once sampled again instead of reading the cache (not traced; a blocking
    // item's CPU read as computing is what the cache's cross-check takes as a contradiction).
    const module = join(dir, "session-folder.mjs");
    writeFileSync(
      module,
      `export { square as default } from ${JSON.stringify(pathToFileURL(tasks).href)};\n`,
    );
    // A folder of the session's own: the default one (AMORSIZE_CACHE_DIR) cannot answer.
    const own = join(dir, "own-cache");
    const machine = { hardware: hardware(2), spawnCost: spawnCost(2) };
    const serial = { maxWorkers: 1 };
    const resolved = resolveTask({ module });
    const key = planCacheKey(resolved, (await moduleHash(resolved))!, 60);
    session = createAmorsizeOn(machine, { cacheDir: own });
    const first = await session.execute({ module }, range(60), serial);
    expect(first.optimized.workloadSource).toBe("sampled");
    await session.close();
    // Written in the session's folder, and nowhere else.
    expect(existsSync(planCachePath(own, key))).toBe(true);
    expect(existsSync(planCachePath(defaultCacheDir(), key))).toBe(false);
    session = createAmorsizeOn(machine, { cacheDir: own, saveProfiles: false });
    const next = await session.execute({ module }, range(60), serial);
    // With the warnings beside it, so that a miss says why (the cache's cross-check, a stale
    // or dropped entry): under load this read once came back "sampled", not traced.
    expect({ source: next.optimized.workloadSource, warnings: next.optimized.warnings }).toMatchObject({
      source: "cached",
    });
    await session.close();
    // So do optimize() and a stream, each a new session's first call (a later call of a
    // session reads the profile its first call made).
    session = createAmorsizeOn(machine, { cacheDir: own, saveProfiles: false });
    expect((await session.optimize({ module }, range(60), serial)).workloadSource).toBe("cached");
    await session.close();
    session = createAmorsizeOn(machine, { cacheDir: own, saveProfiles: false });
    const stream = session.stream({ module }, range(60), serial);
    for await (const _ of stream);
    expect(stream.optimized?.workloadSource).toBe("cached");
    await session.close();
  });

  it("writes figures a first call read from the plan cache only when its runs refined them, on close", async () => {
    const module = join(dir, "read-not-rewritten.mjs");
    writeFileSync(
      module,
      `export { blocksFor as default } from ${JSON.stringify(pathToFileURL(tasks).href)};\n`,
    );
    const serial = { ...base, maxWorkers: 1 };
    session = createAmorsize({ cacheDir: TEST_CACHE_DIR });
    await session.execute({ module }, halfMs(60), serial);
    await session.close();
    expect(session.stats().profileSaves).toBe(1);
    // A new session's first call finds the figures in the cache: nothing written on its path.
    session = createAmorsize({ cacheDir: TEST_CACHE_DIR });
    const next = await session.execute({ module }, halfMs(60), { ...serial, cache: true });
    // With the warnings beside it, so that a miss says why (the cache's cross-check, a stale
    // or dropped entry): under load this read once came back "sampled", not traced.
    expect({ source: next.optimized.workloadSource, warnings: next.optimized.warnings }).toMatchObject({
      source: "cached",
    });
    // Give a write begun on the call's path every chance to be counted.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(session.stats().profileSaves).toBe(0);
    // Its run refined them: written on close.
    expect(session.stats().profiles[0]).toMatchObject({ runs: 1 });
    await session.close();
    expect(session.stats().profileSaves).toBe(1);
  });

  it("writes a new sample of a task it had saved, under the new input's size", async () => {
    const module = join(dir, "resampled-profile.mjs");
    writeFileSync(
      module,
      `export { square as default } from ${JSON.stringify(pathToFileURL(tasks).href)};\n`,
    );
    const resolved = resolveTask({ module });
    const hash = (await moduleHash(resolved))!;
    const entries = [100, 1_000].map((n) => planCachePath(TEST_CACHE_DIR, planCacheKey(resolved, hash, n)));
    for (const path of entries) rmSync(path, { force: true });
    session = createAmorsize({ cacheDir: TEST_CACHE_DIR });
    const serial = { ...base, maxWorkers: 1 };
    await session.execute({ module }, range(100), serial);
    // Ten times the items: unlike the profile, sampled again, and the profile replaced.
    const again = await session.execute({ module }, range(1_000), serial);
    expect(again.optimized.workloadSource).toBe("sampled");
    await session.close();
    expect(entries.map((path) => existsSync(path))).toEqual([true, true]);
    for (const path of entries) rmSync(path, { force: true });
  });

  it("writes a call's fresh sample after a run that taught it nothing (the run started the workers)", async () => {
    // A call that must use the pool (see the header), on a fresh pool: a run on fresh
    // workers (their warm-up in its times) refines no profile, and the sample is written.
    const resolved = resolveTask(task("blocksTwoMs"));
    const path = planCachePath(
      TEST_CACHE_DIR,
      planCacheKey(resolved, (await moduleHash(resolved))!, heavy.length),
    );
    rmSync(path, { force: true });
    session = createAmorsizeOn(
      { hardware: hardware(2), spawnCost: spawnCost(2) },
      { cacheDir: TEST_CACHE_DIR },
    );
    const first = await session.execute(task("blocksTwoMs"), heavy, onPool);
    expect(first.plan.mode).toBe("parallel");
    expect(session.stats().profiles[0]).toMatchObject({ runs: 0 });
    await session.close();
    expect(existsSync(path)).toBe(true);
    expect(session.stats()).toMatchObject({ profileSaves: 1, lastProfileSaveError: null });
    rmSync(path);
  });

  it("does not hold a call for its sample's write to the plan cache: the session writes the figures after the run", async () => {
    // Items that block 2 ms without computing: a busy machine barely stretches them, where
    // items that compute, sampled and then run beside busy processes, once read ten times
    // slower in the run than sampled, and the session (rightly) sampled again rather than
    // write the figures this test waits for.
    const module = join(dir, "saved-after.mjs");
    writeFileSync(
      module,
      `export { blocksTwoMs as default } from ${JSON.stringify(pathToFileURL(tasks).href)};\n`,
    );
    const entry = async () => {
      const resolved = resolveTask({ module });
      return planCachePath(TEST_CACHE_DIR, planCacheKey(resolved, (await moduleHash(resolved))!, 200));
    };
    const path = await entry();
    const withCache = { cacheDir: TEST_CACHE_DIR };
    session = createAmorsize(withCache);
    const first = await session.execute({ module }, range(200), withCache);
    expect(first.optimized.workloadSource).toBe("sampled");
    // Returned with the write under way (its file is renamed into place on a later turn of the event loop).
    expect(existsSync(path)).toBe(false);
    await session.close();
    expect(existsSync(path)).toBe(true);
    expect(session.stats()).toMatchObject({ profileSaves: 1, lastProfileSaveError: null });

    // A session that saves no profile leaves the write to the call, which waits for it.
    rmSync(path);
    session = createAmorsize({ ...withCache, saveProfiles: false });
    await session.execute({ module }, range(200), withCache);
    expect(existsSync(path)).toBe(true);
    await session.close();

    // So does a call whose cache is another folder than the one the session saves to.
    rmSync(path);
    session = createAmorsize({ cacheDir: join(dir, "session-cache") });
    await session.execute({ module }, range(200), withCache);
    expect(existsSync(path)).toBe(true);
    await session.close();

    // And optimize(), which runs nothing the session learns from.
    rmSync(path);
    session = createAmorsize(withCache);
    const optimized = await session.optimize({ module }, range(200), withCache);
    expect(optimized.workloadSource).toBe("sampled");
    expect(existsSync(path)).toBe(true);

    // And a stream of unknown length, which gives the session no profile to save.
    const resolved = resolveTask({ module });
    const streamed = planCachePath(
      TEST_CACHE_DIR,
      planCacheKey(resolved, (await moduleHash(resolved))!, null),
    );
    rmSync(streamed, { force: true });
    const source = (function* () {
      yield* range(200);
    })();
    for await (const _ of session.stream({ module }, source, withCache));
    expect(existsSync(streamed)).toBe(true);
  });

  it("keeps at most one profile write in flight while its profiles churn, however long its caller keeps I/O waiting", async () => {
    // Three modules over two profiles: every call samples, and every new profile is due a
    // save. Calls one after another that never wait for I/O (all in memory, in this thread)
    // let no write finish: each write started stays in flight, its file request pending.
    const modules = [0, 1, 2].map((m) => {
      const module = join(dir, `churn-${m}.mjs`);
      writeFileSync(
        module,
        `export { square as default } from ${JSON.stringify(pathToFileURL(tasks).href)};\n// ${m}\n`,
      );
      return module;
    });
    const fileRequests = () =>
      process.getActiveResourcesInfo().filter((name) => name.startsWith("FSReq")).length;
    session = createAmorsize({ cacheDir: TEST_CACHE_DIR, maxProfiles: 2 });
    for (const module of modules) await session.execute({ module }, range(4), base);
    await until(() => fileRequests() === 0, "the first calls' writes are done");
    for (let c = 0; c < 30; c++) await session.execute({ module: modules[c % 3]! }, range(4), base);
    expect(fileRequests()).toBeLessThanOrEqual(1);
    await session.close();
    expect(session.stats()).toMatchObject({ lastProfileSaveError: null });
  });

  it("samples again after a run whose items took ten times what the profile said, and does not block or ignore an abort meanwhile", async () => {
    // One worker at most: every call runs in the calling thread, the case where a wrong
    // profile would hold it. Numbers of one size: the input looks the same whatever they ask.
    const runs: SessionRun[] = [];
    session = fixedSession({ maxWorkers: 1, idleMs: 60_000, onRun: (run) => runs.push(run) });
    // Items that cost nothing against items that block 0.7 ms on average (three of them 7 ms
    // each): far past ten times on a busy machine too, where a short block of 50 us can read
    // several times its length.
    const cheap = range(30).map(() => 0);
    const costly = range(30).map((i) => (i % 10 === 0 ? 7 : 0));
    expect((await session.execute(task("blocksFor"), cheap, base)).session.profile).toBe("sampled");
    // A cheap run preempted for CONTRADICTING_RUN_MS or more reads ten times slow: a first
    // "suspect" run (see `contradicts`), after which the first costly run would be the
    // second and the profile dropped a call early (once in six clean-clone CIs beside one
    // busy process per core, with two Jest workers). Cheap calls again until one reads
    // clean, which clears it: the costly runs below are then the first two.
    for (let k = 0; k < 5 && runs.at(-1)!.busyMs >= CONTRADICTING_RUN_MS; k++) {
      await session.execute(task("blocksFor"), cheap, base);
    }
    expect(runs.at(-1)!.busyMs).toBeLessThan(CONTRADICTING_RUN_MS);
    // 21 ms where the profile said next to nothing: a pause could read so once, not twice in a
    // row. Over CONTRADICTING_RUN_MS, and far under DECISIVE_RUN_MS however late each wait
    // wakes on a busy machine: three waits, each woken late once at most. 30 blocks of 3 ms
    // read past 200 ms under load once, and so did 30 blocks of 0.7 ms (each of the 30 waits
    // woke late): that run alone contradicted the profile (a call early).
    for (let k = 0; k < 2; k++) {
      const learned = await session.execute(task("blocksFor"), costly, base);
      expect(learned.session.profile).toBe("learned");
      expect(learned.results).toEqual(costly);
    }
    const next = await session.execute(task("blocksFor"), costly, base);
    expect(next.session.profile).toBe("sampled");
    expect(next.results).toEqual(costly);
    // A learned call far slower than its profile still gives the event loop turns and stops on an abort.
    await session.execute(task("blocksFor"), cheap, base);
    await session.execute(task("blocksFor"), cheap, base);
    const controller = new AbortController();
    const reason = new Error("stop");
    setTimeout(() => controller.abort(reason), 20);
    await expect(
      session.execute(
        task("blocksFor"),
        range(30).map(() => 50),
        { ...base, signal: controller.signal },
      ),
    ).rejects.toBe(reason);
  });

  it("samples again after short runs that took ten times what the profile said together, none long enough alone", async () => {
    // A profile read from a plan cache for the same task and count whose items asked for
    // less work stayed wrong a thousandfold over every call of ten items (0.5 ms each).
    session = fixedSession({ maxWorkers: 1, idleMs: 60_000 });
    const cheap = range(10).map(() => 0);
    const costly = range(10).map(() => 0.1);
    expect((await session.execute(task("blocksFor"), cheap, base)).session.profile).toBe("sampled");
    // Calls of 1 ms or more, each ten times slow: the fifth makes five such runs and 5 ms
    // together, and the sixth samples at the latest (the fifth does when the first call's
    // items left unsampled read ten times slow too: their run carries the call's first-run
    // costs; sooner on a machine so busy that two calls in a row read 20 ms, which contradict
    // on their own). Without the rule no call of 1 ms samples.
    const profiles: string[] = [];
    for (let k = 0; k < 8; k++) {
      const call = await session.execute(task("blocksFor"), costly, base);
      expect(call.results).toEqual(costly);
      profiles.push(call.session.profile);
    }
    const resampled = profiles.indexOf("sampled");
    expect(resampled).toBeGreaterThanOrEqual(1);
    expect(resampled).toBeLessThanOrEqual(5);
  });

  it("samples again when the input looks different: ten times the items, or items of another kind", async () => {
    session = createAmorsize();
    await session.execute(task("square"), range(100), base);
    const more = await session.execute(task("square"), range(1000), base);
    const strings = await session.execute(
      task("first"),
      range(100).map((x) => [x, x]),
      base,
    );
    expect(more.session.profile).toBe("sampled");
    expect(strings.session.profile).toBe("sampled");
  });

  // Jest's module registry keys modules by path, so a version's URL query means nothing to it:
  // items run in workers only here (isolate), which import as Node does. Outside Jest the
  // calling thread imports the new version the same way.
  it("reloads a task module edited on disk between two calls, on warm workers", async () => {
    session = fixedSession({ idleMs: 60_000 });
    const module = join(dir, "edited.mjs");
    const source = (add: number) =>
      `import { blocksTwoMs } from ${JSON.stringify(pathToFileURL(tasks).href)};
export default (x) => (blocksTwoMs(x), x + ${add});\n`;
    const options = { ...onPool, isolate: true };
    writeFileSync(module, source(1));
    const one = await session.execute<number>({ module }, heavy, options);
    writeFileSync(module, source(1000));
    const two = await session.execute<number>({ module }, heavy, options);
    expect(one.results).toEqual(heavy.map((x) => x + 1));
    expect(two.results).toEqual(heavy.map((x) => x + 1000));
    expect(two.session.profile).toBe("sampled");
    expect(session.stats()).toMatchObject({ poolStarts: 1 });
  });

  it("runs a task module edited on disk since the process ran it as its new version, in top-level calls and a new session", () => {
    // In a child process: Jest's module registry takes a file's URL without its query, where
    // Node imports each version. One worker at most: the calls run in the calling thread,
    // whose module map holds the version it imported first (a top-level call ran that one,
    // every item, after an edit). Each version has another size (see fileHash).
    const module = join(dir, "edited-top.mjs");
    const script = `
      import { writeFileSync } from "node:fs";
      import { createAmorsize, execute } from ${JSON.stringify(new URL("../dist/index.js", import.meta.url).href)};
      const module = ${JSON.stringify(module)};
      const source = (version) => "export default () => " + version + ";" + " ".repeat(version) + "\\n";
      const items = Array.from({ length: 40 }, (_, i) => i);
      const options = { cache: false, maxWorkers: 1 };
      const seen = [];
      const versions = (run) => [...new Set(run.results)];
      writeFileSync(module, source(1));
      seen.push(versions(await execute({ module }, items, options)));
      writeFileSync(module, source(2));
      seen.push(versions(await execute({ module }, items, options)));
      writeFileSync(module, source(3));
      const session = createAmorsize({ maxWorkers: 1, saveProfiles: false });
      seen.push(versions(await session.execute({ module }, items, options)));
      await session.close();
      console.log(JSON.stringify(seen));
    `;
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
      encoding: "utf8",
      env: { ...process.env, AMORSIZE_CACHE_DIR: TEST_CACHE_DIR },
      timeout: 60_000,
    });
    expect(child.stderr).toBe("");
    expect(JSON.parse(child.stdout)).toEqual([[1], [2], [3]]);
  });

  it("reloads a CommonJS task module edited on disk between two calls, on warm workers", async () => {
    // Node imports a CommonJS file through its require cache, by path, whatever the URL's query.
    session = fixedSession({ idleMs: 60_000 });
    const module = join(dir, "edited.cjs");
    const source = (add: number) =>
      `const slot = new Int32Array(new SharedArrayBuffer(4));
module.exports = { add: (x) => (Atomics.wait(slot, 0, 0, 2), x + ${add}) };\n`;
    const options = { ...onPool, isolate: true };
    writeFileSync(module, source(1));
    const one = await session.execute<number>({ module, export: "add" }, heavy, options);
    writeFileSync(module, source(1000));
    const two = await session.execute<number>({ module, export: "add" }, heavy, options);
    expect(one.results).toEqual(heavy.map((x) => x + 1));
    expect(two.results).toEqual(heavy.map((x) => x + 1000));
    expect(session.stats()).toMatchObject({ poolStarts: 1 });
  });

  it("streams on the session's machine and profile, and counts the stream's run", async () => {
    session = fixedSession({ idleMs: 60_000 });
    const first = await session.execute<number>(task("blocksTwoMs"), heavy, onPool);
    const stream = session.stream<number>(task("blocksTwoMs"), heavy, onPool);
    const seen: number[] = [];
    for await (const { value } of stream) seen.push(value);
    expect(seen).toEqual(first.results);
    expect(stream.optimized?.workload.indices).toEqual([]);
    // Whether the learned stream runs on the workers is a live plan (a CI run once read it
    // serial): the bench's service scenario reports it. Here: no pool of its own, and the
    // stream's items counted into the session's.
    expect(stream.report().items).toBe(heavy.length);
    expect(session.stats()).toMatchObject({ calls: 2, inFlight: 0, items: 2 * heavy.length, poolStarts: 1 });
  });

  it("works with await using", async () => {
    let kept: Amorsize;
    {
      await using scoped = createAmorsize();
      kept = scoped;
      const plan = await scoped.optimize(task("square"), range(50), base);
      expect(plan.plan.mode).toBeDefined();
    }
    expect(kept.closed).toBe(true);
  });
});
