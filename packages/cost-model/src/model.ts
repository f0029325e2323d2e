import type { CostBreakdown } from "@amorsize/types";
import { MODEL_CONSTANTS } from "./constants.js";
import type { ModelParams } from "./params.js";
import { type ChunkedRun, endOfRunTailMs } from "./tail.js";

// Math's functions, bound once: the model evaluates thousands of configurations per plan,
// and under Jest's vm context (the tests) every lookup of a global such as `Math` goes
// through the context's interceptor (jestjs/jest#5163), which made the property tests
// spend two thirds of their time finding `Math`.
const { ceil, log2, max, min } = Math;

/** One evaluated configuration, with the figures the planner reasons about. */
export interface Evaluation {
  mode: "serial" | "concurrent" | "parallel";
  /** Workers started (parallel), 0 otherwise. */
  workers: number;
  /** Items per chunk (parallel), null otherwise. */
  chunkSize: number | null;
  /** Items in flight at once (concurrent), null otherwise. */
  concurrency: number | null;
  wallMs: number;
  serialMs: number;
  speedup: number;
  breakdown: CostBreakdown;
  /** Items covered: the input, or the steady-state basis of a stream. */
  items: number;
  /** Chunks (parallel), 0 otherwise. */
  chunks: number;
  /** Workers that get a chunk: min(workers, chunks). */
  activeWorkers: number;
  /** Which side bounds the steady phase. */
  bound: "workers" | "main" | "cpu" | "none";
}

const ZERO: CostBreakdown = {
  startupMs: 0,
  mainThreadMs: 0,
  computeMs: 0,
  oversubscriptionMs: 0,
  chunkOverheadMs: 0,
  imbalanceMs: 0,
  pipelineFillMs: 0,
  dispatchWaitMs: 0,
  totalMs: 0,
};

/** The prediction of a plain loop in the calling thread. */
export function evaluateSerial(p: ModelParams): Evaluation {
  const items = p.n ?? MODEL_CONSTANTS.streamBasisItems;
  const serialMs = items * (p.itemMs + p.retainMs);
  return {
    mode: "serial",
    workers: 0,
    chunkSize: null,
    concurrency: null,
    wallMs: serialMs,
    serialMs,
    speedup: 1,
    breakdown: { ...ZERO, computeMs: serialMs, totalMs: serialMs },
    items,
    chunks: 0,
    activeWorkers: 0,
    bound: "none",
  };
}

/**
 * The prediction of `concurrency` items awaiting at once in the calling thread: the
 * waits overlap, the computing parts do not. Rounds of `concurrency` items each take
 * an item's time; the calling thread's CPU work is serial.
 */
export function evaluateConcurrent(p: ModelParams, concurrency: number): Evaluation {
  const items = p.n ?? MODEL_CONSTANTS.streamBasisItems;
  const serialMs = items * (p.itemMs + p.retainMs);
  const rounds = p.n === null ? items / concurrency : ceil(items / concurrency);
  const computeMs = rounds * p.itemMs;
  const mainThreadMs = items * (p.itemMs * p.cpuToWall + p.retainMs);
  const wallMs = max(computeMs, mainThreadMs);
  return {
    mode: "concurrent",
    workers: 0,
    chunkSize: null,
    concurrency,
    wallMs,
    serialMs,
    speedup: wallMs > 0 ? serialMs / wallMs : 1,
    breakdown: { ...ZERO, computeMs, mainThreadMs, totalMs: wallMs },
    items,
    chunks: 0,
    activeWorkers: 0,
    bound: computeMs >= mainThreadMs ? "workers" : "main",
  };
}

/**
 * The prediction of a pool of `workers` workers running chunks of `chunkSize` items.
 * The formulas are documented term by term in the package README.
 */
export function evaluateParallel(p: ModelParams, workers: number, chunkSize: number): Evaluation {
  return p.n === null ? evaluateSteady(p, workers, chunkSize) : evaluateRun(p, p.n, workers, chunkSize);
}

/**
 * Terms shared by a whole run and a stream's steady state. `heldMs`: what the workers'
 * holding the chunks' object graphs adds to their computing, all chunks together (see
 * {@link heldGraphMs}).
 */
