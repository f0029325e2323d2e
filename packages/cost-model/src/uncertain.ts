// Whether a sample may be far off, so that a run adapts its chunks rather than keep them.
import type { ModelParams } from "./params.js";

/**
 * Whether the sample may be far off: its mean known to worse than ±25%, an item over 5
 * times the mean (a heavy tail that a few samples can miss), or item times that change by
 * more than the mean along the input. Then chunks adapt during the run (starting at the
 * planned size) to the chunk times the workers measure, rather than stay as planned.
 */
export function uncertainSample(p: ModelParams): boolean {
  return uncertainSpread(p.spread);
}

/**
 * {@link uncertainSample} of a workload's `spread` (absent or null: figures given, not
 * sampled, so not uncertain): what a plan made for one spread shares with another's.
 */
export function uncertainSpread(
  s: { relativeError: number; maxOverMean: number; trend: number } | null | undefined,
): boolean {
  if (s === null || s === undefined) return false;
  return (
    s.relativeError > UNCERTAIN.relativeError ||
    s.maxOverMean > UNCERTAIN.maxOverMean ||
    Math.abs(s.trend) > UNCERTAIN.trend
  );
}

/** Where {@link uncertainSample} draws the line. */
export const UNCERTAIN = { relativeError: 0.25, maxOverMean: 5, trend: 1 } as const;

/**
 * Chunks a worker gets at least in a run planned from such a sample: adapting to the times
 * the workers measure needs chunks left to resize, and a trend or a heavy tail puts its
 * weight where the model's spread does not see it (the last chunks of a growing input).
 */
export const ADAPTIVE_CHUNKS_PER_WORKER = 4;

/** The largest chunk searched for `workers` workers over `n` items of an uncertain sample. */
export function adaptiveChunkLimit(n: number, workers: number): number {
  return Math.max(1, Math.ceil(n / (ADAPTIVE_CHUNKS_PER_WORKER * workers)));
}
