// Assembling the profile from what the probe has read: plain data in, plain data out.
import { type HardwareProfile, HardwareProfileSchema } from "@amorsize/types";
import type { CgroupLimits } from "./cgroup.js";
import { computeUsableCores, type Topology } from "./cores.js";
import { AmorsizeProbeError } from "./errors.js";
import type { RuntimeFacts } from "./facts.js";
import { cleanLoadavg } from "./load.js";
import type { CpuinfoSummary } from "./parse.js";
import type { WarningList } from "./warnings.js";

type Cores = HardwareProfile["cores"];

/** The CPU model from `os.cpus()`, else `/proc/cpuinfo`, else unknown with a warning. */
export function resolveCpuModel(
  facts: Pick<RuntimeFacts, "cpuModel">,
  cpuinfo: CpuinfoSummary | null,
  warnings: WarningList,
): HardwareProfile["cpuModel"] {
  if (facts.cpuModel) return { value: facts.cpuModel, source: "os.cpus()" };
  if (cpuinfo?.modelName) return { value: cpuinfo.modelName, source: "/proc/cpuinfo" };
  warnings.add("CPU_MODEL_UNKNOWN", "neither os.cpus() nor /proc/cpuinfo named the CPU model");
  return { value: null, source: "unknown" };
}

/** Everything a profile is made of, each part already resolved with its source. */
export interface ProfileParts {
  probedAt: string;
  facts: Pick<RuntimeFacts, "platform" | "arch" | "loadavg">;
  runtime: HardwareProfile["runtime"];
  cpuModel: HardwareProfile["cpuModel"];
  container: HardwareProfile["container"];
  logical: Cores["logical"];
  affinity: Cores["affinity"];
  topology: Topology;
  cgroup: CgroupLimits;
  memory: HardwareProfile["memory"];
  busyFraction: HardwareProfile["load"]["busyFraction"];
  warnings: WarningList;
}

/** The profile, `usable` cores computed from the parts; `durationMs` is the caller's to set. */
export function assembleProfile(parts: ProfileParts): HardwareProfile {
  const { cgroup, topology, affinity } = parts;
  return {
    schemaVersion: 1,
    probedAt: parts.probedAt,
    durationMs: 0,
    platform: parts.facts.platform,
    arch: parts.facts.arch,
    cpuModel: parts.cpuModel,
    runtime: parts.runtime,
    container: parts.container,
    cores: {
      logical: parts.logical,
      affinity,
      cpuset: cgroup.cpuset,
      physical: topology.physical,
      packages: topology.packages,
      quota: cgroup.quota,
      usable: computeUsableCores({
        affinity: affinity.value,
        cpuset: cgroup.cpuset.value,
        quotaCpus: cgroup.quota.cpus,
        physical: topology.physical.value,
      }),
    },
    memory: parts.memory,
    load: { loadavg: cleanLoadavg(parts.facts.loadavg), busyFraction: parts.busyFraction },
    warnings: parts.warnings.items,
  };
}

/**
 * The profile as its schema parses it. A profile that fails is the probe's own bug,
 * never the machine's: every figure read from the machine has a fallback.
 */
export function checkedProfile(profile: HardwareProfile): HardwareProfile {
  // Once per probe: without zod's compiled fast path (see `parseInput` in @amorsize/types).
  const checked = HardwareProfileSchema.safeParse(profile, { jitless: true });
  if (!checked.success) {
    throw new AmorsizeProbeError(
      `the probe assembled a profile that fails its schema: ${checked.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
      { cause: checked.error },
    );
  }
  return checked.data;
}
