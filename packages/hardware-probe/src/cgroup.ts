import { posix } from "node:path";
import type { CpuQuota, SourcedCount, SourcedNumber } from "@amorsize/types";
import type { ProbeIo } from "./io.js";
import {
  type MountinfoEntry,
  type ProcCgroupEntry,
  parseByteCount,
  parseCgroupMemoryLimit,
  parseCgroupV1CpuQuota,
  parseCgroupV2CpuMax,
  parseCpuList,
  parseMountinfo,
  parseProcSelfCgroup,
} from "./parse.js";
import type { WarningList } from "./warnings.js";

/** A mounted cgroup hierarchy. */
export interface CgroupHierarchy {
  version: 1 | 2;
  /** v1: the controllers it carries (`cpu`, `cpuacct`, ...); v2: empty. */
  controllers: string[];
  /** Where it is mounted (`/sys/fs/cgroup/cpu,cpuacct`). */
  mountPoint: string;
  /** Which folder of the hierarchy appears at the mount point (`/` on a host, `/docker/<id>` in some containers). */
  mountRoot: string;
}

/** The cgroup hierarchies named by `/proc/self/mountinfo`. */
export function cgroupHierarchiesFrom(mounts: readonly MountinfoEntry[]): CgroupHierarchy[] {
  const hierarchies: CgroupHierarchy[] = [];
  for (const mount of mounts) {
    if (mount.fsType === "cgroup2") {
      hierarchies.push({ version: 2, controllers: [], mountPoint: mount.mountPoint, mountRoot: mount.root });
    } else if (mount.fsType === "cgroup") {
      const controllers = mount.superOptions.filter((o) => o !== "rw" && o !== "ro");
      hierarchies.push({ version: 1, controllers, mountPoint: mount.mountPoint, mountRoot: mount.root });
    }
  }
  return hierarchies;
}

/** Where the process sits in one hierarchy: the folder to start the walk up from. */
interface Location {
  version: 1 | 2;
  mountPoint: string;
  /** The process's cgroup relative to the mount point, `/` at the top. */
  relPath: string;
}

/**
 * The process's cgroup path relative to a mount whose top is `mountRoot`; null
 * when the path lies outside the mounted part.
 */
export function pathBelowMount(procPath: string, mountRoot: string): string | null {
  const p = posix.normalize(procPath);
  const root = posix.normalize(mountRoot);
  if (root === "/") return p;
  if (p === root) return "/";
  if (p.startsWith(`${root}/`)) return p.slice(root.length);
  return null;
}

/** The folders from the process's cgroup up to the top of the mount: `/a/b`, `/a`, `/`. */
function levelsOf(relPath: string): string[] {
  const levels: string[] = [];
  let current = posix.normalize(relPath);
  for (;;) {
    levels.push(current);
    if (current === "/") return levels;
    current = posix.dirname(current);
  }
}

type LevelReading =
  | { kind: "missing" }
  | { kind: "invalid"; file: string; text: string }
  | { kind: "value"; value: number | null; file: string };

interface WalkResult {
  /** A file was read at some level (so "no limit" is known, not assumed). */
  file: string | null;
  /** The smallest limit and the folder that holds it; null when no level sets one. */
  min: { value: number; cgroupPath: string; file: string } | null;
}

async function walk(
  location: Location,
  readLevel: (dir: string) => Promise<LevelReading>,
  warnings: WarningList,
): Promise<WalkResult> {
  const levels = levelsOf(location.relPath);
  // Read every level at once; act on them in order so warnings come out the same every run.
  const readings = await Promise.all(
    levels.map((level) => readLevel(posix.join(location.mountPoint, level))),
  );
  let file: string | null = null;
  let min: WalkResult["min"] = null;
  for (const [i, reading] of readings.entries()) {
    if (reading.kind === "missing") continue;
    if (reading.kind === "invalid") {
      const shown = reading.text.trim().slice(0, 40);
      warnings.add(
        "CGROUP_VALUE_INVALID",
        `${reading.file} holds ${JSON.stringify(shown)}, which the kernel never writes; that cgroup level is ignored`,
      );
      continue;
    }
    file ??= posix.basename(reading.file);
    if (reading.value !== null && (min === null || reading.value < min.value)) {
      min = { value: reading.value, cgroupPath: levels[i]!, file: posix.basename(reading.file) };
    }
  }
  return { file, min };
}

