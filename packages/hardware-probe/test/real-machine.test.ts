// Probes the machine the tests run on. The general checks compare the probe with
// what other tools on the same machine say; the exact figures are asserted on the
// project's reference machine (a 2-core, cgroup v1 Linux VM without limits, as in
// TOOLCHAIN.md), and skipped with a notice elsewhere.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import os from "node:os";
import { HardwareProfileSchema } from "@amorsize/types";
import { describe, expect, it } from "@jest/globals";
import { ALLOWED_CPUS_SOURCE } from "../src/cores.js";
import { probeHardware } from "../src/index.js";
import { parseLscpu } from "../src/parse.js";

const linux = process.platform === "linux";

function lscpuCores(): number | null {
  try {
    return parseLscpu(
      execFileSync("lscpu", ["-p"], { encoding: "utf8", env: { ...process.env, LC_ALL: "C" } }),
    ).physicalCores;
  } catch {
    return null;
  }
}

/** The CPUs this process may run on, as coreutils' nproc reads them (sched_getaffinity); null without nproc. */
function nprocAffinity(): number | null {
  const env = { ...process.env };
  // nproc would honour these over the affinity.
  delete env.OMP_NUM_THREADS;
  delete env.OMP_THREAD_LIMIT;
  try {
    return Number(execFileSync("nproc", { encoding: "utf8", env }).trim());
  } catch {
    return null;
  }
}

describe("a real probe of this machine", () => {
  it("is schema-valid, with a source on every figure", async () => {
    const profile = await probeHardware({ refresh: true });
    expect(HardwareProfileSchema.parse(profile)).toEqual(profile);
    expect(profile.platform).toBe(process.platform);
    expect(profile.arch).toBe(process.arch);
    expect(profile.runtime).toEqual({
      node: process.versions.node,
      v8: process.versions.v8,
      libuv: process.versions.uv,
    });
    const sources = [
      profile.cores.logical.source,
      profile.cores.affinity.source,
      profile.cores.physical.source,
      profile.cores.quota.source,
      profile.cores.usable.source,
      profile.memory.total.source,
      profile.memory.available.source,
      profile.memory.usable.source,
    ];
    for (const source of sources) expect(source.length).toBeGreaterThan(0);
    expect(profile.durationMs).toBeGreaterThan(0);
  });

  it("agrees with os.cpus(), nproc (the affinity) and lscpu", async () => {
    const profile = await probeHardware();
    expect(profile.cores.logical).toEqual({ value: os.cpus().length, source: "os.cpus()" });
    const allowed = linux ? nprocAffinity() : null;
    // On Linux the affinity is read from /proc/self/status; nproc asks the scheduler itself.
    expect(profile.cores.affinity).toEqual(
      allowed === null
        ? { value: os.availableParallelism(), source: "os.availableParallelism()" }
        : { value: allowed, source: ALLOWED_CPUS_SOURCE },
    );
    const cores = linux ? lscpuCores() : null;
    if (cores !== null) expect(profile.cores.physical.value).toBe(cores);
    expect(profile.cores.usable.value).toBeLessThanOrEqual(profile.cores.affinity.value ?? Number.NaN);
  });
});

const reference =
  linux &&
  os.cpus().length === 2 &&
  existsSync("/sys/fs/cgroup/cpu/cpu.cfs_quota_us") &&
  existsSync("/proc/cpuinfo");
if (!reference) {
  console.warn("real-machine: not the 2-core cgroup v1 reference machine; its exact-figure test is skipped.");
}
const describeReference = reference ? describe : describe.skip;

describeReference("on the reference machine (2-core cgroup v1 Linux VM)", () => {
  it("reports 2 logical, 2 physical and 2 usable cores, no CPU quota and no memory limit", async () => {
    const profile = await probeHardware({ refresh: true });
    expect(profile.cores.logical).toEqual({ value: 2, source: "os.cpus()" });
    expect(profile.cores.affinity).toEqual({ value: 2, source: ALLOWED_CPUS_SOURCE });
    expect(profile.cores.physical).toEqual({ value: 2, source: "/proc/cpuinfo" });
    expect(profile.cores.packages).toEqual({ value: 1, source: "/proc/cpuinfo" });
    expect(profile.cores.quota).toEqual({
      cpus: null,
      source: "cgroup v1 cpu.cfs_quota_us",
      cgroupPath: null,
    });
    expect(profile.cores.usable.value).toBe(2);
    expect(profile.memory.cgroupLimit).toEqual({ value: null, source: "cgroup v1 memory.limit_in_bytes" });
    expect(profile.memory.constrained).toEqual({ value: null, source: "process.constrainedMemory()" });
    expect(profile.memory.total.source).toBe("/proc/meminfo MemTotal");
    expect(profile.memory.available.source).toBe("/proc/meminfo MemAvailable");
    expect(profile.memory.usable).toEqual({
      value: profile.memory.available.value,
      source: "/proc/meminfo MemAvailable",
    });
    expect(profile.warnings).toEqual([]);
  });
});

describe("sampleLoad on this machine", () => {
  it("samples a busy fraction between 0 and 1 for about a second", async () => {
    const profile = await probeHardware({ sampleLoad: true, refresh: true });
    const { value, source } = profile.load.busyFraction;
    expect(value).not.toBeNull();
    expect(value).toBeGreaterThanOrEqual(0);
    expect(value).toBeLessThanOrEqual(1);
    // os-utils when it can be loaded; otherwise the same measurement done directly, with a warning.
    const fellBack = profile.warnings.some((w) => w.code === "LOAD_SAMPLER_FALLBACK");
    expect(source).toBe(fellBack ? "os.cpus() times" : "os-utils cpuUsage");
  });
});
