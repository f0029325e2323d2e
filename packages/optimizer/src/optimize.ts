import { performance } from "node:perf_hooks";
import { planExecution } from "@amorsize/cost-model";
import type { ResolvedTask } from "@amorsize/executor";
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
import { type Prepared, prepare } from "./prepare.js";
import type { TaskData } from "./sample.js";
import { plannedAround, withUnsendableReason } from "./unsendable.js";

/** Where the optimizer's own time went, milliseconds. */
export interface OptimizerOverhead {
  probe: number;
  spawnCost: number;
  sample: number;
  /**
   * Of `sample`, time this thread spent running items of the run while a warm-up probe ran
   * in a fresh worker (their results are kept: work done, not spent deciding); absent when
   * it ran none.
   */
  filled?: number;
  plan: number;
  total: number;
}

/** A plan and everything it rested on. */
export interface OptimizeResult {
  plan: Plan;
  /** The task as resolved by `@amorsize/executor` (`href`, `exportName`, `key`). */
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

/**
 * Decides how to run `task` over `data`: probes the machine, reads (or measures) what
 * parallelism costs here, samples the task on a few items (or reuses a cached sample),
 * and lets the cost model search for the fastest plan for every item.
 */
export async function optimize(
  task: TaskRefInput,
  data: TaskData,
  options: OptimizeOptions = {},
): Promise<OptimizeResult> {
  const t0 = performance.now();
  const parsed = parseInput(OptimizeOptionsSchema, options, "options");
  const prepared = await prepare(task, data, parsed, { bounded: true });
  const t1 = performance.now();
  const { hardware, spawnCost, workload } = prepared;
  // Sampled items no worker can take: the plan stays here, or (when it needs workers) they fail.
  const { how, constraints } = plannedAround(prepared, parsed);
  const plan = withUnsendableReason(planExecution({ hardware, spawnCost, workload, constraints }), how);
  const t2 = performance.now();
  const { data: rejoined, precomputed, failures } = prepared;
  return {
    plan,
    data: rejoined,
    precomputed,
    failures,
    ...basisOf(prepared, { plan: t2 - t1, total: t2 - t0 }),
  };
}

/** What a plan rested on: the task, the machine, the task's figures and the optimizer's own time. */
export type OptimizeBasis = Omit<OptimizeResult, "plan" | "data" | "precomputed" | "failures">;

/** The basis of a prepared decision, with the time planning took and the total. */
export function basisOf(prepared: Prepared, times: Pick<OptimizerOverhead, "plan" | "total">): OptimizeBasis {
  const { task, hardware, spawnCost, workload, workloadSource, warnings } = prepared;
  const overheadMs = { ...prepared.overheadMs, ...times };
  return { task, hardware, spawnCost, workload, workloadSource, overheadMs, warnings };
}
