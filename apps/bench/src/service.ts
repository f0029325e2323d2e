/**
 * The "service" scenario: many successive calls in one long-lived process, as a server
 * or a queue consumer makes them. A `createAmorsize()` session is timed side by side with
 * what a Node engineer would write by hand: a plain loop, and a tinypool kept for the life
 * of the process (started and warmed before the timing, one chunk per core per call).
 * Every call's results are checked against the loop's.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { probeHardware } from "@amorsize/hardware-probe";
import { createAmorsize, execute, type SessionRun } from "@amorsize/optimizer";
import { Tinypool } from "tinypool";
import { iterationsFor, measureItersPerUs, numericItems } from "../workloads/_lib.mjs";
import type { BatchMessage } from "./batch-worker.js";
import { checksum } from "./checksum.js";
import { median } from "./stats.js";

const TASK_URL = new URL("../workloads/trivial.mjs", import.meta.url).href;
const TASK_EXPORT = "multiply";
const TASK = { module: TASK_URL, export: TASK_EXPORT };
/** A second module with the same work: a task of another grain that the session profiles apart. */
const OTHER_URL = new URL("../workloads/light.mjs", import.meta.url).href;
const OTHER_EXPORT = "hashLight";

type TaskFn = (item: unknown) => unknown;
type Session = ReturnType<typeof createAmorsize>;

/** A batch of calls: how many, of how many items, each about how long. */
export interface CallShape {
  calls: number;
  items: number;
  itemUs: number;
}

/** Total wall time of a strategy over a scenario's calls, and its first and later calls apart. */
export interface StrategyTime {
  totalMs: number;
  /** Median of the calls after the first (warm), milliseconds. */
  medianCallMs: number;
  firstCallMs: number;
}

/** The scenario's size: the issue's figures in a full run, fewer calls in a quick one. */
export interface ServicePlan {
  manyMedium: CallShape;
  manyTiny: CallShape;
  /** Callers in flight together, each making `calls` successive calls of this shape. */
  concurrent: CallShape & { callers: number };
  alternatingPairs: number;
  memory: { calls: number; modules: number; items: number };
  repetitions: number;
}

export const SERVICE_PLANS: Record<"full" | "quick", ServicePlan> = {
  full: {
    manyMedium: { calls: 30, items: 200, itemUs: 1000 },
    manyTiny: { calls: 200, items: 10, itemUs: 50 },
    concurrent: { callers: 4, calls: 10, items: 200, itemUs: 1000 },
    alternatingPairs: 30,
    memory: { calls: 10_000, modules: 100, items: 4 },
    repetitions: 3,
  },
  quick: {
    manyMedium: { calls: 8, items: 200, itemUs: 1000 },
    manyTiny: { calls: 50, items: 10, itemUs: 50 },
    concurrent: { callers: 4, calls: 3, items: 200, itemUs: 1000 },
    alternatingPairs: 8,
    memory: { calls: 1_000, modules: 20, items: 4 },
    repetitions: 1,
  },
};

/** One strategy: a function run once per call of a scenario, returning that call's results. */
type CallRunner = (items: readonly unknown[], which: "a" | "b") => Promise<unknown[]>;

function loopRunner(fns: { a: TaskFn; b: TaskFn }): CallRunner {
  return async (items, which) => {
    const fn = fns[which];
    const out = new Array<unknown>(items.length);
    for (let i = 0; i < items.length; i++) out[i] = fn(items[i]);
    return out;
  };
}

/** tinypool kept for the process's life: one batch per core per call, through the joblib baseline's worker. */
function poolRunner(pool: Tinypool, cores: number): CallRunner {
  return async (items, which) => {
    const module = which === "a" ? TASK_URL : OTHER_URL;
    const name = which === "a" ? TASK_EXPORT : OTHER_EXPORT;
    const size = Math.ceil(items.length / cores);
    const batches: Promise<unknown[]>[] = [];
    for (let i = 0; i < items.length; i += size) {
      const message: BatchMessage = { module, export: name, items: items.slice(i, i + size) };
      batches.push(pool.run(message) as Promise<unknown[]>);
    }
    return (await Promise.all(batches)).flat();
  };
}

