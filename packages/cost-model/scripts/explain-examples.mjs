// Prints explain() for the README's scenarios, from the built package:
//   npm run build && node scripts/explain-examples.mjs
// The figures are the reference machine's (2-core Linux x64, Node 20.20, tinypool 2.2,
// 2026-11-28), the same as test/fixtures.ts MACHINE_COSTS.
import { explain, planExecution } from "../dist/index.js";

const fig = (value) => ({ value, provenance: "measured", samples: 20, spread: value * 0.05 });
const sourced = (value, source) => ({ value, source });

const hardware = {
  schemaVersion: 1,
  probedAt: "2026-11-28T22:00:00.000Z",
  durationMs: 4,
  platform: "linux",
  arch: "x64",
  cpuModel: sourced("AMD EPYC", "/proc/cpuinfo"),
  runtime: { node: "20.20.2", v8: "11.3.244.8-node.33", libuv: "1.46.0" },
  container: { detected: false, source: "none", kind: null },
  cores: {
    logical: sourced(2, "os.cpus()"),
    affinity: sourced(2, "os.availableParallelism()"),
    cpuset: sourced(2, "cgroup v1 cpuset.cpus"),
    physical: sourced(2, "/proc/cpuinfo"),
    packages: sourced(1, "/proc/cpuinfo"),
    quota: { cpus: null, source: "cgroup v1 cpu.cfs_quota_us", cgroupPath: "/" },
    usable: {
      value: 2,
      source: "physical",
      rule: "min(affinity, cpuset, ceil(quota), physical), at least 1",
    },
  },
  memory: {
    total: sourced(8 * 1024 ** 3, "/proc/meminfo MemTotal"),
    available: sourced(6 * 1024 ** 3, "/proc/meminfo MemAvailable"),
    cgroupLimit: sourced(null, "cgroup v1 memory.limit_in_bytes"),
    cgroupHigh: sourced(null, "none"),
    cgroupUsage: sourced(null, "none"),
    constrained: sourced(null, "process.constrainedMemory()"),
    usable: sourced(6 * 1024 ** 3, "/proc/meminfo MemAvailable"),
  },
  load: { loadavg: [0.2, 0.2, 0.2], busyFraction: sourced(null, "not sampled") },
  warnings: [],
};

const clone = {
  number: [0.4, 0],
  "plain-array": [2.6, 15],
  object: [2.6, 20],
  string: [1, 2.8],
  "typed-array": [4, 2.8],
  "typed-array-transfer": [6, 0],
};
const spawnCost = {
  schemaVersion: 1,
  measuredAt: "2026-11-28T22:00:01.000Z",
  durationMs: 480,
  source: "measured",
  cachePath: null,
  machineKey: {
    cpuModel: "AMD EPYC",
    logicalCores: 2,
    usableCores: 2,
    quotaCpus: null,
    platform: "linux",
    arch: "x64",
    node: "20.20.2",
    tinypool: "2.2.0",
  },
  workerStart: { fixedMs: fig(28), perWorkerMs: fig(6) },
  dispatch: { latencyUs: fig(90), throughputUs: fig(50) },
  clone: Object.fromEntries(
    Object.entries(clone).map(([kind, [item, byte]]) => [
      kind,
      { perItemUs: fig(item), perByteNs: fig(byte) },
    ]),
  ),
  warnings: [],
};

function workload(o) {
  return {
    sampled: 8,
    indices: [0, 250, 500, 750, 1000, 1250, 1500, 1750],
    totalItems: o.totalItems,
    itemTimeMs: { mean: o.itemMs, median: o.itemMs, p90: o.itemMs, max: o.itemMs, cv: o.cv ?? 0 },
    cpuToWall: 1,
    inputBytes: { mean: o.bytes ?? 9, max: o.bytes ?? 9 },
    outputBytes: { mean: o.bytes ?? 9, max: o.bytes ?? 9 },
    inputKind: o.kind ?? "number",
    outputKind: o.kind ?? "number",
    memoryBytesPerItem: 1024,
    sampleWallMs: 8 * o.itemMs,
    async: false,
    source: "given",
  };
}

const scenarios = [
  ["Heavy skewed items: 2000 items of 5 ms on average, cv 1.5", { totalItems: 2000, itemMs: 5, cv: 1.5 }],
  [
    "Large payloads, light compute: 2000 plain arrays of 100 KB in and out, 20 us of work each",
    { totalItems: 2000, itemMs: 0.02, kind: "plain-array", bytes: 100_000 },
  ],
];
for (const [title, o] of scenarios) {
  console.log(`### ${title}\n`);
  console.log("```text");
  console.log(explain(planExecution({ hardware, spawnCost, workload: workload(o) })));
  console.log("```\n");
}