function steadyTerms(
  p: ModelParams,
  items: number,
  chunks: number,
  active: number,
  heldMs: number,
  chunkSize: number,
) {
  const cores = min(active, p.capacity);
  const mainThreadMs = items * (p.mainPerItemMs + p.retainMs) + chunks * p.dispatchMs;
  // Items run one after another in each worker; only their CPU part competes for cores.
  const computeMs = max((items * p.wallItemMs + heldMs) / active, (items * p.cpuItemMs + heldMs) / cores);
  const chunkOverheadMs = (chunks * chunkCostMs(p, chunkSize)) / active;
  // tinypool hands a worker its next chunk only when it returns the last one, so a
  // worker waits while the main thread takes its results and clones its next chunk.
  const dispatchWaitMs = mainThreadMs / active;
  const workerSideMs = computeMs + chunkOverheadMs + dispatchWaitMs;
  // The main thread needs a core too: all CPU work cannot finish faster than on every core,
  // and the work the items give V8's helper threads (garbage collection, compiling) counts.
  const cpuMs = (items * p.cpuItemMs * (1 + p.helperShare) + heldMs + mainThreadMs) / p.capacity;
  const switchMs =
    active > p.capacity
      ? (MODEL_CONSTANTS.oversubscriptionPenalty * (active - p.capacity) * ((items * p.cpuItemMs) / cores)) /
        p.capacity
      : 0;
  const steadyMs = max(workerSideMs, mainThreadMs, cpuMs);
  const bound: Evaluation["bound"] =
    steadyMs === workerSideMs ? "workers" : steadyMs === mainThreadMs ? "main" : "cpu";
  return {
    cores,
    mainThreadMs,
    computeMs,
    chunkOverheadMs,
    dispatchWaitMs,
    workerSideMs,
    cpuMs,
    switchMs,
    steadyMs,
    bound,
  };
}

type SteadyTerms = ReturnType<typeof steadyTerms>;

/** What a parallel evaluation adds to its steady terms: the run's shape and its own terms. */
interface ParallelRun {
  workers: number;
  chunkSize: number;
  items: number;
  chunks: number;
  activeWorkers: number;
  startupMs: number;
  pipelineFillMs: number;
  imbalanceMs: number;
  wallMs: number;
}

/** Assembles a parallel evaluation; a whole run and a stream's steady state share it. */
function parallelEvaluation(p: ModelParams, t: SteadyTerms, run: ParallelRun): Evaluation {
  const { wallMs } = run;
  const serialMs = run.items * (p.itemMs + p.retainMs);
  return {
    mode: "parallel",
    workers: run.workers,
    chunkSize: run.chunkSize,
    concurrency: null,
    wallMs,
    serialMs,
    speedup: wallMs > 0 ? serialMs / wallMs : 1,
    breakdown: {
      startupMs: run.startupMs,
      mainThreadMs: t.mainThreadMs,
      computeMs: t.computeMs,
      oversubscriptionMs: t.switchMs + max(0, t.cpuMs - max(t.workerSideMs, t.mainThreadMs)),
      chunkOverheadMs: t.chunkOverheadMs,
      imbalanceMs: run.imbalanceMs,
      pipelineFillMs: run.pipelineFillMs,
      dispatchWaitMs: t.dispatchWaitMs,
      totalMs: wallMs,
    },
    items: run.items,
    chunks: run.chunks,
    activeWorkers: run.activeWorkers,
    bound: t.bound,
  };
}

function evaluateSteady(base: ModelParams, workers: number, chunkSize: number): Evaluation {
  const p = atContention(base, workers);
  const items = MODEL_CONSTANTS.streamBasisItems;
  // A long stream: every worker is busy and chunks are fractional on average.
  const chunks = items / chunkSize;
  const t = steadyTerms(p, items, chunks, workers, chunks * heldGraphMs(p, chunkSize), chunkSize);
  return parallelEvaluation(p, t, {
    workers,
    chunkSize,
    items,
    chunks: ceil(chunks),
    activeWorkers: workers,
    startupMs: 0,
    pipelineFillMs: 0,
    imbalanceMs: 0,
    wallMs: t.steadyMs + t.switchMs,
  });
}

/**
 * A pool of k workers has its last worker answering after fixed + perWorker x k, but
 * the executor sends the first chunk as soon as the first worker is ready: worker i
 * starts computing at fixed + perWorker x i. With chunks dealt out as workers ask, the
 * lost capacity is the workers' mean start, fixed + perWorker x (k + 1) / 2. Each worker
 * then imports the task module before its first item: the workers import side by side,
 * one round per core's worth of them.
 */
