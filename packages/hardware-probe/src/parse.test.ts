import { readFileSync } from "node:fs";
import { describe, expect, it } from "@jest/globals";
import {
  parseAllowedCpus,
  parseByteCount,
  parseCgroupMemoryLimit,
  parseCgroupV1CpuQuota,
  parseCgroupV2CpuMax,
  parseCpuinfo,
  parseCpuList,
  parseLscpu,
  parseMeminfo,
  parseMountinfo,
  parseProcSelfCgroup,
} from "./parse.js";

const fixture = (name: string) => readFileSync(new URL(`../test/fixtures/${name}`, import.meta.url), "utf8");

describe("parseCpuinfo", () => {
  it("counts a hyperthreaded two-socket machine by (physical id, core id) pairs", () => {
    expect(parseCpuinfo(fixture("cpuinfo/xeon-2pack-4core-8logical-ht.txt"))).toEqual({
      logical: 8,
      packages: 2,
      physicalCores: 4,
      modelName: "Intel(R) Xeon(R) Gold 6130 CPU @ 2.10GHz",
    });
  });

  it("leaves packages and cores unknown for arm64 cpuinfo without physical id or core id", () => {
    expect(parseCpuinfo(fixture("cpuinfo/arm64-4core-no-core-id.txt"))).toEqual({
      logical: 4,
      packages: null,
      physicalCores: null,
      modelName: null,
    });
  });

  it("takes a single processor entry as one core in one package", () => {
    expect(parseCpuinfo("processor : 0\nmodel name : Duron\n")).toEqual({
      logical: 1,
      packages: 1,
      physicalCores: 1,
      modelName: "Duron",
    });
  });

  it("sums cpu cores per package when core id is missing", () => {
    const text = [0, 1, 2, 3]
      .map((i) => `processor : ${i}\nphysical id : ${i < 2 ? 0 : 1}\ncpu cores : 2\n`)
      .join("\n");
    expect(parseCpuinfo(text)).toEqual({ logical: 4, packages: 2, physicalCores: 4, modelName: null });
  });

  it("gives unknown cores when one entry lacks a physical id", () => {
    const text = "processor : 0\nphysical id : 0\ncore id : 0\n\nprocessor : 1\ncore id : 1\n";
    expect(parseCpuinfo(text)).toEqual({ logical: 2, packages: null, physicalCores: null, modelName: null });
  });

  it("ignores an arm header line `Processor : ARMv7` and wrapped flag lines", () => {
    const text =
      "Processor : ARMv7 Processor rev 4 (v7l)\nmodel name : header model\nprocessor : 0\nflags : a b\n c d\n";
    expect(parseCpuinfo(text)).toEqual({
      logical: 1,
      packages: 1,
      physicalCores: 1,
      modelName: "header model",
    });
  });

  it("gives all unknown for text that is not cpuinfo", () => {
    for (const text of ["", "garbage\n\x00\x01", "physical id : 0\ncore id : 0\n", "processor : x\n"]) {
      expect(parseCpuinfo(text)).toEqual({
        logical: null,
        packages: null,
        physicalCores: null,
        modelName: null,
      });
    }
  });

  it("ignores non-numeric ids", () => {
    const text =
      "processor : 0\nphysical id : a\ncore id : 0\n\nprocessor : 1\nphysical id : a\ncore id : 1\n";
    expect(parseCpuinfo(text).physicalCores).toBeNull();
  });
});

describe("parseCpuList", () => {
  it.each([
    ["0-3,8", [0, 1, 2, 3, 8]],
    ["0", [0]],
    ["0-1\n", [0, 1]],
    ["2,0-1,1", [0, 1, 2]],
    ["", []],
    ["  \n", []],
  ])("parses %j", (text, cpus) => {
    expect(parseCpuList(text)).toEqual(cpus);
  });

  it.each(["0-x", "3-1", "a", "0,,1", "-1", "0-99999999", "1.5"])("rejects %j", (text) => {
    expect(parseCpuList(text)).toBeNull();
  });
});

describe("parseProcSelfCgroup", () => {
  it("reads v1 and v2 lines, splitting controllers", () => {
    expect(
      parseProcSelfCgroup("12:cpu,cpuacct:/docker/abc\n1:name=systemd:/\n0::/user.slice/a.scope\n"),
    ).toEqual([
      { hierarchyId: 12, controllers: ["cpu", "cpuacct"], path: "/docker/abc" },
      { hierarchyId: 1, controllers: ["name=systemd"], path: "/" },
      { hierarchyId: 0, controllers: [], path: "/user.slice/a.scope" },
    ]);
  });

  it("keeps colons inside the path and skips malformed lines", () => {
    expect(parseProcSelfCgroup("x:cpu:/a\n::\n3:cpu\n4:cpu:relative\n5:memory:/a:b\n")).toEqual([
      { hierarchyId: 5, controllers: ["memory"], path: "/a:b" },
    ]);
  });
});

describe("parseMountinfo", () => {
  it("reads cgroup v1 and v2 mounts with optional fields and super options", () => {
    const text =
      "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:7 master:2 - cgroup cgroup rw,cpu,cpuacct\n" +
      "41 31 0:38 /docker/x /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate\n";
    expect(parseMountinfo(text)).toEqual([
      {
        mountId: 32,
        parentId: 31,
        root: "/",
        mountPoint: "/sys/fs/cgroup/cpu,cpuacct",
        fsType: "cgroup",
        source: "cgroup",
        superOptions: ["rw", "cpu", "cpuacct"],
      },
      {
        mountId: 41,
        parentId: 31,
        root: "/docker/x",
        mountPoint: "/sys/fs/cgroup/unified",
        fsType: "cgroup2",
        source: "cgroup2",
        superOptions: ["rw", "nsdelegate"],
      },
    ]);
  });

  it("unescapes octal escapes in paths", () => {
    const [entry] = parseMountinfo("1 0 8:1 / /mnt/my\\040disk rw - ext4 /dev/sda1 rw\n");
    expect(entry?.mountPoint).toBe("/mnt/my disk");
  });

  it("skips lines without the separator or with bad ids", () => {
    expect(parseMountinfo("garbage\n1 2 3\na b 0:1 / / rw - ext4 x rw\n1 0 0:1 / / rw\n")).toEqual([]);
  });
});

