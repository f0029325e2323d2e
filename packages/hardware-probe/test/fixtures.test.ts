import { HardwareProfileSchema, MAX_TIMER_MS } from "@amorsize/types";
import { afterAll, describe, expect, it } from "@jest/globals";
import { ALLOWED_CPUS_SOURCE, USABLE_CORES_RULE } from "../src/cores.js";
import { type CommandRunner, type ProbeOptions, probeHardware } from "../src/index.js";
import {
  facts,
  failingRunner,
  fixtureRoot,
  lscpuRunner,
  removeTempRoots,
  tempRoot,
  warningCodes,
} from "./helpers.js";

afterAll(removeTempRoots);

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

/** Probes a fixture root with made-up runtime facts; always re-reads. */
async function probeFixture(
  name: string,
  overrides: NonNullable<ProbeOptions["runtimeFacts"]> = {},
  extra: Omit<ProbeOptions, "root" | "runtimeFacts"> = {},
) {
  const profile = await probeHardware({
    root: fixtureRoot(name),
    runtimeFacts: { ...facts, ...overrides },
    runCommand: failingRunner(),
    refresh: true,
    ...extra,
  });
  // probeHardware already validates; this guards the test against a silently skipped check.
  expect(HardwareProfileSchema.safeParse(profile).success).toBe(true);
  return profile;
}

