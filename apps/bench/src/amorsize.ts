/**
 * The slice of the Amorsize packages the benchmark uses. The bench is the
 * packages' consumer, so it states here, in one place, exactly which calls it
 * relies on; the harness takes them as an `AmorsizeApi`, so its tests can pass a
 * stand-in.
 */
import { createExecutor } from "@amorsize/executor";
import { probeHardware } from "@amorsize/hardware-probe";
import { execute } from "@amorsize/optimizer";
import { measureSpawnCost } from "@amorsize/spawn-cost";
import type { ExecutionReport, HardwareProfile, Plan, RunOptions, TaskRefInput } from "@amorsize/types";

/** The result of the executor's `map()`. */
export interface MapResult {
  results: unknown[];
  errors: unknown[];
  report: ExecutionReport;
}

/** An executor from `createExecutor()`. */
export interface Executor {
  map(task: TaskRefInput, items: readonly unknown[], options?: RunOptions): Promise<MapResult>;
  close(): Promise<void>;
}

/** The result of the optimizer's `execute()`. */
export interface ExecuteResult extends MapResult {
  /** The plan taken; `plan.predicted` holds the predicted wall time and speedup over serial. */
  plan: Plan;
  /** `filled`: of `sample`, items the calling thread ran for the run while a warm-up probe ran. */
  overheadMs: {
    probe: number;
    spawnCost: number;
    sample: number;
    plan: number;
    total: number;
    filled?: number;
  };
  /** End to end, optimizing included, milliseconds. */
  wallMs: number;
  /**
   * The run's predicted wall time (`predictedWallMs`, for the items sampling left), and
   * the end-to-end prediction made once deciding was done: the measured time spent
   * deciding plus the predicted run, and the model's serial estimate over it.
   */
  check: { predictedWallMs: number; endToEnd: { predictedMs: number; predictedSpeedup: number } };
}

/** The calls the benchmark makes. */
export interface AmorsizeApi {
  createExecutor(
    options: { mode: "parallel"; workers: number } | { mode: "serial"; concurrency?: number },
  ): Executor | Promise<Executor>;
  execute(
    task: TaskRefInput,
    data: readonly unknown[],
    options?: { cache?: boolean; spawnCost?: { cache?: boolean }; warmup?: { cache?: boolean } },
  ): Promise<ExecuteResult>;
  probeHardware(): Promise<HardwareProfile>;
  measureSpawnCost(): Promise<unknown>;
}

/**
 * The real packages. Imported statically so that the compiler checks them
 * against the calls above: a change to their API breaks the bench's build, not
 * its run.
 */
export const amorsize: AmorsizeApi = {
  createExecutor,
  execute: (task, data, options) => execute(task, data, options),
  probeHardware: () => probeHardware(),
  measureSpawnCost: () => measureSpawnCost(),
};