export function poolStartupMs(p: ModelParams, workers: number): number {
  const loads = p.moduleLoadMs * ceil(workers / max(1, p.capacity));
  return p.startupFixedMs + (p.startupPerWorkerMs * (workers + 1)) / 2 + loads;
}

/**
 * Each fresh worker's warm-up over its share of the items, ms: the measured excess over
 * the first k items, prorated below k and growing with the log of the items past it (V8
 * meets new code as it goes) unless the probe saw the worker catch up, and longer when the
 * workers leave V8's background compilers no idle core. The excess is the probe's own
 * time (its worker's waits for a core left out), so the compilers' share is charged here
 * whatever ran beside the probe; where the system could not tell the waits apart
 * (`warmup.waits`), the contention of the threads it was read beside is in it already and
 * divided out. The workers warm up side by side.
 */
export function workerWarmupMs(p: ModelParams, itemsPerWorker: number, workers: number): number {
  if (p.warmupExcessMs <= 0 || itemsPerWorker <= 0 || workers <= 0) return 0;
  const k = p.warmupItems;
  const grown =
    itemsPerWorker <= k
      ? (p.warmupExcessMs * itemsPerWorker) / k
      : p.warmupSettled
        ? p.warmupExcessMs
        : p.warmupExcessMs * (1 + p.warmupGrowth * log2(itemsPerWorker / k));
  const contention = (threads: number) =>
    1 + (MODEL_CONSTANTS.warmupContention - 1) * othersTaken(p.capacity, threads);
  // A reading of wall times (`warmup.waits`) taken beside other busy threads holds their contention already.
  return (grown * contention(workers)) / contention(p.warmupWaitedThreads);
}

/**
 * How much slower an item runs in each of `active` workers computing at once than the
 * sample says (`WorkloadSample.contention`): the learned slowdown, in proportion to the
 * share of the other cores these workers take against the share the workers it was
 * learned from took (learned from one worker: as learned). 1 when none was learned.
 */
export function contentionScale(p: ModelParams, active: number): number {
  if (p.contentionFactor <= 1) return 1;
  const learnedUnder = othersTaken(p.capacity, p.contentionThreads);
  const share = learnedUnder > 0 ? min(1, othersTaken(p.capacity, active) / learnedUnder) : 1;
  return 1 + (p.contentionFactor - 1) * share;
}

/** The params with the item's own part of a worker's item time scaled by {@link contentionScale}. */
export function atContention(p: ModelParams, active: number): ModelParams {
  const scale = contentionScale(p, active);
  if (scale === 1) return p;
  const extraMs = p.itemMs * (scale - 1);
  return { ...p, wallItemMs: p.wallItemMs + extraMs, cpuItemMs: p.cpuItemMs + extraMs * p.cpuShare };
}

/** The share of the other cores that `threads` computing threads take (all of them on one core). */
function othersTaken(capacity: number, threads: number): number {
  return capacity <= 1 || threads >= capacity ? 1 : (threads - 1) / (capacity - 1);
}

/** An empty input still starts the pool it was asked to predict. */
function evaluateEmptyRun(p: ModelParams, workers: number, chunkSize: number): Evaluation {
  const startupMs = poolStartupMs(p, workers);
  return {
    mode: "parallel",
    workers,
    chunkSize,
    concurrency: null,
    wallMs: startupMs,
    serialMs: 0,
    speedup: startupMs > 0 ? 0 : 1,
    breakdown: { ...ZERO, startupMs, totalMs: startupMs },
    items: 0,
    chunks: 0,
    activeWorkers: 0,
    bound: "none",
  };
}

/**
 * What holding a chunk of k items' object graphs costs its worker beyond computing them, ms:
 * each serialised byte at MODEL_CONSTANTS' `heldGraphNsPerByte`, in proportion to how far the
 * chunk's graphs pass `heldGraphFromBytes` towards `heldGraphFullBytes` (a young generation
 * keeps a small chunk's graphs until they die; a large chunk's are copied and promoted). Zero
 * for numbers, strings and arrays.
 */
export function heldGraphMs(p: ModelParams, k: number): number {
  const bytes = k * p.graphBytesPerItem;
  const { heldGraphFromBytes: from, heldGraphFullBytes: full, heldGraphNsPerByte: ns } = MODEL_CONSTANTS;
  if (bytes <= from) return 0;
  const share = min(1, (bytes - from) / (full - from));
  return (bytes * ns * share) / 1e6;
}