describe("cgroup v1", () => {
  it("host without a quota or memory limit (the reference VM's shape)", async () => {
    const p = await probeFixture("v1-host", { logicalCpus: 2, availableParallelism: 2 });
    expect(p.cores).toEqual({
      logical: { value: 2, source: "os.cpus()" },
      affinity: { value: 2, source: "os.availableParallelism()" },
      cpuset: { value: 2, source: "cgroup v1 cpuset.cpus" },
      physical: { value: 2, source: "/proc/cpuinfo" },
      packages: { value: 1, source: "/proc/cpuinfo" },
      quota: { cpus: null, source: "cgroup v1 cpu.cfs_quota_us", cgroupPath: null },
      usable: { value: 2, source: "cpuset = affinity = physical cores", rule: USABLE_CORES_RULE },
    });
    expect(p.memory).toEqual({
      total: { value: 8 * GiB, source: "/proc/meminfo MemTotal" },
      available: { value: 6 * GiB, source: "/proc/meminfo MemAvailable" },
      cgroupLimit: { value: null, source: "cgroup v1 memory.limit_in_bytes" },
      cgroupHigh: { value: null, source: "none" },
      cgroupUsage: { value: null, source: "none" },
      constrained: { value: null, source: "process.constrainedMemory()" },
      usable: { value: 6 * GiB, source: "/proc/meminfo MemAvailable" },
    });
    expect(p.container).toEqual({ detected: false, source: "none", kind: null });
    expect(p.cpuModel).toEqual({ value: "Test CPU", source: "os.cpus()" });
    expect(p.load).toEqual({
      loadavg: [0.5, 0.25, 0.125],
      busyFraction: { value: null, source: "not sampled (sampleLoad is off)" },
    });
    expect(p.warnings).toEqual([]);
  });

  it("Docker container with a 2.5-CPU quota, a cpuset, a memory limit and hyperthreaded two-socket cpuinfo", async () => {
    const p = await probeFixture("v1-docker-quota", {
      logicalCpus: 8,
      availableParallelism: 8,
      constrainedMemory: 512 * MiB,
    });
    expect(p.cores).toEqual({
      logical: { value: 8, source: "os.cpus()" },
      affinity: { value: 8, source: "os.availableParallelism()" },
      cpuset: { value: 6, source: "cgroup v1 cpuset.effective_cpus" },
      physical: { value: 4, source: "/proc/cpuinfo" },
      packages: { value: 2, source: "/proc/cpuinfo" },
      // The cgroup mount's top is the container's own cgroup (/docker/<id>), so the path below it is "/".
      quota: { cpus: 2.5, source: "cgroup v1 cpu.cfs_quota_us", cgroupPath: "/" },
      usable: { value: 3, source: "cpu quota", rule: USABLE_CORES_RULE },
    });
    expect(p.memory).toEqual({
      total: { value: 16 * GiB, source: "/proc/meminfo MemTotal" },
      available: { value: 12 * GiB, source: "/proc/meminfo MemAvailable" },
      cgroupLimit: { value: 512 * MiB, source: "cgroup v1 memory.limit_in_bytes" },
      cgroupHigh: { value: null, source: "none" },
      cgroupUsage: { value: 128 * MiB, source: "cgroup v1 memory.usage_in_bytes" },
      constrained: { value: 512 * MiB, source: "process.constrainedMemory()" },
      usable: { value: 384 * MiB, source: "cgroup v1 memory.limit_in_bytes less usage" },
    });
    expect(p.container).toEqual({
      detected: true,
      source: "/.dockerenv, /proc/self/cgroup, /proc/self/mountinfo",
      kind: "docker",
    });
    expect(p.cpuModel.value).toBe("Test CPU");
    expect(p.warnings).toEqual([]);
  });

  it("garbage values, a path outside its mount and an old meminfo: each level ignored with a warning", async () => {
    const p = await probeFixture("v1-garbage", { freeMemory: GiB / 2 });
    expect(p.cores.quota).toEqual({ cpus: null, source: "cgroup v1 cpu.cfs_quota_us", cgroupPath: null });
    expect(p.cores.cpuset).toEqual({ value: 2, source: "cgroup v1 cpuset.cpus" });
    expect(p.cores.physical).toEqual({ value: 2, source: "/proc/cpuinfo" });
    expect(p.cores.usable).toEqual({ value: 2, source: "cpuset = physical cores", rule: USABLE_CORES_RULE });
    expect(p.memory).toEqual({
      total: { value: 2 * GiB, source: "/proc/meminfo MemTotal" },
      available: { value: GiB / 2, source: "os.freemem()" },
      cgroupLimit: { value: GiB, source: "cgroup v1 memory.limit_in_bytes" },
      cgroupHigh: { value: null, source: "none" },
      cgroupUsage: { value: null, source: "cgroup v1 memory.usage_in_bytes" },
      constrained: { value: null, source: "process.constrainedMemory()" },
      usable: { value: GiB / 2, source: "os.freemem()" },
    });
    expect(p.container).toEqual({ detected: true, source: "/proc/self/cgroup", kind: "docker" });
    expect(p.warnings).toEqual([
      {
        code: "CGROUP_VALUE_INVALID",
        message:
          '/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us holds "lots", which the kernel never writes; that cgroup level is ignored',
      },
      {
        code: "CGROUP_VALUE_INVALID",
        message:
          '/sys/fs/cgroup/cpu,cpuacct/docker/cpu.cfs_period_us holds "zero", which the kernel never writes; that cgroup level is ignored',
      },
      {
        code: "CGROUP_PATH_UNMAPPED",
        message:
          "the process's cgroup /docker/abc lies outside /lxc/other, the part mounted at /sys/fs/cgroup/cpuset; read the limits at the mount's top",
      },
      {
        code: "CGROUP_VALUE_INVALID",
        message:
          '/sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes holds "unlimited", which the kernel never writes; that cgroup level is ignored',
      },
      {
        code: "CGROUP_VALUE_INVALID",
        message:
          '/sys/fs/cgroup/memory/docker/memory.usage_in_bytes holds "a lot", which the kernel never writes; usage taken as unknown',
      },
      {
        code: "MEMAVAILABLE_MISSING",
        message:
          "/proc/meminfo has no MemAvailable line (kernel before 3.14); available memory comes from os.freemem()",
      },
    ]);
  });
});

