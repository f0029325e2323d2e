import { stat } from "node:fs/promises";
import path from "node:path";
import {
  type CommandRunner,
  type HardwareProfile,
  type ProbeOptions,
  ProbeOptionsSchema,
  parseInput,
} from "@amorsize/types";
import { noCgroupLimits, readCgroupLimits } from "./cgroup.js";
import { detectContainer } from "./container.js";
import { probeTopology, resolveLogicalAndAffinity } from "./cores.js";
import { AmorsizeProbeRootError } from "./errors.js";
import { resolveRuntimeFacts } from "./facts.js";
import { createProbeIo, defaultCommandRunner, type ProbeIo } from "./io.js";
import { sampleBusyFraction } from "./load.js";
import { buildMemory } from "./memory.js";
import { parseAllowedCpus, parseCpuinfo } from "./parse.js";
import { assembleProfile, checkedProfile, resolveCpuModel } from "./profile.js";
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

/** Throws `AmorsizeProbeRootError` unless `root` is a folder. */
async function assertFolder(root: string): Promise<void> {
  let isFolder: boolean;
  try {
    isFolder = (await stat(root)).isDirectory();
  } catch (error) {
    throw new AmorsizeProbeRootError(root, { cause: error });
  }
  if (!isFolder) throw new AmorsizeProbeRootError(root);
}

/** The files under /proc and the container markers the probe reads once each (Linux only). */
interface ProcFiles {
  cpuinfo: string | null;
  cgroup: string | null;
  mountinfo: string | null;
  meminfo: string | null;
  /** The process's status: its CPU affinity (`Cpus_allowed_list`). */
  status: string | null;
  dockerenv: boolean;
  containerenv: boolean;
}

const NO_PROC_FILES: ProcFiles = {
  cpuinfo: null,
  cgroup: null,
  mountinfo: null,
  meminfo: null,
  status: null,
  dockerenv: false,
  containerenv: false,
};

async function readProcFiles(io: ProbeIo): Promise<ProcFiles> {
  const [cpuinfo, cgroup, mountinfo, meminfo, status, dockerenv, containerenv] = await Promise.all([
    io.readText("/proc/cpuinfo", "table"),
    io.readText("/proc/self/cgroup", "table"),
    io.readText("/proc/self/mountinfo", "table"),
    io.readText("/proc/meminfo", "table"),
    io.readText("/proc/self/status", "table"),
    io.exists("/.dockerenv"),
    io.exists("/run/.containerenv"),
  ]);
  return { cpuinfo, cgroup, mountinfo, meminfo, status, dockerenv, containerenv };
}

/**
 * Reads the machine and assembles its profile. The order of the steps is the order of
 * `profile.warnings`: logical CPUs, topology, cgroups, memory, CPU model, load.
 */
async function runProbe(options: ParsedOptions, root: string): Promise<HardwareProfile> {
  const started = performance.now();
  const probedAt = new Date().toISOString();
  await assertFolder(root);

  const warnings = new WarningList();
  const facts = resolveRuntimeFacts(options.runtimeFacts);
  const io = createProbeIo(
    root,
    options.runCommand ?? defaultCommandRunner,
    options.commandTimeoutMs ?? PROBE_DEFAULTS.commandTimeoutMs,
    warnings,
  );
  const linux = facts.platform === "linux";
  const files = linux ? await readProcFiles(io) : NO_PROC_FILES;
  const cpuinfo = files.cpuinfo === null ? null : parseCpuinfo(files.cpuinfo);

  const allowed = files.status === null ? null : parseAllowedCpus(files.status);
  const { logical, affinity } = resolveLogicalAndAffinity(facts, cpuinfo, warnings, allowed);
  const topology = await probeTopology(io, facts.platform, cpuinfo, logical.value ?? 1, warnings);
  const cgroup = linux
    ? await readCgroupLimits(io, files.cgroup, files.mountinfo, warnings)
    : noCgroupLimits();
  const memory = buildMemory(files.meminfo, linux, facts, cgroup, warnings);
  const cpuModel = resolveCpuModel(facts, cpuinfo, warnings);
  const container: HardwareProfile["container"] = linux
    ? detectContainer({
        dockerenv: files.dockerenv,
        containerenv: files.containerenv,
        env: facts.env,
        membership: cgroup.membership,
        mounts: cgroup.mounts,
      })
    : { detected: false, source: "none", kind: null };
  const busyFraction = options.sampleLoad
    ? await sampleBusyFraction(warnings)
    : { value: null, source: "not sampled (sampleLoad is off)" };

  const profile = assembleProfile({
    probedAt,
    facts,
    runtime: {
      node: process.versions.node,
      v8: process.versions.v8,
      libuv: process.versions.uv ?? "unknown",
    },
    cpuModel,
    container,
    logical,
    affinity,
    topology,
    cgroup,
    memory,
    busyFraction,
    warnings,
  });
  profile.durationMs = Math.round((performance.now() - started) * 1000) / 1000;
  return checkedProfile(profile);
}
