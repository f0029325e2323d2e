import { readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import {
  type MachineKey,
  MachineKeySchema,
  type MeasuredFigure,
  messageOf,
  type SpawnCostProfile,
  SpawnCostProfileSchema,
  type Warning,
} from "@amorsize/types";
import envPaths from "env-paths";
import writeFileAtomic from "write-file-atomic";
import { implausibleFigure } from "./cache-bounds.js";
import { SpawnCostCacheError, SpawnCostWarningCode } from "./errors.js";
import { machineKeyDifferences, sameMachineKey } from "./machine-key.js";
import { type CpuReading, keptReadings, othersLoadPerCore, ownCores } from "./own-load.js";

/** Name of the cache file inside the cache folder; the version changes when its layout does. */
export const SPAWN_COST_CACHE_FILE = "spawn-cost-v1.json";

/**
 * Load bands, 1-minute load average per usable core: figures measured at or under `quiet`
 * are not reused at or over `busy`, nor the other way round. Worker start-up measured on
 * a machine running one busy process per core came out at 85 ms per worker here, 2-4x
 * the quiet figure, and kept every later plan serial for the cache's 7 days. The gap
 * between the bands keeps a load hovering near one of them from measuring over and over.
 */
export const LOAD_BANDS = { quiet: 0.5, busy: 1 } as const;

/** Whether figures measured at load `then` (per core) should be measured again at load `now`. */
export function loadChanged(then: number, now: number): boolean {
  return (
    (then <= LOAD_BANDS.quiet && now >= LOAD_BANDS.busy) ||
    (then >= LOAD_BANDS.busy && now <= LOAD_BANDS.quiet)
  );
}

/** This process's earlier clock readings (see own-load.ts), oldest first. */
let readings: CpuReading[] = [];

/**
 * The load other processes put on this machine, per usable core: the 1-minute load average
 * (0 where the OS gives none) less this process's own CPU over the last minute or more.
 */
export function currentLoadPerCore(usableCores: number): number {
  const usage = process.cpuUsage();
  const now = { wallMs: performance.now(), cpuMs: (usage.user + usage.system) / 1000 };
  const own = ownCores(readings, now);
  readings = keptReadings(readings, now);
  return othersLoadPerCore(os.loadavg()[0]!, own, usableCores);
}

/** A cached profile dated more than this far in the future is not trusted (clock skew allowance). */
const FUTURE_SLACK_MS = 60_000;

/** What the cache file holds: the key the profile was measured under, and the profile. */
export interface SpawnCostCacheFile {
  key: MachineKey;
  profile: SpawnCostProfile;
}

type CheckedCacheFile = { ok: true; data: SpawnCostCacheFile } | { ok: false; problem: string };

/**
 * The last cache file text this process parsed and checked, with the outcome: every plan
 * reads the file, and the same bytes parse to the same contents. Parsing and validating
 * them again cost ~0.4 ms a call; comparing the text costs microseconds. Only the layout
 * check is kept: whether the contents suit this call (key, age, load) is checked every time.
 */
let lastChecked: { file: string; text: string; checked: CheckedCacheFile } | null = null;

/**
 * {@link checkCacheFile} of the file's text, as parsed last time when the text is the same
 * (contents copied: the caller's objects are its own); the JSON error when it is not JSON.
 */
function checkCacheText(file: string, text: string): CheckedCacheFile | { ok: false; notJson: unknown } {
  if (lastChecked === null || lastChecked.file !== file || lastChecked.text !== text) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      return { ok: false, notJson: error };
    }
    lastChecked = { file, text, checked: checkCacheFile(json) };
  }
  const { checked } = lastChecked;
  return checked.ok ? { ok: true, data: structuredClone(checked.data) } : checked;
}

/** Checks parsed JSON against the cache file's layout; the first problem found, or the contents. */
function checkCacheFile(json: unknown): CheckedCacheFile {
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    return { ok: false, problem: "expected an object with key and profile" };
  }
  const record = json as Record<string, unknown>;
  // Once per read: without zod's compiled fast path (see `parseInput` in @amorsize/types).
  const key = MachineKeySchema.safeParse(record.key, { jitless: true });
  if (!key.success) return { ok: false, problem: firstIssue("key", key.error.issues) };
  const profile = SpawnCostProfileSchema.safeParse(record.profile, { jitless: true });
  if (!profile.success) return { ok: false, problem: firstIssue("profile", profile.error.issues) };
  return { ok: true, data: { key: key.data, profile: profile.data } };
}