describe("cgroup v2", () => {
  it('cpu.max "150000 100000" is 1.5 CPUs, and memory.high less usage bounds memory', async () => {
    const p = await probeFixture("v2-quota");
    expect(p.cores).toEqual({
      logical: { value: 4, source: "os.cpus()" },
      affinity: { value: 4, source: "os.availableParallelism()" },
      cpuset: { value: 4, source: "cgroup v2 cpuset.cpus.effective" },
      physical: { value: 4, source: "/proc/cpuinfo" },
      packages: { value: 1, source: "/proc/cpuinfo" },
      quota: { cpus: 1.5, source: "cgroup v2 cpu.max", cgroupPath: "/app.slice/worker.service" },
      usable: { value: 2, source: "cpu quota", rule: USABLE_CORES_RULE },
    });
    expect(p.memory).toEqual({
      total: { value: 16 * GiB, source: "/proc/meminfo MemTotal" },
      available: { value: 12 * GiB, source: "/proc/meminfo MemAvailable" },
      cgroupLimit: { value: GiB, source: "cgroup v2 memory.max" },
      cgroupHigh: { value: 768 * MiB, source: "cgroup v2 memory.high" },
      cgroupUsage: { value: 256 * MiB, source: "cgroup v2 memory.current" },
      constrained: { value: null, source: "process.constrainedMemory()" },
      usable: { value: 512 * MiB, source: "cgroup v2 memory.high less usage" },
    });
    expect(p.container).toEqual({ detected: false, source: "none", kind: null });
    expect(p.warnings).toEqual([]);
  });

  it("takes the affinity from /proc/self/status, not from a Node that bounds it by the quota", async () => {
    // Node 24 and 26 (libuv 1.52) give os.availableParallelism() = 1 under a 1.5-CPU v2 quota;
    // the status file says the 4 CPUs the process may run on, and the quota is read apart.
    const root = tempRoot("v2-quota", { "/proc/self/status": "Name:\tnode\nCpus_allowed_list:\t0-3\n" });
    const p = await probeHardware({
      root,
      runtimeFacts: { ...facts, availableParallelism: 1 },
      runCommand: failingRunner(),
      refresh: true,
    });
    expect(p.cores.affinity).toEqual({ value: 4, source: ALLOWED_CPUS_SOURCE });
    expect(p.cores.usable).toEqual({ value: 2, source: "cpu quota", rule: USABLE_CORES_RULE });
    // The same machine seen by Node 20 (the affinity itself from libuv) plans the same.
    const node20 = await probeFixture("v2-quota", { availableParallelism: 4 });
    expect(node20.cores.usable).toEqual(p.cores.usable);
  });

  it('cpu.max "max 100000" and memory.max "max" are no limit', async () => {
    const p = await probeFixture("v2-unlimited");
    expect(p.cores.quota).toEqual({ cpus: null, source: "cgroup v2 cpu.max", cgroupPath: null });
    expect(p.cores.cpuset).toEqual({ value: null, source: "none" });
    expect(p.cores.usable).toEqual({
      value: 4,
      source: "affinity = physical cores",
      rule: USABLE_CORES_RULE,
    });
    expect(p.memory.cgroupLimit).toEqual({ value: null, source: "cgroup v2 memory.max" });
    expect(p.memory.cgroupHigh).toEqual({ value: null, source: "cgroup v2 memory.high" });
    expect(p.memory.cgroupUsage).toEqual({ value: null, source: "none" });
    expect(p.memory.usable).toEqual({ value: 12 * GiB, source: "/proc/meminfo MemAvailable" });
    expect(p.warnings).toEqual([]);
  });

  it("a nested Kubernetes cgroup: the pod's tighter 0.5-CPU parent and memory limit win", async () => {
    const p = await probeFixture("v2-nested", {
      logicalCpus: 8,
      availableParallelism: 8,
      env: { KUBERNETES_SERVICE_HOST: "10.96.0.1" },
    });
    const pod = "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod7f3e.slice";
    expect(p.cores).toEqual({
      logical: { value: 8, source: "os.cpus()" },
      affinity: { value: 8, source: "os.availableParallelism()" },
      cpuset: { value: 8, source: "cgroup v2 cpuset.cpus.effective" },
      physical: { value: 4, source: "/proc/cpuinfo" },
      packages: { value: 1, source: "/proc/cpuinfo" },
      quota: { cpus: 0.5, source: "cgroup v2 cpu.max", cgroupPath: pod },
      // Half a CPU still gives one core.
      usable: { value: 1, source: "cpu quota", rule: USABLE_CORES_RULE },
    });
    expect(p.memory.cgroupLimit).toEqual({ value: 256 * MiB, source: "cgroup v2 memory.max" });
    expect(p.memory.cgroupUsage).toEqual({ value: 192 * MiB, source: "cgroup v2 memory.current" });
    expect(p.memory.cgroupHigh).toEqual({ value: null, source: "cgroup v2 memory.high" });
    expect(p.memory.usable).toEqual({ value: 64 * MiB, source: "cgroup v2 memory.max less usage" });
    expect(p.container).toEqual({
      detected: true,
      source: "KUBERNETES_SERVICE_HOST, /proc/self/cgroup, /proc/self/mountinfo",
      kind: "kubernetes",
    });
    expect(p.warnings).toEqual([]);
  });
});