// Main-thread service of a chunk of k items: clone out and dispatch, clone the results back.
const sendMs = (p: ModelParams, k: number) => k * p.inCloneMs + p.dispatchMs;
const receiveMs = (p: ModelParams, k: number) => k * p.outCloneMs;
// A chunk on its worker's timeline: computing (with its held graphs) and the envelope; its
// whole cycle adds the main thread's service, which the worker waits for.
const workerChunkMs = (p: ModelParams, k: number) => k * p.wallItemMs + heldGraphMs(p, k) + chunkCostMs(p, k);

/**
 * A chunk of k items' cost on its worker's timeline besides its items: the hops and the
 * envelope of an empty task, and the longer wait for threads that slept while it computed
 * (`chunkGapMs`, measured after chunks of `chunkGapAfterMs`), in proportion up to that length.
 */
export function chunkCostMs(p: ModelParams, k: number): number {
  const slept = min(1, (k * p.wallItemMs) / p.chunkGapAfterMs);
  return p.chunkOverheadMs + p.chunkGapMs * slept;
}
const chunkCycleMs = (p: ModelParams, k: number) => workerChunkMs(p, k) + sendMs(p, k) + receiveMs(p, k);

/**
 * The run's three critical paths (workers, main thread, cores): the slowest sets the
 * time, and what it adds to the steady phase depends on which one it is. The workers':
 * pipeline fill up to the ramp, the rest end-of-run imbalance. The main thread's: all
 * pipeline fill (its drain). The cores': nothing, the steady phase already counts them.
 */
function criticalPath(t: SteadyTerms, workerPathMs: number, mainPathMs: number, rampMs: number) {
  const criticalMs = max(workerPathMs, mainPathMs, t.cpuMs);
  const remainderMs = criticalMs - t.steadyMs;
  let pipelineFillMs = 0;
  let imbalanceMs = 0;
  if (workerPathMs >= mainPathMs && workerPathMs >= t.cpuMs) {
    pipelineFillMs = min(rampMs, remainderMs);
    imbalanceMs = remainderMs - pipelineFillMs;
  } else if (mainPathMs >= t.cpuMs) {
    pipelineFillMs = remainderMs;
  }
  return { criticalMs, pipelineFillMs, imbalanceMs };
}

/** A whole run of n items on `workers` workers, chunks of `requestedChunk` (at most n) items. */
function evaluateRun(base: ModelParams, n: number, workers: number, requestedChunk: number): Evaluation {
  if (n === 0) return evaluateEmptyRun(base, workers, requestedChunk);
  const c = min(requestedChunk, n);
  const chunks = ceil(n / c);
  const lastChunk = n - (chunks - 1) * c;
  const active = min(workers, chunks);
  const p = atContention(base, active);
  const heldMs = (chunks - 1) * heldGraphMs(p, c) + heldGraphMs(p, lastChunk);
  const t = steadyTerms(p, n, chunks, active, heldMs, c);

  // Pipeline fill: the first chunks go out one after another, so worker i starts
  // (i-1) sends late; dynamic dispatch spreads that over the workers.
  const rampMs = ((active - 1) / 2) * sendMs(p, c);
  const chunked: ChunkedRun = {
    chunkSize: c,
    chunks,
    active,
    cycleMs: chunkCycleMs(p, c),
    lastCycleMs: chunkCycleMs(p, lastChunk),
  };
  const tailMs = endOfRunTailMs(p, chunked, t.cores);
  // Drain: the main thread must wait for the last chunk to compute after sending it;
  // meanwhile it can only take back the other workers' last results.
  const drainMs = max(0, workerChunkMs(p, lastChunk) - (active - 1) * receiveMs(p, c));

  const workerPathMs = t.workerSideMs + rampMs + tailMs;
  const mainPathMs = t.mainThreadMs + drainMs;
  const path = criticalPath(t, workerPathMs, mainPathMs, rampMs);
  const startupMs = poolStartupMs(p, workers) + workerWarmupMs(p, n / active, active);
  return parallelEvaluation(p, t, {
    workers,
    chunkSize: c,
    items: n,
    chunks,
    activeWorkers: active,
    startupMs,
    pipelineFillMs: path.pipelineFillMs,
    imbalanceMs: path.imbalanceMs,
    wallMs: startupMs + path.criticalMs + t.switchMs,
  });
}
