// Sampled items that cannot cross to a worker (an item holding a function, a result that
// is a class with private state...): what they mean depends on where the call runs.
import type { CloneError } from "@amorsize/executor";
import type { OptimizeOptions, Plan, PlanConstraints } from "@amorsize/types";
import { isolated } from "./prepare.js";
import { isClassLoss } from "./sampling/clone-class.js";

/** A plan's reason when it keeps a call in the calling thread for items that cannot cross. */
export const UNSENDABLE_CODE = "ITEMS_NOT_SENDABLE";

/** What sampling kept: results, failures, and the items that cannot cross (see `SampleResult.unsendable`). */
export interface Sampled {
  precomputed: Map<number, unknown>;
  failures: Map<number, unknown>;
  unsendable?: ReadonlyMap<number, CloneError> | undefined;
}

/** How a call plans around items that cannot cross: none, the calling thread, or not at all. */
export type UnsendablePlan =
  | { kind: "none" }
  /** Plan with these constraints (no workers), and put `reason` first among the plan's. */
  | { kind: "here"; constraints: PlanConstraints; reason: { code: string; message: string } };

/**
 * What sampled items that cannot cross to a worker mean for a call. A worker cannot be
 * sent them, nor send their results back, but the calling thread ran them as a loop would:
 * the call runs there (serially, or concurrently for a task that waits), whatever the
 * figures say of workers, with a reason that names the first such item. A plain loop ran
 * `[() => 1, () => 2, 3].map(f)`; the optimizer rejected it with a CloneError for item 1,
 * which no worker was ever to receive.
 *
 * When the caller asked for workers (`isolate`, `chunkTimeoutMs`, `resourceLimits`, a run
 * backend), the items fail as a run there fails them: under "throw" the lowest index's
 * CloneError is thrown; under "collect" each joins `failures`, its result dropped. Pure but
 * for those two maps.
 */
export function unsendablePlan(
  sampled: Sampled,
  options: OptimizeOptions & { backend?: unknown; onError?: "throw" | "collect" | undefined },
  constraints: PlanConstraints,
): UnsendablePlan {
  const { unsendable } = sampled;
  if (unsendable === undefined || unsendable.size === 0) return { kind: "none" };
  const workersAsked = isolated(options) || options.backend !== undefined;
  // Values a clone gives as another class cross as that class there, as at every index
  // sampling did not run: where the caller asked for workers, they are no failure, and
  // such an item sampled here runs again there, so that it gets (and gives) what every
  // other item does.
  const indices = [...unsendable.keys()]
    .filter((index) => {
      if (!workersAsked || !isClassLoss(unsendable.get(index)!)) return true;
      sampled.precomputed.delete(index);
      return false;
    })
    .sort((a, b) => a - b);
  if (indices.length === 0) return { kind: "none" };
  if (workersAsked) {
    if (options.onError !== "collect") throw unsendable.get(indices[0]!)!;
    for (const index of indices) {
      sampled.precomputed.delete(index);
      sampled.failures.set(index, unsendable.get(index));
    }
    return { kind: "none" };
  }
  // No fixed worker count or chunk size: there are no workers to size.
  const here: PlanConstraints = { ...constraints, maxWorkers: 1 };
  delete here.workers;
  delete here.chunkSize;
  const first = unsendable.get(indices[0]!)!;
  const more = indices.length > 1 ? ` (and ${indices.length - 1} more sampled)` : "";
  return {
    kind: "here",
    constraints: here,
    reason: {
      code: UNSENDABLE_CODE,
      message: `${first.message.replace(/\.$/, "")}${more}; the call runs in the calling thread, where nothing is copied.`,
    },
  };
}

/**
 * {@link unsendablePlan} for prepared figures: how the call plans, and the constraints it
 * plans with (the caller's, or those that keep it in the calling thread).
 */
export function plannedAround(
  prepared: Sampled & { constraints: PlanConstraints },
  options: Parameters<typeof unsendablePlan>[1],
): { how: UnsendablePlan; constraints: PlanConstraints } {
  const how = unsendablePlan(prepared, options, prepared.constraints);
  return { how, constraints: how.kind === "here" ? how.constraints : prepared.constraints };
}

/** `plan` with the reason of `how` first, when it kept the call in the calling thread. */
export function withUnsendableReason(plan: Plan, how: UnsendablePlan): Plan {
  return how.kind === "here" ? { ...plan, reasons: [how.reason, ...plan.reasons] } : plan;
}
