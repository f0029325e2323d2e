import { performance } from "node:perf_hooks";
import { planExecution } from "@amorsize/cost-model";
import { probeHardware } from "@amorsize/hardware-probe";
import { defaultCacheDir, measureSpawnCost } from "@amorsize/spawn-cost";
import {
  type HardwareProfile,
  type OptimizeOptions,
  OptimizeOptionsSchema,
  type Plan,
  parseInput,
  type SpawnCostProfile,
  type TaskRefInput,
  type Warning,
  type WorkloadSample,
} from "@amorsize/types";
import { moduleHash, planCacheKey, readPlanCache, writePlanCache } from "./plan-cache.js";
import { emptyWorkload, sampleTask, type TaskData } from "./sample.js";
import { loadTask, type ResolvedTask, resolveTask } from "./task.js";

/** Where the optimizer's own time went, milliseconds. */
export interface OptimizerOverhead {
  probe: number;
  spawnCost: number;
  sample: number;
  plan: number;
  total: number;
}

/** A plan and everything it rested on. */
export interface OptimizeResult {
  plan: Plan;
  task: ResolvedTask;
  hardware: HardwareProfile;
  spawnCost: SpawnCostProfile;
  workload: WorkloadSample;
  /** `sampled` now, or `cached` from an earlier run of the same task and input size. */
  workloadSource: "sampled" | "cached";
  /** Use this instead of the original input: the same items, with a sampled iterator re-joined. */
  data: TaskData;
  /** Results of items sampled in this thread, by input index; reuse them instead of running those items again. */
  precomputed: Map<number, unknown>;
  /** Items that threw while sampled (`onError: "collect"`), by input index. */
  failures: Map<number, unknown>;
  overheadMs: OptimizerOverhead;
  /** Problems that did not stop the optimizer (the plan cache could not be written, ...). */
  warnings: Warning[];
}

/** @internal: what execute() passes on top of the public options. */
export interface InternalOptimizeOptions {
  onError?: "throw" | "collect";
  signal?: AbortSignal;
  /** Told the first sampled item time, with the machine and the item count (execute() starts workers early). */
  onFirstTiming?: (itemMs: number, hardware: HardwareProfile, totalItems: number | null) => void;
}

function knownLength(data: TaskData, totalItems: number | undefined): number | null {
  if (Array.isArray(data)) return data.length;
  if (ArrayBuffer.isView(data) && !(data instanceof DataView))
    return (data as unknown as ArrayLike<unknown>).length;
  return totalItems ?? null;
}

/**
 * Decides how to run `task` over `data`: probes the machine, reads (or measures) what
 * parallelism costs here, samples the task on a few items (or reuses a cached sample),
 * and lets the cost model search for the fastest plan.
 */
export async function optimize(
  task: TaskRefInput,
  data: TaskData,
  options: OptimizeOptions = {},
  internal: InternalOptimizeOptions = {},
): Promise<OptimizeResult> {
  const t0 = performance.now();
  const parsed = parseInput(OptimizeOptionsSchema, options, "options");
  const resolved = resolveTask(task);
  // A task that cannot load fails now, before probing, measuring or starting anything.
  await loadTask(resolved);
  const warnings: Warning[] = [];
  const {
    sample,
    cache = true,
    cacheDir,
    hardware: probeOptions,
    spawnCost: spawnOptions,
    totalItems,
    ...constraints
  } = parsed;

  const hardware = await probeHardware(probeOptions);
  const t1 = performance.now();
  const dir = cacheDir ?? defaultCacheDir();
  // `cache` is the plan cache's switch; the spawn-cost cache has its own (`spawnCost.cache`),
  // so a cold plan still rests on the machine's cached costs.
  const spawnCost = await measureSpawnCost({ ...spawnOptions, hardware, cacheDir: dir });
  const t2 = performance.now();

  const total = knownLength(data, totalItems);
  if (total === 0) {
    // Nothing to run: no sampling, no pool. The task is still checked, so a typo fails now.
    await loadTask(resolved);
    const workload = emptyWorkload();
    const t3 = performance.now();
    return {
      plan: emptyPlan(),
      task: resolved,
      hardware,
      spawnCost,
      workload,
      workloadSource: "sampled",
      data,
      precomputed: new Map(),
      failures: new Map(),
      overheadMs: { probe: t1 - t0, spawnCost: t2 - t1, sample: 0, plan: t3 - t2, total: t3 - t0 },
      warnings,
    };
  }
  let workload: WorkloadSample | null = null;
  let workloadSource: OptimizeResult["workloadSource"] = "sampled";
  let key: string | null = null;
  if (cache) {
    const hash = await moduleHash(resolved);
    if (hash !== null) {
      key = planCacheKey(resolved, hash, total);
      const read = await readPlanCache(dir, key, spawnCost.machineKey);
      if (read.status === "hit") {
        workload = { ...read.entry.workload, totalItems: total };
        workloadSource = "cached";
      } else if (read.status !== "miss") {
        warnings.push({
          code: "PLAN_CACHE_IGNORED",
          message: `Ignored the plan cache: ${read.detail}; sampled again.`,
        });
      }
    }
  }

  let rejoined: TaskData = data;
  let precomputed = new Map<number, unknown>();
  let failures = new Map<number, unknown>();
  if (workload === null) {
    const sampled = await sampleTask(resolved, data, {
      ...sample,
      onError: internal.onError ?? "throw",
      parallelism: Math.min(hardware.cores.usable.value, constraints.maxWorkers ?? Number.POSITIVE_INFINITY),
      ...(internal.signal ? { signal: internal.signal } : {}),
      ...(totalItems === undefined ? {} : { totalItems }),
      ...(internal.onFirstTiming
        ? { onFirstTiming: (itemMs: number) => internal.onFirstTiming?.(itemMs, hardware, total) }
        : {}),
    });
    workload = sampled.workload;
    rejoined = sampled.data;
    precomputed = sampled.precomputed;
    failures = sampled.failures;
    // An input that turned out empty says nothing about the task: nothing to cache.
    if (cache && key !== null && workload.sampled > 0) {
      const error = await writePlanCache(dir, key, spawnCost.machineKey, workload);
      if (error !== null) {
        warnings.push({
          code: "PLAN_CACHE_UNWRITABLE",
          message: `Could not write the plan cache in ${dir}: ${error}`,
        });
      }
    }
  }
  const t3 = performance.now();

  // A source that turned out empty while sampling runs nothing.
  const plan =
    workload.totalItems === 0 ? emptyPlan() : planExecution({ hardware, spawnCost, workload, constraints });
  const t4 = performance.now();
  return {
    plan,
    task: resolved,
    hardware,
    spawnCost,
    workload,
    workloadSource,
    data: rejoined,
    precomputed,
    failures,
    overheadMs: { probe: t1 - t0, spawnCost: t2 - t1, sample: t3 - t2, plan: t4 - t3, total: t4 - t0 },
    warnings,
  };
}

/** The plan for an empty input: serial, nothing to do. */
function emptyPlan(): Plan {
  const zero = {
    startupMs: 0,
    mainThreadMs: 0,
    computeMs: 0,
    oversubscriptionMs: 0,
    chunkOverheadMs: 0,
    imbalanceMs: 0,
    pipelineFillMs: 0,
    totalMs: 0,
  };
  return {
    mode: "serial",
    totalItems: 0,
    predicted: { wallMs: 0, serialMs: 0, speedup: 1, breakdown: zero },
    reasons: [{ code: "NO_ITEMS", message: "The input is empty: there is nothing to run." }],
    warnings: [],
    candidatesEvaluated: 0,
    alternatives: [],
  };
}