function sessionRunner(session: Session): CallRunner {
  const tasks = {
    a: { module: TASK_URL, export: TASK_EXPORT },
    b: { module: OTHER_URL, export: OTHER_EXPORT },
  };
  return async (items, which) => (await session.execute(tasks[which], items)).results;
}

function executeRunner(): CallRunner {
  const tasks = {
    a: { module: TASK_URL, export: TASK_EXPORT },
    b: { module: OTHER_URL, export: OTHER_EXPORT },
  };
  return async (items, which) => (await execute(tasks[which], items)).results;
}

/** Runs `calls` calls in turn, checks each call's results, and times each call. */
async function timeCalls(
  runner: CallRunner,
  batches: ReadonlyArray<{ items: readonly unknown[]; which: "a" | "b"; expected: string }>,
): Promise<number[]> {
  const times: number[] = [];
  for (const [k, batch] of batches.entries()) {
    const t0 = performance.now();
    const results = await runner(batch.items, batch.which);
    times.push(performance.now() - t0);
    if (checksum(results) !== batch.expected)
      throw new Error(`call ${k} (${batch.which}) gave wrong results`);
  }
  return times;
}

/**
 * Starts `callers` callers together, each running the calls in turn from its own async
 * context and checking each call's results; each caller's finish time from the common
 * start, milliseconds.
 */
async function timeCallers(
  runner: CallRunner,
  batches: ReadonlyArray<{ items: readonly unknown[]; which: "a" | "b"; expected: string }>,
  callers: number,
): Promise<number[]> {
  const t0 = performance.now();
  return Promise.all(
    Array.from({ length: callers }, async (_, c) => {
      for (const [k, batch] of batches.entries()) {
        const results = await runner(batch.items, batch.which);
        if (checksum(results) !== batch.expected)
          throw new Error(`caller ${c}, call ${k} (${batch.which}) gave wrong results`);
      }
      return performance.now() - t0;
    }),
  );
}

/** Callers in flight together: when the last one finished, and the first. */
export interface CallersTime {
  /** The last caller's finish, from the common start, milliseconds. */
  totalMs: number;
  /** The first caller's finish, milliseconds. */
  firstDoneMs: number;
}

export function callersTime(finishes: readonly number[]): CallersTime {
  return { totalMs: Math.max(...finishes), firstDoneMs: Math.min(...finishes) };
}

/** The last caller's finish over the first's. */
const spread = (t: CallersTime) => t.totalMs / t.firstDoneMs;

/** A stream on a warm session of a task it learned from one call (see `timeLearnedStream`). */
export interface LearnedStream {
  mode: string;
  workers: number;
  /** Planned from the profile (nothing sampled). */
  learned: boolean;
  wallMs: number;
}

/**
 * One call of the items on a fresh session (it samples, and starts the pool), then a
 * stream of the same items, timed: a learned stream should run on the warm pool as the
 * call's successors do. Results checked against the loop's.
 */
async function timeLearnedStream(
  batch: { items: readonly unknown[]; expected: string },
  newSession: () => Session,
): Promise<LearnedStream> {
  const session = newSession();
  try {
    await session.execute(TASK, batch.items);
    const t0 = performance.now();
    const stream = session.stream(TASK, batch.items);
    const results: unknown[] = [];
    for await (const { value } of stream) results.push(value);
    const wallMs = performance.now() - t0;
    if (checksum(results) !== batch.expected) throw new Error("the learned stream gave wrong results");
    const report = stream.report();
    const learned = stream.optimized?.workload.indices.length === 0;
    return { mode: report.mode, workers: report.workers, learned, wallMs };
  } finally {
    await session.close();
  }
}

/** Sums a strategy's call times. */
export function strategyTime(times: readonly number[]): StrategyTime {
  return {
    totalMs: times.reduce((a, b) => a + b, 0),
    medianCallMs: median(times.slice(1)),
    firstCallMs: times[0] ?? Number.NaN,
  };
}

/** Per-task sums of alternating calls (even calls are task a, odd ones task b). */
export function perTask(times: readonly number[]): { a: number; b: number } {
  let a = 0;
  let b = 0;
  for (let k = 0; k < times.length; k++) {
    if (k % 2 === 0) a += times[k]!;
    else b += times[k]!;
  }
  return { a, b };
}