function firstIssue(label: string, issues: readonly { path: PropertyKey[]; message: string }[]): string {
  const first = issues[0];
  const where = [label, ...(first?.path ?? []).map(String)].join(".");
  return `${where}: ${first?.message ?? "invalid"}`;
}

/**
 * The default cache folder: `$AMORSIZE_CACHE_DIR` (read from `env`; relative to the
 * working directory), else this system's cache folder for `amorsize` as env-paths knows it:
 * `$XDG_CACHE_HOME/amorsize` or `~/.cache/amorsize` on Linux and the BSDs,
 * `~/Library/Caches/amorsize` on macOS, `%LOCALAPPDATA%\amorsize\Cache` on Windows (these
 * variables are read from `process.env`). Empty variables count as unset, and a relative
 * `XDG_CACHE_HOME` is ignored, as the XDG base directory specification asks.
 */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const own = env.AMORSIZE_CACHE_DIR;
  if (own) return path.resolve(own);
  // env-paths works out every XDG folder from the environment, ~50 us, and every plan
  // asks: the answer is kept while the variables the cache folder rests on are unchanged.
  const from = env === process.env ? cacheDirVariables(env) : null;
  if (from !== null && lastDefault?.from === from) return lastDefault.dir;
  const { cache } = envPaths("amorsize", { suffix: "" });
  // env-paths takes a relative $XDG_CACHE_HOME as it is.
  const dir = path.isAbsolute(cache) ? cache : path.join(os.homedir(), ".cache", "amorsize");
  if (from !== null) lastDefault = { from, dir };
  return dir;
}

/** The process's default cache folder, and the variables it was worked out from. */
let lastDefault: { from: string; dir: string } | null = null;

/** The system and the variables its cache folder is worked out from (see defaultCacheDir), as one string. */
function cacheDirVariables(env: NodeJS.ProcessEnv): string {
  return [process.platform, env.XDG_CACHE_HOME, env.HOME, env.USERPROFILE, env.LOCALAPPDATA].join("\0");
}

/** The cache file inside `cacheDir`. */
export function cacheFilePath(cacheDir: string): string {
  return path.join(path.resolve(cacheDir), SPAWN_COST_CACHE_FILE);
}

/** The outcome of reading the cache. */
export type CacheRead =
  | { status: "hit"; profile: SpawnCostProfile }
  | { status: "missing" }
  | { status: "ignored"; warning: Warning; error: SpawnCostCacheError };

function ignored(
  problem: "invalid" | "foreign" | "expired" | "load" | "unreadable",
  file: string,
  message: string,
  cause?: unknown,
): CacheRead {
  const code = {
    invalid: SpawnCostWarningCode.cacheInvalid,
    foreign: SpawnCostWarningCode.cacheForeign,
    expired: SpawnCostWarningCode.cacheExpired,
    load: SpawnCostWarningCode.cacheOtherLoad,
    unreadable: SpawnCostWarningCode.cacheUnreadable,
  }[problem];
  const text = `Ignored the cached profile ${file}: ${message}; measured again.`;
  return {
    status: "ignored",
    warning: { code, message: text },
    error: new SpawnCostCacheError(problem, file, text, { cause }),
  };
}

/**
 * Reads and checks the cache file. Never throws: a file that is absent (or
 * whose folder cannot exist) is `missing`; one that cannot be read, is not
 * JSON, does not match the schema, holds a figure outside its plausible range
 * (`PLAUSIBLE_FIGURES`), belongs to another machine key, or is older than
 * `ttlMs` is `ignored` with a warning saying why.
 */
