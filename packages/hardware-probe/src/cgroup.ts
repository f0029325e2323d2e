import { posix } from "node:path";
import type { CpuQuota, SourcedCount, SourcedNumber } from "@amorsize/types";
import type { ProbeIo } from "./io.js";
import {
  type CpuBandwidth,
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
import { cpuBandwidthProblem, memoryAmountProblem, memorySizeProblem } from "./plausible.js";
import type { ProbeWarningCode, WarningList } from "./warnings.js";

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

/** Where the process sits in one hierarchy: the folders to walk up through. */
interface Location {
  version: 1 | 2;
  mountPoint: string;
  /** The folders to read, from the process's cgroup up, relative to the mount point. */
  levels: string[];
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

/**
 * The most cgroup levels read along one path. Real trees are a handful deep
 * (Kubernetes 4, systemd 5 or 6, containers nested in containers some 10); a path
 * deeper than this is read only at its two ends, so the cost stays linear in its length.
 */
export const MAX_CGROUP_LEVELS = 64;

/** The levels of a cgroup path to read, and how many were left out. */
export interface CgroupLevels {
  /** From the process's cgroup up to `/`: `/a/b`, `/a`, `/`. */
  levels: string[];
  /** Levels below the top (`/a/b` is 2 deep). */
  depth: number;
  /** Levels between the two ends that are not read. */
  skipped: number;
}

/**
 * The folders from the process's cgroup up to the top of the mount: all of them
 * when there are at most `max`, else the `max / 2` (rounded up) nearest the process
 * (its container's limits) and the rest nearest the top, the top included (a
 * namespace's or a node's limits). Linear in the length of the path.
 *
 * @example cgroupLevels("/a/b") //=> { levels: ["/a/b", "/a", "/"], depth: 2, skipped: 0 }
 */
export function cgroupLevels(relPath: string, max: number = MAX_CGROUP_LEVELS): CgroupLevels {
  let path = posix.normalize(relPath);
  while (path.length > 1 && path.endsWith("/")) path = path.slice(0, -1);
  // Where each level below the top ends in `path`, from the top down.
  const ends: number[] = [];
  for (let i = 1; i < path.length; i++) if (path[i] === "/") ends.push(i);
  if (path !== "/") ends.push(path.length);
  const depth = ends.length;
  const near = depth + 1 <= max ? depth : Math.ceil(max / 2);
  const top = depth + 1 <= max ? 0 : max - near - 1;
  const levels: string[] = [];
  for (let i = depth - 1; i >= depth - near; i--) levels.push(path.slice(0, ends[i]));
  for (let i = top - 1; i >= 0; i--) levels.push(path.slice(0, ends[i]));
  levels.push("/");
  return { levels, depth, skipped: depth + 1 - levels.length };
}

/**
 * `path` below the folder `dir`, both already normalized: plain concatenation, as
 * posix.join would normalize again a path that may be thousands of levels long.
 */
function below(dir: string, path: string): string {
  const rest = path.startsWith("/") ? path.slice(1) : path;
  if (rest === "") return dir;
  return dir.endsWith("/") ? `${dir}${rest}` : `${dir}/${rest}`;
}

/** A long path cut in its middle, for a warning's message. */
function shortPath(path: string, keep = 20): string {
  return path.length <= 2 * keep + 1 ? path : `${path.slice(0, keep)}…${path.slice(-keep)}`;
}

type LevelReading =
  | { kind: "missing" }
  | { kind: "invalid"; file: string; text: string }
  | { kind: "implausible"; file: string; shown: string; why: string }
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
  const { levels } = location;
  // Read every level at once; act on them in order so warnings come out the same every run.
  const readings = await Promise.all(levels.map((level) => readLevel(below(location.mountPoint, level))));
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
    if (reading.kind === "implausible") {
      warnings.add(
        "VALUE_IMPLAUSIBLE",
        `${reading.file} holds ${reading.shown}, ${reading.why}; that cgroup level is ignored`,
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

/** A cgroup's memory usage from `file`; null, with a warning, where it cannot be trusted. */
async function readUsage(io: ProbeIo, file: string, warnings: WarningList): Promise<number | null> {
  const text = await io.readText(file);
  if (text === null) return null;
  const bytes = parseByteCount(text);
  if (bytes === null) {
    warnings.add(
      "CGROUP_VALUE_INVALID",
      `${file} holds ${JSON.stringify(text.trim().slice(0, 40))}, which the kernel never writes; usage taken as unknown`,
    );
    return null;
  }
  const why = memoryAmountProblem(bytes);
  if (why === null) return bytes;
  warnings.add("VALUE_IMPLAUSIBLE", `${file} holds ${bytes} bytes, ${why}; usage taken as unknown`);
  return null;
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
 * Where the process sits, for each controller: its v1 hierarchy when one carries
 * the controller, else the v2 one; null when neither is mounted. Warns once per
 * mount of a path outside the mounted part or deeper than {@link MAX_CGROUP_LEVELS}.
 */
function locator(
  hierarchies: readonly CgroupHierarchy[],
  membership: readonly ProcCgroupEntry[],
  warnings: WarningList,
): (controller: string) => Location | null {
  const membershipKnown = membership.length > 0;
  const warned = new Set<string>();
  const warnOnce = (h: CgroupHierarchy, code: ProbeWarningCode, message: string) => {
    if (warned.has(`${code} ${h.mountPoint}`)) return;
    warned.add(`${code} ${h.mountPoint}`);
    warnings.add(code, message);
  };
  const at = (version: 1 | 2, h: CgroupHierarchy, relPath: string): Location => {
    const { levels, depth, skipped } = cgroupLevels(relPath);
    if (skipped > 0) {
      const half = Math.ceil(MAX_CGROUP_LEVELS / 2);
      warnOnce(
        h,
        "CGROUP_PATH_TOO_DEEP",
        `the process's cgroup ${shortPath(relPath)} lies ${depth} levels below ${h.mountPoint}, more than the ${MAX_CGROUP_LEVELS} levels (the top included) the probe reads; read the ${half} nearest the process and the ${MAX_CGROUP_LEVELS - half} nearest the top, skipped ${skipped} between`,
      );
    }
    return { version, mountPoint: posix.normalize(h.mountPoint), levels };
  };
  const place = (version: 1 | 2, candidates: CgroupHierarchy[], procPath: string): Location => {
    for (const h of candidates) {
      const relPath = pathBelowMount(procPath, h.mountRoot);
      if (relPath !== null) return at(version, h, relPath);
    }
    const h = candidates[0]!;
    warnOnce(
      h,
      "CGROUP_PATH_UNMAPPED",
      `the process's cgroup ${shortPath(procPath)} lies outside ${h.mountRoot}, the part mounted at ${h.mountPoint}; read the limits at the mount's top`,
    );
    return { version, mountPoint: posix.normalize(h.mountPoint), levels: ["/"] };
  };
  return (controller) => {
    const v1Entry = membership.find((e) => e.hierarchyId !== 0 && e.controllers.includes(controller));
    const v1 = hierarchies.filter((h) => h.version === 1 && h.controllers.includes(controller));
    if (v1.length > 0 && (v1Entry || !membershipKnown)) return place(1, v1, v1Entry?.path ?? "/");
    const v2Entry = membership.find((e) => e.hierarchyId === 0);
    const v2 = hierarchies.filter((h) => h.version === 2);
    if (v2.length > 0 && (v2Entry || !membershipKnown)) return place(2, v2, v2Entry?.path ?? "/");
    return null;
  };
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

  const locate = locator(hierarchies, membership, warnings);
  const quota = await readQuota(io, locate("cpu"), warnings);
  const cpuset = await readCpuset(io, locate("cpuset"), warnings);
  const memory = await readMemory(io, locate("memory"), warnings);
  return { quota, cpuset, ...memory, membership, mounts };
}

/** A parsed CPU bandwidth at `file` as a level reading: its CPUs, or why the kernel cannot hold it. */
function bandwidthReading(bandwidth: CpuBandwidth, file: string): LevelReading {
  const why = cpuBandwidthProblem(bandwidth.quotaUs, bandwidth.periodUs);
  if (why === null) return { kind: "value", value: bandwidth.cpus, file };
  const quota = bandwidth.quotaUs === null ? "no quota" : `a quota of ${bandwidth.quotaUs} µs`;
  return { kind: "implausible", file, shown: `${quota} per period of ${bandwidth.periodUs} µs`, why };
}

async function readCpuMax(io: ProbeIo, dir: string): Promise<LevelReading> {
  const file = below(dir, "cpu.max");
  const text = await io.readText(file);
  if (text === null) return { kind: "missing" };
  const parsed = parseCgroupV2CpuMax(text);
  return parsed ? bandwidthReading(parsed, file) : { kind: "invalid", file, text };
}

async function readCfsQuota(io: ProbeIo, dir: string): Promise<LevelReading> {
  const quotaFile = below(dir, "cpu.cfs_quota_us");
  const periodFile = below(dir, "cpu.cfs_period_us");
  const [quotaText, periodText] = await Promise.all([io.readText(quotaFile), io.readText(periodFile)]);
  if (quotaText === null) return { kind: "missing" };
  if (quotaText.trim() === "-1") return { kind: "value", value: null, file: quotaFile };
  if (periodText === null) return { kind: "invalid", file: periodFile, text: "" };
  const parsed = parseCgroupV1CpuQuota(quotaText, periodText);
  if (parsed) return bandwidthReading(parsed, quotaFile);
  const bad = parseCgroupV1CpuQuota(quotaText, "100000") ? periodFile : quotaFile;
  return { kind: "invalid", file: bad, text: bad === quotaFile ? quotaText : periodText };
}

async function readQuota(io: ProbeIo, location: Location | null, warnings: WarningList): Promise<CpuQuota> {
  if (!location) return { cpus: null, source: "none", cgroupPath: null };
  const v2 = location.version === 2;
  const label = v2 ? "cgroup v2 cpu.max" : "cgroup v1 cpu.cfs_quota_us";
  const result = await walk(location, (dir) => (v2 ? readCpuMax(io, dir) : readCfsQuota(io, dir)), warnings);
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
        const file = below(dir, name);
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
      const file = below(dir, name);
      const text = await io.readText(file);
      if (text === null) return { kind: "missing" };
      const parsed = parseCgroupMemoryLimit(text);
      if (!parsed) return { kind: "invalid", file, text };
      const why = parsed.bytes === null ? null : memorySizeProblem(parsed.bytes);
      if (why === null) return { kind: "value", value: parsed.bytes, file };
      return { kind: "implausible", file, shown: `${parsed.bytes} bytes`, why };
    };
  const usageAt = (cgroupPath: string) =>
    readUsage(io, below(below(location.mountPoint, cgroupPath), usageFile), warnings);

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
