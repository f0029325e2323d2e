// Small builders of the model's inputs. `machine()` gives the realistic figures of
// the 2-core reference machine (2026-11-28, Linux x64, Node 20.20); `unitCosts()`
// gives round figures for hand-computed unit tests.
import type {
  HardwareProfile,
  MeasuredFigure,
  PayloadKind,
  PlanConstraints,
  PlanInput,
  SpawnCostProfile,
  WorkloadSample,
} from "@amorsize/types";

export const fig = (value: number): MeasuredFigure => ({
  value,
  provenance: "measured",
  samples: 20,
  spread: value * 0.05,
});

export interface HardwareOptions {
  usableCores?: number;
  quotaCpus?: number | null;
  memoryBytes?: number;
  logicalCores?: number;
  busyFraction?: number | null;
}

export function hardware(options: HardwareOptions = {}): HardwareProfile {
  const usable = options.usableCores ?? 2;
  const logical = options.logicalCores ?? usable;
  const memory = options.memoryBytes ?? 16 * 1024 ** 3;
  const quota = options.quotaCpus ?? null;
  return {
    schemaVersion: 1,
    probedAt: "2026-11-28T22:00:00.000Z",
    durationMs: 4,
    platform: "linux",
    arch: "x64",
    cpuModel: { value: "Test CPU", source: "/proc/cpuinfo" },
    runtime: { node: "20.20.2", v8: "11.3.244.8-node.33", libuv: "1.46.0" },
    container: { detected: false, source: "none", kind: null },
    cores: {
      logical: { value: logical, source: "os.cpus()" },
      affinity: { value: logical, source: "os.availableParallelism()" },
      cpuset: { value: null, source: "none" },
      physical: { value: logical, source: "/proc/cpuinfo" },
      packages: { value: 1, source: "/proc/cpuinfo" },
      quota: {
        cpus: quota,
        source: quota === null ? "none" : "cgroup v2 cpu.max",
        cgroupPath: quota === null ? null : "/",
      },
      usable: { value: usable, source: quota === null ? "physical" : "quota", rule: "min(...)" },
    },
    memory: {
      total: { value: memory, source: "/proc/meminfo MemTotal" },
      available: { value: memory, source: "/proc/meminfo MemAvailable" },
      cgroupLimit: { value: null, source: "none" },
      cgroupHigh: { value: null, source: "none" },
      cgroupUsage: { value: null, source: "none" },
      constrained: { value: null, source: "process.constrainedMemory()" },
      usable: { value: memory, source: "/proc/meminfo MemAvailable" },
    },
    load: {
      loadavg: [0.1, 0.1, 0.1],
      busyFraction: {
        value: options.busyFraction ?? null,
        source: options.busyFraction == null ? "not sampled" : "os-utils",
      },
    },
    warnings: [],
  };
}

export interface CostOptions {
  fixedMs: number;
  perWorkerMs: number;
  latencyUs: number;
  throughputUs: number;
  /** Round trip per kind: [perItemUs, perByteNs]. */
  clone: Record<PayloadKind, [number, number]>;
  usableCores?: number;
  /** The workers' pace (absent: a profile written before it was measured). */
  pace?: { gapUs: number; afterMs: number; speedCv: number };
}

/** The reference machine: 2 cores, tinypool 2.2, Node 20.20. */
export const MACHINE_COSTS: CostOptions = {
  fixedMs: 28,
  perWorkerMs: 6,
  latencyUs: 90,
  throughputUs: 50,
  clone: {
    number: [0.4, 0],
    "plain-array": [2.6, 15],
    object: [2.6, 20],
    string: [1, 2.8],
    "typed-array": [4, 2.8],
    "typed-array-transfer": [6, 0],
  },
};

/** Round figures for hand computation: 10 ms + 2 ms/worker, 100 us latency, 40 us dispatch. */
export const UNIT_COSTS: CostOptions = {
  fixedMs: 10,
  perWorkerMs: 2,
  latencyUs: 100,
  throughputUs: 40,
  clone: {
    number: [2, 0],
    "plain-array": [2, 10],
    object: [4, 20],
    string: [2, 2],
    "typed-array": [4, 2],
    "typed-array-transfer": [8, 0],
  },
};

