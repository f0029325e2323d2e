// Pure parsers for the Linux files and commands the probe reads. None of them
// throws: a text they cannot make sense of gives `null` (or an empty list), and
// the probe turns that into a fallback and a warning.

/** What `/proc/cpuinfo` says about the processor topology; null where it does not say. */
export interface CpuinfoSummary {
  /** Processor entries (`processor : N`). */
  logical: number | null;
  /** Distinct `physical id` values. */
  packages: number | null;
  /** Distinct (`physical id`, `core id`) pairs, else the sum of `cpu cores` per package. */
  physicalCores: number | null;
  /** The first `model name`. */
  modelName: string | null;
}

const INTEGER = /^\d+$/;

function toInteger(value: string | undefined): number | null {
  if (value === undefined || !INTEGER.test(value)) return null;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : null;
}

/**
 * Parses `/proc/cpuinfo`. Physical cores are the distinct (`physical id`, `core id`)
 * pairs; where `core id` is missing but every entry has `physical id` and `cpu cores`,
 * the sum of `cpu cores` over packages. A single processor entry is one core in one
 * package. Anything else (arm64 kernels print no `core id`) is unknown: `null`.
 *
 * @example parseCpuinfo("processor : 0\nphysical id : 0\ncore id : 0\n") //=> { logical: 1, packages: 1, physicalCores: 1, modelName: null }
 */
export function parseCpuinfo(text: string): CpuinfoSummary {
  const entries: Map<string, string>[] = [];
  let current: Map<string, string> | null = null;
  let headerModel: string | null = null;
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === "") {
      current = null;
      continue;
    }
    const colon = line.indexOf(":");
    // Lines without a colon are wrapped continuations (long `flags`) or junk.
    if (colon < 0) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (key === "processor") {
      // Old arm kernels print `Processor : ARMv7 ...` as a header: not an entry.
      if (INTEGER.test(value)) {
        current = new Map();
        entries.push(current);
      } else {
        current = null;
      }
      continue;
    }
    if (current) {
      if (!current.has(key)) current.set(key, value);
    } else if (key === "model name" && headerModel === null && value !== "") {
      headerModel = value;
    }
  }

  const modelName = entries.find((e) => e.get("model name"))?.get("model name") ?? headerModel;
  const logical = entries.length > 0 ? entries.length : null;
  if (logical === null) return { logical: null, packages: null, physicalCores: null, modelName };
  if (logical === 1) return { logical, packages: 1, physicalCores: 1, modelName };

  const packageIds = entries.map((e) => toInteger(e.get("physical id")));
  if (packageIds.some((id) => id === null)) {
    return { logical, packages: null, physicalCores: null, modelName };
  }
  const packages = new Set(packageIds).size;

  const coreIds = entries.map((e) => toInteger(e.get("core id")));
  if (coreIds.every((id) => id !== null)) {
    const pairs = new Set(entries.map((_, i) => `${packageIds[i]}:${coreIds[i]}`));
    return { logical, packages, physicalCores: pairs.size, modelName };
  }

  const coresPerPackage = new Map<number, number>();
  for (let i = 0; i < entries.length; i++) {
    const cores = toInteger(entries[i]!.get("cpu cores"));
    if (cores === null || cores === 0) return { logical, packages, physicalCores: null, modelName };
    if (!coresPerPackage.has(packageIds[i]!)) coresPerPackage.set(packageIds[i]!, cores);
  }
  let physicalCores = 0;
  for (const cores of coresPerPackage.values()) physicalCores += cores;
  return { logical, packages, physicalCores, modelName };
}

/** Most CPUs a cpu list may name; guards against a garbage range such as `0-999999999`. */
const MAX_CPU_INDEX = 1 << 16;

/**
 * Parses a kernel cpu list (`cpuset.cpus`, `core_cpus_list`, `/sys/devices/system/cpu/online`):
 * `"0-3,8"` gives `[0, 1, 2, 3, 8]`. An empty text gives `[]`; anything malformed gives `null`.
 */
export function parseCpuList(text: string): number[] | null {
  const trimmed = text.trim();
  if (trimmed === "") return [];
  const cpus = new Set<number>();
  for (const part of trimmed.split(",")) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!match) return null;
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    if (last < first || last >= MAX_CPU_INDEX) return null;
    for (let cpu = first; cpu <= last; cpu++) cpus.add(cpu);
  }
  return [...cpus].sort((a, b) => a - b);
}

/** One line of `/proc/self/cgroup`. */
export interface ProcCgroupEntry {
  /** Hierarchy id; 0 is the cgroup v2 unified hierarchy. */
  hierarchyId: number;
  /** Controllers of a v1 hierarchy (`["cpu", "cpuacct"]`, `["name=systemd"]`); empty for v2. */
  controllers: string[];
  /** The process's cgroup, relative to the hierarchy's root (`/docker/<id>`). */
  path: string;
}

