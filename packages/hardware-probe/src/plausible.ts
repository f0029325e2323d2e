// Plausibility rules for the figures the probe reads. Each rule is a pure function
// that says why a figure cannot be true of a real machine, or null when it can be.
// A figure that fails is not used (the probe falls back as for a missing one) and
// gets a VALUE_IMPLAUSIBLE warning naming the file and the value.

/** The bounds the rules below apply; each says why it is where it is. */
export const PLAUSIBLE = {
  /** Less cannot hold a Node.js process (its heap alone starts at several MiB). */
  minMemoryBytes: 1024 ** 2,
  /** 1 PiB: some twenty times the largest single machine sold (48 TiB). */
  maxMemoryBytes: 2 ** 50,
  /** The kernel refuses CFS periods outside 1 ms .. 1 s ... */
  minCfsPeriodUs: 1_000,
  maxCfsPeriodUs: 1_000_000,
  /** ... and quotas under 1 ms. */
  minCfsQuotaUs: 1_000,
} as const;

/**
 * Why a memory size (MemTotal, a cgroup limit) cannot be real: under 1 MiB or over
 * 2^50 bytes; null when it can be.
 *
 * @example memorySizeProblem(0) //=> "less than 1 MiB"
 */
export function memorySizeProblem(bytes: number): string | null {
  if (Number.isNaN(bytes) || bytes < PLAUSIBLE.minMemoryBytes) return "less than 1 MiB";
  if (bytes > PLAUSIBLE.maxMemoryBytes) return "more than 2^50 bytes (1 PiB)";
  return null;
}

/**
 * Why a byte count that may be small (MemAvailable, a cgroup's usage) cannot be
 * real: negative, over 2^50 bytes, or over `total` when that is known.
 */
export function memoryAmountProblem(bytes: number, total: number | null = null): string | null {
  if (Number.isNaN(bytes) || bytes < 0) return "less than 0";
  if (bytes > PLAUSIBLE.maxMemoryBytes) return "more than 2^50 bytes (1 PiB)";
  if (total !== null && bytes > total) return `more than MemTotal (${total})`;
  return null;
}

/**
 * Why a physical core count (with its package count, null where unknown) cannot be
 * true of a machine with `logical` logical CPUs: no cores, more cores than logical
 * CPUs, no packages, or more packages than cores.
 */
export function topologyProblem(physical: number, packages: number | null, logical: number): string | null {
  if (!(physical >= 1)) return "no physical cores";
  if (physical > logical) return `more physical cores than the ${logical} logical CPUs`;
  if (packages !== null && !(packages >= 1)) return "no packages";
  if (packages !== null && packages > physical) return "more packages than physical cores";
  return null;
}

/**
 * Why a CFS bandwidth (cgroup v2 `cpu.max`, v1 `cpu.cfs_quota_us`/`cpu.cfs_period_us`)
 * cannot be what the kernel holds: it refuses a period outside 1,000..1,000,000 µs
 * and a quota under 1,000 µs. A null quota is "no limit" and only the period is checked.
 */
export function cpuBandwidthProblem(quotaUs: number | null, periodUs: number): string | null {
  if (!(periodUs >= PLAUSIBLE.minCfsPeriodUs && periodUs <= PLAUSIBLE.maxCfsPeriodUs)) {
    return `a period outside ${PLAUSIBLE.minCfsPeriodUs}..${PLAUSIBLE.maxCfsPeriodUs} µs`;
  }
  if (quotaUs !== null && !(quotaUs >= PLAUSIBLE.minCfsQuotaUs)) {
    return `a quota under ${PLAUSIBLE.minCfsQuotaUs} µs`;
  }
  return null;
}
