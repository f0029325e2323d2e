import type { Cores, SourcedCount } from "@amorsize/types";
import type { RuntimeFacts } from "./facts.js";
import type { CommandOutcome, ProbeIo } from "./io.js";
import { type CpuinfoSummary, parseCpuList, parseLscpu } from "./parse.js";
import { topologyProblem } from "./plausible.js";
import type { WarningList } from "./warnings.js";

/**
 * Whole cores a fractional CPU quota is worth for CPU-bound work: rounded half up
 * (a fractional part of 0.5 or more adds a core), never below 1. 1.5 gives 2,
 * 2.4 gives 2, 0.3 gives 1.
 *
 * Why half up: with a quota of q CPUs, n CPU-bound workers finish work W in
 * W / min(n, q). Going from floor(q) workers to one more gains the fractional
 * part f of a CPU (a speed-up of f / floor(q)); the extra worker costs a thread
 * start, its own heap, and throttling stalls when the group runs through its
 * quota early in each period. A gain of half a CPU or more repays that; a
 * sliver (1.1 CPUs) does not.
 */
export function quotaToCores(cpus: number): number {
  const whole = Math.floor(cpus);
  // Quotas are ratios of integers: allow for float noise just below one half (0.49999999).
  const rounded = cpus - whole >= 0.5 - 1e-9 ? whole + 1 : whole;
  return Math.max(1, rounded);
}

/** The rule behind `cores.usable`, as reported in the profile. */
export const USABLE_CORES_RULE =
  "min(affinity, cpuset, quota rounded half up, physical cores), at least 1; a quota's fractional part of 0.5 or more counts as a core";

/** The figures `cores.usable` is the minimum of; null where unknown or unlimited. */
export interface UsableCoresInput {
  affinity: number | null;
  cpuset: number | null;
  quotaCpus: number | null;
  physical: number | null;
}

/**
 * Cores usable for CPU-bound work: the minimum of affinity, cpuset, the quota
 * rounded by {@link quotaToCores}, and physical cores, at least 1. `source` names
 * every figure that reaches the minimum, most restrictive kind first
 * (`"cpu quota"`, `"cpuset"`, `"affinity"`, `"physical cores"`), joined by `" = "`.
 */
export function computeUsableCores(input: UsableCoresInput): Cores["usable"] {
  const candidates: [string, number][] = [];
  if (input.quotaCpus !== null) candidates.push(["cpu quota", quotaToCores(input.quotaCpus)]);
  if (input.cpuset !== null) candidates.push(["cpuset", input.cpuset]);
  if (input.affinity !== null) candidates.push(["affinity", input.affinity]);
  if (input.physical !== null) candidates.push(["physical cores", input.physical]);
  if (candidates.length === 0) return { value: 1, source: "fallback", rule: USABLE_CORES_RULE };
  const value = Math.max(1, Math.min(...candidates.map(([, n]) => n)));
  const source = candidates
    .filter(([, n]) => n === value)
    .map(([name]) => name)
    .join(" = ");
  return { value, source: source || "at least 1", rule: USABLE_CORES_RULE };
}

/** Physical cores and packages, with their sources. */
export interface Topology {
  physical: SourcedCount;
  packages: SourcedCount;
}

function commandWarning(
  warnings: WarningList,
  commandLine: string,
  outcome: CommandOutcome,
  what: string,
): void {
  if (outcome.status === "timed-out") {
    warnings.add("COMMAND_TIMED_OUT", `${commandLine} did not finish in time; ${what} not taken from it`);
  } else if (outcome.status === "failed") {
    warnings.add("COMMAND_FAILED", `${commandLine} failed (${outcome.detail}); ${what} not taken from it`);
  }
}

/** Physical cores from sysfs: distinct sibling lists of the CPUs that have a topology folder. */
async function sysfsTopology(io: ProbeIo): Promise<Topology | null> {
  const base = "/sys/devices/system/cpu";
  const names = (await io.listDir(base))?.filter((n) => /^cpu\d+$/.test(n)) ?? [];
  const readings = await Promise.all(
    names.map(async (name) => {
      const dir = `${base}/${name}/topology`;
      const [coreCpus, threadSiblings, packageId] = await Promise.all([
        io.readText(`${dir}/core_cpus_list`),
        io.readText(`${dir}/thread_siblings_list`),
        io.readText(`${dir}/physical_package_id`),
      ]);
      const siblingText = coreCpus ?? threadSiblings;
      const siblings = siblingText === null ? null : parseCpuList(siblingText);
      const pkg =
        packageId === null ? null : /^\d+$/.test(packageId.trim()) ? Number(packageId.trim()) : null;
      return { siblings, pkg };
    }),
  );
  const known = readings.filter((r) => r.siblings !== null && r.siblings.length > 0);
  if (known.length === 0) return null;
  const cores = new Set(known.map((r) => r.siblings!.join(",")));
  const packages = known.every((r) => r.pkg !== null) ? new Set(known.map((r) => r.pkg)).size : null;
  return {
    physical: { value: cores.size, source: "sysfs" },
    packages: { value: packages, source: packages === null ? "unknown" : "sysfs" },
  };
}