/**
 * Parses `/proc/self/cgroup` (lines `id:controllers:path`; cgroup v2 is `0::/path`).
 * Malformed lines are skipped.
 */
export function parseProcSelfCgroup(text: string): ProcCgroupEntry[] {
  const entries: ProcCgroupEntry[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    const first = line.indexOf(":");
    const second = first < 0 ? -1 : line.indexOf(":", first + 1);
    if (second < 0) continue;
    const hierarchyId = toInteger(line.slice(0, first));
    const path = line.slice(second + 1);
    if (hierarchyId === null || !path.startsWith("/")) continue;
    const controllerText = line.slice(first + 1, second);
    const controllers = controllerText === "" ? [] : controllerText.split(",").filter((c) => c !== "");
    entries.push({ hierarchyId, controllers, path });
  }
  return entries;
}

/** One line of `/proc/self/mountinfo`. */
export interface MountinfoEntry {
  mountId: number;
  parentId: number;
  /** The folder of the mounted file system that appears at `mountPoint` (`/docker/<id>` for a v1 cgroup in a container). */
  root: string;
  mountPoint: string;
  /** `cgroup2`, `cgroup`, `overlay`, ... */
  fsType: string;
  source: string;
  /** Per-superblock options; for a v1 cgroup they name its controllers (`rw,cpu,cpuacct`). */
  superOptions: string[];
}

/** mountinfo escapes space, tab, newline and backslash as three octal digits. */
function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

/**
 * Parses `/proc/self/mountinfo`
 * (`id parent major:minor root mountpoint options [optional...] - fstype source superoptions`).
 * Malformed lines are skipped.
 */
export function parseMountinfo(text: string): MountinfoEntry[] {
  const entries: MountinfoEntry[] = [];
  for (const line of text.split(/\r?\n/)) {
    const fields = line.trim().split(/\s+/);
    const separator = fields.indexOf("-", 6);
    if (separator < 0 || fields.length < separator + 3) continue;
    const mountId = toInteger(fields[0]);
    const parentId = toInteger(fields[1]);
    const root = fields[3]!;
    const mountPoint = fields[4]!;
    if (mountId === null || parentId === null || !root.startsWith("/") || !mountPoint.startsWith("/"))
      continue;
    entries.push({
      mountId,
      parentId,
      root: unescapeMountField(root),
      mountPoint: unescapeMountField(mountPoint),
      fsType: fields[separator + 1]!,
      source: unescapeMountField(fields[separator + 2]!),
      superOptions: (fields[separator + 3] ?? "").split(",").filter((o) => o !== ""),
    });
  }
  return entries;
}

/** The figures the probe takes from `/proc/meminfo`, in bytes; null where missing. */
export interface MeminfoSummary {
  total: number | null;
  available: number | null;
  free: number | null;
}

/** Parses `/proc/meminfo` (`MemTotal:  24684096 kB`). */
export function parseMeminfo(text: string): MeminfoSummary {
  const values = new Map<string, number>();
  for (const line of text.split(/\r?\n/)) {
    const match = /^([\w()]+):\s+(\d+)(?:\s+(kB))?\s*$/.exec(line.trim());
    if (!match) continue;
    const n = Number(match[2]) * (match[3] === "kB" ? 1024 : 1);
    if (Number.isFinite(n) && !values.has(match[1]!)) values.set(match[1]!, n);
  }
  return {
    total: values.get("MemTotal") ?? null,
    available: values.get("MemAvailable") ?? null,
    free: values.get("MemFree") ?? null,
  };
}

/** What `lscpu -p` says about the topology; null where it does not say. */
export interface LscpuSummary {
  logical: number | null;
  /** Distinct (Socket, Core) pairs. */
  physicalCores: number | null;
  /** Distinct Socket values. */
  packages: number | null;
}

/**
 * Parses the parsable output of `lscpu -p` (`# CPU,Core,Socket,Node,...` header, then
 * one comma-separated line per logical CPU). Columns are found by the header.
 */
