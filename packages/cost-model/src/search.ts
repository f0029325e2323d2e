import { MODEL_CONSTANTS } from "./constants.js";
import { chunkCostMs, type Evaluation, evaluateParallel } from "./model.js";
import { fitsInMemory, type ModelParams } from "./params.js";
import { timeoutChunkLimit } from "./timeout.js";
import { adaptiveChunkLimit, uncertainSample } from "./uncertain.js";

// Bound once (see model.ts).
const { ceil, floor, max, min, round } = Math;
const { isFinite: finite } = Number;

/** The part of the search space the caller left open. */
export interface SearchSpace {
  /** Worker counts to try (ascending). */
  workers: readonly number[];
  /** A fixed chunk size, or undefined to search chunk sizes. */
  chunkSize: number | undefined;
  /** Skip configurations that do not fit the memory budget. */
  memory: boolean;
}

export interface SearchResult {
  /** The chosen configuration, or null when nothing fits. */
  best: Evaluation | null;
  /** The fastest configuration (before tie-breaking), or null. */
  fastest: Evaluation | null;
  /** Configurations evaluated (the memory check skips some before evaluating). */
  evaluated: number;
  /** Configurations skipped for memory. */
  skippedForMemory: number;
}

/** Default upper bound of the worker search: past the usable cores, for few heavy items. */
export function defaultMaxWorkers(p: ModelParams): number {
  const bound = max(2 * p.usableCores, p.usableCores + 2);
  if (p.ioBound && !p.async) {
    // A synchronous task that waits frees its core while waiting, so threads beyond
    // the cores overlap the waits: look as far as usable / cpu-to-wall.
    const waiting = p.cpuToWall > 0 ? ceil(p.usableCores / p.cpuToWall) : Number.POSITIVE_INFINITY;
    return max(bound, min(MODEL_CONSTANTS.maxWaitingWorkers, waiting));
  }
  return bound;
}

/**
 * Chunk sizes worth trying for `workers` workers over `n` items: a geometric grid
 * (1, 2, 3, 4, 6, 8, 12, ... and n), the chunk sizes that hit each target duration,
 * Python's `Pool.map` default ceil(n / (4 x workers)), the largest chunk of object graphs
 * that a worker holds without cost (see `heldGraphMs`), and the sizes that give every
 * worker the same number of chunks. Ascending, without duplicates.
 */
export function chunkCandidates(p: ModelParams, n: number, workers: number): number[] {
  const set = new Set<number>();
  const add = (c: number) => {
    if (finite(c)) set.add(min(n, max(1, round(c))));
  };
  for (let c = 1; c <= n; c *= 2) {
    add(c);
    add(c * 1.5);
  }
  add(n);
  if (p.wallItemMs > 0) for (const target of MODEL_CONSTANTS.targetChunkMs) add(target / p.wallItemMs);
  add(ceil(n / (4 * workers)));
  // The largest chunk whose object graphs a worker holds without cost (`heldGraphFromBytes`).
  if (p.graphBytesPerItem > 0) add(floor(MODEL_CONSTANTS.heldGraphFromBytes / p.graphBytesPerItem));
  for (const k of MODEL_CONSTANTS.chunksPerWorker) add(ceil(n / (k * workers)));
  return [...set].filter((c) => c <= n).sort((a, b) => a - b);
}

/**
 * Chunk size for a stream of unknown length: the smallest chunk whose per-chunk cost
 * (dispatch and round trip) is at most `streamOverheadShare` of its work, capped so a
 * chunk takes at most `streamMaxChunkMs`.
 */
export function streamChunkSize(p: ModelParams): number {
  if (p.wallItemMs <= 0) return 1;
  const share = MODEL_CONSTANTS.streamOverheadShare * p.wallItemMs;
  // The wait between chunks grows with the chunk (see chunkCostMs): the smallest chunk that
  // amortises its own cost, found from below (the cost is non-decreasing, so this settles).
  let amortised = ceil((p.dispatchMs + p.chunkOverheadMs) / share);
  for (let i = 0; i < 8; i++) {
    const next = max(amortised, ceil((p.dispatchMs + chunkCostMs(p, amortised)) / share));
    if (next === amortised) break;
    amortised = next;
  }
  const longest = floor(MODEL_CONSTANTS.streamMaxChunkMs / p.wallItemMs);
  return max(1, min(amortised, longest));
}

/**
 * Among configurations within `tieMargin` of the fastest, the one with the fewest
 * workers, then the largest chunks: fewer threads leave room for the rest of the
 * machine, and larger chunks cost less when the figures are off.
 */
export function pickWithTies(candidates: readonly Evaluation[]): Evaluation | null {
  let fastest: Evaluation | null = null;
  for (const e of candidates) if (fastest === null || e.wallMs < fastest.wallMs) fastest = e;
  if (fastest === null) return null;
  const limit = fastest.wallMs * (1 + MODEL_CONSTANTS.tieMargin);
  let chosen: Evaluation | null = null;
  for (const e of candidates) {
    if (e.wallMs > limit) continue;
    if (
      chosen === null ||
      e.workers < chosen.workers ||
      (e.workers === chosen.workers && (e.chunkSize ?? 0) > (chosen.chunkSize ?? 0))
    ) {
      chosen = e;
    }
  }
  return chosen;
}

/**
 * The chunk sizes searched for `workers` workers: the caller's fixed size (kept even when
 * the chunk time-out cannot hold it: the plan warns), a stream's, or the candidates. Under
 * a chunk time-out only sizes up to its limit are searched, the limit itself among them;
 * so for a sample that may be far off, up to `adaptiveChunkLimit` (chunks left to adapt).
 */
export function searchedChunks(p: ModelParams, fixed: number | undefined, workers: number): number[] {
  if (fixed !== undefined) return [p.n === null ? fixed : min(fixed, p.n)];
  const timeoutLimit = timeoutChunkLimit(p, workers);
  if (p.n === null) return [min(streamChunkSize(p), timeoutLimit)];
  const limit = uncertainSample(p) ? min(timeoutLimit, adaptiveChunkLimit(p.n, workers)) : timeoutLimit;
  const candidates = chunkCandidates(p, p.n, workers);
  if (limit >= p.n) return candidates;
  return [...candidates.filter((c) => c < limit), limit];
}

/** Evaluates the model over the search space and picks the best configuration. */
export function searchParallel(p: ModelParams, space: SearchSpace): SearchResult {
  const evaluations: Evaluation[] = [];
  let skippedForMemory = 0;
  for (const workers of space.workers) {
    for (const chunkSize of searchedChunks(p, space.chunkSize, workers)) {
      if (space.memory && !fitsInMemory(p, workers, chunkSize)) {
        skippedForMemory++;
        continue;
      }
      evaluations.push(evaluateParallel(p, workers, chunkSize));
    }
  }
  let fastest: Evaluation | null = null;
  for (const e of evaluations) if (fastest === null || e.wallMs < fastest.wallMs) fastest = e;
  return { best: pickWithTies(evaluations), fastest, evaluated: evaluations.length, skippedForMemory };
}

/** 1..n, ascending. */
export function range(n: number): number[] {
  return Array.from({ length: max(0, n) }, (_, i) => i + 1);
}
