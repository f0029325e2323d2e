// The end of a chunked run: once the queue empties, workers finish their last chunks at
// different times and the early ones sit idle. Pure arithmetic on plain numbers.
import type { ModelParams } from "./params.js";

// Bound once (see model.ts).
const { floor, log, max, min, PI, sqrt } = Math;

/** Expected maximum of k independent standard normal variables, k = 1..20. */
const EXPECTED_MAX_NORMAL = [
  0, 0, 0.5642, 0.8463, 1.0294, 1.163, 1.2672, 1.3522, 1.4236, 1.485, 1.5388, 1.5864, 1.6292, 1.668, 1.7034,
  1.7359, 1.766, 1.7939, 1.82, 1.8445, 1.8675,
];

function asymptoticMaxNormal(k: number): number {
  const a = sqrt(2 * log(k));
  return a - (log(log(k)) + log(4 * PI)) / (2 * a) + 0.5772156649 / a;
}

/**
 * Expected maximum of k standard normals: how many standard deviations the slowest
 * of k workers lags the average. Exact table to 20, the Gumbel asymptote beyond,
 * scaled to join the table.
 */
export function expectedMaxNormal(k: number): number {
  if (k <= 1) return 0;
  if (k <= 20) return EXPECTED_MAX_NORMAL[floor(k)]!;
  return (asymptoticMaxNormal(k) * EXPECTED_MAX_NORMAL[20]!) / asymptoticMaxNormal(20);
}

/** A group of `count` jobs that each need `load` ms of a core. */
export interface LoadGroup {
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
    time += (g.load - progress) / min(1, cores / active);
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
  const m = floor(cores);
  const finish = step * ((active * (active + 1) - m * (m + 1)) / (2 * cores) + m);
  return max(0, finish - (D * (active + 1)) / 2 / cores);
}

/** A run cut into chunks, as the end-of-run terms see it. */
export interface ChunkedRun {
  /** Items per chunk; the last chunk may hold fewer. */
  chunkSize: number;
  chunks: number;
  /** Workers that get a chunk: min(workers, chunks). */
  active: number;
  /** A full chunk's cycle on its worker (computing, envelope, main-thread service), ms. */
  cycleMs: number;
  /** The last chunk's cycle, ms. */
  lastCycleMs: number;
}

/**
 * The deterministic last round: with `rounds` = floor(chunks / active) full rounds and
 * r chunks left, r workers run one chunk more and the one with the short last chunk
 * less. Its cost is the finish time of those per-worker loads on `cores` cores minus
 * their mean (the mean is already in the steady phase).
 */
export function lockstepLastRoundMs(run: ChunkedRun, rounds: number, cores: number): number {
  const { chunks, active, cycleMs: D, lastCycleMs: Dlast } = run;
  const r = chunks - rounds * active;
  const groups: LoadGroup[] =
    r === 0
      ? [
          { load: rounds * D, count: active - 1 },
          { load: (rounds - 1) * D + Dlast, count: 1 },
        ]
      : [
          { load: rounds * D, count: active - r },
          { load: (rounds + 1) * D, count: r - 1 },
          { load: rounds * D + Dlast, count: 1 },
        ];
  const totalLoad = (chunks - 1) * D + Dlast;
  return max(0, sharedFinishMs(groups, cores) - totalLoad / cores);
}

/**
 * End-of-run idle time on the workers' side: the last round, lockstep while chunk
 * times are steady and drifted as they vary, plus the random lag of the slowest
 * worker's last chunk. `steadyCores` is the cores the steady phase shares.
 */
export function endOfRunTailMs(p: ModelParams, run: ChunkedRun, steadyCores: number): number {
  const { chunkSize: c, active, cycleMs: D } = run;
  const rounds = floor(run.chunks / active);
  // A synchronous waiting task does not need a core while it waits.
  const tailCores = min(active, p.cpuShare < 1 ? p.capacity / p.cpuShare : steadyCores);
  const lastRoundMs = lockstepLastRoundMs(run, rounds, tailCores);
  // Once chunk times vary, workers drift out of step and the lockstep rounds above no
  // longer hold: when the queue empties the others are a uniform way into their chunks.
  const driftedMs = driftedTailMs(D, active, tailCores);
  const chunkRelSpread = sqrt((p.cv * p.cv) / c + p.workerSpeedCv ** 2);
  const drift = min(1, chunkRelSpread * sqrt(rounds));
  // Random part: the slowest of the workers' last chunks lags by E[max of k normals]
  // standard deviations of a chunk's duration (items' own spread plus worker speed).
  const chunkSpreadMs = sqrt(c * (p.itemMs * p.cv) ** 2 + (p.workerSpeedCv * D) ** 2);
  const randomTailMs = chunkSpreadMs * expectedMaxNormal(active);
  return (1 - drift) * lastRoundMs + drift * driftedMs + randomTailMs;
}