interface Fixture {
  fns: { a: TaskFn; b: TaskFn };
  itersPerUs: number;
  cores: number;
  pool: Tinypool;
}

function batchesOf(fixture: Fixture, shape: CallShape, which: (k: number) => "a" | "b") {
  const items = numericItems(shape.items, iterationsFor(shape.itemUs, fixture.itersPerUs));
  const expected = { a: checksum(items.map(fixture.fns.a)), b: checksum(items.map(fixture.fns.b)) };
  return Array.from({ length: shape.calls }, (_, k) => ({
    items,
    which: which(k),
    expected: expected[which(k)],
  }));
}

/** Each strategy over the same calls, in an order rotated per repetition; the median repetition of each. */
async function compare(
  runners: Record<string, () => CallRunner | Promise<CallRunner>>,
  batches: ReturnType<typeof batchesOf>,
  repetitions: number,
  after: Record<string, () => Promise<void>> = {},
  time: (runner: CallRunner, batches: ReturnType<typeof batchesOf>) => Promise<number[]> = timeCalls,
): Promise<Record<string, number[]>> {
  const names = Object.keys(runners);
  const runs: Record<string, number[][]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < repetitions; r++) {
    for (let j = 0; j < names.length; j++) {
      const name = names[(j + r) % names.length]!;
      const runner = await runners[name]!();
      runs[name]!.push(await time(runner, batches));
      await after[name]?.();
    }
  }
  // The repetition with the median total stands for the strategy.
  return Object.fromEntries(
    names.map((n) => {
      const byTotal = [...runs[n]!].sort((x, y) => sum(x) - sum(y));
      return [n, byTotal[byTotal.length >> 1]!];
    }),
  );
}

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);

/** The figures of one service run. */
export interface ServiceResults {
  cores: number;
  itersPerUs: number;
  plan: ServicePlan;
  /** `sessionWarm`: a session whose `warm()` ran before the timing, as the tinypool was started and warmed. */
  manyMedium: Record<"loop" | "tinypool" | "session" | "sessionWarm" | "execute", StrategyTime>;
  manyTiny: Record<"loop" | "session" | "sessionWarm" | "execute", StrategyTime>;
  concurrent: Record<"loop" | "tinypool" | "session", CallersTime> & {
    /** The session's runs over every repetition, by mode and workers (`parallel x2`: 2 workers). */
    sessionRuns: Record<string, number>;
  };
  alternating: Record<"loop" | "tinypool" | "session", { a: number; b: number }>;
  /** A stream of the medium calls' items on a session that ran one such call: how it ran, and its time. */
  stream: LearnedStream;
  memory: MemoryFigures;
  /** What each session call was planned from, as its `stats()` told after the scenario. */
  sessionStats: { medium: unknown; tiny: unknown; concurrent: unknown; alternating: unknown };
}

