// A session's learned call run at once: the serial plan it made for this shape, the items
// run by the executor's mapNow(), and the same result execute() gives.
import { mapNow, type ResolvedTask } from "@amorsize/executor";
import type {
  ExecuteOptions,
  HardwareProfile,
  Plan,
  SpawnCostProfile,
  WorkloadSample,
} from "@amorsize/types";
import type { ExecuteResult, Planned } from "./execute.js";
import { isolated } from "./prepare.js";
import { planCheck } from "./report.js";

/**
 * A serial plan predicted to take at most this long, milliseconds, runs at once in the
 * calling thread (`mapNow()`): the event loop waits that long at most, as it does for one
 * time slice of the serial executor, which gives it a turn every 10 ms. A call of ten
 * 50 us items is 0.5 ms of work; a serial run's set-up, and deciding again, would cost
 * such a call more than its items.
 */
export const QUICK_MAX_MS = 10;

/**
 * Whether a call may run at once when its plan allows: an array, and no option that needs
 * the full run (isolation in a worker, progress reports, a run backend).
 */
export function quickInput(data: unknown, options: ExecuteOptions): data is readonly unknown[] {
  return (
    Array.isArray(data) &&
    data.length > 0 &&
    options.onProgress === undefined &&
    options.backend === undefined &&
    !isolated(options)
  );
}

/** Whether a plan runs at once: serial, and predicted within {@link QUICK_MAX_MS}. */
export function runsAtOnce(plan: Plan): boolean {
  return plan.mode === "serial" && plan.predicted.wallMs <= QUICK_MAX_MS;
}

/** What a learned call rests on: the task, the machine, the profile's figures and the plan made for them. */
export interface QuickCall {
  task: ResolvedTask;
  hardware: HardwareProfile;
  spawnCost: SpawnCostProfile;
  workload: WorkloadSample;
  planned: Planned;
}

/**
 * Runs `items` as `call.planned` says (serially, at once) and returns what execute()
 * returns: the results, the run's report, the plan and its check against the run, and
 * the time spent deciding (from `start`), all of it planning: nothing was probed or sampled.
 */
export async function runQuick<R>(
  call: QuickCall,
  items: readonly unknown[],
  options: ExecuteOptions,
  start: number,
): Promise<ExecuteResult<R>> {
  const { plan, wholeSerialMs } = call.planned;
  const runStart = performance.now();
  const { results, errors, report } = await mapNow<R>(call.task, items, {
    ...(options.onError ? { onError: options.onError } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const times = { start, runStart, runEnd: performance.now() };
  const decidedMs = runStart - start;
  const overheadMs = { probe: 0, spawnCost: 0, sample: 0, plan: decidedMs, total: decidedMs };
  const { task, hardware, spawnCost, workload } = call;
  return {
    results,
    errors,
    plan,
    report,
    check: planCheck(plan.predicted, wholeSerialMs, times),
    overheadMs,
    wallMs: times.runEnd - start,
    optimized: { task, hardware, spawnCost, workload, workloadSource: "cached", overheadMs, warnings: [] },
  };
}
