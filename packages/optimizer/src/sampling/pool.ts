// Items the calling thread ran while a warm-up probe held the decision up (see fill.ts),
// joined to the sampled ones' time figures. Pure functions of plain data.
import type { WorkloadSample } from "@amorsize/types";
import { itemTimeFigures, logTimes, median, medianError, robustSd, sampleSpread } from "./stats.js";

/** An item timed alone in the calling thread: its place in the input and its own time, ms. */
export interface PlacedTime {
  index: number;
  ms: number;
}

/**
 * Items under this mean time are not joined: sampling runs tens of them or more within its
 * budget, and the items run beside the probe share the machine with a worker starting up.
 * A uniform task of 0.2 ms items read 0.223-0.23 ms over 176-282 such items where its
 * sample read 0.204-0.21.
 */
export const POOL_MIN_ITEM_MS = 1;
/**
 * The filled items, which run from the input's start, join the sample only when their
 * median log time is within this many standard errors of the sampled items': items that
 * grow along the input (or a start that differs) keep the sample's own figures.
 */
export const POOL_MAX_Z = 2;

/**
 * The workload's time figures over the items its figures rested on (`basis`: the sampled
 * items timed alone that `timedRecords` kept) and the items run while probing (`filled`),
 * with `pooledItems` their count; null when they do not join (see POOL_MIN_ITEM_MS,
 * POOL_MAX_Z; figures scaled by size or by a cold reading; items sampled in blocks, whose
 * time is not all in `basis`). Heavy-tailed items are why: the demo's 400 log-normal
 * items (mean 2.8 ms, cv 1.5) were sampled 3 or 10 at a time within the 60 ms budget, read
 * at 1.1 or 8.2 ms, while the probe's 25-32 items ran in this thread beside it, timed and
 * unused.
 */
export function pooledWorkload(
  workload: WorkloadSample,
  basis: readonly PlacedTime[],
  basisMs: number | undefined,
  filled: readonly PlacedTime[],
): WorkloadSample | null {
  if (workload.source !== "measured" || filled.length === 0 || basis.length === 0) return null;
  if (workload.sizeScale !== undefined || workload.warmup?.source === "sampled") return null;
  if (workload.itemTimeMs.mean < POOL_MIN_ITEM_MS) return null;
  const basisSum = basis.reduce((a, t) => a + t.ms, 0);
  // Blocks of items in the figures' basis: the items timed alone are not all it rests on.
  if (basisMs !== undefined && Math.abs(basisMs - basisSum) > 1e-6 * Math.max(basisMs, 1)) return null;
  if (!alike(basis, filled)) return null;
  const pooled = [...basis, ...filled].map((t) => ({ index: t.index, ownMs: t.ms, weight: 1 }));
  const figures = itemTimeFigures(pooled.map((p) => ({ ...p, wallMs: p.ownMs, cpuMs: p.ownMs, idleMs: 0 })));
  const relativeError = figures.cv / Math.sqrt(pooled.length);
  const maxOverMean = figures.mean > 0 ? figures.max / figures.mean : 1;
  // The trend stays the sample's: the filled items crowd the input's start, where a few
  // long sampled items further on would read as a trend the alike test has just ruled out.
  const trend = workload.spread?.trend ?? sampleSpread(pooled, []).trend;
  return {
    ...workload,
    itemTimeMs: figures,
    spread: { relativeError, maxOverMean, trend },
    pooledItems: filled.length,
  };
}

/**
 * Whether two groups of item times look drawn alike: their median log times within
 * POOL_MAX_Z standard errors of each other, the spread being each group's median absolute
 * deviation of log time from its own median (as a normal's standard deviation; a median's
 * standard error about 1.25 times a mean's).
 */
export function alike(a: readonly PlacedTime[], b: readonly PlacedTime[]): boolean {
  const logs = logTimes([a.map((t) => t.ms), b.map((t) => t.ms)]);
  if (logs === null) return true;
  const [logA, logB] = logs as [number[], number[]];
  const sd = robustSd(logs);
  const standardError = Math.hypot(medianError(sd, logA.length), medianError(sd, logB.length));
  return Math.abs(median(logA) - median(logB)) <= POOL_MAX_Z * standardError;
}
