import type { CloneError, ResolvedTask } from "@amorsize/executor";
import { currentLoadPerCore, loadChanged } from "@amorsize/spawn-cost";
import type { MachineKey, Warning, WorkloadSample } from "@amorsize/types";
import { moduleHash, planCacheKey, readPlanCache, writePlanCache } from "./plan-cache.js";
import { contradiction, implausibleWorkload } from "./plan-cache-check.js";
import type { SampleResult, TaskData } from "./sample.js";
import type { TimedItem } from "./warmup.js";

/** The per-item figures a plan rests on, and what measuring them left behind. */
export interface MeasuredWorkload {
  workload: WorkloadSample;
  /** `sampled` now, or `cached` from an earlier run of the same task and input size. */
  workloadSource: "sampled" | "cached";
  /** Use this instead of the original input: the same items, with a sampled iterator re-joined. */
  data: TaskData;
  /** Results of items sampled in this thread, by input index. */
  precomputed: Map<number, unknown>;
  /** Items that threw while sampled (`onError: "collect"`), by input index. */
  failures: Map<number, unknown>;
  /** Sampled items that cannot cross to a worker and back (see `SampleResult.unsendable`). */
  unsendable?: ReadonlyMap<number, CloneError>;
  /** Problems with the plan cache, which never stop the optimizer. */
  warnings: Warning[];
  /** Sampled items timed alone in the calling thread (see `SampleResult.timedItems`). */
  timedItems?: TimedItem[];
  /** The own time of the items a fresh sample's figures rest on (see `SampleResult.basisMs`), ms. */
  basisMs?: number;
  /** Time this thread spent running items while a warm-up probe ran (their results are in `precomputed`), ms. */
  filledMs?: number;
  /** The plan cache's entry the figures were read from (`cached`): its folder and key. */
  cacheEntry?: { dir: string; key: string };
}

/** Where the plan cache is, the machine its entries must come from, and whether a fresh sample is written there (default true). */
export interface PlanCacheUse {
  dir: string;
  machineKey: MachineKey;
  write?: boolean;
  /** The task module's content hash, when the caller read it already (null: not a readable file). */
  hash?: string | null;
}

/** Sampling, told how to check cached figures against the first unit it runs (see `SampleTaskOptions.confirms`). */
export type Sampler = (confirms?: (first: WorkloadSample) => boolean) => Promise<SampleResult>;

/**
 * The task's per-item figures from the plan cache, or from `sample()` (then written to
 * the cache). Anything wrong with the cache costs a warning and a sample, never the run.
 * A cached entry is trusted only when its figures are plausible and the first item run
 * in this call (kept, not run again) does not contradict them; sampling goes on from
 * that item when it does.
 */
export async function cachedOrSampled(
  task: ResolvedTask,
  totalItems: number | null,
  cache: PlanCacheUse | null,
  sample: Sampler,
): Promise<MeasuredWorkload> {
  const warnings: Warning[] = [];
  const hash = cache ? (cache.hash !== undefined ? cache.hash : await moduleHash(task)) : null;
  const key = cache && hash !== null ? planCacheKey(task, hash, totalItems) : null;
  const cached = cache && key !== null ? await trustedEntry(cache, key, warnings) : null;
  if (cached === null) return sampled(await sample(), cache, key, warnings, totalItems === null);
  const check: { why: string | null } = { why: null };
  const probed = await sample((first) => {
    check.why = contradiction(cached, first);
    return check.why === null;
  });
  if (check.why !== null) {
    warnings.push({
      code: "PLAN_CACHE_CONTRADICTED",
      message: `Ignored the plan cache: ${check.why}; sampled again.`,
    });
    return sampled(probed, cache, key, warnings, totalItems === null);
  }
  const { data: rejoined, precomputed, failures, timedItems, unsendable } = probed;
  // An input whose length was not known ahead may have ended while the cached figures were checked.
  const workload = { ...cached, totalItems: totalItems ?? probed.workload.totalItems ?? null };
  return {
    workload,
    workloadSource: "cached",
    ...(cache && key !== null ? { cacheEntry: { dir: cache.dir, key } } : {}),
    data: rejoined,
    precomputed,
    failures,
    ...(unsendable === undefined ? {} : { unsendable }),
    warnings,
    ...(timedItems === undefined ? {} : { timedItems }),
  };
}

/** The cached workload under `key` when it can be trusted; a warning says why not, except for a plain miss. */
async function trustedEntry(
  cache: PlanCacheUse,
  key: string,
  warnings: Warning[],
): Promise<WorkloadSample | null> {
  const read = await readPlanCache(cache.dir, key, cache.machineKey);
  const problem =
    read.status === "hit"
      ? implausibleWorkload(read.entry.workload)
      : read.status === "miss"
        ? null
        : read.detail;
  if (read.status === "hit" && problem === null)
    return withHeldContention(
      read.entry.workload,
      () => currentLoadPerCore(cache.machineKey.usableCores),
      warnings,
    );
  if (problem !== null) {
    const detail =
      read.status === "hit" ? `the cached plan holds an implausible figure: ${problem}` : problem;
    warnings.push({
      code: "PLAN_CACHE_IGNORED",
      message: `Ignored the plan cache: ${detail}; sampled again.`,
    });
  }
  return null;
}