async function lscpuTopology(io: ProbeIo, warnings: WarningList): Promise<Topology | null> {
  const outcome = await io.run("lscpu", ["-p"]);
  if (outcome.status !== "ok") {
    commandWarning(warnings, "lscpu -p", outcome, "physical cores");
    return null;
  }
  const parsed = parseLscpu(outcome.stdout);
  if (parsed.physicalCores === null) {
    warnings.add(
      "COMMAND_OUTPUT_UNPARSABLE",
      "lscpu -p printed no CPU,Core,Socket table; physical cores not taken from it",
    );
    return null;
  }
  return {
    physical: { value: parsed.physicalCores, source: "lscpu" },
    packages: { value: parsed.packages, source: parsed.packages === null ? "unknown" : "lscpu" },
  };
}

async function sysctlTopology(io: ProbeIo, warnings: WarningList): Promise<Topology | null> {
  const outcome = await io.run("sysctl", ["-n", "hw.physicalcpu", "hw.packages"]);
  if (outcome.status !== "ok") {
    commandWarning(warnings, "sysctl -n hw.physicalcpu hw.packages", outcome, "physical cores");
    return null;
  }
  const [cores, packages] = outcome.stdout
    .trim()
    .split(/\r?\n/)
    .map((line) => (/^\d+$/.test(line.trim()) ? Number(line.trim()) : null));
  if (!cores) {
    warnings.add(
      "COMMAND_OUTPUT_UNPARSABLE",
      "sysctl hw.physicalcpu printed no count; physical cores not taken from it",
    );
    return null;
  }
  return {
    physical: { value: cores, source: "sysctl hw.physicalcpu" },
    packages: packages
      ? { value: packages, source: "sysctl hw.packages" }
      : { value: null, source: "unknown" },
  };
}

async function powershellTopology(io: ProbeIo, warnings: WarningList): Promise<Topology | null> {
  const script = "(Get-CimInstance -ClassName Win32_Processor).NumberOfCores";
  const outcome = await io.run("powershell.exe", ["-NoProfile", "-NonInteractive", "-Command", script]);
  if (outcome.status !== "ok") {
    commandWarning(warnings, "PowerShell Win32_Processor", outcome, "physical cores");
    return null;
  }
  // One line per processor package, each its number of cores.
  const lines = outcome.stdout
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "");
  if (lines.length === 0 || !lines.every((l) => /^\d+$/.test(l) && Number(l) > 0)) {
    warnings.add(
      "COMMAND_OUTPUT_UNPARSABLE",
      "PowerShell Win32_Processor printed no core counts; physical cores not taken from it",
    );
    return null;
  }
  return {
    physical: { value: lines.reduce((sum, l) => sum + Number(l), 0), source: "PowerShell Win32_Processor" },
    packages: { value: lines.length, source: "PowerShell Win32_Processor" },
  };
}

/** Physical cores from `/proc/cpuinfo`; null, with a warning, where it does not give them. */
function cpuinfoTopology(cpuinfo: CpuinfoSummary | null, warnings: WarningList): Topology | null {
  if (cpuinfo === null) {
    warnings.add("CPUINFO_UNREADABLE", "/proc/cpuinfo could not be read; trying sysfs topology");
    return null;
  }
  if (cpuinfo.physicalCores === null) {
    warnings.add(
      "CPUINFO_NO_TOPOLOGY",
      cpuinfo.logical === null
        ? "/proc/cpuinfo has no processor entries; trying sysfs topology"
        : "/proc/cpuinfo does not give physical id and core id for every processor; trying sysfs topology",
    );
    return null;
  }
  return {
    physical: { value: cpuinfo.physicalCores, source: "/proc/cpuinfo" },
    packages: { value: cpuinfo.packages, source: cpuinfo.packages === null ? "unknown" : "/proc/cpuinfo" },
  };
}

/** Where a topology source read its figures, as a warning names it. */
const TOPOLOGY_ORIGIN: Record<string, string> = {
  sysfs: "/sys/devices/system/cpu/cpu*/topology",
  lscpu: "lscpu -p",
};

