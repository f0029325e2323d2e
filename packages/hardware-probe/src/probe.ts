import { stat } from "node:fs/promises";
import path from "node:path";
import {
  type CommandRunner,
  type HardwareProfile,
  HardwareProfileSchema,
  type ProbeOptions,
  ProbeOptionsSchema,
  parseInput,
} from "@amorsize/types";
import { noCgroupLimits, readCgroupLimits } from "./cgroup.js";
import { detectContainer } from "./container.js";
import { computeUsableCores, probeTopology, resolveLogicalAndAffinity } from "./cores.js";
import { AmorsizeProbeError, AmorsizeProbeRootError } from "./errors.js";
import { resolveRuntimeFacts } from "./facts.js";
import { createProbeIo, defaultCommandRunner } from "./io.js";
import { cleanLoadavg, sampleBusyFraction } from "./load.js";
import { buildMemory } from "./memory.js";
import { parseCpuinfo } from "./parse.js";
import { WarningList } from "./warnings.js";

/** Defaults of `probeHardware()` options. */
export const PROBE_DEFAULTS = {
  root: "/",
  refresh: false,
  sampleLoad: false,
  commandTimeoutMs: 2000,
} as const;

type ParsedOptions = ReturnType<typeof ProbeOptionsSchema.parse>;

/** Gives each injected runner a stable number, so the memo key tells runners apart. */
const runnerIds = new WeakMap<CommandRunner, number>();
let nextRunnerId = 1;

function memoKey(options: ParsedOptions, root: string): string {
  let runner = 0;
  if (options.runCommand) {
    runner = runnerIds.get(options.runCommand) ?? nextRunnerId++;
    runnerIds.set(options.runCommand, runner);
  }
  return JSON.stringify([
    root,
    options.commandTimeoutMs ?? PROBE_DEFAULTS.commandTimeoutMs,
    options.sampleLoad ?? PROBE_DEFAULTS.sampleLoad,
    runner,
    options.runtimeFacts ?? null,
  ]);
}

const memo = new Map<string, Promise<HardwareProfile>>();

/**
 * What this machine can give to this process: logical, affinity, cpuset,
 * physical and usable cores, the cgroup CPU quota, memory limits and headroom,
 * load, and the runtime, each figure with its source; every fallback adds a
 * warning. Container-aware: cgroup v1 and v2 limits are read along the process's
 * own cgroup path, the smallest winning.
 *
 * The result is computed once per process for each distinct `root`,
 * `runCommand`, `runtimeFacts`, `commandTimeoutMs` and `sampleLoad`; `refresh: true`
 * reads the machine again. Each call returns its own copy.
 *
 * @throws AmorsizeValidationError when `options` does not match `ProbeOptions`.
 * @throws AmorsizeProbeRootError when `root` is not a folder.
 * @example
 * const profile = await probeHardware();
 * profile.cores.usable.value //=> 2
 */
export async function probeHardware(options?: ProbeOptions): Promise<HardwareProfile> {
  const parsed = parseInput(ProbeOptionsSchema, options === undefined ? {} : options, "options");
  const root = path.resolve(parsed.root ?? PROBE_DEFAULTS.root);
  const key = memoKey(parsed, root);
  let pending = parsed.refresh ? undefined : memo.get(key);
  if (!pending) {
    pending = runProbe(parsed, root);
    memo.set(key, pending);
    // A failed probe is not remembered: the next call tries again.
    pending.catch(() => {
      if (memo.get(key) === pending) memo.delete(key);
    });
  }
  return structuredClone(await pending);
}

async function runProbe(options: ParsedOptions, root: string): Promise<HardwareProfile> {
  const started = performance.now();
  const probedAt = new Date().toISOString();
  let isFolder: boolean;
  try {
    isFolder = (await stat(root)).isDirectory();
  } catch (error) {
    throw new AmorsizeProbeRootError(root, { cause: error });
  }
  if (!isFolder) throw new AmorsizeProbeRootError(root);

  const warnings = new WarningList();
  const facts = resolveRuntimeFacts(options.runtimeFacts);
  const io = createProbeIo(
    root,
    options.runCommand ?? defaultCommandRunner,
    options.commandTimeoutMs ?? PROBE_DEFAULTS.commandTimeoutMs,
  );
  const linux = facts.platform === "linux";

  const [cpuinfoText, cgroupText, mountinfoText, meminfoText, dockerenv, containerenv] = linux
    ? await Promise.all([
        io.readText("/proc/cpuinfo"),
        io.readText("/proc/self/cgroup"),
        io.readText("/proc/self/mountinfo"),
        io.readText("/proc/meminfo"),
        io.exists("/.dockerenv"),
        io.exists("/run/.containerenv"),
      ])
    : [null, null, null, null, false, false];
  const cpuinfo = cpuinfoText === null ? null : parseCpuinfo(cpuinfoText);

  const { logical, affinity } = resolveLogicalAndAffinity(facts, cpuinfo, warnings);
  const logicalCount = logical.value ?? 1;

  const topology = await probeTopology(io, facts.platform, cpuinfo, logicalCount, warnings);
  const cgroup = linux ? await readCgroupLimits(io, cgroupText, mountinfoText, warnings) : noCgroupLimits();
  const memory = buildMemory(meminfoText, linux, facts, cgroup, warnings);

  let cpuModel: HardwareProfile["cpuModel"];
  if (facts.cpuModel) cpuModel = { value: facts.cpuModel, source: "os.cpus()" };
  else if (cpuinfo?.modelName) cpuModel = { value: cpuinfo.modelName, source: "/proc/cpuinfo" };
  else {
    cpuModel = { value: null, source: "unknown" };
    warnings.add("CPU_MODEL_UNKNOWN", "neither os.cpus() nor /proc/cpuinfo named the CPU model");
  }

  const container = linux
    ? detectContainer({
        dockerenv,
        containerenv,
        env: facts.env,
        membership: cgroup.membership,
        mounts: cgroup.mounts,
      })
    : { detected: false, source: "none", kind: null };

  const busyFraction = options.sampleLoad
    ? await sampleBusyFraction(warnings)
    : { value: null, source: "not sampled (sampleLoad is off)" };

  const profile: HardwareProfile = {
    schemaVersion: 1,
    probedAt,
    durationMs: 0,
    platform: facts.platform,
    arch: facts.arch,
    cpuModel,
    runtime: {
      node: process.versions.node,
      v8: process.versions.v8,
      libuv: process.versions.uv ?? "unknown",
    },
    container,
    cores: {
      logical,
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
    memory,
    load: { loadavg: cleanLoadavg(facts.loadavg), busyFraction },
    warnings: warnings.items,
  };
  profile.durationMs = Math.round((performance.now() - started) * 1000) / 1000;

  const checked = HardwareProfileSchema.safeParse(profile);
  if (!checked.success) {
    throw new AmorsizeProbeError(
      `the probe assembled a profile that fails its schema: ${checked.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
      { cause: checked.error },
    );
  }
  return checked.data;
}
