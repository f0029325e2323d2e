// Real /proc captures live in the workspace's ../shared/fixtures/linux and are read
// there, never copied into the package. Where that folder is absent (a clone of the
// repository alone), these tests are skipped with a notice; the hand-written
// fixtures in test/fixtures always run.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "@jest/globals";
import { detectContainer } from "../src/container.js";
import { parseCpuinfo, parseMeminfo, parseMountinfo, parseProcSelfCgroup } from "../src/parse.js";

const sharedDir = fileURLToPath(new URL("../../../../shared/fixtures/linux", import.meta.url));
const available = existsSync(sharedDir);
if (!available) {
  console.warn(`shared-captures: ${sharedDir} is absent; the real /proc capture tests are skipped.`);
}
const describeShared = available ? describe : describe.skip;

const read = (...parts: string[]) => readFileSync(join(sharedDir, ...parts), "utf8");
const list = (folder: string) => (available ? readdirSync(join(sharedDir, folder)).sort() : []);
const count = (text: string) => (text === "X" ? null : Number(text));

describeShared("real /proc/cpuinfo captures", () => {
  const named = list("proc_cpuinfo").filter((f) => f !== "malformed_file.txt");

  it("holds the captures the README describes", () => {
    expect(named.length).toBeGreaterThanOrEqual(12);
    expect(list("proc_cpuinfo")).toContain("malformed_file.txt");
  });

  it.each(named)("%s gives the counts its name states", (file) => {
    const match = /^(\d+|X)pack_(\d+|X)core_(\d+|X)logical\.txt$/.exec(file);
    expect(match).not.toBeNull();
    const [, packs, cores, logical] = match!;
    const summary = parseCpuinfo(read("proc_cpuinfo", file));
    expect({
      packages: summary.packages,
      physicalCores: summary.physicalCores,
      logical: summary.logical,
    }).toEqual({
      packages: count(packs!),
      physicalCores: count(cores!),
      logical: count(logical!),
    });
  });

  it("malformed_file.txt gives every count unknown", () => {
    expect(parseCpuinfo(read("proc_cpuinfo", "malformed_file.txt"))).toEqual({
      logical: null,
      packages: null,
      physicalCores: null,
      modelName: null,
    });
  });

  it("keeps the model name", () => {
    expect(parseCpuinfo(read("proc_cpuinfo", "2pack_20core_40logical.txt")).modelName).toBe(
      "Intel(R) Xeon(R) CPU E5-2680 v2 @ 2.80GHz",
    );
  });
});

