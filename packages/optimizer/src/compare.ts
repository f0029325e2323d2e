// What `amorsize compare` runs and how it reports it, as pure functions of plain data.
import { predict } from "@amorsize/cost-model";
import { type CompareRow, type Plan, type PlanInput, RUN_CONSTANTS } from "@amorsize/types";

/** One way to run the input: in the calling thread, as the plan says, or on a pool of fixed size. */
export interface Strategy {
  name: string;
  /** `serial`: a plain loop here; `plan`: the plan as it is; `pool`: `workers` and `chunkSize`. */
  kind: "serial" | "plan" | "pool";
  workers: number;
  chunkSize: number | null;
}

/**
 * The strategies compared: serial, the plan, one task per item on every logical core,
 * four chunks per worker on the usable cores, and (for a parallel plan) its neighbours.
 * The plan runs as `execute()` would run it (an adaptive plan's chunks adapt); a fixed pool
 * that is the same as a fixed plan is left out (a 2 x 128 plan was timed twice, 456 and
 * 362 ms, and read as two strategies).
 */
export function compareStrategies(
  plan: Plan,
  items: number,
  usableCores: number,
  logicalCores: number,
): Strategy[] {
  const pool = (name: string, workers: number, chunkSize: number): Strategy => ({
    name,
    kind: "pool",
    workers,
    chunkSize,
  });
  const strategies: Strategy[] = [{ name: "serial", kind: "serial", workers: 0, chunkSize: null }];
  if (plan.mode === "parallel") {
    strategies.push({
      name: "amorsize plan",
      kind: "plan",
      workers: plan.workers,
      chunkSize: plan.chunkSize,
    });
  } else strategies.push({ name: `amorsize plan (${plan.mode})`, kind: "plan", workers: 0, chunkSize: null });
  const others = [
    pool("one task per item", logicalCores, 1),
    pool("four chunks per worker", usableCores, Math.max(1, Math.ceil(items / (4 * usableCores)))),
  ];
  if (plan.mode === "parallel") {
    if (plan.chunkSize > 1)
      others.push(pool("plan, chunk / 4", plan.workers, Math.max(1, Math.floor(plan.chunkSize / 4))));
    if (plan.chunkSize < items)
      others.push(pool("plan, chunk x 4", plan.workers, Math.min(items, plan.chunkSize * 4)));
    if (plan.workers !== usableCores) others.push(pool("plan, usable cores", usableCores, plan.chunkSize));
  }
  // A fixed pool runs with the executor's default chunks in flight; a plan that keeps
  // another number in flight (fewer, for memory) is another strategy, timed too.
  const samePool = (s: Strategy) =>
    plan.mode === "parallel" &&
    !plan.adaptive &&
    s.workers === plan.workers &&
    s.chunkSize === plan.chunkSize &&
    plan.maxInFlight === s.workers * RUN_CONSTANTS.inFlightPerWorker;
  strategies.push(...others.filter((s) => !samePool(s)));
  return strategies;
}

/** The model's predicted wall time of a strategy. */
export function predictedMs(strategy: Strategy, plan: Plan, input: PlanInput): number {
  switch (strategy.kind) {
    case "serial":
      return plan.predicted.serialMs;
    case "plan":
      return plan.predicted.wallMs;
    case "pool":
      return predict(input, { workers: strategy.workers, chunkSize: strategy.chunkSize ?? 1 }).wallMs;
  }
}

/** The median of a non-empty list (the lower one of the middle two). */
export function median(xs: readonly number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
}

/** One row per strategy: the predicted time, the median measured time, and serial's median over it. */
export function compareRows(
  strategies: readonly Strategy[],
  predicted: readonly number[],
  times: readonly (readonly number[])[],
): CompareRow[] {
  const serial = median(times[strategies.findIndex((s) => s.kind === "serial")]!);
  return strategies.map((s, i) => {
    const measuredMs = median(times[i]!);
    return {
      strategy: s.name,
      workers: s.workers,
      chunkSize: s.chunkSize,
      predictedMs: predicted[i]!,
      measuredMs,
      speedup: serial / measuredMs,
    };
  });
}
