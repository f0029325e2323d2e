// When sampling stops. Pure functions of plain data: the driver passes the time spent.
import { unitMean } from "./stats.js";

export const SAMPLE_DEFAULTS = { minItems: 3, maxItems: 32, budgetMs: 60 } as const;

/**
 * At most this share of the job's estimated time goes to sampling (known item count). The
 * job's time is its serial time spread over the cores it may use: sampling runs in this
 * thread while the run will not, so on 16 cores a share of the serial time would be 16
 * times that share of the run.
 */
export const SAMPLE_SHARE = 0.03;
/** Stop once this many units give a mean with a relative standard error under PRECISE_ERROR. */
export const PRECISE_UNITS = 8;
export const PRECISE_ERROR = 0.05;

export interface SampleLimits {
  minItems: number;
  maxItems: number;
  budgetMs: number;
  /** Items in the whole input, when known. */
  expectedTotal: number | null;
  /** Cores the run may use. */
  parallelism: number;
}

/** The limits from the caller's options: defaults filled, `minItems` at most `maxItems`. */
export function resolveLimits(
  options: { minItems?: number | undefined; maxItems?: number | undefined; budgetMs?: number | undefined },
  expectedTotal: number | null,
  parallelism: number,
): SampleLimits {
  const maxItems = options.maxItems ?? SAMPLE_DEFAULTS.maxItems;
  const minItems = Math.min(options.minItems ?? SAMPLE_DEFAULTS.minItems, maxItems);
  return {
    minItems,
    maxItems,
    budgetMs: options.budgetMs ?? SAMPLE_DEFAULTS.budgetMs,
    expectedTotal,
    parallelism,
  };
}

/** Where sampling stands: units timed, time spent, and each unit's per-item own time. */
export interface SampleProgress {
  units: number;
  elapsedMs: number;
  unitTimes: readonly number[];
}

export type StopReason = "max-items" | "slow-items" | "budget" | "job-share" | "precise";

/** Why sampling stops now, or null to sample on. */
export function stopReason(progress: SampleProgress, limits: SampleLimits): StopReason | null {
  const { units, elapsedMs } = progress;
  if (units >= limits.maxItems) return "max-items";
  if (units < limits.minItems) {
    // Slow items: one more would cost more than the budget that sampling is allowed.
    const slow =
      units > 0 && elapsedMs >= limits.budgetMs && elapsedMs / units > limits.budgetMs / limits.minItems;
    return slow ? "slow-items" : null;
  }
  if (elapsedMs >= limits.budgetMs) return "budget";
  const { meanItemMs, relativeError } = unitMean(progress.unitTimes);
  // Sampling runs items one after another in this thread: keep it a small share of the
  // job's time on the cores it may use, when the item count is known.
  if (
    limits.expectedTotal !== null &&
    elapsedMs >= (SAMPLE_SHARE * limits.expectedTotal * meanItemMs) / limits.parallelism
  ) {
    return "job-share";
  }
  // Uniform items: the mean is already known well enough.
  return units >= PRECISE_UNITS && relativeError < PRECISE_ERROR ? "precise" : null;
}