/** The cgroup figures the probe reports. */
export interface CgroupLimits {
  quota: CpuQuota;
  cpuset: SourcedCount;
  memoryLimit: SourcedNumber;
  memoryHigh: SourcedNumber;
  memoryUsage: SourcedNumber;
  /** Bytes left under the hard limit (limit less the usage of its cgroup); null without a limit. */
  limitHeadroom: number | null;
  /** Bytes left under `memory.high`; null without one. */
  highHeadroom: number | null;
  /** The raw entries of `/proc/self/cgroup` (for container detection). */
  membership: ProcCgroupEntry[];
  /** The raw entries of `/proc/self/mountinfo` (for container detection). */
  mounts: MountinfoEntry[];
}

const NONE_NUMBER: SourcedNumber = { value: null, source: "none" };

/** The limits that apply where no cgroup is read (macOS, Windows). */
export function noCgroupLimits(): CgroupLimits {
  return {
    quota: { cpus: null, source: "none", cgroupPath: null },
    cpuset: { value: null, source: "none" },
    memoryLimit: NONE_NUMBER,
    memoryHigh: NONE_NUMBER,
    memoryUsage: NONE_NUMBER,
    limitHeadroom: null,
    highHeadroom: null,
    membership: [],
    mounts: [],
  };
}

/** The usual layout when mountinfo does not say: v2 at `/sys/fs/cgroup`, or v1 folders named after their controllers. */
async function conventionalHierarchies(io: ProbeIo): Promise<CgroupHierarchy[]> {
  const base = "/sys/fs/cgroup";
  if (await io.exists(`${base}/cgroup.controllers`)) {
    return [{ version: 2, controllers: [], mountPoint: base, mountRoot: "/" }];
  }
  const names = (await io.listDir(base)) ?? [];
  const hierarchies: CgroupHierarchy[] = [];
  for (const name of [...names].sort()) {
    if (name === "unified") {
      hierarchies.push({ version: 2, controllers: [], mountPoint: `${base}/unified`, mountRoot: "/" });
    } else if (!name.includes(".")) {
      hierarchies.push({
        version: 1,
        controllers: name.split(","),
        mountPoint: `${base}/${name}`,
        mountRoot: "/",
      });
    }
  }
  return hierarchies;
}

/**
 * Reads the CPU quota, cpuset and memory limits that apply to this process,
 * walking from its own cgroup (from `/proc/self/cgroup`) up to the top of each
 * mounted hierarchy (from `/proc/self/mountinfo`): the smallest limit wins.
 */
