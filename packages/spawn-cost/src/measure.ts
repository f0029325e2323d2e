/**
 * The measurement's I/O: starting and destroying pools, timing tasks, and the
 * budget's clock. What to do with the timings (when to stop, how to fit, what
 * to report) is decided by the pure functions of rules.ts, fit.ts and assemble.ts.
 */

import { messageOf } from "@amorsize/types";
import { Tinypool, type Options as TinypoolOptions } from "tinypool";
import { assembleOutcome, latencyDraft, type MeasureOutcome, type MeasureRecord } from "./assemble.js";
import { KIND_SPECS } from "./kinds.js";
import { measureClone } from "./measure-clone.js";
import {
  chunkGapsUs,
  GAP_CHUNKS_PER_WORKER,
  morePace,
  PACE_AFTER_MS,
  paceRate,
  SPEED_ROUNDS,
  speedIterations,
} from "./pace.js";
import { type Bench, defaultWorkerFile, MeasuringPool } from "./pool.js";
import { type BarrierTask, EMPTY_TASK, type PaceAnswer, type PaceTask } from "./protocol.js";
import {
  LATENCY_BATCH,
  MAX_STARTUP_ROUNDS,
  moreLatency,
  moreThroughput,
  type PhaseEnds,
  phaseEnds,
  predictStartMs,
  startupSettled,
  THROUGHPUT_BATCH,
  WARMUP_TASKS,
} from "./rules.js";

export type { MeasureOutcome } from "./assemble.js";

/** What to measure and within what time. */
export interface MeasurePlan {
  /** Time budget, milliseconds. */
  budgetMs: number;
  /** Largest pool to time for start-up (k = 1..maxWorkers). */
  maxWorkers: number;
  /** The usable cores: the pool whose workers' pace is compared (at most maxWorkers). Default maxWorkers. */
  cores?: number;
}

/** What the measurement runs on; replaceable in tests. */
export interface MeasureDeps {
  /** Worker entry file (absolute path). Default: the package's built dist/worker.js. */
  workerFile?: string;
  /** Creates each pool; tests pass one that records the pools to check they were destroyed. */
  createPool?: (options: TinypoolOptions) => Tinypool;
  /** Longest wait for any one pool start or task, milliseconds. Default max(5000, 2 x budget). */
  timeoutMs?: number;
  /** The clock, milliseconds. Default `performance.now()`; tests with fake pools pass a fake one. */
  now?: () => number;
}

/** Runs the whole measurement within `plan.budgetMs` (give or take one pool start). Never throws. */
export async function runMeasurements(plan: MeasurePlan, deps: MeasureDeps = {}): Promise<MeasureOutcome> {
  const now = deps.now ?? (() => performance.now());
  const workerFile = deps.workerFile ?? defaultWorkerFile();
  const createPool = deps.createPool ?? ((options: TinypoolOptions) => new Tinypool(options));
  // Generous: the budget governs how much is measured, the timeout only catches a worker that never answers.
  const timeoutMs = deps.timeoutMs ?? Math.max(5_000, 2 * plan.budgetMs);
  const bench: Bench = {
    now,
    deadline: now() + plan.budgetMs,
    timeoutMs,
    newPool: (k) =>
      new MeasuringPool(createPool, { filename: workerFile, minThreads: k, maxThreads: k }, timeoutMs),
  };
  const record: MeasureRecord = {
    budgetMs: plan.budgetMs,
    maxWorkers: plan.maxWorkers,
    paceWorkers: Math.min(plan.cores ?? plan.maxWorkers, plan.maxWorkers),
    clone: {},
    startup: [],
    destroyMs: [],
    failures: [],
  };
  // Phase A: one small pool for dispatch and clone figures (its start is also a start-up sample).
  await measureOnOnePool(bench, record);
  // Phase B: pools of 1..K workers, round after round, until settled or out of time.
  if (record.startupFailure === undefined) {
    try {
      await measureStartup(bench, record);
    } catch (error) {
      record.startupFailure = messageOf(error);
      record.failures.push(`worker start-up: ${record.startupFailure}`);
    }
  }
  return assembleOutcome(record);
}