describeShared("real /proc/self/cgroup captures", () => {
  const none = { dockerenv: false, containerenv: false, env: {}, mounts: [] };

  it.each(list("proc_self_cgroup"))("%s parses without throwing", (file) => {
    const entries = parseProcSelfCgroup(read("proc_self_cgroup", file));
    for (const entry of entries) {
      expect(entry.path.startsWith("/")).toBe(true);
      expect(Number.isInteger(entry.hierarchyId)).toBe(true);
    }
    expect(() => detectContainer({ ...none, membership: entries })).not.toThrow();
  });

  it("extracts the cpu controller's path", () => {
    const cpuPath = (file: string) =>
      parseProcSelfCgroup(read("proc_self_cgroup", file)).find((e) => e.controllers.includes("cpu"))?.path;
    expect(cpuPath("docker-1.3.txt")).toBe(
      "/docker/47cbd16b77c50cbf71401c069cd2189f0e659af17d5a2daca3bddf59d8a870b2",
    );
    expect(cpuPath("docker-1.1.2-native-driver-systemd.txt")).toBe(
      "/system.slice/docker-67f98c9e6188f9c1818672a15dbe46237b6ee7e77f834d40d41c5fb3c2f84a2f.scope",
    );
    expect(cpuPath("ubuntu-14.04-lxc-container.txt")).toBe("/lxc/p1");
    expect(cpuPath("ubuntu-14.10-no-container.txt")).toBe("/");
    expect(cpuPath("no_cpu_subsystem.txt")).toBe("/");
  });

  it("reads Heroku's single line carrying every controller", () => {
    expect(parseProcSelfCgroup(read("proc_self_cgroup", "heroku.txt"))).toEqual([
      {
        hierarchyId: 1,
        controllers: [
          "hugetlb",
          "perf_event",
          "blkio",
          "freezer",
          "devices",
          "memory",
          "cpuacct",
          "cpu",
          "cpuset",
        ],
        path: "/lxc/b6d196c1-50f2-4949-abdb-5d4909864487",
      },
    ]);
  });

  it("gives no entries for the empty file", () => {
    expect(parseProcSelfCgroup(read("proc_self_cgroup", "empty.txt"))).toEqual([]);
  });

  it.each([
    ["docker-1.0.0.txt", { detected: true, source: "/proc/self/cgroup", kind: "docker" }],
    ["docker-1.1.2-lxc-driver.txt", { detected: true, source: "/proc/self/cgroup", kind: "lxc" }],
    [
      "docker-1.1.2-native-driver-systemd.txt",
      { detected: true, source: "/proc/self/cgroup", kind: "docker" },
    ],
    ["heroku.txt", { detected: true, source: "/proc/self/cgroup", kind: "lxc" }],
    ["ubuntu-14.04-no-container.txt", { detected: false, source: "none", kind: null }],
    ["ubuntu-14.10-no-container.txt", { detected: false, source: "none", kind: null }],
    ["empty.txt", { detected: false, source: "none", kind: null }],
  ])("container detection on %s", (file, expected) => {
    const membership = parseProcSelfCgroup(read("proc_self_cgroup", file));
    expect(detectContainer({ ...none, membership })).toEqual(expected);
  });
});

describeShared("real /proc/self/mountinfo captures", () => {
  it.each(list("proc_self_mountinfo"))("%s parses without throwing", (file) => {
    const entries = parseMountinfo(read("proc_self_mountinfo", file));
    for (const entry of entries) expect(entry.mountPoint.startsWith("/")).toBe(true);
  });

  it.each(["docker-20.10.16.txt", "docker-24.0.2.txt"])("%s mounts cgroup v2 at /sys/fs/cgroup", (file) => {
    const cgroupMounts = parseMountinfo(read("proc_self_mountinfo", file)).filter((m) =>
      m.fsType.startsWith("cgroup"),
    );
    expect(cgroupMounts).toEqual([
      expect.objectContaining({
        fsType: "cgroup2",
        root: "/",
        mountPoint: "/sys/fs/cgroup",
        source: "cgroup",
      }),
    ]);
  });

  it("finds Docker 20.10's overlay root and its docker container bind mounts", () => {
    const mounts = parseMountinfo(read("proc_self_mountinfo", "docker-20.10.16.txt"));
    expect(mounts.find((m) => m.mountPoint === "/")?.fsType).toBe("overlay");
    expect(mounts.find((m) => m.mountPoint === "/etc/hostname")?.root).toBe(
      "/docker/containers/84cf3472a20d1bfb4b50e48b6ff50d96dfcd812652d76dd907951e6f98997bce/hostname",
    );
    expect(
      detectContainer({ dockerenv: false, containerenv: false, env: {}, membership: [], mounts }),
    ).toEqual({ detected: true, source: "/proc/self/mountinfo", kind: "docker" });
  });

  it("gives no entries for the empty file", () => {
    expect(parseMountinfo(read("proc_self_mountinfo", "empty.txt"))).toEqual([]);
  });
});

describeShared("real /proc/meminfo capture", () => {
  it("reads the 4096 MB machine, which predates MemAvailable", () => {
    expect(parseMeminfo(read("proc_meminfo", "meminfo_4096MB.txt"))).toEqual({
      total: 4096 * 1024 * 1024,
      available: null,
      free: 931724 * 1024,
    });
  });
});
