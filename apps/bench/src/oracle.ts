import { messageOf } from "@amorsize/types";
import { median } from "./stats.js";

/** One configuration of the exhaustive sweep. */
export interface SweepConfig {
  workers: number;
  chunkSize: number;
}

/** What the sweep measured for one configuration; `ms` is null when it was cut off or failed. */
export interface SweepPoint extends SweepConfig {
  ms: number | null;
  note?: string;
}

/**
 * Chunk sizes 1, f, f^2, ... up to ceil(n / workers), which is always included: a
 * larger chunk would only leave workers without work, which a smaller worker
 * count already covers.
 */
export function chunkGrid(n: number, workers: number, factor: number): number[] {
  if (!(factor > 1)) throw new RangeError(`chunk grid factor must be > 1, got ${factor}`);
  const cap = Math.max(1, Math.ceil(n / workers));
  const sizes: number[] = [];
  for (let c = 1; c < cap; c = Math.max(c + 1, Math.round(c * factor))) sizes.push(c);
  sizes.push(cap);
  return sizes;
}

/** Worker counts swept one by one; past this, on a grid (see workerGrid). */
export const EVERY_WORKER_COUNT_UP_TO = 8;

/**
 * The worker counts the sweep tries: every one up to EVERY_WORKER_COUNT_UP_TO, then a
 * geometric grid of factor 1.5 (12, 18, 27, ...), with half the largest (the usable cores)
 * and the largest always in. On 2 cores, 1..4 as before; on 16, 1..8, 12, 16, 18, 27, 32:
 * 13 counts where every count would be 32, each with its chunk grid, and a pool of 20 or
 * 21 differs from one of 18 by about the 5% its noise does.
 */
export function workerGrid(maxWorkers: number): number[] {
  const counts = new Set<number>();
  for (let w = 1; w <= Math.min(maxWorkers, EVERY_WORKER_COUNT_UP_TO); w++) counts.add(w);
  for (let w = EVERY_WORKER_COUNT_UP_TO * 1.5; w < maxWorkers; w *= 1.5) counts.add(Math.round(w));
  if (maxWorkers >= 2) counts.add(Math.floor(maxWorkers / 2));
  if (maxWorkers >= 1) counts.add(maxWorkers);
  return [...counts].sort((a, b) => a - b);
}

/**
 * Every configuration of the sweep: the worker grid (see workerGrid) x the chunk grid,
 * ordered from the fewest chunks to the most, so that the cheap configurations
 * set a best time early and the slow many-chunk ones can be cut against it.
 */
export function sweepConfigs(n: number, maxWorkers: number, factor: number): SweepConfig[] {
  const configs: SweepConfig[] = [];
  for (const w of workerGrid(maxWorkers)) {
    for (const chunkSize of chunkGrid(n, w, factor)) configs.push({ workers: w, chunkSize });
  }
  return configs.sort((a, b) => b.chunkSize - a.chunkSize || b.workers - a.workers);
}

/** The `count` fastest configurations the sweep completed, fastest first. */
export function bestConfigs(points: readonly SweepPoint[], count: number): (SweepPoint & { ms: number })[] {
  return points
    .filter((p): p is SweepPoint & { ms: number } => p.ms !== null)
    .sort((a, b) => a.ms - b.ms)
    .slice(0, count);
}

/** A configuration runner: resolves with the wall time, rejects when aborted or failed. */
export type ConfigRunner = (config: SweepConfig, signal: AbortSignal) => Promise<number>;

/**
 * Runs the sweep. A configuration whose run takes longer than `cutoff` x the
 * best median so far cannot be the best one, so it is aborted and recorded as
 * cut: the sweep still considers every configuration without paying for the
 * hopeless ones in full. `serialMs`, the plain loop's time, is the first "best
 * so far": serial is one of the oracle's candidates, so a configuration
 * `cutoff` times slower than it cannot be the oracle either.
 */
export async function runSweep(
  configs: readonly SweepConfig[],
  repetitions: number,
  run: ConfigRunner,
  cutoff = 3,
  serialMs = Number.POSITIVE_INFINITY,
): Promise<SweepPoint[]> {
  const points: SweepPoint[] = [];
  let best = serialMs;
  for (const config of configs) {
    const times: number[] = [];
    let note: string | undefined;
    for (let r = 0; r < repetitions && note === undefined; r++) {
      const limitMs = best * cutoff;
      const controller = new AbortController();
      const timer = Number.isFinite(limitMs) ? setTimeout(() => controller.abort(), limitMs) : undefined;
      try {
        times.push(await run(config, controller.signal));
      } catch (error) {
        note = controller.signal.aborted
          ? `cut: slower than ${cutoff}x the best so far`
          : `failed: ${messageOf(error)}`;
      } finally {
        clearTimeout(timer);
      }
    }
    const ms = note === undefined ? median(times) : null;
    if (ms !== null) best = Math.min(best, ms);
    points.push({ ...config, ms, ...(note === undefined ? {} : { note }) });
  }
  return points;
}

/** What the oracle picked: the serial loop, or one configuration of the sweep. */
export type OracleChoice = { mode: "serial" } | ({ mode: "parallel" } & SweepConfig);

/**
 * The oracle: the candidate with the lowest median time, among those that
 * completed at least once. Serial is one of the candidates: where a plain loop
 * beats every parallel configuration, not parallelising is the best decision,
 * and amorsize is judged against that. A tie goes to the earlier candidate, so
 * list serial first: the simpler answer.
 */
export function pickOracle<T extends { samples: readonly number[] }>(
  candidates: readonly T[],
): T | undefined {
  let best: T | undefined;
  let bestMs = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const ms = median(c.samples);
    if (c.samples.length > 0 && ms < bestMs) {
      best = c;
      bestMs = ms;
    }
  }
  return best;
}