/** Runs the service scenario. */
export async function runService(plan: ServicePlan, log: (line: string) => void): Promise<ServiceResults> {
  const hardware = await probeHardware();
  const cores = hardware.cores.usable.value;
  const itersPerUs = measureItersPerUs();
  const fns = {
    a: (await import(TASK_URL))[TASK_EXPORT] as TaskFn,
    b: (await import(OTHER_URL))[OTHER_EXPORT] as TaskFn,
  };
  const pool = new Tinypool({
    filename: new URL("./batch-worker.js", import.meta.url).href,
    minThreads: cores,
    maxThreads: cores,
    idleTimeout: 60_000,
  });
  const fixture: Fixture = { fns, itersPerUs, cores, pool };
  try {
    // Warm the hand-written pool before any timing: every thread up, both modules imported.
    const warm = numericItems(cores * 2, 1);
    for (const which of ["a", "b"] as const) await poolRunner(pool, cores)(warm, which);
    log(`service: ${cores} usable cores, hash loop ${itersPerUs.toFixed(0)} iterations/us`);
    const sessions: Session[] = [];
    /** A session for one repetition, its runs told to `onRun` (and logged with AMORSIZE_SERVICE_TRACE=1). */
    const newSession = (onRun?: (run: SessionRun) => void) => {
      // AMORSIZE_SERVICE_TRACE=1 logs each session run (mode, workers, wall and predicted times).
      const trace = process.env.AMORSIZE_SERVICE_TRACE === "1";
      // No hook unless asked: a session builds what onRun is told only for a hook.
      const told = (run: SessionRun) => {
        if (trace) log(`service: ${JSON.stringify(run)}`);
        onRun?.(run);
      };
      const s = createAmorsize(trace || onRun !== undefined ? { onRun: told } : {});
      sessions.push(s);
      return sessionRunner(s);
    };
    const stats = {
      medium: null as unknown,
      tiny: null as unknown,
      concurrent: null as unknown,
      alternating: null as unknown,
    };
    const closeLast = (key: keyof typeof stats) => async () => {
      const s = sessions.pop()!;
      stats[key] = s.stats();
      await s.close();
    };
    /** A session made ready before the timing (`warm()`: the machine, the workers, the task imported). */
    const warmSession = async () => {
      const runner = newSession();
      await sessions.at(-1)!.warm(TASK);
      return runner;
    };
    const closeWarm = async () => {
      await sessions.pop()!.close();
    };

    const medium = batchesOf(fixture, plan.manyMedium, () => "a");
    const m = await compare(
      {
        loop: () => loopRunner(fns),
        tinypool: () => poolRunner(pool, cores),
        session: () => newSession(),
        sessionWarm: warmSession,
        execute: executeRunner,
      },
      medium,
      plan.repetitions,
      { session: closeLast("medium"), sessionWarm: closeWarm },
    );
    log(
      `service: ${plan.manyMedium.calls} calls of ${plan.manyMedium.items} x ~${plan.manyMedium.itemUs} us done`,
    );

    const tiny = batchesOf(fixture, plan.manyTiny, () => "a");
    const t = await compare(
      {
        loop: () => loopRunner(fns),
        session: () => newSession(),
        sessionWarm: warmSession,
        execute: executeRunner,
      },
      tiny,
      plan.repetitions,
      { session: closeLast("tiny"), sessionWarm: closeWarm },
    );
    log(`service: ${plan.manyTiny.calls} calls of ${plan.manyTiny.items} x ~${plan.manyTiny.itemUs} us done`);

    const { callers } = plan.concurrent;
    // The session's runs over every repetition, by mode and workers.
    const counts: Record<string, number> = {};
    const countRun = (run: SessionRun) => {
      const key = run.mode === "parallel" ? `parallel x${run.workers}` : run.mode;
      counts[key] = (counts[key] ?? 0) + 1;
    };
    const together = batchesOf(fixture, plan.concurrent, () => "a");
    const c = await compare(
      {
        loop: () => loopRunner(fns),
        tinypool: () => poolRunner(pool, cores),
        session: () => newSession(countRun),
      },
      together,
      plan.repetitions,
      { session: closeLast("concurrent") },
      (runner, batches) => timeCallers(runner, batches, callers),
    );
    log(`service: ${callers} callers of ${plan.concurrent.calls} calls each, in flight together, done`);

    const learnedStream = await timeLearnedStream(medium[0]!, () => createAmorsize());
    log(`service: a learned stream ran ${learnedStream.mode} in ${learnedStream.wallMs.toFixed(0)} ms`);

    const alternating = alternatingBatches(fixture, plan);
    const alt = await compare(
      { loop: () => loopRunner(fns), tinypool: () => poolRunner(pool, cores), session: () => newSession() },
      alternating,
      plan.repetitions,
      { session: closeLast("alternating") },
    );
    log(`service: ${plan.alternatingPairs} alternating pairs done`);

    const memory = await measureMemory(plan.memory, itersPerUs);
    log(`service: ${plan.memory.calls} calls over ${plan.memory.modules} modules done`);
    return {
      cores,
      itersPerUs,
      plan,
      manyMedium: {
        loop: strategyTime(m.loop!),
        tinypool: strategyTime(m.tinypool!),
        session: strategyTime(m.session!),
        sessionWarm: strategyTime(m.sessionWarm!),
        execute: strategyTime(m.execute!),
      },
      manyTiny: {
        loop: strategyTime(t.loop!),
        session: strategyTime(t.session!),
        sessionWarm: strategyTime(t.sessionWarm!),
        execute: strategyTime(t.execute!),
      },
      concurrent: {
        loop: callersTime(c.loop!),
        tinypool: callersTime(c.tinypool!),
        session: callersTime(c.session!),
        sessionRuns: counts,
      },
      alternating: {
        loop: perTask(alt.loop!),
        tinypool: perTask(alt.tinypool!),
        session: perTask(alt.session!),
      },
      stream: learnedStream,
      memory,
      sessionStats: stats,
    };
  } finally {
    await pool.destroy();
  }
}

