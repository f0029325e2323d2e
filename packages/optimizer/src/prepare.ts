// What every decision rests on, gathered once: the task (checked), the machine, what
// parallelism costs here, and the task's per-item figures.
import { performance } from "node:perf_hooks";
import { importTask, type ResolvedTask, resolveTask } from "@amorsize/executor";
import { probeHardware } from "@amorsize/hardware-probe";
import { defaultCacheDir, measureSpawnCost } from "@amorsize/spawn-cost";
import {
  type HardwareProfile,
  type OptimizeOptions,
  type PlanConstraints,
  PlanConstraintsSchema,
  type SpawnCostProfile,
  type TaskRefInput,
  type WorkloadSample,
} from "@amorsize/types";
import { emptyWorkload, sampleTask, type TaskData } from "./sample.js";
import { cachedOrSampled, type MeasuredWorkload } from "./workload.js";

/** The machine and the caller's limits, as the cost model takes them. */
export interface Machine {
  hardware: HardwareProfile;
  spawnCost: SpawnCostProfile;
  constraints: PlanConstraints;
}

export interface Prepared extends MeasuredWorkload, Machine {
  task: ResolvedTask;
  /** Milliseconds spent on each step. */
  overheadMs: { probe: number; spawnCost: number; sample: number };
}

/** What execute() and stream() pass beyond the public options. */
export interface PrepareHooks {
  onError?: "throw" | "collect";
  signal?: AbortSignal;
  /** Told the first sampled item's time, with the machine and the item count, while sampling goes on. */
  onFirstTiming?: (itemMs: number, machine: Machine, totalItems: number | null) => void;
  /** Keep what was read of a source that failed while sampled (see `SampleTaskOptions`). */
  deferSourceError?: boolean;
}

/** The hooks sampling is run with: the caller's, and the plan cache's check of its figures. */
interface SampleHooks extends PrepareHooks {
  confirms?: ((first: WorkloadSample) => boolean) | undefined;
}

/** The caller's plan constraints, as the model takes them. */
export function constraintsOf(options: OptimizeOptions): PlanConstraints {
  const constraints: PlanConstraints = {};
  for (const key of Object.keys(PlanConstraintsSchema.shape) as (keyof PlanConstraints)[]) {
    if (options[key] !== undefined) (constraints as Record<string, unknown>)[key] = options[key];
  }
  return constraints;
}

/** The item count, when the input says it or the caller does; null for a stream. */
export function knownLength(data: TaskData, totalItems: number | undefined): number | null {
  if (Array.isArray(data)) return data.length;
  if (ArrayBuffer.isView(data) && !(data instanceof DataView))
    return (data as unknown as ArrayLike<unknown>).length;
  return totalItems ?? null;
}

/**
 * Checks the task (a task that cannot load fails now, before anything is probed or
 * started), probes the machine, reads or measures the spawn cost, and reads the task's
 * figures from the plan cache or samples them. `options` are parsed already.
 */
export async function prepare(
  task: TaskRefInput,
  data: TaskData,
  options: OptimizeOptions,
  hooks: PrepareHooks = {},
): Promise<Prepared> {
  const t0 = performance.now();
  const resolved = resolveTask(task);
  await importTask(resolved);
  const hardware = await probeHardware(options.hardware);
  const t1 = performance.now();
  const dir = options.cacheDir ?? defaultCacheDir();
  // `cache` is the plan cache's switch; the spawn-cost cache has its own (`spawnCost.cache`),
  // so a cold plan still rests on the machine's cached costs.
  const spawnCost = await measureSpawnCost({ ...options.spawnCost, hardware, cacheDir: dir });
  const t2 = performance.now();
  const machine: Machine = { hardware, spawnCost, constraints: constraintsOf(options) };
  const total = knownLength(data, options.totalItems);
  const measured =
    total === 0
      ? emptyInput(data)
      : await cachedOrSampled(
          resolved,
          data,
          total,
          options.cache === false ? null : { dir, machineKey: spawnCost.machineKey },
          (confirms) => sample(resolved, data, options, machine, total, { ...hooks, confirms }),
        );
  const t3 = performance.now();
  return {
    ...measured,
    ...machine,
    task: resolved,
    overheadMs: { probe: t1 - t0, spawnCost: t2 - t1, sample: t3 - t2 },
  };
}

/** Nothing to run: no sampling, no pool. */
function emptyInput(data: TaskData): MeasuredWorkload {
  const none = { precomputed: new Map(), failures: new Map(), warnings: [] };
  return { workload: emptyWorkload(), workloadSource: "sampled", data, ...none };
}

function sample(
  task: ResolvedTask,
  data: TaskData,
  options: OptimizeOptions,
  machine: Machine,
  total: number | null,
  hooks: SampleHooks,
) {
  const { onFirstTiming, signal, deferSourceError, confirms } = hooks;
  const { maxWorkers } = machine.constraints;
  return sampleTask(task, data, {
    ...options.sample,
    onError: hooks.onError ?? "throw",
    parallelism: Math.min(machine.hardware.cores.usable.value, maxWorkers ?? Number.POSITIVE_INFINITY),
    ...(signal ? { signal } : {}),
    ...(deferSourceError ? { deferSourceError } : {}),
    ...(confirms ? { confirms } : {}),
    ...(options.totalItems === undefined ? {} : { totalItems: options.totalItems }),
    ...(onFirstTiming ? { onFirstTiming: (itemMs: number) => onFirstTiming(itemMs, machine, total) } : {}),
  });
}
