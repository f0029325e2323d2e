import type { CostBreakdown } from "@amorsize/types";
import { MODEL_CONSTANTS } from "./constants.js";
import type { ModelParams } from "./params.js";

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

/** Expected maximum of k independent standard normal variables, k = 1..20. */
const EXPECTED_MAX_NORMAL = [
  0, 0, 0.5642, 0.8463, 1.0294, 1.163, 1.2672, 1.3522, 1.4236, 1.485, 1.5388, 1.5864, 1.6292, 1.668, 1.7034,
  1.7359, 1.766, 1.7939, 1.82, 1.8445, 1.8675,
];

function asymptoticMaxNormal(k: number): number {
  const a = Math.sqrt(2 * Math.log(k));
  return a - (Math.log(Math.log(k)) + Math.log(4 * Math.PI)) / (2 * a) + 0.5772156649 / a;
}

/**
 * Expected maximum of k standard normals: how many standard deviations the slowest
 * of k workers lags the average. Exact table to 20, the Gumbel asymptote beyond,
 * scaled to join the table.
 */
export function expectedMaxNormal(k: number): number {
  if (k <= 1) return 0;
  if (k <= 20) return EXPECTED_MAX_NORMAL[Math.floor(k)]!;
  return (asymptoticMaxNormal(k) * EXPECTED_MAX_NORMAL[20]!) / asymptoticMaxNormal(20);
}

/** A group of `count` jobs that each need `load` ms of a core. */
interface LoadGroup {
  load: number;
  count: number;
}

/**
 * Finish time of jobs sharing `cores` cores fairly (processor sharing), each job
 * running at most on one core: how long workers take when they may outnumber the
 * cores. With no more jobs than cores it is simply the largest load.
 */
export function sharedFinishMs(groups: readonly LoadGroup[], cores: number): number {
  // Few groups (at most three): a selection pass in load order, without allocating.
  let active = 0;
  for (const g of groups) active += g.count;
  let time = 0;
  let progress = 0;
  let done = -1;
  for (let step = 0; step < groups.length; step++) {
    let next = -1;
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (g.count === 0 || g.load < progress || (g.load === progress && i <= done)) continue;
      if (next === -1 || g.load < groups[next]!.load) next = i;
    }
    if (next === -1) break;
    const g = groups[next]!;
    time += (g.load - progress) / Math.min(1, cores / active);
    progress = g.load;
    active -= g.count;
    done = next;
  }
  return time;
}

/**
 * End-of-run idle time once workers have drifted out of step: when the queue empties,
 * the last chunk starts whole and the other workers are a uniform way into theirs
 * (residuals D/k, 2D/k, ..., D). With a core each that is D (k - 1) / (2k). Shared by
 * fewer cores, while a > cores residuals remain each step of D/k takes a/cores times
 * as long, which sums in closed form.
 */
export function driftedTailMs(D: number, active: number, cores: number): number {
  if (active <= cores) return (D * (active - 1)) / (2 * active);
  const step = D / active;
  const m = Math.floor(cores);
  const finish = step * ((active * (active + 1) - m * (m + 1)) / (2 * cores) + m);
  return Math.max(0, finish - (D * (active + 1)) / 2 / cores);
}