/** Calls alternating between a medium-grain task (a) and a fine one (b), pairs of each. */
function alternatingBatches(fixture: Fixture, plan: ServicePlan) {
  const a = batchesOf(fixture, { ...plan.manyMedium, calls: 1 }, () => "a")[0]!;
  const b = batchesOf(fixture, { ...plan.manyTiny, calls: 1 }, () => "b")[0]!;
  return Array.from({ length: plan.alternatingPairs * 2 }, (_, k) => (k % 2 === 0 ? a : b));
}

/** Memory of a session after many calls over many task modules. */
export interface MemoryFigures {
  calls: number;
  modules: number;
  /** Heap used after the first pass over every module, and at the end, bytes. */
  heapAfterFirstPassBytes: number;
  heapAtEndBytes: number;
  /** Growth from the end of the first pass to the end, bytes. */
  growthBytes: number;
  /** Heap used after every tenth of the calls, bytes: flat once warm when the session's memory is bounded. */
  heapByCalls: Array<{ calls: number; bytes: number }>;
  /** The process's resident set at the end (the session's workers, if any, included), bytes. */
  rssAtEndBytes: number;
  /** Profiles the session held at the end, and its bound. */
  profiles: number;
  maxProfiles: number;
  wallMs: number;
}

/** A full garbage collection on demand (the flag set at run time, the function taken from a fresh context). */
function collector(): () => void {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}

async function settledHeap(gc: () => void): Promise<number> {
  // Let finished calls' promises and timers go, then collect: what is left is what is kept.
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  return process.memoryUsage().heapUsed;
}