/**
 * Whether a workers' slowdown holds at `loadNow` (per usable core): it was measured with
 * the load recorded, in the same band (see `loadChanged`). One measured beside other
 * processes' work says nothing of the quiet machine, nor the other way round.
 */
export function contentionHolds(
  contention: NonNullable<WorkloadSample["contention"]>,
  loadNow: number,
): boolean {
  return contention.loadPerCore !== undefined && !loadChanged(contention.loadPerCore, loadNow);
}

/**
 * The cached figures, without the workers' slowdown where it does not hold at today's load
 * (see `contentionHolds`): measured beside other processes' work, or before the load was
 * recorded with it, it would keep the task serial on a quiet machine (a factor of 2.33
 * made every plan of a 200 ms task serial, where two workers ran it in 104 ms). A warning
 * says so; the rest of the entry stands. `loadPerCore`: the load now (see
 * `currentLoadPerCore`), read only for an entry that holds a slowdown.
 */
export function withHeldContention(
  workload: WorkloadSample,
  loadPerCore: () => number,
  warnings: Warning[],
): WorkloadSample {
  const { contention, ...rest } = workload;
  if (contention === undefined) return workload;
  const loadNow = loadPerCore();
  if (contentionHolds(contention, loadNow)) return workload;
  const then =
    contention.loadPerCore === undefined
      ? "with no load recorded"
      : `at a load of ${contention.loadPerCore.toFixed(2)} per core`;
  warnings.push({
    code: "PLAN_CACHE_CONTENTION_IGNORED",
    message:
      `The cached slowdown of workers computing at once (x${contention.factor.toFixed(2)}) was measured ${then}, ` +
      `${loadNow.toFixed(2)} now: not used (the plan charges none, and a session measures it again).`,
  });
  return rest;
}

/**
 * A fresh sample's figures, written to the cache. Not written: an input that turned out
 * empty (it says nothing), and an input of unknown length that ended while sampled. Such
 * a source ran whole in the sample, a few items, the first cold; its entry stood for
 * every later stream of the task, whatever its length: five items of `x * 2` read at
 * 1.8 us each planned a generator of 1,000 on two workers, 100 ms against 0.4 ms for a
 * loop, and no run corrects a plan that short (see `dropContradictedFigures`).
 */
async function sampled(
  result: SampleResult,
  cache: PlanCacheUse | null,
  key: string | null,
  warnings: Warning[],
  unknownLength: boolean,
): Promise<MeasuredWorkload> {
  if (result.cutOff !== undefined) {
    const { first, length, ms } = result.cutOff;
    const which = length === 1 ? `item ${first}` : `items ${first}..${first + length - 1}`;
    warnings.push({
      code: "SAMPLE_CUT_OFF",
      message:
        `Sampling stopped waiting for ${which} after ${Math.round(ms)} ms: the plan takes ${length === 1 ? "it" : "them"} ` +
        `as at least that slow (a lower bound), and the figures are not cached.`,
    });
  } else if (
    cache &&
    cache.write !== false &&
    key !== null &&
    result.workload.sampled > 0 &&
    !(unknownLength && result.workload.totalItems !== null) &&
    // Items no worker can take keep the call here; a call that reads these figures from the
    // cache samples one unit and could send such items to workers: not written.
    (result.unsendable?.size ?? 0) === 0
  ) {
    const error = await writePlanCache(cache.dir, key, cache.machineKey, result.workload);
    if (error !== null) {
      warnings.push({
        code: "PLAN_CACHE_UNWRITABLE",
        message: `Could not write the plan cache in ${cache.dir}: ${error}`,
      });
    }
  }
  const { workload, data, precomputed, failures, timedItems, basisMs, unsendable } = result;
  return {
    workload,
    workloadSource: "sampled",
    data,
    precomputed,
    failures,
    ...(unsendable === undefined ? {} : { unsendable }),
    warnings,
    ...(timedItems === undefined ? {} : { timedItems }),
    ...(basisMs === undefined ? {} : { basisMs }),
  };
}

/** The workload with its item times scaled by `scale` (the mean, median, p90 and largest alike). */
export function scaledItemTimes(workload: WorkloadSample, scale: number): WorkloadSample {
  const t = workload.itemTimeMs;
  return {
    ...workload,
    itemTimeMs: {
      ...t,
      mean: t.mean * scale,
      median: t.median * scale,
      p90: t.p90 * scale,
      max: t.max * scale,
    },
  };
}
