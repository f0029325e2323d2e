// Files a careless or hostile machine (or fixture) may put where the probe reads
// (issue #14, items 13-15): a cgroup path thousands of levels deep, a FIFO or a
// character device where a value file should be, an oversize file, and figures no
// machine can have. The probe must finish, use nothing it cannot trust, and say why.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "@jest/globals";
import { type ProbeOptions, probeHardware } from "../src/index.js";
import { facts, failingRunner, removeTempRoots, tempRoot, warningCodes } from "./helpers.js";

afterAll(removeTempRoots);

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
const service = "/sys/fs/cgroup/app.slice/worker.service";

function probe(root: string, overrides: NonNullable<ProbeOptions["runtimeFacts"]> = {}) {
  return probeHardware({
    root,
    runtimeFacts: { ...facts, ...overrides },
    runCommand: failingRunner(),
    refresh: true,
  });
}

describe("a cgroup path 5,000 levels deep (item 13)", () => {
  it("completes, reads the levels nearest the top and the process, and warns of the cap", async () => {
    const root = tempRoot("v2-quota", {
      "/proc/self/cgroup": `0::${"/l".repeat(5000)}\n`,
      "/sys/fs/cgroup/l/cpu.max": "300000 100000\n",
      "/sys/fs/cgroup/l/memory.max": `${GiB}\n`,
    });
    const p = await probe(root);
    expect(p.cores.quota).toEqual({ cpus: 3, source: "cgroup v2 cpu.max", cgroupPath: "/l" });
    expect(p.memory.cgroupLimit).toEqual({ value: GiB, source: "cgroup v2 memory.max" });
    expect(p.warnings).toEqual([
      {
        code: "CGROUP_PATH_TOO_DEEP",
        message:
          "the process's cgroup /l/l/l/l/l/l/l/l/l/l…/l/l/l/l/l/l/l/l/l/l lies 5000 levels below /sys/fs/cgroup, more than the 64 levels (the top included) the probe reads; read the 32 nearest the process and the 32 nearest the top, skipped 4937 between",
      },
    ]);
  }, 120_000);
});