/** `calls` calls round-robin over `modules` distinct task modules written to a temporary folder. */
async function measureMemory(shape: ServicePlan["memory"], itersPerUs: number): Promise<MemoryFigures> {
  const dir = await mkdtemp(join(tmpdir(), "amorsize-service-"));
  const session = createAmorsize();
  try {
    const libUrl = new URL("../workloads/_lib.mjs", import.meta.url).href;
    const tasks = [];
    for (let m = 0; m < shape.modules; m++) {
      const file = join(dir, `task-${m}.mjs`);
      const body = `import { runNumeric } from ${JSON.stringify(libUrl)};\n// module ${m}\nexport function task(x) {\n  return runNumeric(x) + ${m};\n}\n`;
      await writeFile(file, body);
      tasks.push({ module: pathToFileURL(file).href, export: "task" });
    }
    const items = numericItems(shape.items, iterationsFor(1, itersPerUs));
    const gc = collector();
    const t0 = performance.now();
    let heapAfterFirstPass = 0;
    const heapByCalls: MemoryFigures["heapByCalls"] = [];
    const every = Math.max(1, Math.round(shape.calls / 10));
    for (let c = 0; c < shape.calls; c++) {
      await session.execute(tasks[c % shape.modules]!, items);
      if (c === shape.modules * 2 - 1) heapAfterFirstPass = await settledHeap(gc);
      if ((c + 1) % every === 0) heapByCalls.push({ calls: c + 1, bytes: await settledHeap(gc) });
    }
    const wallMs = performance.now() - t0;
    const heapAtEnd = await settledHeap(gc);
    const rssAtEnd = process.memoryUsage().rss;
    const stats = session.stats();
    return {
      calls: shape.calls,
      modules: shape.modules,
      heapAfterFirstPassBytes: heapAfterFirstPass,
      heapAtEndBytes: heapAtEnd,
      growthBytes: heapAtEnd - heapAfterFirstPass,
      heapByCalls,
      rssAtEndBytes: rssAtEnd,
      profiles: stats.profiles.length,
      maxProfiles: stats.maxProfiles,
      wallMs,
    };
  } finally {
    await session.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** One of the issue's targets for the service scenario: the measured ratio against its bound. */
export interface ServiceTarget {
  name: string;
  /** Measured ratio (session over the reference; for the speedup, serial over session). */
  ratio: number;
  /** The bound the ratio must meet. */
  bound: number;
  /** `max`: ratio must be at most the bound; `min`: at least. */
  kind: "max" | "min";
  met: boolean;
}

function target(name: string, ratio: number, bound: number, kind: "max" | "min"): ServiceTarget {
  return { name, ratio, bound, kind, met: kind === "max" ? ratio <= bound : ratio >= bound };
}

/**
 * Callers in flight together share the pool fairly when the spread of their finishes (the
 * last caller's over the first's) is at most this many times the warm tinypool's, which
 * serves chunks in the order they came (set here: the issue asks that none is starved and
 * gives no figure). Even that order spreads the finishes: each caller's last call ends in
 * turn, 1.3x apart with 3 calls each, 1.1x with 10.
 */
export const FAIR_SPREAD = 1.1;

/**
 * The targets, from the figures (pure): the session within 5% of a warm hand-written
 * tinypool (created cold, and warmed before the timing as the tinypool is: both are
 * reported) and 1.7x faster than a loop on medium calls (the speedup bound applies on 2
 * cores or more), within 10% of a loop on tiny calls, within 5% of the tinypool with
 * callers in flight together (the medium calls' bound) and none of them starved (see
 * FAIR_SPREAD), and within 10% of the best fixed choice for each task when calls alternate.
 */
export function serviceTargets(
  r: Pick<ServiceResults, "manyMedium" | "manyTiny" | "concurrent" | "alternating" | "cores">,
) {
  const { manyMedium: m, manyTiny: t, concurrent: c, alternating: a } = r;
  const bestA = Math.min(a.loop.a, a.tinypool.a);
  const bestB = Math.min(a.loop.b, a.tinypool.b);
  const targets = [
    target("medium calls: session / warm tinypool", m.session.totalMs / m.tinypool.totalMs, 1.05, "max"),
    target(
      "medium calls: session warmed before the timing / warm tinypool",
      m.sessionWarm.totalMs / m.tinypool.totalMs,
      1.05,
      "max",
    ),
    target("tiny calls: session / loop", t.session.totalMs / t.loop.totalMs, 1.1, "max"),
    target(
      "tiny calls: session warmed before the timing / loop",
      t.sessionWarm.totalMs / t.loop.totalMs,
      1.1,
      "max",
    ),
    target(
      "calls in flight together: session / warm tinypool",
      c.session.totalMs / c.tinypool.totalMs,
      1.05,
      "max",
    ),
    target(
      "calls in flight together: spread of the callers' finishes, session / warm tinypool",
      spread(c.session) / spread(c.tinypool),
      FAIR_SPREAD,
      "max",
    ),
    target("alternating, medium task: session / best fixed", a.session.a / bestA, 1.1, "max"),
    target("alternating, fine task: session / best fixed", a.session.b / bestB, 1.1, "max"),
  ];
  if (r.cores >= 2) {
    targets.splice(
      1,
      0,
      target("medium calls: loop / session", m.loop.totalMs / m.session.totalMs, 1.7, "min"),
    );
  }
  return targets;
}

const ms = (x: number) => `${x.toFixed(x < 10 ? 2 : 0)} ms`;
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/** The scenario's report, Markdown. */
export function renderService(r: ServiceResults): string {
  const { manyMedium: m, manyTiny: t, concurrent: cc, alternating: a, memory: mem, plan } = r;
  const c = plan.concurrent;
  const row = (name: string, s: StrategyTime) =>
    `| ${name} | ${ms(s.totalMs)} | ${ms(s.firstCallMs)} | ${ms(s.medianCallMs)} |`;
  const lines = [
    "# Service scenario",
    "",
    `${r.cores} usable cores; hash loop ${r.itersPerUs.toFixed(0)} iterations/us; median of ${plan.repetitions} repetition(s), strategies in rotated order.`,
    "The tinypool is started and warmed before the timing (one chunk per core per call). The session is created cold, so its first call pays sampling and start-up; the warmed session's `warm(task)` ran before the timing (the machine probed, the workers started, the task imported in each), as a server would call it at start-up: its first call still samples.",
    "",
    `## ${plan.manyMedium.calls} calls of ${plan.manyMedium.items} items of ~${plan.manyMedium.itemUs} us`,
    "",
    "| strategy | total | first call | median later call |",
    "|---|---|---|---|",
    row("plain loop", m.loop),
    row("tinypool, warm", m.tinypool),
    row("createAmorsize() session", m.session),
    row("session, warm() before the timing", m.sessionWarm),
    row("execute() per call", m.execute),
    "",
    `## ${plan.manyTiny.calls} calls of ${plan.manyTiny.items} items of ~${plan.manyTiny.itemUs} us`,
    "",
    "| strategy | total | first call | median later call |",
    "|---|---|---|---|",
    row("plain loop", t.loop),
    row("createAmorsize() session", t.session),
    row("session, warm() before the timing", t.sessionWarm),
    row("execute() per call", t.execute),
    "",
    `## ${c.callers} callers in flight together, each making ${c.calls} successive calls of ${c.items} items of ~${c.itemUs} us`,
    "",
    "Each caller runs its calls in turn from its own async context; all start together. The loop's callers take turns on the calling thread.",
    "",
    "| strategy | last caller done | first caller done | last / first |",
    "|---|---|---|---|",
    ...(["loop", "tinypool", "session"] as const).map(
      (k) => `| ${k} | ${ms(cc[k].totalMs)} | ${ms(cc[k].firstDoneMs)} | ${spread(cc[k]).toFixed(3)} |`,
    ),
    "",
    `The session's runs over every repetition: ${Object.entries(cc.sessionRuns)
      .map(([mode, n]) => `${mode} ${n}`)
      .join(", ")}.`,
    "",
    `## ${plan.alternatingPairs} pairs of calls alternating between the two shapes (two task modules)`,
    "",
    "| strategy | medium task total | fine task total |",
    "|---|---|---|",
    ...(["loop", "tinypool", "session"] as const).map((k) => `| ${k} | ${ms(a[k].a)} | ${ms(a[k].b)} |`),
    "",
    `## A stream of ${plan.manyMedium.items} items of ~${plan.manyMedium.itemUs} us on a session that ran one such call`,
    "",
    `${r.stream.learned ? "Planned from the profile (nothing sampled)" : "Sampled again"}; ran ${r.stream.mode === "parallel" ? `parallel on ${r.stream.workers} workers` : r.stream.mode} in ${ms(r.stream.wallMs)} (the medium calls' median later call: session ${ms(m.session.medianCallMs)}, warm tinypool ${ms(m.tinypool.medianCallMs)}).`,
    "",
    `## Memory: ${mem.calls} calls over ${mem.modules} task modules`,
    "",
    `Heap after two passes over the modules ${mib(mem.heapAfterFirstPassBytes)}, at the end ${mib(mem.heapAtEndBytes)} (growth ${mib(mem.growthBytes)}, after a full collection each time); resident set at the end ${mib(mem.rssAtEndBytes)}; profiles held ${mem.profiles} of at most ${mem.maxProfiles}; ${ms(mem.wallMs)} in all.`,
    "",
    `Heap after a full collection, by calls: ${mem.heapByCalls.map((h) => `${h.calls}: ${mib(h.bytes)}`).join(", ")}.`,
    "",
    "## Targets",
    "",
    "| target | measured | bound | met |",
    "|---|---|---|---|",
    ...serviceTargets(r).map(
      (x) =>
        `| ${x.name} | ${x.ratio.toFixed(3)} | ${x.kind === "max" ? "<=" : ">="} ${x.bound} | ${x.met ? "yes" : "no"} |`,
    ),
    "",
  ];
  return lines.join("\n");
}
