import { describe, expect, it } from "@jest/globals";
import { cgroupLevels, MAX_CGROUP_LEVELS, readCgroupLimits } from "./cgroup.js";
import type { ProbeIo } from "./io.js";
import { WarningList } from "./warnings.js";

/** A ProbeIo over an in-memory tree that records every file the probe reads. */
function recordingIo(files: Record<string, string>): { io: ProbeIo; reads: string[] } {
  const reads: string[] = [];
  const io: ProbeIo = {
    root: "/",
    resolve: (machinePath) => machinePath,
    readText: async (machinePath) => {
      reads.push(machinePath);
      return files[machinePath] ?? null;
    },
    exists: async (machinePath) => machinePath in files,
    listDir: async () => null,
    run: async () => ({ status: "failed", detail: "no commands here" }),
  };
  return { io, reads };
}

const V2_MOUNT = "26 25 0:23 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n";

describe("cgroupLevels", () => {
  it("lists every level of a shallow path, from the process's cgroup up", () => {
    expect(cgroupLevels("/")).toEqual({ levels: ["/"], depth: 0, skipped: 0 });
    expect(cgroupLevels("/a/b")).toEqual({ levels: ["/a/b", "/a", "/"], depth: 2, skipped: 0 });
    expect(cgroupLevels("/a//b/")).toEqual({ levels: ["/a/b", "/a", "/"], depth: 2, skipped: 0 });
  });

  it("keeps both ends of a path deeper than the cap", () => {
    expect(cgroupLevels("/a/b/c", 4)).toEqual({
      levels: ["/a/b/c", "/a/b", "/a", "/"],
      depth: 3,
      skipped: 0,
    });
    expect(cgroupLevels("/a/b/c/d/e/f", 4)).toEqual({
      levels: ["/a/b/c/d/e/f", "/a/b/c/d/e", "/a", "/"],
      depth: 6,
      skipped: 3,
    });
    expect(cgroupLevels("/a/b/c/d/e/f", 5)).toEqual({
      levels: ["/a/b/c/d/e/f", "/a/b/c/d/e", "/a/b/c/d", "/a", "/"],
      depth: 6,
      skipped: 2,
    });
  });

  it("reads 64 levels of a 5,000-level path: the 32 nearest the process and the 32 nearest the top", () => {
    const { levels, depth, skipped } = cgroupLevels("/l".repeat(5000));
    expect(MAX_CGROUP_LEVELS).toBe(64);
    expect([levels.length, depth, skipped]).toEqual([64, 5000, 4937]);
    expect(levels.map((l) => l.length / 2)).toEqual([
      ...Array.from({ length: 32 }, (_, i) => 5000 - i),
      ...Array.from({ length: 31 }, (_, i) => 31 - i),
      0.5,
    ]);
  });
});

describe("readCgroupLimits on a deep cgroup path (issue #14, item 13)", () => {
  const files = {
    "/sys/fs/cgroup/cgroup.controllers": "cpu memory\n",
    "/sys/fs/cgroup/l/cpu.max": "300000 100000\n",
  };

  async function readAt(depth: number) {
    const { io, reads } = recordingIo(files);
    const warnings = new WarningList();
    const limits = await readCgroupLimits(io, `0::${"/l".repeat(depth)}\n`, V2_MOUNT, warnings);
    const pathChars = reads.reduce((sum, path) => sum + path.length, 0);
    return { limits, reads: reads.length, pathChars, codes: warnings.items.map((w) => w.code) };
  }

  it("reads a bounded number of files, whose paths grow linearly with the depth", async () => {
    const [deep, deeper] = [await readAt(1000), await readAt(5000)];
    // cpu.max, cpuset.cpus.effective, cpuset.cpus, memory.max and memory.high at each of 64 levels.
    expect(deep.reads).toBe(5 * MAX_CGROUP_LEVELS);
    expect(deeper.reads).toBe(5 * MAX_CGROUP_LEVELS);
    // No path read is longer than the mount, the process's path and a file name.
    const longest = (depth: number) => "/sys/fs/cgroup".length + 2 * depth + "/cpuset.cpus.effective".length;
    expect(deep.pathChars).toBeLessThanOrEqual(deep.reads * longest(1000));
    expect(deeper.pathChars).toBeLessThanOrEqual(deeper.reads * longest(5000));
    expect(deeper.codes).toEqual(["CGROUP_PATH_TOO_DEEP"]);
    expect(deeper.limits.quota).toEqual({ cpus: 3, source: "cgroup v2 cpu.max", cgroupPath: "/l" });
  });

  it("reads every level of a path within the cap, without a warning", async () => {
    const within = await readAt(MAX_CGROUP_LEVELS - 1);
    expect(within.reads).toBe(5 * MAX_CGROUP_LEVELS);
    expect(within.codes).toEqual([]);
    expect(within.limits.quota.cpus).toBe(3);
    expect((await readAt(MAX_CGROUP_LEVELS)).codes).toEqual(["CGROUP_PATH_TOO_DEEP"]);
  });
});
