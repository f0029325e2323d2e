// Realistic examples of every published schema, shared by the schema tests.
import type {
  ExecutionReport,
  HardwareProfile,
  MeasuredFigure,
  Plan,
  SpawnCostProfile,
  WorkloadSample,
} from "../src/index.js";

export const hardwareExample: HardwareProfile = {
  schemaVersion: 1,
  probedAt: "2026-11-28T22:00:00.000Z",
  durationMs: 4.2,
  platform: "linux",
  arch: "x64",
  cpuModel: { value: "Intel(R) Xeon(R) CPU @ 2.20GHz", source: "/proc/cpuinfo" },
  runtime: { node: "20.20.2", v8: "11.3.244.8-node.33", libuv: "1.46.0" },
  container: { detected: true, source: "/proc/self/cgroup", kind: "docker" },
  cores: {
    logical: { value: 2, source: "os.cpus()" },
    affinity: { value: 2, source: "os.availableParallelism()" },
    cpuset: { value: 2, source: "cgroup v1 cpuset.cpus" },
    physical: { value: 2, source: "/proc/cpuinfo" },
    packages: { value: 1, source: "/proc/cpuinfo" },
    quota: { cpus: null, source: "cgroup v1 cpu.cfs_quota_us", cgroupPath: "/" },
    usable: {
      value: 2,
      source: "physical",
      rule: "min(affinity, cpuset, ceil(quota), physical), at least 1",
    },
  },
  memory: {
    total: { value: 25_769_803_776, source: "/proc/meminfo MemTotal" },
    available: { value: 20_000_000_000, source: "/proc/meminfo MemAvailable" },
    cgroupLimit: { value: null, source: "cgroup v1 memory.limit_in_bytes" },
    cgroupHigh: { value: null, source: "none" },
    cgroupUsage: { value: null, source: "none" },
    constrained: { value: null, source: "process.constrainedMemory()" },
    usable: { value: 20_000_000_000, source: "/proc/meminfo MemAvailable" },
  },
  load: { loadavg: [0.5, 0.4, 0.3], busyFraction: { value: null, source: "not sampled" } },
  warnings: [],
};

const fig = (value: number, samples = 20): MeasuredFigure => ({
  value,
  provenance: "measured",
  samples,
  spread: value * 0.05,
});

export const spawnCostExample: SpawnCostProfile = {
  schemaVersion: 1,
  measuredAt: "2026-11-28T22:00:01.000Z",
  durationMs: 480,
  source: "measured",
  cachePath: "/root/.cache/amorsize/spawn-cost.json",
  machineKey: {
    cpuModel: "Intel(R) Xeon(R) CPU @ 2.20GHz",
    logicalCores: 2,
    usableCores: 2,
    quotaCpus: null,
    platform: "linux",
    arch: "x64",
    node: "20.20.2",
    tinypool: "2.2.0",
  },
  workerStart: { fixedMs: fig(28), perWorkerMs: fig(6) },
  dispatch: { latencyUs: fig(90), throughputUs: fig(45) },
  clone: {
    number: { perItemUs: fig(0.3), perByteNs: fig(0.5) },
    "plain-array": { perItemUs: fig(1), perByteNs: fig(2) },
    object: { perItemUs: fig(1.3), perByteNs: fig(20) },
    string: { perItemUs: fig(0.5), perByteNs: fig(1.3) },
    "typed-array": { perItemUs: fig(2), perByteNs: fig(1.4) },
    "typed-array-transfer": {
      perItemUs: fig(4),
      perByteNs: {
        value: 0,
        provenance: "estimated",
        reason: "transfer does not copy bytes",
        samples: 0,
        spread: null,
      },
    },
  },
  warnings: [],
};

export const workloadExample: WorkloadSample = {
  sampled: 8,
  indices: [0, 125, 250, 375, 500, 625, 750, 875],
  totalItems: 1000,
  itemTimeMs: { mean: 5, median: 4.8, p90: 6.1, max: 7, cv: 0.2 },
  cpuToWall: 0.98,
  inputBytes: { mean: 9, max: 9 },
  outputBytes: { mean: 9, max: 9 },
  inputKind: "number",
  outputKind: "number",
  memoryBytesPerItem: 128,
  sampleWallMs: 40,
  async: false,
  source: "measured",
};

const breakdown = {
  startupMs: 34,
  mainThreadMs: 2,
  computeMs: 2480,
  oversubscriptionMs: 0,
  chunkOverheadMs: 1,
  imbalanceMs: 12,
  pipelineFillMs: 0.1,
  totalMs: 2527,
};

export const planExample: Plan = {
  mode: "parallel",
  workers: 2,
  chunkSize: 25,
  maxInFlight: 4,
  adaptive: false,
  totalItems: 1000,
  predicted: { wallMs: 2527, serialMs: 5000, speedup: 1.98, breakdown },
  reasons: [
    { code: "COMPUTE_BOUND", message: "Items take 5 ms each; 2 workers keep both usable cores busy." },
  ],
  warnings: [],
  candidatesEvaluated: 96,
  alternatives: [{ mode: "serial", workers: 0, chunkSize: null, wallMs: 5000, speedup: 1 }],
};

export const reportExample: ExecutionReport = {
  mode: "parallel",
  workers: 2,
  chunkSize: 25,
  adaptive: false,
  items: 1000,
  succeeded: 999,
  precomputed: 0,
  failed: 1,
  wallMs: 2600,
  chunks: 40,
  chunkMs: { count: 40, min: 110, mean: 125, median: 124, p90: 131, max: 140 },
  busyMs: 5000,
  utilisation: 0.96,
  itemsPerSecond: 384.6,
  errors: [{ index: 17, range: [0, 24], code: "AMORSIZE_ITEM_FAILED", message: "boom" }],
  aborted: false,
};