describe("parseMeminfo", () => {
  it("converts kB to bytes", () => {
    expect(parseMeminfo("MemTotal:  8388608 kB\nMemFree: 1024 kB\nMemAvailable:   2048 kB\n")).toEqual({
      total: 8589934592,
      available: 2097152,
      free: 1048576,
    });
  });

  it("gives null for missing or malformed lines", () => {
    expect(parseMeminfo("MemTotal: lots\nMemAvailable: -5 kB\n")).toEqual({
      total: null,
      available: null,
      free: null,
    });
  });
});

describe("parseLscpu", () => {
  it("counts (socket, core) pairs from the header's columns", () => {
    const text =
      "# The following is the parsable format\n# CPU,Core,Socket,Node,,L1d,L1i,L2,L3\n" +
      "0,0,0,0,,0,0,0,0\n1,1,0,0,,1,1,1,0\n2,0,0,0,,0,0,0,0\n3,1,0,0,,1,1,1,0\n" +
      "4,2,1,1,,2,2,2,1\n5,3,1,1,,3,3,3,1\n";
    expect(parseLscpu(text)).toEqual({ logical: 6, physicalCores: 4, packages: 2 });
  });

  it("finds columns in another order", () => {
    expect(parseLscpu("# Socket,Core,CPU\n0,0,0\n0,0,1\n")).toEqual({
      logical: 2,
      physicalCores: 1,
      packages: 1,
    });
  });

  it("gives unknown cores when the core column is empty", () => {
    expect(parseLscpu("# CPU,Core,Socket\n0,,0\n1,,0\n")).toEqual({
      logical: 2,
      physicalCores: null,
      packages: 1,
    });
  });

  it("gives all unknown for other text", () => {
    for (const text of ["", "lscpu: command not found", "# CPU,Core,Socket\nx,y,z\n"]) {
      expect(parseLscpu(text)).toEqual({ logical: null, physicalCores: null, packages: null });
    }
  });
});

describe("cgroup values", () => {
  it("parses cpu.max", () => {
    expect(parseCgroupV2CpuMax("150000 100000\n")).toEqual({ cpus: 1.5, quotaUs: 150000, periodUs: 100000 });
    expect(parseCgroupV2CpuMax("max 100000\n")).toEqual({ cpus: null, quotaUs: null, periodUs: 100000 });
    expect(parseCgroupV2CpuMax("50000 100000")?.cpus).toBe(0.5);
    for (const bad of ["banana", "", "max", "150000", "0 100000", "150000 0", "-1 100000", "1 2 3"]) {
      expect(parseCgroupV2CpuMax(bad)).toBeNull();
    }
  });

  it("parses cfs_quota_us and cfs_period_us", () => {
    expect(parseCgroupV1CpuQuota("150000\n", "100000\n")).toEqual({
      cpus: 1.5,
      quotaUs: 150000,
      periodUs: 100000,
    });
    expect(parseCgroupV1CpuQuota("-1\n", "100000\n")).toEqual({
      cpus: null,
      quotaUs: null,
      periodUs: 100000,
    });
    expect(parseCgroupV1CpuQuota("lots", "100000")).toBeNull();
    expect(parseCgroupV1CpuQuota("50000", "zero")).toBeNull();
    expect(parseCgroupV1CpuQuota("50000", "0")).toBeNull();
  });

  it("reads memory limits, treating max and values near 2^63 as no limit", () => {
    expect(parseCgroupMemoryLimit("536870912\n")).toEqual({ bytes: 536870912 });
    expect(parseCgroupMemoryLimit("max\n")).toEqual({ bytes: null });
    expect(parseCgroupMemoryLimit("9223372036854771712\n")).toEqual({ bytes: null });
    expect(parseCgroupMemoryLimit("18446744073709551615")).toEqual({ bytes: null });
    expect(parseCgroupMemoryLimit("lots")).toBeNull();
    expect(parseCgroupMemoryLimit("-5")).toBeNull();
  });

  it("reads byte counts", () => {
    expect(parseByteCount("268435456\n")).toBe(268435456);
    expect(parseByteCount("a lot")).toBeNull();
  });
});

describe("parseAllowedCpus", () => {
  const status = (list: string) =>
    `Name:\tnode\nCpus_allowed:\tff\nCpus_allowed_list:\t${list}\nVoluntary_ctxt_switches:\t9\n`;

  it("counts single CPUs and ranges", () => {
    expect(parseAllowedCpus(status("0-1"))).toBe(2);
    expect(parseAllowedCpus(status("0"))).toBe(1);
    expect(parseAllowedCpus(status("0-3,8-11"))).toBe(8);
    expect(parseAllowedCpus(status("2,4,6-7"))).toBe(4);
  });

  it("gives null for a missing or malformed list, never a guess", () => {
    expect(parseAllowedCpus("Name:\tnode\n")).toBeNull();
    expect(parseAllowedCpus(status(""))).toBeNull();
    expect(parseAllowedCpus(status("0-"))).toBeNull();
    expect(parseAllowedCpus(status("3-1"))).toBeNull();
    expect(parseAllowedCpus(status("0-3,2"))).toBeNull();
    expect(parseAllowedCpus(status("a-b"))).toBeNull();
  });
});
