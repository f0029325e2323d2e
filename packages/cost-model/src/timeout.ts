// Chunks under `constraints.chunkTimeoutMs`: how long a chunk may take on a worker at
// the slow end, and the largest chunk that stays inside the time-out. Pure arithmetic.
import { MODEL_CONSTANTS } from "./constants.js";
import { atContention, heldGraphMs } from "./model.js";
import type { ModelParams } from "./params.js";

// Bound once (see model.ts).
const { floor, max, sqrt } = Math;

/**
 * A chunk of `chunkSize` items on one of `workers` workers, at the slow end, ms: its items'
 * mean time plus their spread (`chunkTimeoutSds` standard deviations of the sum, or the
 * slowest sampled item's excess over the mean, whichever is more), the items' CPU part
 * stretched when the workers outnumber the cores' worth of CPU (they share them), the
 * whole stretched by the workers' own speed variation at the same number of deviations,
 * and the chunk's envelope; items as slow as workers computing at once run them (a learned
 * `contention`), and a chunk of object graphs costs its worker what holding them does
 * (`heldGraphMs`).
 */
export function slowChunkMs(base: ModelParams, workers: number, chunkSize: number): number {
  const p = atContention(base, workers);
  const k = MODEL_CONSTANTS.chunkTimeoutSds;
  const sharing = max(1, workers / p.capacity);
  const perItemMs = p.cpuItemMs * sharing + (p.wallItemMs - p.cpuItemMs);
  // The spread is in item time; on a shared core it stretches as the items do.
  const stretch = p.wallItemMs > 0 ? perItemMs / p.wallItemMs : sharing;
  const spreadMs = max(k * sqrt(chunkSize) * p.itemMs * p.cv, p.maxItemMs - p.itemMs);
  const speed = 1 + k * MODEL_CONSTANTS.workerSpeedCv;
  return (chunkSize * perItemMs + heldGraphMs(p, chunkSize) + stretch * spreadMs) * speed + p.chunkOverheadMs;
}

/**
 * The largest chunk (at least 1, at most `most`) whose slow-end duration stays within
 * `limitMs`; 1 when even a single item does not. The duration grows with the chunk, so a
 * bisection finds it.
 */
export function largestChunkWithin(p: ModelParams, workers: number, limitMs: number, most: number): number {
  if (slowChunkMs(p, workers, most) <= limitMs) return most;
  let low = 1;
  let high = most;
  // Invariant: `high` does not fit; `low` fits, or is 1.
  while (high - low > 1) {
    const mid = floor((low + high) / 2);
    if (slowChunkMs(p, workers, mid) <= limitMs) low = mid;
    else high = mid;
  }
  return low;
}

/** Largest chunk searched for a stream (the executor's own adaptive cap is far below). */
const STREAM_MOST = 2 ** 30;

/**
 * The largest chunk `workers` workers may run under the caller's `chunkTimeoutMs`: its
 * slow-end duration at most `chunkTimeoutShare` of the time-out. Infinity without a time-out.
 */
export function timeoutChunkLimit(p: ModelParams, workers: number): number {
  if (p.chunkTimeoutMs === null) return Number.POSITIVE_INFINITY;
  const limitMs = MODEL_CONSTANTS.chunkTimeoutShare * p.chunkTimeoutMs;
  return largestChunkWithin(p, workers, limitMs, max(1, p.n ?? STREAM_MOST));
}
