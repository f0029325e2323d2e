import { z } from "zod";
import {
  functionSchema,
  SourcedCountSchema,
  SourcedNumberSchema,
  TimestampSchema,
  WarningSchema,
} from "./common.js";
import type { Named } from "./documented.js";

const cpuQuotaShape = {
  /** Quota as a number of CPUs (150000/100000 gives 1.5); null when unlimited. */
  cpus: z.number().finite().positive().nullable(),
  /** `cgroup v2 cpu.max`, `cgroup v1 cpu.cfs_quota_us`, `none`, ... */
  source: z.string().min(1),
  /** The cgroup folder whose limit is the tightest, relative to the cgroup mount. */
  cgroupPath: z.string().nullable(),
};
/** The schema of {@link CpuQuota}. */
export const CpuQuotaSchema: z.ZodObject<typeof cpuQuotaShape> = z.object(cpuQuotaShape);
/** The CPU time the process may use, from cgroups. `cpus` is null when there is no quota. */
export interface CpuQuota extends z.infer<typeof CpuQuotaSchema>, Named {}

const coresShape = {
  /** Logical processors the OS reports (`os.cpus().length`). */
  logical: SourcedCountSchema,
  /** Processors this process may run on (CPU affinity; `os.availableParallelism()`). */
  affinity: SourcedCountSchema,
  /** CPUs allowed by cgroup v1 `cpuset.cpus` / v2 `cpuset.cpus.effective`, when set. */
  cpuset: SourcedCountSchema,
  /** Physical cores (unique package/core pairs); null when unknown. */
  physical: SourcedCountSchema,
  /** Physical packages (sockets); null when unknown. */
  packages: SourcedCountSchema,
  quota: CpuQuotaSchema,
  /**
   * Cores usable for CPU-bound work: min(affinity, cpuset, ceil(quota), physical),
   * at least 1. `source` says which figure bounded it.
   */
  usable: z.object({
    value: z.number().int().positive(),
    source: z.string().min(1),
    rule: z.string().min(1),
  }),
};
/** The schema of {@link Cores}. */
export const CoresSchema: z.ZodObject<typeof coresShape> = z.object(coresShape);
export interface Cores extends z.infer<typeof CoresSchema>, Named {}

const memoryShape = {
  /** Physical memory in bytes. */
  total: SourcedNumberSchema,
  /** Memory the OS could give now (`MemAvailable`, else `os.freemem()`). */
  available: SourcedNumberSchema,
  /** cgroup hard limit (v2 `memory.max`, v1 `memory.limit_in_bytes`); null when none. */
  cgroupLimit: SourcedNumberSchema,
  /** cgroup v2 `memory.high` throttling threshold; null when none. */
  cgroupHigh: SourcedNumberSchema,
  /** Current usage of the cgroup that holds the limit; null when unknown. */
  cgroupUsage: SourcedNumberSchema,
  /** `process.constrainedMemory()`; null when it reports no constraint. */
  constrained: SourcedNumberSchema,
  /** The tightest of the above, less current usage where the limit is a cgroup's. */
  usable: z.object({ value: z.number().finite().nonnegative(), source: z.string().min(1) }),
};
/** The schema of {@link Memory}. */
export const MemorySchema: z.ZodObject<typeof memoryShape> = z.object(memoryShape);
export interface Memory extends z.infer<typeof MemorySchema>, Named {}

const loadShape = {
  /** `os.loadavg()`: 1, 5 and 15 minute load averages (zeros on Windows). */
  loadavg: z.tuple([z.number().nonnegative(), z.number().nonnegative(), z.number().nonnegative()]),
  /** Fraction of CPU time busy over a short sample (0..1); null unless `sampleLoad` was set. */
  busyFraction: z.object({ value: z.number().min(0).max(1).nullable(), source: z.string().min(1) }),
};
/** The schema of {@link Load}. */
export const LoadSchema: z.ZodObject<typeof loadShape> = z.object(loadShape);
export interface Load extends z.infer<typeof LoadSchema>, Named {}

