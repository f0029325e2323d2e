import type { ResolvedTask } from "@amorsize/executor";
import type { MachineKey, Warning, WorkloadSample } from "@amorsize/types";
import { moduleHash, planCacheKey, readPlanCache, writePlanCache } from "./plan-cache.js";
import type { SampleResult, TaskData } from "./sample.js";

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
  /** Problems with the plan cache, which never stop the optimizer. */
  warnings: Warning[];
}

/** Where the plan cache is, and the machine its entries must come from. */
export interface PlanCacheUse {
  dir: string;
  machineKey: MachineKey;
}

/**
 * The task's per-item figures from the plan cache, or from `sample()` (then written to
 * the cache). Anything wrong with the cache costs a warning and a sample, never the run.
 */
export async function cachedOrSampled(
  task: ResolvedTask,
  data: TaskData,
  totalItems: number | null,
  cache: PlanCacheUse | null,
  sample: () => Promise<SampleResult>,
): Promise<MeasuredWorkload> {
  const warnings: Warning[] = [];
  const hash = cache ? await moduleHash(task) : null;
  const key = hash === null ? null : planCacheKey(task, hash, totalItems);
  if (cache && key !== null) {
    const read = await readPlanCache(cache.dir, key, cache.machineKey);
    if (read.status === "hit") {
      const workload = { ...read.entry.workload, totalItems };
      return {
        workload,
        workloadSource: "cached",
        data,
        precomputed: new Map(),
        failures: new Map(),
        warnings,
      };
    }
    if (read.status !== "miss") {
      warnings.push({
        code: "PLAN_CACHE_IGNORED",
        message: `Ignored the plan cache: ${read.detail}; sampled again.`,
      });
    }
  }
  const sampled = await sample();
  // An input that turned out empty says nothing about the task: nothing to cache.
  if (cache && key !== null && sampled.workload.sampled > 0) {
    const error = await writePlanCache(cache.dir, key, cache.machineKey, sampled.workload);
    if (error !== null) {
      warnings.push({
        code: "PLAN_CACHE_UNWRITABLE",
        message: `Could not write the plan cache in ${cache.dir}: ${error}`,
      });
    }
  }
  const { workload, data: rejoined, precomputed, failures } = sampled;
  return { workload, workloadSource: "sampled", data: rejoined, precomputed, failures, warnings };
}
