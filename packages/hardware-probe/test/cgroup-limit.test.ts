// A real cgroup v1 limit, not a fixture: as root on a cgroup v1 host, make a CPU
// group with a 1.5-CPU quota and a memory group with a 512 MiB limit, start a
// child that moves itself into both and runs the built probe, and check what it
// reports. Skipped with a notice where the groups cannot be made.
import { execFile } from "node:child_process";
import { mkdirSync, rmdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { HardwareProfileSchema } from "@amorsize/types";
import { afterAll, describe, expect, it } from "@jest/globals";
import { distDir } from "./helpers.js";

const name = `amorsize-test-${process.pid}`;
const cpuDir = `/sys/fs/cgroup/cpu/${name}`;
const memoryDir = `/sys/fs/cgroup/memory/${name}`;
const made: string[] = [];

function tryMake(dir: string): boolean {
  try {
    mkdirSync(dir);
    made.push(dir);
    return true;
  } catch {
    return false;
  }
}

const capable = process.platform === "linux" && tryMake(cpuDir) && tryMake(memoryDir);
if (!capable) {
  console.warn(
    `cgroup-limit: cannot create ${cpuDir} and ${memoryDir} (needs root on a cgroup v1 host); the real cgroup test is skipped.`,
  );
}
const describeCapable = capable ? describe : describe.skip;

afterAll(() => {
  // The child has exited, so the groups are empty and rmdir succeeds.
  for (const dir of made.reverse()) rmdirSync(dir);
});

describeCapable("a real cgroup v1 CPU quota and memory limit", () => {
  it("are reported by a probe running inside them", async () => {
    writeFileSync(join(cpuDir, "cpu.cfs_period_us"), "100000");
    writeFileSync(join(cpuDir, "cpu.cfs_quota_us"), "150000");
    writeFileSync(join(memoryDir, "memory.limit_in_bytes"), String(512 * 1024 * 1024));

    const child = fileURLToPath(new URL("./fixtures/probe-in-cgroup.mjs", import.meta.url));
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        [child, join(distDir, "index.js"), join(cpuDir, "cgroup.procs"), join(memoryDir, "cgroup.procs")],
        { timeout: 60_000 },
        (error, out, err) => (error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out)),
      );
    });
    const profile = HardwareProfileSchema.parse(JSON.parse(stdout));

    expect(profile.cores.quota).toEqual({
      cpus: 1.5,
      source: "cgroup v1 cpu.cfs_quota_us",
      cgroupPath: `/${name}`,
    });
    // 1.5 CPUs round half up to 2 cores; affinity and physical cores may bound it lower.
    const expected = Math.min(2, os.availableParallelism(), profile.cores.physical.value ?? 2);
    expect(profile.cores.usable.value).toBe(expected);
    expect(profile.cores.usable.source.split(" = ")[0]).toBe("cpu quota");
    // Node 20's affinity figure ignores the quota: that is what the probe corrects.
    expect(profile.cores.affinity.value).toBe(os.availableParallelism());

    expect(profile.memory.cgroupLimit).toEqual({
      value: 512 * 1024 * 1024,
      source: "cgroup v1 memory.limit_in_bytes",
    });
    expect(profile.memory.constrained).toEqual({
      value: 512 * 1024 * 1024,
      source: "process.constrainedMemory()",
    });
    expect(profile.memory.cgroupUsage.source).toBe("cgroup v1 memory.usage_in_bytes");
    const usage = profile.memory.cgroupUsage.value!;
    expect(usage).toBeGreaterThan(0);
    expect(profile.memory.usable).toEqual({
      value: 512 * 1024 * 1024 - usage,
      source: "cgroup v1 memory.limit_in_bytes less usage",
    });
  });
});
