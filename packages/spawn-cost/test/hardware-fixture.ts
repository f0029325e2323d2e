import type { HardwareProfile } from "@amorsize/types";

/** A schema-valid hardware profile such as the optimizer passes, with a CPU quota and `usable` cores. */
export function hardwareFixture(usable: number, quotaCpus: number | null): HardwareProfile {
  const count = (value: number | null, source: string) => ({ value, source });
  return {
    schemaVersion: 1,
    probedAt: "2026-11-28T12:00:00.000Z",
    durationMs: 3,
    platform: process.platform,
    arch: process.arch,
    cpuModel: { value: "Fixture CPU @ 3.0GHz", source: "/proc/cpuinfo" },
    runtime: { node: process.versions.node, v8: process.versions.v8, libuv: process.versions.uv ?? "1.0.0" },
    container: { detected: true, source: "/.dockerenv", kind: "docker" },
    cores: {
      logical: count(8, "os.cpus()"),
      affinity: count(8, "os.availableParallelism()"),
      cpuset: count(null, "none"),
      physical: count(4, "/proc/cpuinfo"),
      packages: count(1, "/proc/cpuinfo"),
      quota: {
        cpus: quotaCpus,
        source: quotaCpus === null ? "none" : "cgroup v2 cpu.max",
        cgroupPath: quotaCpus === null ? null : "/",
      },
      usable: { value: usable, source: "quota", rule: "min(affinity, cpuset, ceil(quota), physical)" },
    },
    memory: {
      total: { value: 8 * 2 ** 30, source: "os.totalmem()" },
      available: { value: 4 * 2 ** 30, source: "/proc/meminfo MemAvailable" },
      cgroupLimit: { value: null, source: "none" },
      cgroupHigh: { value: null, source: "none" },
      cgroupUsage: { value: null, source: "none" },
      constrained: { value: null, source: "process.constrainedMemory()" },
      usable: { value: 4 * 2 ** 30, source: "/proc/meminfo MemAvailable" },
    },
    load: { loadavg: [0.5, 0.4, 0.3], busyFraction: { value: null, source: "not sampled" } },
    warnings: [],
  };
}