export async function readCgroupLimits(
  io: ProbeIo,
  cgroupText: string | null,
  mountinfoText: string | null,
  warnings: WarningList,
): Promise<CgroupLimits> {
  const membership = cgroupText === null ? [] : parseProcSelfCgroup(cgroupText);
  const membershipKnown = membership.length > 0;
  if (!membershipKnown) {
    warnings.add(
      "CGROUP_MEMBERSHIP_UNKNOWN",
      cgroupText === null
        ? "/proc/self/cgroup could not be read; cgroup limits are read at the top of each hierarchy"
        : "/proc/self/cgroup has no line of the form id:controllers:path; cgroup limits are read at the top of each hierarchy",
    );
  }

  const mounts = mountinfoText === null ? [] : parseMountinfo(mountinfoText);
  let hierarchies = cgroupHierarchiesFrom(mounts);
  if (hierarchies.length === 0) {
    warnings.add(
      "CGROUP_MOUNTS_UNKNOWN",
      mountinfoText === null
        ? "/proc/self/mountinfo could not be read; assumed the usual /sys/fs/cgroup layout"
        : "/proc/self/mountinfo names no cgroup mount; assumed the usual /sys/fs/cgroup layout",
    );
    hierarchies = await conventionalHierarchies(io);
  }

  const unmapped = new Set<string>();
  const locate = (controller: string): Location | null => {
    const v1Entry = membership.find((e) => e.hierarchyId !== 0 && e.controllers.includes(controller));
    const v1 = hierarchies.filter((h) => h.version === 1 && h.controllers.includes(controller));
    if (v1.length > 0 && (v1Entry || !membershipKnown)) return place(1, v1, v1Entry?.path ?? "/");
    const v2Entry = membership.find((e) => e.hierarchyId === 0);
    const v2 = hierarchies.filter((h) => h.version === 2);
    if (v2.length > 0 && (v2Entry || !membershipKnown)) return place(2, v2, v2Entry?.path ?? "/");
    return null;
  };
  const place = (version: 1 | 2, candidates: CgroupHierarchy[], procPath: string): Location => {
    for (const h of candidates) {
      const relPath = pathBelowMount(procPath, h.mountRoot);
      if (relPath !== null) return { version, mountPoint: h.mountPoint, relPath };
    }
    const h = candidates[0]!;
    if (!unmapped.has(h.mountPoint)) {
      unmapped.add(h.mountPoint);
      warnings.add(
        "CGROUP_PATH_UNMAPPED",
        `the process's cgroup ${procPath} lies outside ${h.mountRoot}, the part mounted at ${h.mountPoint}; read the limits at the mount's top`,
      );
    }
    return { version, mountPoint: h.mountPoint, relPath: "/" };
  };

  const quota = await readQuota(io, locate("cpu"), warnings);
  const cpuset = await readCpuset(io, locate("cpuset"), warnings);
  const memory = await readMemory(io, locate("memory"), warnings);
  return { quota, cpuset, ...memory, membership, mounts };
}

async function readQuota(io: ProbeIo, location: Location | null, warnings: WarningList): Promise<CpuQuota> {
  if (!location) return { cpus: null, source: "none", cgroupPath: null };
  const label = location.version === 2 ? "cgroup v2 cpu.max" : "cgroup v1 cpu.cfs_quota_us";
  const result = await walk(
    location,
    async (dir): Promise<LevelReading> => {
      if (location.version === 2) {
        const file = posix.join(dir, "cpu.max");
        const text = await io.readText(file);
        if (text === null) return { kind: "missing" };
        const parsed = parseCgroupV2CpuMax(text);
        return parsed ? { kind: "value", value: parsed.cpus, file } : { kind: "invalid", file, text };
      }
      const quotaFile = posix.join(dir, "cpu.cfs_quota_us");
      const periodFile = posix.join(dir, "cpu.cfs_period_us");
      const [quotaText, periodText] = await Promise.all([io.readText(quotaFile), io.readText(periodFile)]);
      if (quotaText === null) return { kind: "missing" };
      if (quotaText.trim() === "-1") return { kind: "value", value: null, file: quotaFile };
      if (periodText === null) return { kind: "invalid", file: periodFile, text: "" };
      const parsed = parseCgroupV1CpuQuota(quotaText, periodText);
      if (parsed) return { kind: "value", value: parsed.cpus, file: quotaFile };
      const bad = parseCgroupV1CpuQuota(quotaText, "100000") ? periodFile : quotaFile;
      return { kind: "invalid", file: bad, text: bad === quotaFile ? quotaText : periodText };
    },
    warnings,
  );
  if (result.min) return { cpus: result.min.value, source: label, cgroupPath: result.min.cgroupPath };
  return { cpus: null, source: result.file ? label : "none", cgroupPath: null };
}

