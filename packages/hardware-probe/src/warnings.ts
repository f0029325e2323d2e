import type { Warning } from "@amorsize/types";

/**
 * Every warning code `probeHardware()` can put in `profile.warnings`, with the
 * fallback it stands for. Codes are stable; messages name the file or command.
 */
export const PROBE_WARNING_CODES = {
  /** `/proc/cpuinfo` could not be read; physical cores come from sysfs, `lscpu` or the logical count. */
  CPUINFO_UNREADABLE: "CPUINFO_UNREADABLE",
  /** `/proc/cpuinfo` has no `physical id`/`core id` (arm64, some VMs); the next source is tried. */
  CPUINFO_NO_TOPOLOGY: "CPUINFO_NO_TOPOLOGY",
  /** `/sys/devices/system/cpu/cpu*\/topology` could not be read; `lscpu -p` is tried. */
  SYSFS_TOPOLOGY_UNAVAILABLE: "SYSFS_TOPOLOGY_UNAVAILABLE",
  /** A command exited non-zero, could not start, or threw; its source is skipped. */
  COMMAND_FAILED: "COMMAND_FAILED",
  /** A command did not finish within `commandTimeoutMs`; it was abandoned (the default runner kills it). */
  COMMAND_TIMED_OUT: "COMMAND_TIMED_OUT",
  /** A command ran but its output could not be parsed; its source is skipped. */
  COMMAND_OUTPUT_UNPARSABLE: "COMMAND_OUTPUT_UNPARSABLE",
  /** No source gave physical cores; the logical count stands in. */
  PHYSICAL_CORES_FALLBACK: "PHYSICAL_CORES_FALLBACK",
  /** `os.cpus()` returned nothing; the logical count comes from `/proc/cpuinfo`, the affinity, or 1. */
  LOGICAL_CPUS_FALLBACK: "LOGICAL_CPUS_FALLBACK",
  /** `os.availableParallelism()` is missing; the logical count stands in. */
  AFFINITY_FALLBACK: "AFFINITY_FALLBACK",
  /** `/proc/self/cgroup` is missing or unparsable; the process is taken to sit at each hierarchy's root. */
  CGROUP_MEMBERSHIP_UNKNOWN: "CGROUP_MEMBERSHIP_UNKNOWN",
  /** `/proc/self/mountinfo` is missing or names no cgroup mount; the usual `/sys/fs/cgroup` layout is assumed. */
  CGROUP_MOUNTS_UNKNOWN: "CGROUP_MOUNTS_UNKNOWN",
  /** The process's cgroup path lies outside the mounted part of the hierarchy; the mount's top folder is read. */
  CGROUP_PATH_UNMAPPED: "CGROUP_PATH_UNMAPPED",
  /** The process's cgroup lies 64 or more levels below the top; only the 32 levels nearest it and the 32 nearest the top are read. */
  CGROUP_PATH_TOO_DEEP: "CGROUP_PATH_TOO_DEEP",
  /** A cgroup file held a value the kernel never writes; that level is ignored. */
  CGROUP_VALUE_INVALID: "CGROUP_VALUE_INVALID",
  /** A figure no real machine has (more physical cores than logical CPUs, a 0-byte memory limit, ...); it is not used. */
  VALUE_IMPLAUSIBLE: "VALUE_IMPLAUSIBLE",
  /** A probed path is a FIFO, a device, a socket or a folder; it is not read (so it cannot block the probe). */
  FILE_NOT_REGULAR: "FILE_NOT_REGULAR",
  /** A probed file is larger than the probe reads (64 KiB for a cgroup or sysfs file, 4 MiB for a /proc table); it is not used. */
  FILE_TOO_LARGE: "FILE_TOO_LARGE",
  /** `/proc/meminfo` could not be read or parsed; `os.totalmem()`/`os.freemem()` stand in. */
  MEMINFO_UNREADABLE: "MEMINFO_UNREADABLE",
  /** `/proc/meminfo` has no `MemAvailable` (kernels before 3.14); `os.freemem()` stands in. */
  MEMAVAILABLE_MISSING: "MEMAVAILABLE_MISSING",
  /** No source named the CPU model. */
  CPU_MODEL_UNKNOWN: "CPU_MODEL_UNKNOWN",
  /** os-utils could not be loaded; the busy fraction was sampled from `os.cpus()` times directly. */
  LOAD_SAMPLER_FALLBACK: "LOAD_SAMPLER_FALLBACK",
  /** The load sample gave no usable figure; `busyFraction` is null. */
  LOAD_SAMPLE_FAILED: "LOAD_SAMPLE_FAILED",
} as const;

/** A warning code of the hardware probe. */
export type ProbeWarningCode = keyof typeof PROBE_WARNING_CODES;

/** Adds one warning; see {@link WarningList.reserve}. */
export type WarningSlot = (code: ProbeWarningCode, message: string) => void;

/** Collects warnings in the order the probe meets them. */
export class WarningList {
  readonly #slots: (Warning | null)[] = [];

  /** The warnings added so far, in order. */
  get items(): Warning[] {
    return this.#slots.filter((w) => w !== null);
  }

  add(code: ProbeWarningCode, message: string): void {
    this.#slots.push({ code, message });
  }

  /**
   * Holds a place for a warning that may be known only later. Reads run
   * concurrently and finish in any order; reserving a place when each starts keeps
   * their warnings in the order they were started, the same on every run.
   */
  reserve(): WarningSlot {
    const index = this.#slots.push(null) - 1;
    return (code, message) => {
      this.#slots[index] = { code, message };
    };
  }
}
