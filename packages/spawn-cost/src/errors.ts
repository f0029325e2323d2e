/**
 * Errors of `@amorsize/spawn-cost`.
 *
 * `measureSpawnCost()` never throws these past its caller: a measuring or cache
 * problem becomes a warning in the profile (whose `code` is the error's `code`)
 * and, where a figure could not be measured, a documented estimate. They are
 * exported so that callers of the lower-level helpers can tell them apart.
 * Invalid options throw `AmorsizeValidationError` from `@amorsize/types`.
 */

import { AmorsizeError } from "@amorsize/types";

/** A measurement could not be carried out (a worker failed to start or answer, a timeout). */
export class SpawnCostMeasurementError extends AmorsizeError {
  readonly code = "AMORSIZE_SPAWN_COST_MEASUREMENT_FAILED" as const;
  override readonly name = "SpawnCostMeasurementError";

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Why a cache file was not used or could not be written. */
export type SpawnCostCacheProblem = "invalid" | "foreign" | "expired" | "load" | "unreadable" | "unwritable";

/**
 * The cache file could not be read, was not trusted, or could not be written.
 * `problem` says which; `path` is the file or folder concerned.
 */
export class SpawnCostCacheError extends AmorsizeError {
  readonly code = "AMORSIZE_SPAWN_COST_CACHE" as const;
  override readonly name = "SpawnCostCacheError";
  readonly problem: SpawnCostCacheProblem;
  readonly path: string;

  constructor(problem: SpawnCostCacheProblem, path: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.problem = problem;
    this.path = path;
  }
}

/** Warning codes a profile can carry (stable; messages may change). */
export const SpawnCostWarningCode = {
  /** Measuring failed; every figure is a documented estimate. */
  measurementFailed: "AMORSIZE_SPAWN_COST_MEASUREMENT_FAILED",
  /** The time budget ran out before some figures had enough samples; those are estimates. */
  budgetExhausted: "AMORSIZE_SPAWN_COST_BUDGET_EXHAUSTED",
  /** Some samples were too noisy to give a plausible figure (copying more bytes measured no dearer); those are estimates. */
  implausibleFit: "AMORSIZE_SPAWN_COST_IMPLAUSIBLE_FIT",
  /** A cache file was corrupt, truncated or did not match the schema; it was measured again and replaced. */
  cacheInvalid: "AMORSIZE_SPAWN_COST_CACHE_INVALID",
  /** A cache file held figures of another machine, Node or tinypool; measured again and replaced. */
  cacheForeign: "AMORSIZE_SPAWN_COST_CACHE_FOREIGN",
  /** A cache file was older than `ttlMs` (or dated in the future); measured again and replaced. */
  cacheExpired: "AMORSIZE_SPAWN_COST_CACHE_EXPIRED",
  /** A cache file was measured while the machine was far busier or far quieter than now; measured again and replaced. */
  cacheOtherLoad: "AMORSIZE_SPAWN_COST_CACHE_OTHER_LOAD",
  /** A cache file exists but could not be read; measured again. */
  cacheUnreadable: "AMORSIZE_SPAWN_COST_CACHE_UNREADABLE",
  /** The cache folder could not be created or written; the profile is not cached. */
  cacheUnwritable: "AMORSIZE_SPAWN_COST_CACHE_UNWRITABLE",
  /** The cache file could not be written earlier; the figures measured then by this process are reused from memory. */
  keptInMemory: "AMORSIZE_SPAWN_COST_KEPT_IN_MEMORY",
  /** Every figure fell back to an estimate, so the profile was not cached. */
  notCached: "AMORSIZE_SPAWN_COST_NOT_CACHED",
} as const;
