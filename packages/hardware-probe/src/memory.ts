import type { Memory, SourcedNumber } from "@amorsize/types";
import type { CgroupLimits } from "./cgroup.js";
import type { RuntimeFacts } from "./facts.js";
import { NO_LIMIT_BYTES, parseMeminfo } from "./parse.js";
import { memoryAmountProblem, memorySizeProblem } from "./plausible.js";
import type { WarningList } from "./warnings.js";

/**
 * `process.constrainedMemory()` as a figure: Node reports 0 (older releases) or
 * about 2^64 (libuv's "no constraint") when nothing is set; both mean no limit.
 */
export function constrainedFigure(value: number | null): SourcedNumber {
  const source = "process.constrainedMemory()";
  if (value === null || !Number.isFinite(value) || value <= 0 || value >= NO_LIMIT_BYTES) {
    return { value: null, source };
  }
  return { value, source };
}

/**
 * Total and available memory from `/proc/meminfo` where it can be trusted, else
 * `os.totalmem()` and `os.freemem()`, with a warning for each fallback. A MemTotal
 * outside 1 MiB .. 2^50 bytes, or a MemAvailable above it, is not used.
 */
function meminfoFigures(
  meminfoText: string | null,
  facts: RuntimeFacts,
  warnings: WarningList,
): { total: SourcedNumber; available: SourcedNumber } {
  const fromOs = {
    total: { value: facts.totalMemory, source: "os.totalmem()" },
    available: { value: facts.freeMemory, source: "os.freemem()" },
  };
  const meminfo = meminfoText === null ? null : parseMeminfo(meminfoText);
  if (meminfo === null || meminfo.total === null) {
    warnings.add(
      "MEMINFO_UNREADABLE",
      meminfo === null
        ? "/proc/meminfo could not be read; total and available memory come from os.totalmem() and os.freemem()"
        : "/proc/meminfo has no MemTotal line; total and available memory come from os.totalmem() and os.freemem()",
    );
    return fromOs;
  }
  const totalWhy = memorySizeProblem(meminfo.total);
  if (totalWhy !== null) {
    warnings.add(
      "VALUE_IMPLAUSIBLE",
      `/proc/meminfo MemTotal gives ${meminfo.total} bytes, ${totalWhy}; total and available memory come from os.totalmem() and os.freemem()`,
    );
    return fromOs;
  }
  const total = { value: meminfo.total, source: "/proc/meminfo MemTotal" };
  if (meminfo.available === null) {
    warnings.add(
      "MEMAVAILABLE_MISSING",
      "/proc/meminfo has no MemAvailable line (kernel before 3.14); available memory comes from os.freemem()",
    );
    return { total, available: fromOs.available };
  }
  const availableWhy = memoryAmountProblem(meminfo.available, meminfo.total);
  if (availableWhy !== null) {
    warnings.add(
      "VALUE_IMPLAUSIBLE",
      `/proc/meminfo MemAvailable gives ${meminfo.available} bytes, ${availableWhy}; available memory comes from os.freemem()`,
    );
    return { total, available: fromOs.available };
  }
  return { total, available: { value: meminfo.available, source: "/proc/meminfo MemAvailable" } };
}

/**
 * Total, available and cgroup memory, and `usable`: the tightest of available
 * memory, the cgroup limit and `memory.high` less their cgroup's usage, and
 * `process.constrainedMemory()`.
 */
export function buildMemory(
  meminfoText: string | null,
  linux: boolean,
  facts: RuntimeFacts,
  cgroup: CgroupLimits,
  warnings: WarningList,
): Memory {
  const { total, available } = linux
    ? meminfoFigures(meminfoText, facts, warnings)
    : {
        total: { value: facts.totalMemory, source: "os.totalmem()" },
        available: { value: facts.freeMemory, source: "os.freemem()" },
      };

  const constrained = constrainedFigure(facts.constrainedMemory);
  const candidates: [number, string][] = [];
  if (available.value !== null) candidates.push([available.value, available.source]);
  if (cgroup.limitHeadroom !== null) {
    candidates.push([cgroup.limitHeadroom, `${cgroup.memoryLimit.source} less usage`]);
  }
  if (cgroup.highHeadroom !== null) {
    candidates.push([cgroup.highHeadroom, `${cgroup.memoryHigh.source} less usage`]);
  }
  if (constrained.value !== null) candidates.push([constrained.value, constrained.source]);
  let usable: Memory["usable"] = { value: 0, source: "fallback" };
  for (const [value, source] of candidates) {
    if (usable.source === "fallback" || value < usable.value) usable = { value, source };
  }

  return {
    total,
    available,
    cgroupLimit: cgroup.memoryLimit,
    cgroupHigh: cgroup.memoryHigh,
    cgroupUsage: cgroup.memoryUsage,
    constrained,
    usable,
  };
}