async function measureOnOnePool(bench: Bench, record: MeasureRecord): Promise<void> {
  let pool: MeasuringPool | undefined;
  try {
    try {
      pool = await startPool(bench, record, Math.min(2, record.maxWorkers));
    } catch (error) {
      // Further pools would fail the same way (and a hanging one would cost a timeout each).
      record.startupFailure = messageOf(error);
      throw error;
    }
    const ends = phaseEnds(bench.now(), bench.deadline);
    await measureDispatchAndClone(bench, record, pool, ends);
  } catch (error) {
    record.failures.push(messageOf(error));
  } finally {
    if (pool)
      await destroyTimed(bench, record, pool).catch((error: unknown) =>
        record.failures.push(messageOf(error)),
      );
  }
}

async function measureDispatchAndClone(
  bench: Bench,
  record: MeasureRecord,
  pool: MeasuringPool,
  ends: PhaseEnds,
): Promise<void> {
  const latencyUs = await attempt(record, "dispatch latency", () => sampleLatency(bench, pool, ends.latency));
  record.latencyUs = latencyUs;
  record.throughputUs = await attempt(record, "dispatch throughput", () =>
    sampleThroughput(bench, pool, ends.throughput),
  );
  const latency = latencyDraft(record);
  if ("value" in latency) {
    // A measured latency rests on samples: the latest of them start the clone baseline.
    await measureClone(bench, pool, record, ends.clone, "samples" in latencyUs ? latencyUs.samples : []);
    return;
  }
  const reason = `clone figures need the empty-task latency, which was not measured (${latency.reason})`;
  for (const spec of KIND_SPECS) record.clone[spec.kind] = { reason };
}

/** The samples `run` takes, or why it failed (which is also recorded as a failure). */
async function attempt(
  record: MeasureRecord,
  what: string,
  run: () => Promise<number[]>,
): Promise<{ samples: number[] } | { reason: string }> {
  try {
    return { samples: await run() };
  } catch (error) {
    record.failures.push(`${what}: ${messageOf(error)}`);
    return { reason: `measuring ${what} failed: ${messageOf(error)}` };
  }
}

/** Empty tasks one at a time, after a warm-up: microseconds each. */
async function sampleLatency(bench: Bench, pool: MeasuringPool, softEnd: number): Promise<number[]> {
  for (let i = 0; i < WARMUP_TASKS && bench.now() < bench.deadline; i++)
    await pool.run(EMPTY_TASK, "an empty task");
  const samples: number[] = [];
  while (moreLatency(samples, bench.now(), softEnd, bench.deadline)) {
    for (let i = 0; i < LATENCY_BATCH; i++) {
      const t0 = bench.now();
      await pool.run(EMPTY_TASK, "an empty task");
      samples.push((bench.now() - t0) * 1000);
    }
  }
  return samples;
}

/** Batches of empty tasks in flight: microseconds per task. */
async function sampleThroughput(bench: Bench, pool: MeasuringPool, softEnd: number): Promise<number[]> {
  const batch = () => pool.runMany(EMPTY_TASK, THROUGHPUT_BATCH, "a batch of empty tasks");
  if (bench.now() < bench.deadline) await batch(); // warm-up: the second worker has not run a task yet
  const samples: number[] = [];
  while (moreThroughput(samples, bench.now(), softEnd, bench.deadline)) {
    const t0 = bench.now();
    await batch();
    samples.push(((bench.now() - t0) * 1000) / THROUGHPUT_BATCH);
  }
  return samples;
}

/** A pace task's answer, checked: a worker that answers otherwise fails the phase. */
function paceAnswer(value: unknown): PaceAnswer {
  const answer = value as Partial<PaceAnswer> | null;
  const fields = [answer?.busyMs, answer?.iterations, answer?.startMs, answer?.endMs, answer?.thread];
  if (!fields.every((field) => typeof field === "number" && Number.isFinite(field))) {
    throw new Error(`a pace task answered ${JSON.stringify(value)}, not its times and iterations`);
  }
  return answer as PaceAnswer;
}

/**
 * On a fresh pool of as many workers as cores: a stream of chunks of PACE_AFTER_MS, several
 * per worker, for the idle time between two (see `chunkGapsUs`), then rounds of equal work
 * (about PACE_AFTER_MS at the pace the stream read) started together on every worker, each
 * the workers' own times. Each part runs only if it fits before the deadline; a failure is
 * recorded as its figures' reason, the other figures stand.
 */