describe("physical cores fallbacks", () => {
  const LSCPU_ARM =
    "# CPU,Core,Socket,Node,,L1d,L1i,L2\n0,0,0,0,,0,0,0\n1,1,0,0,,1,1,0\n2,2,0,0,,2,2,0\n3,3,0,0,,3,3,0\n";

  it("arm64 cpuinfo without core id: sysfs topology gives the cores", async () => {
    const calls: string[] = [];
    const p = await probeFixture(
      "arm64-sysfs",
      { arch: "arm64", cpuModel: null },
      { runCommand: lscpuRunner("", calls) },
    );
    expect(p.arch).toBe("arm64");
    expect(p.cores.physical).toEqual({ value: 4, source: "sysfs" });
    expect(p.cores.packages).toEqual({ value: 1, source: "sysfs" });
    expect(p.cpuModel).toEqual({ value: null, source: "unknown" });
    expect(calls).toEqual([]);
    expect(p.warnings).toEqual([
      {
        code: "CPUINFO_NO_TOPOLOGY",
        message:
          "/proc/cpuinfo does not give physical id and core id for every processor; trying sysfs topology",
      },
      { code: "CPU_MODEL_UNKNOWN", message: "neither os.cpus() nor /proc/cpuinfo named the CPU model" },
    ]);
  });

  it("thread_siblings_list on an older kernel: hyperthread pairs count once", async () => {
    const p = await probeFixture("sysfs-ht");
    expect(p.cores.physical).toEqual({ value: 2, source: "sysfs" });
    expect(p.cores.packages).toEqual({ value: 1, source: "sysfs" });
    expect(p.cores.usable).toEqual({ value: 2, source: "physical cores", rule: USABLE_CORES_RULE });
    expect(p.cpuModel).toEqual({ value: "Test CPU", source: "os.cpus()" });
    expect(warningCodes(p)).toEqual(["CPUINFO_NO_TOPOLOGY"]);
  });

  it("no sysfs either: lscpu -p gives the cores", async () => {
    const calls: string[] = [];
    const p = await probeFixture(
      "arm64-no-sysfs",
      { cpuModel: null },
      { runCommand: lscpuRunner(LSCPU_ARM, calls), commandTimeoutMs: 1500 },
    );
    expect(calls).toEqual(["lscpu -p"]);
    expect(p.cores.physical).toEqual({ value: 4, source: "lscpu" });
    expect(p.cores.packages).toEqual({ value: 1, source: "lscpu" });
    expect(warningCodes(p)).toEqual([
      "CPUINFO_NO_TOPOLOGY",
      "SYSFS_TOPOLOGY_UNAVAILABLE",
      "CPU_MODEL_UNKNOWN",
    ]);
  });

  it("lscpu failing: the logical count stands in", async () => {
    const runner: CommandRunner = async () => ({ stdout: "", exitCode: 1 });
    const p = await probeFixture("arm64-no-sysfs", {}, { runCommand: runner });
    expect(p.cores.physical).toEqual({ value: 4, source: "fallback" });
    expect(p.cores.packages).toEqual({ value: null, source: "unknown" });
    expect(p.warnings.slice(1, 4)).toEqual([
      {
        code: "SYSFS_TOPOLOGY_UNAVAILABLE",
        message: "/sys/devices/system/cpu/cpu*/topology gave no core sibling lists; trying lscpu -p",
      },
      {
        code: "COMMAND_FAILED",
        message: "lscpu -p failed (it exited with code 1); physical cores not taken from it",
      },
      {
        code: "PHYSICAL_CORES_FALLBACK",
        message: "no source gave the physical core count on linux; the logical count (4) stands in",
      },
    ]);
  });

  it("lscpu hanging: timed out after commandTimeoutMs, then the logical count", async () => {
    const hanging: CommandRunner = () => new Promise(() => {});
    const p = await probeFixture("arm64-no-sysfs", {}, { runCommand: hanging, commandTimeoutMs: 50 });
    expect(p.cores.physical).toEqual({ value: 4, source: "fallback" });
    expect(p.warnings[2]).toEqual({
      code: "COMMAND_TIMED_OUT",
      message: "lscpu -p did not finish in time; physical cores not taken from it",
    });
    expect(warningCodes(p)).toEqual([
      "CPUINFO_NO_TOPOLOGY",
      "SYSFS_TOPOLOGY_UNAVAILABLE",
      "COMMAND_TIMED_OUT",
      "PHYSICAL_CORES_FALLBACK",
    ]);
  });

  it("a command time-out longer than a timer keeps: armed for the longest one, not fired at once", async () => {
    const asked: number[] = [];
    // Fails after 30 ms: with its time-out fired after 1 ms (a timer past 2^31 - 1 ms), it read as timed out.
    const slowFailure: CommandRunner = (_command, _args, timeoutMs) => {
      asked.push(timeoutMs);
      return new Promise((resolve) => setTimeout(() => resolve({ stdout: "", exitCode: 1 }), 30));
    };
    const p = await probeFixture("arm64-no-sysfs", {}, { runCommand: slowFailure, commandTimeoutMs: 1e12 });
    expect(p.warnings[2]?.code).toBe("COMMAND_FAILED");
    expect(asked).toEqual([MAX_TIMER_MS]);
  });

  it("lscpu throwing: a failure, not a crash", async () => {
    const throwing: CommandRunner = () => {
      throw new Error("spawn EACCES");
    };
    const p = await probeFixture("arm64-no-sysfs", {}, { runCommand: throwing });
    expect(p.warnings[2]).toEqual({
      code: "COMMAND_FAILED",
      message: "lscpu -p failed (the runner threw: spawn EACCES); physical cores not taken from it",
    });
  });
});

