// A long serial plan checked on its leading items. Sampled items run apart, each timed on
// its own; the run's own items can cost more: every result is kept to the end, the heap
// grows, and the collector marks it again and again (SHA-256 digests of 50,000 records:
// 19% slower kept than dropped, and the sample read 23% less than the loop took). So a
// serial plan long enough to repay a pool first runs a stretch of its leading items as
// the run itself does, and plans the rest again from the time they took.
import { performance } from "node:perf_hooks";
import { createExecutor, ExecutorError, type MapResult } from "@amorsize/executor";
import type { ExecuteOptions, Plan, PlanConstraints, PlanInput, WorkloadSample } from "@amorsize/types";
import { isolated } from "./prepare.js";
import type { SampledItems } from "./report.js";
import { scaledItemTimes } from "./workload.js";

/** The rule's figures. */
export const SERIAL_CHECK = {
  /** A serial plan predicted shorter than this, ms, is not checked: no pool could repay its start. */
  minSerialMs: 200,
  /** The stretch: this share of the predicted serial time, at least `minMs`... */
  share: 0.1,
  minMs: 25,
  /** ...and at most this share of the items... */
  maxShare: 0.25,
  /**
   * ...and at least this many items (no check where a quarter of the items is fewer): a
   * few items say little of the rest. A minifier's first 6 of 56 read 1.2-1.8 times its
   * sampled item time from one run to the next.
   */
  minItems: 32,
  /** The rest is planned again only when the stretch ran at least this much slower than sampled. */
  slower: 1.15,
  /**
   * The leading items stand for the rest only when items are alike: the sampled items' 90th
   * percentile time at most `maxP90OverMedian` times their median, and no sampled input more
   * than `maxBytesOverMean` times the mean size (a minifier's inputs vary tenfold: its first
   * few say little). A quantile, not the coefficient of variation: one item caught by a
   * collection or the scheduler is no sign of items unlike each other, yet it sets the cv
   * of 48 items of 0.1 ms to 3.5 with a pause of 5 ms (the check was skipped so in CI).
   */
  maxP90OverMedian: 1.6,
  maxBytesOverMean: 2,
} as const;

/**
 * How many leading items of the input a serial plan runs first, as its check; 0: no
 * check. Only a serial plan of a known input, predicted to run {@link SERIAL_CHECK}'s
 * `minSerialMs` or more, of items alike and enough of them (a quarter at least
 * `minItems`), on a machine of 2 usable cores or more, where the caller left the worker
 * count open, in the calling thread, with no progress reports (they count the run's items
 * from one run).
 */
export function stretchLength(
  plan: Plan,
  workload: Pick<WorkloadSample, "itemTimeMs" | "inputBytes">,
  usableCores: number,
  constraints: PlanConstraints,
  options: ExecuteOptions,
): number {
  const { totalItems } = plan;
  const itemMs = workload.itemTimeMs.mean;
  const { median, p90 } = workload.itemTimeMs;
  if (!(p90 <= SERIAL_CHECK.maxP90OverMedian * median)) return 0;
  if (workload.inputBytes.max > SERIAL_CHECK.maxBytesOverMean * workload.inputBytes.mean) return 0;
  if (plan.mode !== "serial" || totalItems === null || usableCores < 2) return 0;
  if (plan.predicted.wallMs < SERIAL_CHECK.minSerialMs || !(itemMs > 0)) return 0;
  if (constraints.workers !== undefined || constraints.maxWorkers === 1) return 0;
  if (options.onProgress !== undefined || isolated(options)) return 0;
  const targetMs = Math.max(SERIAL_CHECK.minMs, SERIAL_CHECK.share * plan.predicted.wallMs);
  const most = Math.floor(SERIAL_CHECK.maxShare * totalItems);
  if (most < SERIAL_CHECK.minItems) return 0;
  return Math.min(most, Math.max(SERIAL_CHECK.minItems, Math.ceil(targetMs / itemMs)));
}

/**
 * What the stretch says: the factor its wall time per item that ran came to over the
 * sampled mean, and whether the rest is planned again (the stretch ran
 * {@link SERIAL_CHECK}'s `slower` times the sample or more). Wall time, as the loop that
 * follows pays it (its turns of the event loop included). Null: nothing in the stretch ran
 * (all sampled already).
 */
export function stretchReading(
  wallMs: number,
  ran: number,
  itemMs: number,
): { scale: number; replan: boolean } | null {
  if (ran <= 0 || !(wallMs > 0) || !(itemMs > 0)) return null;
  const scale = wallMs / ran / itemMs;
  return { scale, replan: scale >= SERIAL_CHECK.slower };
}

/**
 * The factor on the sampled item time that a stretch read at `scale` times the model's
 * serial rate (`serialItemMs`: the item's `itemMs` and the cost of keeping its result)
 * gives: the stretch kept its results as the loop does, and the model adds that cost
 * again to whatever item time it is given.
 */
export function stretchItemScale(scale: number, serialItemMs: number, itemMs: number): number {
  return Math.max(0, scale * serialItemMs - (serialItemMs - itemMs)) / itemMs;
}

/** A stretch run, folded into the sampled items: what ran, the time it took, and its reading. */
export interface Stretch {
  sampled: { precomputed: Map<number, unknown>; failures: Map<number, unknown> };
  /** Items of the stretch that ran (sampled ones were not run again). */
  ran: number;
  wallMs: number;
  startedAt: number;
}

/**
 * Runs items `[0, length)` of `data` in this thread as a serial run does (results kept,
 * in order), sampled items given as precomputed. Their results and failures join the
 * sampled ones, so the rest of the run takes them as it takes sampled items. Under
 * `onError: "throw"` a failing item rejects, as in the run; an abort rejects.
 */
export async function runStretch(
  task: { module: string; export: string },
  data: readonly unknown[],
  length: number,
  sampled: SampledItems,
  options: ExecuteOptions,
): Promise<Stretch> {
  const precomputed = new Map<number, unknown>();
  for (const [index, value] of sampled.precomputed) if (index < length) precomputed.set(index, value);
  for (const index of sampled.failures.keys()) if (index < length) precomputed.set(index, undefined);
  const executor = createExecutor({ mode: "serial" });
  const startedAt = performance.now();
  let outcome: MapResult<unknown>;
  try {
    outcome = await executor.map(task, data.slice(0, length), {
      precomputed,
      ...(options.onError ? { onError: options.onError } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } finally {
    await executor.close();
  }
  const wallMs = performance.now() - startedAt;
  const results = new Map(sampled.precomputed);
  const failures = new Map(sampled.failures);
  for (const error of outcome.errors) {
    const index = (error as { index?: unknown }).index;
    if (error instanceof ExecutorError && typeof index === "number") failures.set(index, error);
  }
  for (let i = 0; i < length; i++) {
    if (!precomputed.has(i) && !failures.has(i)) results.set(i, outcome.results[i]);
  }
  const ran = length - precomputed.size;
  return {
    sampled: { precomputed: results, failures },
    ran,
    wallMs,
    startedAt,
  };
}

/** The plan input for the rest: the stretch's rate in place of the sample's. */
export function restInput(input: PlanInput, scale: number): PlanInput {
  return { ...input, workload: scaledItemTimes(input.workload, scale) };
}
