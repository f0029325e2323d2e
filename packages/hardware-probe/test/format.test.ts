import { describe, expect, it } from "@jest/globals";
import { formatBytes } from "../src/format.js";
import { formatHardwareProfile, probeHardware } from "../src/index.js";
import { facts, failingRunner, fixtureRoot } from "./helpers.js";

describe("formatBytes", () => {
  it.each([
    [0, "0 B"],
    [1023, "1023 B"],
    [1536, "1.5 KiB"],
    [512 * 1024 ** 2, "512.0 MiB"],
    [16 * 1024 ** 3, "16.0 GiB"],
    [3 * 1024 ** 5, "3.0 PiB"],
  ])("%d bytes is %s", (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });
});

describe("formatHardwareProfile", () => {
  it("prints one aligned row per figure with its source, then the rule and warnings", async () => {
    const profile = await probeHardware({
      root: fixtureRoot("v1-docker-quota"),
      runtimeFacts: { ...facts, logicalCpus: 8, availableParallelism: 8, constrainedMemory: 512 * 1024 ** 2 },
      runCommand: failingRunner(),
    });
    const lines = formatHardwareProfile(profile).split("\n");
    expect(lines[0]).toBe(`hardware profile (${profile.probedAt}, ${profile.durationMs.toFixed(1)} ms)`);
    const node = process.versions;
    const runtime = `Node ${node.node}, V8 ${node.v8}, libuv ${node.uv}`;
    const width = Math.max(runtime.length, "yes (docker)".length);
    const row = (name: string, value: string, source: string) =>
      `  ${name.padEnd(12)}  ${value.padEnd(width)}  ${source}`;
    expect(lines.slice(1)).toEqual([
      "machine",
      row("platform", "linux x64", "process"),
      row("cpu model", "Test CPU", "os.cpus()"),
      row("runtime", runtime, "process.versions"),
      row("container", "yes (docker)", "/.dockerenv, /proc/self/cgroup, /proc/self/mountinfo"),
      "cores",
      row("logical", "8", "os.cpus()"),
      row("affinity", "8", "os.availableParallelism()"),
      row("cpuset", "6", "cgroup v1 cpuset.effective_cpus"),
      row("physical", "4", "/proc/cpuinfo"),
      row("packages", "2", "/proc/cpuinfo"),
      row("cpu quota", "2.5 CPUs at /", "cgroup v1 cpu.cfs_quota_us"),
      row("usable", "3", "bounded by cpu quota"),
      "memory",
      row("total", "16.0 GiB", "/proc/meminfo MemTotal"),
      row("available", "12.0 GiB", "/proc/meminfo MemAvailable"),
      row("cgroup limit", "512.0 MiB", "cgroup v1 memory.limit_in_bytes"),
      row("cgroup high", "none", "none"),
      row("cgroup usage", "128.0 MiB", "cgroup v1 memory.usage_in_bytes"),
      row("constrained", "512.0 MiB", "process.constrainedMemory()"),
      row("usable", "384.0 MiB", "cgroup v1 memory.limit_in_bytes less usage"),
      "load",
      row("loadavg", "0.50 0.25 0.13", "os.loadavg()"),
      row("busy", "n/a", "not sampled (sampleLoad is off)"),
      `usable cores rule: ${profile.cores.usable.rule}`,
      "warnings: none",
    ]);
  });

  it("lists warnings by code", async () => {
    const profile = await probeHardware({
      root: fixtureRoot("missing"),
      runtimeFacts: facts,
      runCommand: failingRunner(),
    });
    const text = formatHardwareProfile(profile);
    expect(text).toContain(
      "\nwarnings:\n  CPUINFO_UNREADABLE: /proc/cpuinfo could not be read; trying sysfs topology\n",
    );
    expect(text).toMatch(/^ {2}cpu quota +none +none$/m);
    expect(text).toMatch(/^ {2}packages +unknown +unknown$/m);
    expect(text).toMatch(/^ {2}cpuset +not set +none$/m);
  });
});
