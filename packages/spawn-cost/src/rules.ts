/**
 * When the measurement takes another sample and when it stops: the phases'
 * shares of the budget, the settling rules, the clone chunks' calibration
 * arithmetic and the start-up rounds' time check. Pure functions of samples
 * and clock readings (milliseconds of `performance.now()`), no timers.
 */

import type { PayloadKind } from "@amorsize/types";
import { SPAWN_COST_ESTIMATES } from "./estimates.js";
import type { StartupPoint } from "./fit.js";
import { mad, median } from "./stats.js";

/** Relative MAD at which a set of samples counts as settled. */
export const SETTLED = 0.1;
/** Timings closer than this fraction of their median are never outliers (see rejectOutliers' minScale). */
export const JITTER_FLOOR = 0.05;
export const OUTLIER_THRESHOLD = 3;
/** Shares of the time left after the first pool is up at which each phase should end (the rest is start-up). */
export const PHASE_END = { latency: 0.06, throughput: 0.1, clone: 0.35 } as const;
export const MIN_SAMPLES = { latency: 20, throughputBatches: 3, clonePerGroup: 2, startupPoints: 3 } as const;
export const WARMUP_TASKS = 20;
export const LATENCY_BATCH = 25;
const MAX_LATENCY_SAMPLES = 400;
export const THROUGHPUT_BATCH = 64;
const MAX_THROUGHPUT_BATCHES = 20;
const MAX_CLONE_SAMPLES_PER_GROUP = 15;
/** A clone cell is settled with this many samples within this relative MAD (its timings are short, so noisier). */
const CLONE_SETTLE = { samples: 4, relative: 0.05 } as const;
/** Share of the time between the clone phase's end and the deadline that an implausible kind may still use. */
const CLONE_EXTENSION = 0.5;
export const MAX_STARTUP_ROUNDS = 25;
/** Target extra time of a clone chunk over an empty task, microseconds: long enough to stand out of the noise. */
const CLONE_TARGET_US = 250;
const CLONE_MAX_CHUNK_BYTES = 1 << 20;
const CLONE_MAX_ITEMS = 20_000;
export const MAX_CLONE_PROBES = 4;
/** The clone baseline: the median of this many latest empty tasks, topped up by this many fresh ones each time. */
export const BASELINE = { window: 12, refresh: 4 } as const;

/** Whether `samples` has at least `min` values within `relative` x median of their median. */
export function settled(samples: readonly number[], min: number, relative = SETTLED): boolean {
  if (samples.length < min) return false;
  const m = median(samples);
  return m > 0 && mad(samples) <= relative * m;
}

/** When each phase on the first pool should end, given when that pool was ready. */
export interface PhaseEnds {
  latency: number;
  throughput: number;
  clone: number;
}

export function phaseEnds(ready: number, deadline: number): PhaseEnds {
  const left = Math.max(0, deadline - ready);
  return {
    latency: ready + PHASE_END.latency * left,
    throughput: ready + PHASE_END.throughput * left,
    clone: ready + PHASE_END.clone * left,
  };
}

/** Whether to time another batch of empty tasks one at a time, at clock reading `now`. */
export function moreLatency(
  samples: readonly number[],
  now: number,
  softEnd: number,
  deadline: number,
): boolean {
  if (samples.length >= MAX_LATENCY_SAMPLES || now >= deadline) return false;
  if (settled(samples, 2 * MIN_SAMPLES.latency)) return false;
  return !(now >= softEnd && samples.length >= MIN_SAMPLES.latency);
}

/** Whether to time another batch of empty tasks in flight, at clock reading `now`. */
export function moreThroughput(
  samples: readonly number[],
  now: number,
  softEnd: number,
  deadline: number,
): boolean {
  if (samples.length >= MAX_THROUGHPUT_BATCHES || now >= deadline) return false;
  if (settled(samples, MIN_SAMPLES.throughputBatches)) return false;
  return !(now >= softEnd && samples.length >= MIN_SAMPLES.throughputBatches);
}

/** Until when a kind whose fit is still implausible may keep sampling: part of the time left for start-up. */
export function cloneExtendedEnd(softEnd: number, deadline: number): number {
  return softEnd + CLONE_EXTENSION * Math.max(0, deadline - softEnd);
}