/** `found` when it can be true of a machine with `logical` CPUs; else null, with a warning. */
function plausibleTopology(found: Topology | null, logical: number, warnings: WarningList): Topology | null {
  if (found === null) return null;
  const physical = found.physical.value ?? 0;
  const packages = found.packages.value;
  const why = topologyProblem(physical, packages, logical);
  if (why === null) return found;
  const origin = TOPOLOGY_ORIGIN[found.physical.source] ?? found.physical.source;
  const inPackages = packages === null ? "" : ` in ${packages} package${packages === 1 ? "" : "s"}`;
  warnings.add(
    "VALUE_IMPLAUSIBLE",
    `${origin} gives ${physical} physical cores${inPackages}, ${why}; not used`,
  );
  return null;
}

/**
 * Physical cores and packages. Linux: `/proc/cpuinfo`, then sysfs topology, then
 * `lscpu -p`; macOS: `sysctl`; Windows: PowerShell/CIM; last resort the logical
 * count (packages unknown). Each step that fails, or gives a count no machine with
 * `logical` CPUs can have, adds a warning.
 */
export async function probeTopology(
  io: ProbeIo,
  platform: string,
  cpuinfo: CpuinfoSummary | null,
  logical: number,
  warnings: WarningList,
): Promise<Topology> {
  const plausible = (found: Topology | null) => plausibleTopology(found, logical, warnings);
  let found: Topology | null = null;
  if (platform === "linux") {
    found = plausible(cpuinfoTopology(cpuinfo, warnings));
    if (!found) {
      const sysfs = await sysfsTopology(io);
      if (!sysfs) {
        warnings.add(
          "SYSFS_TOPOLOGY_UNAVAILABLE",
          "/sys/devices/system/cpu/cpu*/topology gave no core sibling lists; trying lscpu -p",
        );
      }
      found = plausible(sysfs);
    }
    found ??= plausible(await lscpuTopology(io, warnings));
  } else if (platform === "darwin") {
    found = plausible(await sysctlTopology(io, warnings));
  } else if (platform === "win32") {
    found = plausible(await powershellTopology(io, warnings));
  }
  if (found) return found;
  warnings.add(
    "PHYSICAL_CORES_FALLBACK",
    `no source gave the physical core count on ${platform}; the logical count (${logical}) stands in`,
  );
  return {
    physical: { value: logical, source: "fallback" },
    packages: { value: null, source: "unknown" },
  };
}

/** Where the affinity read from `/proc/self/status` is said to come from. */
export const ALLOWED_CPUS_SOURCE = "/proc/self/status Cpus_allowed_list";

/**
 * Logical CPUs (`os.cpus()`, else `/proc/cpuinfo` processor entries, else the
 * affinity, else 1) and the affinity (the CPUs `/proc/self/status` allows on Linux, else
 * `os.availableParallelism()`, else the logical count), each fallback with a warning.
 * On Node 24 and later `os.availableParallelism()` is also bounded by a cgroup v2 CPU
 * quota rounded down; the status file keeps the affinity apart from the quota, which the
 * probe reads itself, so every Node version gives the same figures.
 */
export function resolveLogicalAndAffinity(
  facts: Pick<RuntimeFacts, "logicalCpus" | "availableParallelism">,
  cpuinfo: CpuinfoSummary | null,
  warnings: WarningList,
  allowedCpus: number | null = null,
): { logical: SourcedCount; affinity: SourcedCount } {
  let logical: SourcedCount;
  if (facts.logicalCpus !== null) {
    logical = { value: facts.logicalCpus, source: "os.cpus()" };
  } else if (cpuinfo?.logical) {
    logical = { value: cpuinfo.logical, source: "/proc/cpuinfo" };
    warnings.add(
      "LOGICAL_CPUS_FALLBACK",
      "os.cpus() listed no CPUs; counted processor entries in /proc/cpuinfo",
    );
  } else {
    const value = facts.availableParallelism ?? 1;
    logical = { value, source: facts.availableParallelism ? "os.availableParallelism()" : "fallback" };
    warnings.add(
      "LOGICAL_CPUS_FALLBACK",
      `os.cpus() listed no CPUs and /proc/cpuinfo gave no count; assumed ${value}`,
    );
  }
  let affinity: SourcedCount;
  if (allowedCpus !== null && allowedCpus > 0) {
    affinity = { value: allowedCpus, source: ALLOWED_CPUS_SOURCE };
  } else if (facts.availableParallelism !== null) {
    affinity = { value: facts.availableParallelism, source: "os.availableParallelism()" };
  } else {
    affinity = { value: logical.value, source: "fallback" };
    warnings.add(
      "AFFINITY_FALLBACK",
      "os.availableParallelism() is not available; the logical count stands in for the affinity",
    );
  }
  return { logical, affinity };
}