describe("missing and garbage files", () => {
  it("an empty root: every figure falls back, each with a warning", async () => {
    const calls: string[] = [];
    const p = await probeFixture("missing", {}, { runCommand: failingRunner(calls) });
    expect(calls).toEqual(["lscpu -p"]);
    expect(p.cores).toEqual({
      logical: { value: 4, source: "os.cpus()" },
      affinity: { value: 4, source: "os.availableParallelism()" },
      cpuset: { value: null, source: "none" },
      physical: { value: 4, source: "fallback" },
      packages: { value: null, source: "unknown" },
      quota: { cpus: null, source: "none", cgroupPath: null },
      usable: { value: 4, source: "affinity = physical cores", rule: USABLE_CORES_RULE },
    });
    expect(p.memory).toEqual({
      total: { value: 16 * GiB, source: "os.totalmem()" },
      available: { value: 5 * GiB, source: "os.freemem()" },
      cgroupLimit: { value: null, source: "none" },
      cgroupHigh: { value: null, source: "none" },
      cgroupUsage: { value: null, source: "none" },
      constrained: { value: null, source: "process.constrainedMemory()" },
      usable: { value: 5 * GiB, source: "os.freemem()" },
    });
    expect(p.container).toEqual({ detected: false, source: "none", kind: null });
    expect(p.warnings).toEqual([
      { code: "CPUINFO_UNREADABLE", message: "/proc/cpuinfo could not be read; trying sysfs topology" },
      {
        code: "SYSFS_TOPOLOGY_UNAVAILABLE",
        message: "/sys/devices/system/cpu/cpu*/topology gave no core sibling lists; trying lscpu -p",
      },
      {
        code: "COMMAND_FAILED",
        message: "lscpu -p failed (it could not be started); physical cores not taken from it",
      },
      {
        code: "PHYSICAL_CORES_FALLBACK",
        message: "no source gave the physical core count on linux; the logical count (4) stands in",
      },
      {
        code: "CGROUP_MEMBERSHIP_UNKNOWN",
        message: "/proc/self/cgroup could not be read; cgroup limits are read at the top of each hierarchy",
      },
      {
        code: "CGROUP_MOUNTS_UNKNOWN",
        message: "/proc/self/mountinfo could not be read; assumed the usual /sys/fs/cgroup layout",
      },
      {
        code: "MEMINFO_UNREADABLE",
        message:
          "/proc/meminfo could not be read; total and available memory come from os.totalmem() and os.freemem()",
      },
    ]);
  });

  it("garbage in every file: no crash, fallbacks and one warning per bad file", async () => {
    const p = await probeFixture("garbage", {}, { runCommand: lscpuRunner("lscpu: garbage\x00\x01") });
    expect(p.cores.physical).toEqual({ value: 4, source: "fallback" });
    expect(p.cores.quota).toEqual({ cpus: null, source: "none", cgroupPath: null });
    expect(p.cores.cpuset).toEqual({ value: null, source: "none" });
    expect(p.memory.total).toEqual({ value: 16 * GiB, source: "os.totalmem()" });
    expect(p.memory.cgroupLimit).toEqual({ value: null, source: "none" });
    expect(p.memory.cgroupHigh).toEqual({ value: null, source: "none" });
    expect(p.container).toEqual({ detected: false, source: "none", kind: null });
    expect(warningCodes(p)).toEqual([
      "CPUINFO_NO_TOPOLOGY",
      "SYSFS_TOPOLOGY_UNAVAILABLE",
      "COMMAND_OUTPUT_UNPARSABLE",
      "PHYSICAL_CORES_FALLBACK",
      "CGROUP_MEMBERSHIP_UNKNOWN",
      "CGROUP_MOUNTS_UNKNOWN",
      "CGROUP_VALUE_INVALID",
      "CGROUP_VALUE_INVALID",
      "CGROUP_VALUE_INVALID",
      "CGROUP_VALUE_INVALID",
      "MEMINFO_UNREADABLE",
    ]);
    expect(p.warnings.filter((w) => w.code === "CGROUP_VALUE_INVALID").map((w) => w.message)).toEqual([
      '/sys/fs/cgroup/cpu.max holds "banana", which the kernel never writes; that cgroup level is ignored',
      '/sys/fs/cgroup/cpuset.cpus.effective holds "0-x", which the kernel never writes; that cgroup level is ignored',
      '/sys/fs/cgroup/memory.max holds "lots", which the kernel never writes; that cgroup level is ignored',
      '/sys/fs/cgroup/memory.high holds "-5", which the kernel never writes; that cgroup level is ignored',
    ]);
  });
});