export function parseLscpu(text: string): LscpuSummary {
  let columns = ["cpu", "core", "socket"];
  const rows: string[][] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "") continue;
    if (line.startsWith("#")) {
      const header = line.slice(1).trim().toLowerCase().split(",");
      if (header.includes("cpu") && header.includes("core")) columns = header;
      continue;
    }
    rows.push(line.split(","));
  }
  const cpuCol = columns.indexOf("cpu");
  const coreCol = columns.indexOf("core");
  const socketCol = columns.indexOf("socket");
  const valid = rows.filter((row) => toInteger(row[cpuCol]?.trim()) !== null);
  if (valid.length === 0 || valid.length !== rows.length) {
    return { logical: null, physicalCores: null, packages: null };
  }
  const logical = new Set(valid.map((row) => row[cpuCol]!.trim())).size;
  const sockets = valid.map((row) => (socketCol < 0 ? null : toInteger(row[socketCol]?.trim())));
  const cores = valid.map((row) => (coreCol < 0 ? null : toInteger(row[coreCol]?.trim())));
  const packages = sockets.every((s) => s !== null) ? new Set(sockets).size : null;
  const physicalCores = cores.every((c) => c !== null)
    ? new Set(cores.map((c, i) => `${sockets[i] ?? "?"}:${c}`)).size
    : null;
  return { logical, physicalCores, packages };
}

/** A CPU bandwidth limit: `cpus` = quota / period, null when unlimited. */
export interface CpuBandwidth {
  cpus: number | null;
  quotaUs: number | null;
  periodUs: number;
}

/**
 * Parses cgroup v2 `cpu.max` (`"$MAX $PERIOD"`): `"150000 100000"` gives 1.5 CPUs,
 * `"max 100000"` no limit. Returns null for anything else.
 */
export function parseCgroupV2CpuMax(text: string): CpuBandwidth | null {
  const match = /^(max|\d+)\s+(\d+)$/.exec(text.trim());
  if (!match) return null;
  const periodUs = Number(match[2]);
  if (!(periodUs > 0) || !Number.isSafeInteger(periodUs)) return null;
  if (match[1] === "max") return { cpus: null, quotaUs: null, periodUs };
  const quotaUs = Number(match[1]);
  if (!(quotaUs > 0) || !Number.isSafeInteger(quotaUs)) return null;
  return { cpus: quotaUs / periodUs, quotaUs, periodUs };
}

/**
 * Parses cgroup v1 `cpu.cfs_quota_us` and `cpu.cfs_period_us`: a quota of `-1` is no
 * limit. Returns null when either text is not what the kernel writes.
 */
export function parseCgroupV1CpuQuota(quotaText: string, periodText: string): CpuBandwidth | null {
  const quota = quotaText.trim();
  const periodUs = toInteger(periodText.trim());
  if (periodUs === null || periodUs === 0) return null;
  if (quota === "-1") return { cpus: null, quotaUs: null, periodUs };
  const quotaUs = toInteger(quota);
  if (quotaUs === null || quotaUs === 0) return null;
  return { cpus: quotaUs / periodUs, quotaUs, periodUs };
}

/**
 * Byte counts at or above this mean "no limit". cgroup v1 writes the page-rounded
 * PAGE_COUNTER_MAX (9223372036854771712, just under 2^63) and `process.constrainedMemory()`
 * reports 2^64 when nothing is set; no real limit comes near 2^60 bytes (1 EiB).
 */
export const NO_LIMIT_BYTES = 2 ** 60;

/**
 * Parses a cgroup memory limit (v2 `memory.max`/`memory.high`, v1 `memory.limit_in_bytes`):
 * `"max"` and values near 2^63 give `{ bytes: null }` (no limit); garbage gives null.
 */
export function parseCgroupMemoryLimit(text: string): { bytes: number | null } | null {
  const value = text.trim();
  if (value === "max") return { bytes: null };
  if (!INTEGER.test(value)) return null;
  // Number() is exact below 2^53, and anything above is "no limit" anyway.
  const bytes = Number(value);
  return { bytes: bytes >= NO_LIMIT_BYTES ? null : bytes };
}

/** Parses a plain byte count (v2 `memory.current`, v1 `memory.usage_in_bytes`); null for garbage. */
export function parseByteCount(text: string): number | null {
  return toInteger(text.trim());
}

/**
 * CPUs the process may run on, from `/proc/self/status`: its `Cpus_allowed_list` line
 * (`0-3,8-11` is 8 CPUs). This is the scheduler's affinity mask itself, which
 * `os.availableParallelism()` gave until libuv 1.52 began to bound it by a cgroup v2 CPU
 * quota (rounded down): the quota is read on its own, from the cgroup files. Null when the
 * line is missing or not a list of ascending CPU numbers and ranges.
 */
export function parseAllowedCpus(status: string): number | null {
  const line = /^Cpus_allowed_list:[ \t]*(\S*)[ \t]*$/m.exec(status);
  if (line === null) return null;
  let count = 0;
  let last = -1;
  for (const part of line[1]!.split(",")) {
    const range = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(part);
    if (range === null) return null;
    const from = Number(range[1]);
    const to = range[2] === undefined ? from : Number(range[2]);
    if (from <= last || to < from) return null;
    count += to - from + 1;
    last = to;
  }
  return count;
}