const runtimeShape = {
  node: z.string().min(1),
  v8: z.string().min(1),
  libuv: z.string().min(1),
};
export const RuntimeSchema: z.ZodObject<typeof runtimeShape> = z.object(runtimeShape);

const containerShape = {
  detected: z.boolean(),
  /** Evidence: `/.dockerenv`, `/proc/self/cgroup`, `/proc/self/mountinfo`, `none`. */
  source: z.string().min(1),
  /** `docker`, `lxc`, `kubernetes`, `heroku`, ... when known. */
  kind: z.string().nullable(),
};
export const ContainerSchema: z.ZodObject<typeof containerShape> = z.object(containerShape);

const hardwareProfileShape = {
  schemaVersion: z.literal(1),
  probedAt: TimestampSchema,
  /** How long the probe took, in milliseconds. */
  durationMs: z.number().finite().nonnegative(),
  platform: z.string().min(1),
  arch: z.string().min(1),
  cpuModel: z.object({ value: z.string().nullable(), source: z.string().min(1) }),
  runtime: RuntimeSchema,
  container: ContainerSchema,
  cores: CoresSchema,
  memory: MemorySchema,
  load: LoadSchema,
  warnings: z.array(WarningSchema),
};
/** The schema of {@link HardwareProfile}. */
export const HardwareProfileSchema: z.ZodObject<typeof hardwareProfileShape> = z.object(hardwareProfileShape);
/** What this machine can give to this process. Produced by `probeHardware()`. */
export interface HardwareProfile extends z.infer<typeof HardwareProfileSchema>, Named {}

/** Result of a command run by the probe (`lscpu -p`, `sysctl`, PowerShell). */
export interface CommandResult {
  stdout: string;
  /** Non-zero, or null when the command could not be started or timed out. */
  exitCode: number | null;
}

/** Runs a command with a time-out; injectable so tests can fake `lscpu` and friends. */
export type CommandRunner = (
  command: string,
  args: readonly string[],
  timeoutMs: number,
) => Promise<CommandResult>;

const runtimeFactsShape = {
  platform: z.string().optional(),
  arch: z.string().optional(),
  logicalCpus: z.number().int().positive().optional(),
  cpuModel: z.string().nullable().optional(),
  availableParallelism: z.number().int().positive().optional(),
  totalMemory: z.number().nonnegative().optional(),
  freeMemory: z.number().nonnegative().optional(),
  constrainedMemory: z.number().nonnegative().optional(),
  loadavg: z.tuple([z.number(), z.number(), z.number()]).optional(),
  /** Environment variables read for container hints (`KUBERNETES_SERVICE_HOST`). Default `process.env`. */
  env: z.record(z.string(), z.string()).optional(),
};
const RuntimeFactsSchema: z.ZodObject<typeof runtimeFactsShape, z.core.$strict> = z
  .object(runtimeFactsShape)
  .strict();
const probeOptionsShape = {
  /** Folder standing for `/` when reading `/proc` and `/sys` (tests use a fixture tree). Default `/`. */
  root: z.string().min(1).optional(),
  /** Re-read the machine instead of returning the once-per-process result. */
  refresh: z.boolean().optional(),
  /** Sample the CPU-busy fraction for about a second (os-utils `cpuUsage`). Default false. */
  sampleLoad: z.boolean().optional(),
  /** Time-out for each external command, in milliseconds. Default 2000. */
  commandTimeoutMs: z.number().int().positive().optional(),
  /** Replaces the command runner (tests). */
  runCommand: functionSchema<CommandRunner>("a command runner").optional(),
  /** Replaces facts read from `node:os` and `process` (tests). */
  runtimeFacts: RuntimeFactsSchema.optional(),
};
/** The schema of {@link ProbeOptions}. */
export const ProbeOptionsSchema: z.ZodObject<typeof probeOptionsShape, z.core.$strict> = z
  .object(probeOptionsShape)
  .strict();
/** Options of `probeHardware()`. */
export interface ProbeOptions extends z.input<typeof ProbeOptionsSchema>, Named {}