/**
 * Whether a clone cell wants another sample at clock reading `now`. A cell of a
 * kind whose fit is implausible was unlucky with the noise: it neither counts as
 * settled nor stops at the phase's end, only at `extendedEnd`.
 */
export function cloneCellWants(
  samples: readonly number[],
  plausible: boolean,
  now: number,
  softEnd: number,
  extendedEnd: number,
): boolean {
  if (samples.length >= MAX_CLONE_SAMPLES_PER_GROUP) return false;
  if (plausible && settled(samples, CLONE_SETTLE.samples, CLONE_SETTLE.relative)) return false;
  return !(now >= (plausible ? softEnd : extendedEnd) && samples.length >= MIN_SAMPLES.clonePerGroup);
}

/** The most items of `bytes` serialised bytes one clone chunk may hold. */
export function cloneChunkCap(bytes: number): number {
  return Math.max(4, Math.min(CLONE_MAX_ITEMS, Math.floor(CLONE_MAX_CHUNK_BYTES / bytes)));
}

/** The documented estimate of one item's round trip, microseconds: the first guess of a calibration. */
export function guessPerItemUs(kind: PayloadKind, bytes: number): number {
  const estimate = SPAWN_COST_ESTIMATES.clone[kind];
  return estimate.perItemUs + (estimate.perByteNs * bytes) / 1000;
}

/** The first calibration chunk's length: half the target time at the guessed cost. */
export function firstProbeLength(cap: number, guessUs: number): number {
  return Math.max(4, Math.min(cap, Math.round(CLONE_TARGET_US / 2 / guessUs)));
}

/**
 * The next calibration chunk's length after one of `n` items measured
 * `perItemUs` each over an empty task, or undefined once it stood out of the
 * noise (half the target) or reached the cap. It grows at most eightfold: a
 * probe within the noise says little about the per-item cost.
 */
export function nextProbeLength(n: number, perItemUs: number, cap: number): number | undefined {
  const extraUs = perItemUs * n;
  if (extraUs >= CLONE_TARGET_US / 2 || n >= cap) return undefined;
  return Math.min(cap, extraUs > 0 ? Math.ceil((n * CLONE_TARGET_US) / extraUs) : 8 * n, 8 * n);
}

/** The two chunk lengths sampled for an item size: about the target time and twice it, within the cap. */
export function chunkLengths(perItemUs: number, cap: number): [number, number] {
  const n1 = perItemUs > 0 ? Math.max(4, Math.min(cap, Math.round(CLONE_TARGET_US / perItemUs))) : cap;
  return 2 * n1 <= cap ? [n1, 2 * n1] : [Math.max(2, Math.ceil(cap / 2)), cap];
}

/**
 * How long starting and destroying a pool of `k` is expected to take: the
 * median of its starts so far (else the documented estimate) plus the median
 * destroy time. A start-up round stops before a pool that would overrun the deadline.
 */
export function predictStartMs(
  points: readonly StartupPoint[],
  destroyMs: readonly number[],
  k: number,
): number {
  const same = points.filter((p) => p.k === k).map((p) => p.ms);
  const { fixedMs, perWorkerMs } = SPAWN_COST_ESTIMATES.workerStart;
  const start = same.length > 0 ? median(same) : fixedMs + perWorkerMs * k;
  return start + (destroyMs.length > 0 ? median(destroyMs) : 0);
}

/**
 * Whether every pool size has been timed consistently: at least two samples
 * each (and the minimum in all), within SETTLED of their median. This bounds the measurement noise; the
 * line's residuals also hold the model's own misfit (start-up is not linear in
 * k around the core count), which more samples would not reduce.
 */
export function startupSettled(points: readonly StartupPoint[], maxWorkers: number): boolean {
  if (points.length < MIN_SAMPLES.startupPoints) return false;
  for (let k = 1; k <= maxWorkers; k++) {
    if (
      !settled(
        points.filter((p) => p.k === k).map((p) => p.ms),
        2,
      )
    )
      return false;
  }
  return true;
}

/** The empty-task times a clone baseline is the median of: the latest `BASELINE.window`. */
export function baselineWindow(recentUs: readonly number[]): number[] {
  return recentUs.slice(Math.max(0, recentUs.length - BASELINE.window));
}