describe("runtime facts", () => {
  it.each([
    [0, null],
    [2 ** 64, null],
    [2 ** 63 - 4096, null],
    [GiB, GiB],
  ])("process.constrainedMemory() of %d is %p", async (constrainedMemory, value) => {
    const p = await probeFixture("v2-unlimited", { constrainedMemory });
    expect(p.memory.constrained).toEqual({ value, source: "process.constrainedMemory()" });
    expect(p.memory.usable).toEqual(
      value === null
        ? { value: 12 * GiB, source: "/proc/meminfo MemAvailable" }
        : { value, source: "process.constrainedMemory()" },
    );
  });

  it("cleans load averages that are negative", async () => {
    const p = await probeFixture("v2-unlimited", { loadavg: [-1, 0.5, 2] });
    expect(p.load.loadavg).toEqual([0, 0.5, 2]);
  });
});

describe("other platforms (through the injected runner)", () => {
  it("macOS: sysctl hw.physicalcpu and hw.packages; no /proc or cgroups read", async () => {
    const calls: string[] = [];
    const runner: CommandRunner = async (command, args) => {
      calls.push([command, ...args].join(" "));
      return { stdout: "10\n1\n", exitCode: 0 };
    };
    // A 10-core Apple chip (no SMT: 10 logical CPUs) whose process is limited to 4 by affinity.
    const p = await probeFixture(
      "v1-docker-quota",
      { platform: "darwin", arch: "arm64", logicalCpus: 10 },
      { runCommand: runner },
    );
    expect(calls).toEqual(["sysctl -n hw.physicalcpu hw.packages"]);
    expect(p.platform).toBe("darwin");
    expect(p.cores.physical).toEqual({ value: 10, source: "sysctl hw.physicalcpu" });
    expect(p.cores.packages).toEqual({ value: 1, source: "sysctl hw.packages" });
    expect(p.cores.quota).toEqual({ cpus: null, source: "none", cgroupPath: null });
    expect(p.cores.usable).toEqual({ value: 4, source: "affinity", rule: USABLE_CORES_RULE });
    expect(p.memory.total).toEqual({ value: 16 * GiB, source: "os.totalmem()" });
    expect(p.memory.available).toEqual({ value: 5 * GiB, source: "os.freemem()" });
    expect(p.container).toEqual({ detected: false, source: "none", kind: null });
    expect(p.warnings).toEqual([]);
  });

  it("macOS: unparsable sysctl output falls back", async () => {
    const runner: CommandRunner = async () => ({ stdout: "unknown oid\n", exitCode: 0 });
    const p = await probeFixture("missing", { platform: "darwin" }, { runCommand: runner });
    expect(p.cores.physical).toEqual({ value: 4, source: "fallback" });
    expect(warningCodes(p)).toEqual(["COMMAND_OUTPUT_UNPARSABLE", "PHYSICAL_CORES_FALLBACK"]);
  });

  it("Windows: one PowerShell line of core counts per package", async () => {
    const calls: string[] = [];
    const runner: CommandRunner = async (command, args) => {
      calls.push([command, ...args].join(" "));
      return { stdout: "8\r\n8\r\n", exitCode: 0 };
    };
    const p = await probeFixture(
      "missing",
      { platform: "win32", logicalCpus: 32, availableParallelism: 32 },
      { runCommand: runner },
    );
    expect(calls).toEqual([
      "powershell.exe -NoProfile -NonInteractive -Command (Get-CimInstance -ClassName Win32_Processor).NumberOfCores",
    ]);
    expect(p.cores.physical).toEqual({ value: 16, source: "PowerShell Win32_Processor" });
    expect(p.cores.packages).toEqual({ value: 2, source: "PowerShell Win32_Processor" });
    expect(p.cores.usable).toEqual({ value: 16, source: "physical cores", rule: USABLE_CORES_RULE });
    expect(p.warnings).toEqual([]);
  });

  it("Windows: PowerShell timing out falls back", async () => {
    const p = await probeFixture(
      "missing",
      { platform: "win32" },
      { runCommand: () => new Promise(() => {}), commandTimeoutMs: 20 },
    );
    expect(p.cores.physical).toEqual({ value: 4, source: "fallback" });
    expect(p.warnings).toEqual([
      {
        code: "COMMAND_TIMED_OUT",
        message: "PowerShell Win32_Processor did not finish in time; physical cores not taken from it",
      },
      {
        code: "PHYSICAL_CORES_FALLBACK",
        message: "no source gave the physical core count on win32; the logical count (4) stands in",
      },
    ]);
  });

  it("another platform: the logical count with a warning", async () => {
    const calls: string[] = [];
    const p = await probeFixture("missing", { platform: "freebsd" }, { runCommand: failingRunner(calls) });
    expect(calls).toEqual([]);
    expect(p.cores.physical).toEqual({ value: 4, source: "fallback" });
    expect(warningCodes(p)).toEqual(["PHYSICAL_CORES_FALLBACK"]);
  });
});
