/**
 * How workers keep pace, from timed pace tasks: a worker's idle time between two chunks
 * while every core's worker computes (`gapUs`), and how far equal work started together on
 * every worker drifts apart (`speedCv`). Pure functions of plain numbers; the timing is
 * measure.ts's.
 */

import { SPAWN_COST_ESTIMATES } from "./estimates.js";
import { type Draft, medianDraft, shortOfTime } from "./fit.js";
import { PACE_AFTER_MS, type PaceAnswer } from "./protocol.js";
import { mean, median } from "./stats.js";

export { PACE_AFTER_MS };
/** Chunks each worker runs in the stream behind `gapUs`: the first, cold, then these. */
export const GAP_CHUNKS_PER_WORKER = 4;
/** Gaps `gapUs` needs at least. */
export const MIN_GAPS = 3;
/** The largest `speedCv` taken as measured (the cache's plausible range ends there). */
export const MAX_SPEED_CV = 1;
/** Rounds of equal work on every worker for `speedCv`: at least `min`, at most `max`. */
export const SPEED_ROUNDS = { min: 3, max: 6 } as const;

/**
 * The idle times between consecutive chunks on each worker, microseconds, from the
 * workers' own clocks (`startMs`/`endMs` of one thread are comparable; of two, not). A
 * worker's first chunk has no gap before it.
 */
export function chunkGapsUs(answers: readonly PaceAnswer[]): number[] {
  const byThread = new Map<number, PaceAnswer[]>();
  for (const answer of answers) {
    const list = byThread.get(answer.thread) ?? [];
    list.push(answer);
    byThread.set(answer.thread, list);
  }
  const gaps: number[] = [];
  for (const list of byThread.values()) {
    list.sort((a, b) => a.startMs - b.startMs);
    for (let i = 1; i < list.length; i++)
      gaps.push(Math.max(0, list[i]!.startMs - list[i - 1]!.endMs) * 1000);
  }
  return gaps;
}

/**
 * Gaps whose median absolute deviation passes this share of their median, with a median
 * above the estimate (`SPAWN_COST_ESTIMATES.pace.gapUs`), are a busy machine's: measured
 * beside other processes' work (2 cores, 2026-12-07), 8 gaps read 1,872 us (deviation
 * 1,373) and 3,210 us (2,257), where the quiet machine read 199 us (37) and 499 us (125).
 */
export const MAX_GAP_SPREAD_SHARE = 0.5;

/** Whether gaps of this median and median absolute deviation, us, are a busy machine's (see {@link MAX_GAP_SPREAD_SHARE}). */
export function unsteadyGap(medianUs: number, deviationUs: number): boolean {
  return medianUs > SPAWN_COST_ESTIMATES.pace.gapUs && deviationUs > MAX_GAP_SPREAD_SHARE * medianUs;
}

/**
 * `gapUs`: the median of the gaps once there are `MIN_GAPS` of them; implausible (the
 * estimate is used, and the profile says so) when they are longer than the estimate and
 * spread past {@link MAX_GAP_SPREAD_SHARE} of their median: kept, such a figure planned
 * 3-4 workers on 2 cores to overlap waits, or serial, long after the load had gone.
 */
export function gapDraft(gapsUs: readonly number[], budgetMs: number): Draft {
  if (gapsUs.length < MIN_GAPS) return shortOfTime(budgetMs, gapsUs.length, MIN_GAPS);
  const draft = medianDraft(gapsUs);
  const spread = draft.spread ?? 0;
  if (unsteadyGap(draft.value, spread)) {
    return {
      reason: `the gaps between chunks (median ${draft.value.toFixed(0)} us) deviated by ${spread.toFixed(0)} us from it: too unsteady to use (a busy machine?)`,
      implausible: true,
    };
  }
  return draft;
}

/** The loop's iterations per millisecond on the workers, from tasks that computed; null with none. */
export function paceRate(answers: readonly PaceAnswer[]): number | null {
  const rates = answers.filter((a) => a.busyMs > 0).map((a) => a.iterations / a.busyMs);
  return rates.length === 0 ? null : median(rates);
}

/** Iterations of the loop that take about `PACE_AFTER_MS` at `rate` iterations per millisecond. */
export function speedIterations(rate: number): number {
  return Math.max(1, Math.round(rate * PACE_AFTER_MS));
}

/** One round's spread: the sample standard deviation of the workers' times over their mean. */
export function roundCv(busyMs: readonly number[]): number {
  const m = mean(busyMs);
  if (busyMs.length < 2 || m <= 0) return 0;
  const variance = busyMs.reduce((sum, x) => sum + (x - m) ** 2, 0) / (busyMs.length - 1);
  return Math.sqrt(variance) / m;
}

/**
 * `speedCv`: the median of the rounds' spreads, once there are `SPEED_ROUNDS.min` rounds.
 * One worker has nothing to drift from: then it says so.
 */
export function speedDraft(rounds: readonly (readonly number[])[], workers: number, budgetMs: number): Draft {
  if (workers < 2) return { reason: "a pool of one worker has no other to drift from" };
  if (rounds.length < SPEED_ROUNDS.min) return shortOfTime(budgetMs, rounds.length, SPEED_ROUNDS.min);
  const draft = medianDraft(rounds.map(roundCv));
  // Workers whose times for the same work differ by a factor of six or more: a machine too
  // busy to tell its workers' speed, not a figure to plan with (nor to cache: it is refused).
  if (draft.value > MAX_SPEED_CV) {
    return {
      reason: `equal work on ${workers} workers spread by ${(draft.value * 100).toFixed(0)}% of its time: too noisy to use (a busy machine?)`,
      implausible: true,
    };
  }
  return draft;
}

/** Whether another step of `stepMs` fits before `end`, with `have` of `max` done. */
export function morePace(have: number, max: number, now: number, stepMs: number, end: number): boolean {
  return have < max && now + stepMs <= end;
}