/** The prediction of a plain loop in the calling thread. */
export function evaluateSerial(p: ModelParams): Evaluation {
  const items = p.n ?? MODEL_CONSTANTS.streamBasisItems;
  const serialMs = items * p.itemMs;
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
  const serialMs = items * p.itemMs;
  const rounds = p.n === null ? items / concurrency : Math.ceil(items / concurrency);
  const computeMs = rounds * p.itemMs;
  const mainThreadMs = items * p.itemMs * p.cpuToWall;
  const wallMs = Math.max(computeMs, mainThreadMs);
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

/** Terms shared by a whole run and a stream's steady state. */
function steadyTerms(p: ModelParams, items: number, chunks: number, active: number) {
  const cores = Math.min(active, p.capacity);
  const mainThreadMs = items * p.mainPerItemMs + chunks * p.dispatchMs;
  // Items run one after another in each worker; only their CPU part competes for cores.
  const computeMs = Math.max((items * p.wallItemMs) / active, (items * p.cpuItemMs) / cores);
  const chunkOverheadMs = (chunks * p.chunkOverheadMs) / active;
  // tinypool hands a worker its next chunk only when it returns the last one, so a
  // worker waits while the main thread takes its results and clones its next chunk.
  const dispatchWaitMs = mainThreadMs / active;
  const workerSideMs = computeMs + chunkOverheadMs + dispatchWaitMs;
  // The main thread needs a core too: all CPU work cannot finish faster than on every core.
  const cpuMs = (items * p.cpuItemMs + mainThreadMs) / p.capacity;
  const switchMs =
    active > p.capacity
      ? (MODEL_CONSTANTS.oversubscriptionPenalty * (active - p.capacity) * ((items * p.cpuItemMs) / cores)) /
        p.capacity
      : 0;
  const steadyMs = Math.max(workerSideMs, mainThreadMs, cpuMs);
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

function evaluateSteady(p: ModelParams, workers: number, chunkSize: number): Evaluation {
  const items = MODEL_CONSTANTS.streamBasisItems;
  // A long stream: every worker is busy and chunks are fractional on average.
  const chunks = items / chunkSize;
  const t = steadyTerms(p, items, chunks, workers);
  const wallMs = t.steadyMs + t.switchMs;
  const serialMs = items * p.itemMs;
  return {
    mode: "parallel",
    workers,
    chunkSize,
    concurrency: null,
    wallMs,
    serialMs,
    speedup: wallMs > 0 ? serialMs / wallMs : 1,
    breakdown: {
      startupMs: 0,
      mainThreadMs: t.mainThreadMs,
      computeMs: t.computeMs,
      oversubscriptionMs: t.switchMs + Math.max(0, t.cpuMs - Math.max(t.workerSideMs, t.mainThreadMs)),
      chunkOverheadMs: t.chunkOverheadMs,
      imbalanceMs: 0,
      pipelineFillMs: 0,
      dispatchWaitMs: t.dispatchWaitMs,
      totalMs: wallMs,
    },
    items,
    chunks: Math.ceil(chunks),
    activeWorkers: workers,
    bound: t.bound,
  };
}

function evaluateRun(p: ModelParams, n: number, workers: number, requestedChunk: number): Evaluation {
  // A pool of k workers has its last worker answering after fixed + perWorker x k, but
  // the executor sends the first chunk as soon as the first worker is ready: worker i
  // starts computing at fixed + perWorker x i. With chunks dealt out as workers ask, the
  // lost capacity is the workers' mean start, fixed + perWorker x (k + 1) / 2.
  const startupMs = p.startupFixedMs + (p.startupPerWorkerMs * (workers + 1)) / 2;
  const serialMs = n * p.itemMs;
  if (n === 0) {
    return {
      mode: "parallel",
      workers,
      chunkSize: requestedChunk,
      concurrency: null,
      wallMs: startupMs,
      serialMs,
      speedup: startupMs > 0 ? 0 : 1,
      breakdown: { ...ZERO, startupMs, totalMs: startupMs },
      items: 0,
      chunks: 0,
      activeWorkers: 0,
      bound: "none",
    };
  }
  const c = Math.min(requestedChunk, n);
  const chunks = Math.ceil(n / c);
  const lastChunk = n - (chunks - 1) * c;
  const active = Math.min(workers, chunks);
  const t = steadyTerms(p, n, chunks, active);

  // Main-thread service of one chunk: clone out and dispatch, clone the results back.
  const sendMs = (k: number) => k * p.inCloneMs + p.dispatchMs;
  const receiveMs = (k: number) => k * p.outCloneMs;
  // A chunk on its worker's timeline: computing, the envelope, and waiting for its service.
  const workerChunkMs = (k: number) => k * p.wallItemMs + p.chunkOverheadMs;
  const cycleMs = (k: number) => workerChunkMs(k) + sendMs(k) + receiveMs(k);
  const D = cycleMs(c);
  const Dlast = cycleMs(lastChunk);

  // Pipeline fill: the first chunks go out one after another, so worker i starts
  // (i-1) sends late; dynamic dispatch spreads that over the workers.
  const rampMs = ((active - 1) / 2) * sendMs(c);

  // End of run, deterministic part: with q = floor(chunks/active) full rounds and r
  // chunks left, the last round is partly filled and the last chunk may be short.
  const q = Math.floor(chunks / active);
  const r = chunks - q * active;
  const groups: LoadGroup[] =
    r === 0
      ? [
          { load: q * D, count: active - 1 },
          { load: (q - 1) * D + Dlast, count: 1 },
        ]
      : [
          { load: q * D, count: active - r },
          { load: (q + 1) * D, count: r - 1 },
          { load: q * D + Dlast, count: 1 },
        ];
  const totalLoad = (chunks - 1) * D + Dlast;
  // A synchronous waiting task does not need a core while it waits.
  const tailCores = Math.min(active, p.cpuShare < 1 ? p.capacity / p.cpuShare : t.cores);
  const lastRoundMs = Math.max(0, sharedFinishMs(groups, tailCores) - totalLoad / tailCores);
  // Once chunk times vary, workers drift out of step and the lockstep rounds above no
  // longer hold: when the queue empties the others are a uniform way into their chunks.
  const driftedMs = driftedTailMs(D, active, tailCores);
  const chunkRelSpread = Math.sqrt((p.cv * p.cv) / c + MODEL_CONSTANTS.workerSpeedCv ** 2);
  const drift = Math.min(1, chunkRelSpread * Math.sqrt(q));
  // Random part: the slowest of the workers' last chunks lags by E[max of k normals]
  // standard deviations of a chunk's duration (items' own spread plus worker speed).
  const chunkSpreadMs = Math.sqrt(c * (p.itemMs * p.cv) ** 2 + (MODEL_CONSTANTS.workerSpeedCv * D) ** 2);
  const randomTailMs = chunkSpreadMs * expectedMaxNormal(active);
  const tailMs = (1 - drift) * lastRoundMs + drift * driftedMs + randomTailMs;

  // Drain: the main thread must wait for the last chunk to compute after sending it;
  // meanwhile it can only take back the other workers' last results.
  const drainMs = Math.max(0, workerChunkMs(lastChunk) - (active - 1) * receiveMs(c));

  const workerPathMs = t.workerSideMs + rampMs + tailMs;
  const mainPathMs = t.mainThreadMs + drainMs;
  const criticalMs = Math.max(workerPathMs, mainPathMs, t.cpuMs);
  const remainderMs = criticalMs - t.steadyMs;
  let pipelineFillMs = 0;
  let imbalanceMs = 0;
  if (workerPathMs >= mainPathMs && workerPathMs >= t.cpuMs) {
    pipelineFillMs = Math.min(rampMs, remainderMs);
    imbalanceMs = remainderMs - pipelineFillMs;
  } else if (mainPathMs >= t.cpuMs) {
    pipelineFillMs = remainderMs;
  }
  const wallMs = startupMs + criticalMs + t.switchMs;
  return {
    mode: "parallel",
    workers,
    chunkSize: c,
    concurrency: null,
    wallMs,
    serialMs,
    speedup: wallMs > 0 ? serialMs / wallMs : 1,
    breakdown: {
      startupMs,
      mainThreadMs: t.mainThreadMs,
      computeMs: t.computeMs,
      oversubscriptionMs: t.switchMs + Math.max(0, t.cpuMs - Math.max(t.workerSideMs, t.mainThreadMs)),
      chunkOverheadMs: t.chunkOverheadMs,
      imbalanceMs,
      pipelineFillMs,
      dispatchWaitMs: t.dispatchWaitMs,
      totalMs: wallMs,
    },
    items: n,
    chunks,
    activeWorkers: active,
    bound: t.bound,
  };
}
