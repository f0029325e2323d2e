import { AmorsizeError, AmorsizeValidationError } from "@amorsize/types";

/** A public input failed its schema; re-exported so callers need not import `@amorsize/types`. */
export { AmorsizeValidationError };

/** Stable codes of the errors this package throws. */
export type CostModelErrorCode = "AMORSIZE_INVALID_INPUT" | "AMORSIZE_CONFLICTING_CONSTRAINTS";

/**
 * Constraints that each pass their schema but cannot hold together, such as
 * `workers: 8` with `maxWorkers: 4`. `constraints` names the fields in conflict.
 */
export class ConflictingConstraintsError extends AmorsizeError {
  readonly code = "AMORSIZE_CONFLICTING_CONSTRAINTS" as const;
  override readonly name = "ConflictingConstraintsError";
  /** The constraint fields in conflict, e.g. `["workers", "maxWorkers"]`. */
  readonly constraints: readonly string[];

  constructor(message: string, constraints: readonly string[], options?: { cause?: unknown }) {
    super(message, options);
    this.constraints = constraints;
  }
}