export async function readCache(
  file: string,
  key: MachineKey,
  ttlMs: number,
  nowMs: number = Date.now(),
  loadNow: number = currentLoadPerCore(key.usableCores),
): Promise<CacheRead> {
  let text: string;
  try {
    // Read synchronously: a few kilobytes cost ~30 us that way, while fs/promises
    // readFile takes four thread-pool round trips, 0.4-5 ms measured here, on every plan.
    text = readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return { status: "missing" };
    return ignored("unreadable", file, `cannot be read (${messageOf(error)})`, error);
  }
  const parsed = checkCacheText(file, text);
  if ("notJson" in parsed) {
    return ignored("invalid", file, `not valid JSON (${messageOf(parsed.notJson)})`, parsed.notJson);
  }
  if (!parsed.ok) return ignored("invalid", file, `does not match the schema (${parsed.problem})`);
  const { key: fileKey, profile } = parsed.data;
  if (!sameMachineKey(fileKey, profile.machineKey)) {
    return ignored("invalid", file, "its key and its profile's machine key differ");
  }
  if (!sameMachineKey(key, fileKey)) {
    return ignored(
      "foreign",
      file,
      `measured for another machine: ${machineKeyDifferences(key, fileKey).join(", ")}`,
    );
  }
  if (profile.source !== "measured") {
    return ignored("invalid", file, `holds a profile whose source is "${profile.source}", not "measured"`);
  }
  const implausible = implausibleFigure(profile);
  if (implausible !== null) return ignored("invalid", file, `holds an implausible figure: ${implausible}`);
  const age = nowMs - Date.parse(profile.measuredAt);
  if (age > ttlMs) {
    return ignored(
      "expired",
      file,
      `measured ${profile.measuredAt}, older than the ${ttlMs} ms time-to-live`,
    );
  }
  if (age < -FUTURE_SLACK_MS) {
    return ignored("expired", file, `dated ${profile.measuredAt}, in the future`);
  }
  if (profile.loadPerCore === undefined) {
    // Written before the load was recorded: it may have been measured on a busy machine
    // (a stale one made the bench's light workload serial at 85 ms per worker start), and
    // nothing tells which. Measured once again, with the load.
    return ignored("load", file, "measured before the load was recorded with the figures");
  }
  if (profile.pace === undefined) {
    // Written before the workers' pace was measured: the model would plan its chunks on
    // the fallbacks where a measurement now tells. Measured once again, with it.
    return ignored("expired", file, "measured before the workers' pace was part of the figures");
  }
  if (loadChanged(profile.loadPerCore, loadNow)) {
    const then = profile.loadPerCore.toFixed(2);
    return ignored("load", file, `measured at a load of ${then} per core, ${loadNow.toFixed(2)} now`);
  }
  return { status: "hit", profile };
}

/**
 * Writes the cache file atomically (write-file-atomic: a temporary file beside it, synced
 * to disk, then renamed over it), so a reader, a second writer or a crash leaves the old
 * file or the new one, never a part. Creates the folder. Throws `SpawnCostCacheError`
 * (problem `unwritable`) when it cannot.
 */
export async function writeCache(file: string, key: MachineKey, profile: SpawnCostProfile): Promise<void> {
  const contents: SpawnCostCacheFile = { key, profile };
  try {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFileAtomic(file, `${JSON.stringify(contents, null, 2)}\n`, { mode: 0o644 });
  } catch (error) {
    throw new SpawnCostCacheError(
      "unwritable",
      file,
      `Could not write the cache file ${file} (${messageOf(error)}); the profile is not cached.`,
      { cause: error },
    );
  }
}

function asCachedFigure(figure: MeasuredFigure): MeasuredFigure {
  return figure.provenance === "measured" ? { ...figure, provenance: "cached" } : figure;
}

/**
 * A profile read from the cache as returned to the caller: `source: "cached"`,
 * every measured figure's provenance `cached` (estimated ones keep their
 * reason), the cache path, and the read's own duration.
 */
export function asCachedProfile(
  profile: SpawnCostProfile,
  file: string,
  durationMs: number,
): SpawnCostProfile {
  const clone = Object.fromEntries(
    Object.entries(profile.clone).map(([kind, cost]) => [
      kind,
      { perItemUs: asCachedFigure(cost.perItemUs), perByteNs: asCachedFigure(cost.perByteNs) },
    ]),
  ) as SpawnCostProfile["clone"];
  return {
    ...profile,
    source: "cached",
    cachePath: file,
    durationMs,
    workerStart: {
      fixedMs: asCachedFigure(profile.workerStart.fixedMs),
      perWorkerMs: asCachedFigure(profile.workerStart.perWorkerMs),
    },
    dispatch: {
      latencyUs: asCachedFigure(profile.dispatch.latencyUs),
      throughputUs: asCachedFigure(profile.dispatch.throughputUs),
    },
    ...(profile.pace === undefined
      ? {}
      : {
          pace: {
            ...profile.pace,
            gapUs: asCachedFigure(profile.pace.gapUs),
            speedCv: asCachedFigure(profile.pace.speedCv),
          },
        }),
    clone,
  };
}

/** The warning for a cache that could not be written. */
export function unwritableWarning(error: unknown): Warning {
  return {
    code: SpawnCostWarningCode.cacheUnwritable,
    message: messageOf(error),
  };
}