async function readCpuset(
  io: ProbeIo,
  location: Location | null,
  warnings: WarningList,
): Promise<SourcedCount> {
  if (!location) return { value: null, source: "none" };
  // The effective list already folds in the ancestors; the plain one is the fallback.
  const files =
    location.version === 2
      ? ["cpuset.cpus.effective", "cpuset.cpus"]
      : ["cpuset.effective_cpus", "cpuset.cpus"];
  const result = await walk(
    location,
    async (dir): Promise<LevelReading> => {
      for (const name of files) {
        const file = posix.join(dir, name);
        const text = await io.readText(file);
        if (text === null) continue;
        // An empty v2 cpuset.cpus means "same as the parent".
        if (text.trim() === "") return { kind: "missing" };
        const cpus = parseCpuList(text);
        if (cpus === null) return { kind: "invalid", file, text };
        return { kind: "value", value: cpus.length, file };
      }
      return { kind: "missing" };
    },
    warnings,
  );
  if (!result.min) return { value: null, source: "none" };
  return { value: result.min.value, source: `cgroup v${location.version} ${result.min.file}` };
}

async function readMemory(
  io: ProbeIo,
  location: Location | null,
  warnings: WarningList,
): Promise<
  Pick<CgroupLimits, "memoryLimit" | "memoryHigh" | "memoryUsage" | "limitHeadroom" | "highHeadroom">
> {
  const none = {
    memoryLimit: NONE_NUMBER,
    memoryHigh: NONE_NUMBER,
    memoryUsage: NONE_NUMBER,
    limitHeadroom: null,
    highHeadroom: null,
  };
  if (!location) return none;
  const v = location.version;
  const limitFile = v === 2 ? "memory.max" : "memory.limit_in_bytes";
  const usageFile = v === 2 ? "memory.current" : "memory.usage_in_bytes";
  const readLimit =
    (name: string) =>
    async (dir: string): Promise<LevelReading> => {
      const file = posix.join(dir, name);
      const text = await io.readText(file);
      if (text === null) return { kind: "missing" };
      const parsed = parseCgroupMemoryLimit(text);
      return parsed ? { kind: "value", value: parsed.bytes, file } : { kind: "invalid", file, text };
    };
  const usageAt = async (cgroupPath: string): Promise<number | null> => {
    const file = posix.join(location.mountPoint, cgroupPath, usageFile);
    const text = await io.readText(file);
    if (text === null) return null;
    const bytes = parseByteCount(text);
    if (bytes === null) {
      warnings.add(
        "CGROUP_VALUE_INVALID",
        `${file} holds ${JSON.stringify(text.trim().slice(0, 40))}, which the kernel never writes; usage taken as unknown`,
      );
    }
    return bytes;
  };

  const limit = await walk(location, readLimit(limitFile), warnings);
  const high = v === 2 ? await walk(location, readLimit("memory.high"), warnings) : null;

  const limitUsage = limit.min ? await usageAt(limit.min.cgroupPath) : null;
  const highUsage =
    high?.min && high.min.cgroupPath === limit.min?.cgroupPath
      ? limitUsage
      : high?.min
        ? await usageAt(high.min.cgroupPath)
        : null;
  const label = (file: string) => `cgroup v${v} ${file}`;
  const usageSource = label(usageFile);
  const headroom = (bytes: number, usage: number | null) => Math.max(0, bytes - (usage ?? 0));

  return {
    memoryLimit: {
      value: limit.min?.value ?? null,
      source: limit.file ? label(limitFile) : "none",
    },
    memoryHigh: {
      value: high?.min?.value ?? null,
      source: high?.file ? label("memory.high") : "none",
    },
    memoryUsage: limit.min
      ? { value: limitUsage, source: usageSource }
      : high?.min
        ? { value: highUsage, source: usageSource }
        : { value: null, source: "none" },
    limitHeadroom: limit.min ? headroom(limit.min.value, limitUsage) : null,
    highHeadroom: high?.min ? headroom(high.min.value, highUsage) : null,
  };
}