/** Whether `mkfifo` can make a FIFO here (it is part of coreutils and busybox). */
function canMakeFifo(): boolean {
  const dir = mkdtempSync(join(tmpdir(), "amorsize-fifo-"));
  try {
    execFileSync("mkfifo", [join(dir, "f")], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const fifoCapable = canMakeFifo();
if (!fifoCapable) console.warn("hostile-files: mkfifo is not available; the FIFO tests are skipped.");
const itFifo = fifoCapable ? it : it.skip;
const devZero = existsSync("/dev/zero");
if (!devZero) console.warn("hostile-files: /dev/zero is absent; the character-device test is skipped.");
const itDevZero = devZero ? it : it.skip;

/** A copy of v2-quota with `make(path)` run on the machine path `at` (removed first). */
function rootWith(at: string, make: (file: string) => void): string {
  const root = tempRoot("v2-quota");
  const file = join(root, at);
  rmSync(file, { force: true });
  make(file);
  return root;
}

describe("a FIFO, a device or an oversize file at a probed path (item 14)", () => {
  itFifo("a FIFO at cpu.max does not hang the probe: refused with a warning naming it", async () => {
    const root = rootWith(`${service}/cpu.max`, (file) => execFileSync("mkfifo", [file]));
    const p = await probe(root);
    // The FIFO's level is skipped; the parent's "max" is read.
    expect(p.cores.quota).toEqual({ cpus: null, source: "cgroup v2 cpu.max", cgroupPath: null });
    expect(p.warnings).toEqual([
      {
        code: "FILE_NOT_REGULAR",
        message: `${service}/cpu.max is a FIFO, not a regular file; not read`,
      },
    ]);
  });

  itFifo("a FIFO at /proc/meminfo does not hang the probe either", async () => {
    const root = rootWith("/proc/meminfo", (file) => execFileSync("mkfifo", [file]));
    const p = await probe(root);
    expect(p.memory.total).toEqual({ value: 16 * GiB, source: "os.totalmem()" });
    expect(warningCodes(p)).toEqual(["FILE_NOT_REGULAR", "MEMINFO_UNREADABLE"]);
    expect(p.warnings[0]!.message).toBe("/proc/meminfo is a FIFO, not a regular file; not read");
  });

  itDevZero("a symlink to /dev/zero at cpu.max is refused, not read", async () => {
    const root = rootWith(`${service}/cpu.max`, (file) => symlinkSync("/dev/zero", file));
    const p = await probe(root);
    expect(p.cores.quota).toEqual({ cpus: null, source: "cgroup v2 cpu.max", cgroupPath: null });
    expect(p.warnings).toEqual([
      {
        code: "FILE_NOT_REGULAR",
        message: `${service}/cpu.max is a character device, not a regular file; not read`,
      },
    ]);
  });

  it("a 1 MB cpu.max is read no further than 64 KiB and not used", async () => {
    const root = tempRoot("v2-quota", { [`${service}/cpu.max`]: `150000 100000${" ".repeat(MiB)}\n` });
    const p = await probe(root);
    expect(p.cores.quota).toEqual({ cpus: null, source: "cgroup v2 cpu.max", cgroupPath: null });
    expect(p.warnings).toEqual([
      {
        code: "FILE_TOO_LARGE",
        message: `${service}/cpu.max holds more than 65536 bytes, the most the probe reads from a cgroup or sysfs file; not used`,
      },
    ]);
  });
});

describe("implausible figures (item 15)", () => {
  const cpuinfo = (cpus: number, coresPerPackage: number) =>
    Array.from(
      { length: cpus },
      (_, i) => `processor\t: ${i}\nphysical id\t: 0\ncpu cores\t: ${coresPerPackage}\n`,
    ).join("\n");

  it("100,000 physical cores with 8 logical CPUs are not used", async () => {
    const root = tempRoot("v2-quota", { "/proc/cpuinfo": cpuinfo(8, 100_000) });
    const p = await probe(root, { logicalCpus: 8, availableParallelism: 8 });
    expect(p.cores.physical).toEqual({ value: 8, source: "fallback" });
    expect(p.warnings[0]).toEqual({
      code: "VALUE_IMPLAUSIBLE",
      message:
        "/proc/cpuinfo gives 100000 physical cores in 1 package, more physical cores than the 8 logical CPUs; not used",
    });
    expect(warningCodes(p)).toEqual([
      "VALUE_IMPLAUSIBLE",
      "SYSFS_TOPOLOGY_UNAVAILABLE",
      "COMMAND_FAILED",
      "PHYSICAL_CORES_FALLBACK",
    ]);
  });

  it.each([
    [
      "a MemTotal of 1e26 bytes",
      "MemTotal: 97656250000000000000000 kB\nMemAvailable: 12582912 kB\n",
      { value: 16 * GiB, source: "os.totalmem()" },
      "/proc/meminfo MemTotal gives 1e+26 bytes, more than 2^50 bytes (1 PiB); total and available memory come from os.totalmem() and os.freemem()",
    ],
    [
      "a MemAvailable above MemTotal",
      "MemTotal: 16777216 kB\nMemAvailable: 33554432 kB\n",
      { value: 16 * GiB, source: "/proc/meminfo MemTotal" },
      `/proc/meminfo MemAvailable gives ${32 * GiB} bytes, more than MemTotal (${16 * GiB}); available memory comes from os.freemem()`,
    ],
  ])("%s is not used", async (_, meminfo, total, message) => {
    const p = await probe(tempRoot("v2-quota", { "/proc/meminfo": meminfo }));
    expect(p.memory.total).toEqual(total);
    expect(p.memory.available).toEqual({ value: 5 * GiB, source: "os.freemem()" });
    expect(p.warnings).toEqual([{ code: "VALUE_IMPLAUSIBLE", message }]);
  });

  it("a memory.max of 0 is not used", async () => {
    const root = tempRoot("v2-quota", {
      [`${service}/memory.max`]: "0\n",
      "/sys/fs/cgroup/app.slice/memory.max": `${2 * GiB}\n`,
    });
    const p = await probe(root);
    expect(p.memory.cgroupLimit).toEqual({ value: 2 * GiB, source: "cgroup v2 memory.max" });
    expect(p.memory.cgroupUsage).toEqual({ value: 384 * MiB, source: "cgroup v2 memory.current" });
    expect(p.warnings).toEqual([
      {
        code: "VALUE_IMPLAUSIBLE",
        message: `${service}/memory.max holds 0 bytes, less than 1 MiB; that cgroup level is ignored`,
      },
    ]);
  });

  it("a cpu.max period of 1 µs is not used", async () => {
    const root = tempRoot("v2-quota", { [`${service}/cpu.max`]: "1 1\n" });
    const p = await probe(root);
    expect(p.cores.quota).toEqual({ cpus: null, source: "cgroup v2 cpu.max", cgroupPath: null });
    expect(p.warnings).toEqual([
      {
        code: "VALUE_IMPLAUSIBLE",
        message: `${service}/cpu.max holds a quota of 1 µs per period of 1 µs, a period outside 1000..1000000 µs; that cgroup level is ignored`,
      },
    ]);
  });
});
