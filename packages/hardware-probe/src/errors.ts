import { AmorsizeError } from "@amorsize/types";

// The probe recovers from every file and command it reads (a fallback and a
// warning); these errors are for what it cannot recover from.

/** The `root` option names a folder that does not exist (or is not a folder). */
export class AmorsizeProbeRootError extends AmorsizeError {
  readonly code = "AMORSIZE_PROBE_ROOT_NOT_FOUND" as const;
  override readonly name = "AmorsizeProbeRootError";
  /** The folder that was asked for, resolved to an absolute path. */
  readonly root: string;

  constructor(root: string, options?: { cause?: unknown }) {
    super(`options.root: ${root} is not a readable folder`, options);
    this.root = root;
  }
}

/**
 * The probe failed in a way no fallback covers: the profile it assembled did not
 * pass its schema (a bug; the cause holds the schema failure) or the CLI could
 * not write its output.
 */
export class AmorsizeProbeError extends AmorsizeError {
  readonly code = "AMORSIZE_PROBE_FAILED" as const;
  override readonly name = "AmorsizeProbeError";
}

/** The `amorsize-probe` command line had an unknown flag or a missing value. */
export class AmorsizeProbeUsageError extends AmorsizeError {
  readonly code = "AMORSIZE_PROBE_USAGE" as const;
  override readonly name = "AmorsizeProbeUsageError";
}