async function measurePace(
  bench: Bench,
  record: MeasureRecord,
  pool: MeasuringPool,
  k: number,
): Promise<void> {
  const streamMs = (GAP_CHUNKS_PER_WORKER + 1) * PACE_AFTER_MS;
  let answers: PaceAnswer[] = [];
  try {
    if (!morePace(0, 1, bench.now(), 2 * streamMs, bench.deadline)) {
      // No time for either: both short of the budget (named in its warning).
      record.gap = { gapsUs: [] };
      if (k > 1) record.speed = { rounds: [] };
      return;
    }
    const task: PaceTask = { op: "pace", items: [], ms: PACE_AFTER_MS, timeoutMs: bench.timeoutMs };
    const count = k * (GAP_CHUNKS_PER_WORKER + 1);
    answers = (await pool.runMany(task, count, "chunks on every worker")).map(paceAnswer);
    record.gap = { gapsUs: chunkGapsUs(answers) };
  } catch (error) {
    record.failures.push(`worker pace: ${messageOf(error)}`);
    record.gap = { reason: `measuring the gap between chunks failed: ${messageOf(error)}` };
  }
  if (k < 2) return;
  const rate = paceRate(answers);
  if (rate === null) {
    record.speed = {
      reason: "no pace was read for the work to compare (the chunks of the stream did not run)",
    };
    return;
  }
  const rounds: number[][] = [];
  let warmed = false;
  try {
    while (morePace(rounds.length, SPEED_ROUNDS.max, bench.now(), 2 * PACE_AFTER_MS, bench.deadline)) {
      const barrier = new Int32Array(new SharedArrayBuffer(4));
      const task: PaceTask = {
        op: "pace",
        items: [],
        iterations: speedIterations(rate),
        barrier,
        parties: k,
        timeoutMs: bench.timeoutMs,
      };
      const round = await pool.runMany(task, k, "equal work on every worker");
      // The first round is not kept: the loop runs cold the first time it runs a set count.
      if (warmed) rounds.push(round.map((answer) => paceAnswer(answer).busyMs));
      warmed = true;
    }
    record.speed = { rounds };
  } catch (error) {
    record.failures.push(`worker pace: ${messageOf(error)}`);
    record.speed = { reason: `measuring the workers' pace failed: ${messageOf(error)}` };
  }
}

/**
 * Pools of 1..maxWorkers, round after round, each started, timed and destroyed; first, a
 * pool of as many workers as cores, timed too, on which the workers' pace is measured (see
 * `measurePace`): before the rounds, so that a machine of many cores reaches it.
 */
async function measureStartup(bench: Bench, record: MeasureRecord): Promise<void> {
  const k = record.paceWorkers;
  if (bench.now() + predictStartMs(record.startup, record.destroyMs, k) <= bench.deadline) {
    const pool = await startPool(bench, record, k);
    try {
      await measurePace(bench, record, pool, k);
    } finally {
      await destroyTimed(bench, record, pool);
    }
  }
  for (let round = 0; round < MAX_STARTUP_ROUNDS; round++) {
    for (let k = 1; k <= record.maxWorkers; k++) {
      if (bench.now() + predictStartMs(record.startup, record.destroyMs, k) > bench.deadline) return;
      await destroyTimed(bench, record, await startPool(bench, record, k));
    }
    if (startupSettled(record.startup, record.maxWorkers)) return;
  }
}

/**
 * Starts a pool of `k` and times it until k tasks, held at a shared barrier so
 * that each lands on its own worker, have all answered. Destroys it on failure.
 */
async function startPool(bench: Bench, record: MeasureRecord, k: number): Promise<MeasuringPool> {
  const barrier = new Int32Array(new SharedArrayBuffer(4));
  const t0 = bench.now();
  const pool = bench.newPool(k);
  try {
    const task: BarrierTask = { op: "barrier", items: [], barrier, parties: k, timeoutMs: bench.timeoutMs };
    await pool.runMany(task, k, `starting a pool of ${k} worker${k > 1 ? "s" : ""}`);
    record.startup.push({ k, ms: bench.now() - t0 });
    return pool;
  } catch (error) {
    await destroyTimed(bench, record, pool);
    throw error;
  }
}

async function destroyTimed(bench: Bench, record: MeasureRecord, pool: MeasuringPool): Promise<void> {
  const t0 = bench.now();
  await pool.destroy();
  record.destroyMs.push(bench.now() - t0);
}