export function spawnCost(options: Partial<CostOptions> = {}): SpawnCostProfile {
  const o = { ...MACHINE_COSTS, ...options };
  const clone = {} as SpawnCostProfile["clone"];
  for (const [kind, [perItemUs, perByteNs]] of Object.entries(o.clone) as [PayloadKind, [number, number]][]) {
    clone[kind] = { perItemUs: fig(perItemUs), perByteNs: fig(perByteNs) };
  }
  return {
    schemaVersion: 1,
    measuredAt: "2026-11-28T22:00:01.000Z",
    durationMs: 480,
    source: "measured",
    cachePath: null,
    machineKey: {
      cpuModel: "Test CPU",
      logicalCores: o.usableCores ?? 2,
      usableCores: o.usableCores ?? 2,
      quotaCpus: null,
      platform: "linux",
      arch: "x64",
      node: "20.20.2",
      tinypool: "2.2.0",
    },
    workerStart: { fixedMs: fig(o.fixedMs), perWorkerMs: fig(o.perWorkerMs) },
    dispatch: { latencyUs: fig(o.latencyUs), throughputUs: fig(o.throughputUs) },
    ...(o.pace === undefined
      ? {}
      : { pace: { gapUs: fig(o.pace.gapUs), afterMs: o.pace.afterMs, speedCv: fig(o.pace.speedCv) } }),
    clone,
    warnings: [],
  };
}

export interface WorkloadOptions {
  totalItems?: number | null;
  itemMs?: number;
  cv?: number;
  cpuToWall?: number;
  inputBytes?: number;
  outputBytes?: number;
  inputKind?: PayloadKind;
  outputKind?: PayloadKind;
  memoryBytesPerItem?: number;
  async?: boolean;
  sampled?: number;
  moduleLoadMs?: number;
  cloneMs?: WorkloadSample["cloneMs"];
  spread?: WorkloadSample["spread"];
  helperCpuShare?: number;
  warmup?: WorkloadSample["warmup"];
  contention?: WorkloadSample["contention"];
}

export function workload(options: WorkloadOptions = {}): WorkloadSample {
  const itemMs = options.itemMs ?? 5;
  const cv = options.cv ?? 0;
  return {
    sampled: options.sampled ?? 8,
    indices: [0, 1, 2, 3, 4, 5, 6, 7].slice(0, options.sampled ?? 8),
    totalItems: options.totalItems === undefined ? 1000 : options.totalItems,
    itemTimeMs: { mean: itemMs, median: itemMs, p90: itemMs * (1 + cv), max: itemMs * (1 + 2 * cv), cv },
    cpuToWall: options.cpuToWall ?? 1,
    inputBytes: { mean: options.inputBytes ?? 9, max: options.inputBytes ?? 9 },
    outputBytes: { mean: options.outputBytes ?? 9, max: options.outputBytes ?? 9 },
    inputKind: options.inputKind ?? "number",
    outputKind: options.outputKind ?? "number",
    memoryBytesPerItem: options.memoryBytesPerItem ?? 1024,
    sampleWallMs: itemMs * 8,
    async: options.async ?? false,
    source: "measured",
    ...(options.moduleLoadMs === undefined ? {} : { moduleLoadMs: options.moduleLoadMs }),
    ...(options.cloneMs === undefined ? {} : { cloneMs: options.cloneMs }),
    ...(options.spread === undefined ? {} : { spread: options.spread }),
    ...(options.helperCpuShare === undefined ? {} : { helperCpuShare: options.helperCpuShare }),
    ...(options.warmup === undefined ? {} : { warmup: options.warmup }),
    ...(options.contention === undefined ? {} : { contention: options.contention }),
  };
}

export interface InputOptions {
  hardware?: HardwareOptions;
  costs?: Partial<CostOptions>;
  workload?: WorkloadOptions;
  constraints?: PlanConstraints;
}

/** A whole input on the reference machine, with overrides. */
export function input(options: InputOptions = {}): PlanInput {
  const usable = options.hardware?.usableCores ?? 2;
  return {
    hardware: hardware(options.hardware),
    spawnCost: spawnCost({ usableCores: usable, ...options.costs }),
    workload: workload(options.workload),
    ...(options.constraints ? { constraints: options.constraints } : {}),
  };
}

/** A whole input with the round unit-test costs. */
export function unitInput(options: InputOptions = {}): PlanInput {
  return input({ ...options, costs: { ...UNIT_COSTS, ...options.costs } });
}
