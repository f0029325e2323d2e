import {
  HardwareProfileSchema,
  isParsedFrozen,
  type MachineKey,
  messageOf,
  parseInput,
  type SpawnCostOptions,
  SpawnCostOptionsSchema,
  type SpawnCostProfile,
  SpawnCostProfileSchema,
  type Warning,
} from "@amorsize/types";
import type { MeasureOutcome } from "./assemble.js";
import {
  asCachedProfile,
  cacheFilePath,
  currentLoadPerCore,
  defaultCacheDir,
  readCache,
  unwritableWarning,
  writeCache,
} from "./cache.js";
import { SpawnCostWarningCode } from "./errors.js";
import { estimatedSpawnCost } from "./estimates.js";
import { machineKeyFor } from "./machine-key.js";
import { type MeasurePlan, runMeasurements } from "./measure.js";

/** Defaults of {@link measureSpawnCost}'s options that do not depend on the machine. */
export const SPAWN_COST_DEFAULTS = {
  budgetMs: 600,
  cache: true,
  refresh: false,
  ttlMs: 7 * 24 * 60 * 60 * 1000,
} as const;

/** {@link measureSpawnCost}'s options with every default filled in. */
export interface ResolvedSpawnCostOptions {
  budgetMs: number;
  cache: boolean;
  refresh: boolean;
  cacheDir: string;
  ttlMs: number;
  /** Largest pool timed for start-up: the option, else usable cores + 1, at least 3. */
  maxWorkers: number;
  /** What the figures are valid for, from `options.hardware` or `node:os`. */
  machineKey: MachineKey;
}

/** The options without a hardware profile: one that `parseFrozen()` returned is taken as it is. */
const OptionsBesideHardwareSchema = SpawnCostOptionsSchema.omit({ hardware: true });

/**
 * `options` validated. A hardware profile that `parseFrozen()` of `@amorsize/types`
 * returned is taken as it is (it was validated and cannot have changed): validating it
 * again cost each optimizer call ~80 us.
 */
function parseOptions(options: SpawnCostOptions | undefined): SpawnCostOptions {
  if (options === undefined) return parseInput(SpawnCostOptionsSchema, {}, "options");
  if (options !== null && typeof options === "object" && !Array.isArray(options)) {
    const { hardware, ...rest } = options;
    if (isParsedFrozen(HardwareProfileSchema, hardware)) {
      return { ...parseInput(OptionsBesideHardwareSchema, rest, "options"), hardware };
    }
  }
  return parseInput(SpawnCostOptionsSchema, options, "options");
}

/**
 * Validates `options` (throwing `AmorsizeValidationError` with one
 * `options.<path>: message` line per problem) and fills in the defaults.
 */
export function resolveSpawnCostOptions(
  options?: SpawnCostOptions,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedSpawnCostOptions {
  const parsed = parseOptions(options);
  const machineKey = machineKeyFor(parsed.hardware);
  return {
    budgetMs: parsed.budgetMs ?? SPAWN_COST_DEFAULTS.budgetMs,
    cache: parsed.cache ?? SPAWN_COST_DEFAULTS.cache,
    refresh: parsed.refresh ?? SPAWN_COST_DEFAULTS.refresh,
    cacheDir: parsed.cacheDir ?? defaultCacheDir(env),
    ttlMs: parsed.ttlMs ?? SPAWN_COST_DEFAULTS.ttlMs,
    maxWorkers: parsed.maxWorkers ?? Math.max(3, machineKey.usableCores + 1),
    machineKey,
  };
}

/**
 * Measures what worker-thread parallelism costs on this machine, through the
 * same tinypool pool and message path the executor uses, or returns the
 * cached figures (a few milliseconds) when a valid cache file exists.
 *
 * - `workerStart`: a pool of k workers is ready and has answered after
 *   `fixedMs + perWorkerMs * k` milliseconds (least-squares fit over
 *   k = 1..maxWorkers, repeated, outliers rejected by MAD).
 * - `dispatch`: an empty task's cost, one at a time (`latencyUs`) and with many
 *   in flight on two workers (`throughputUs`, main-thread cost per task).
 * - `clone[kind]`: `perItemUs + perByteNs * bytes / 1000` is the extra wall
 *   time, seen by the main thread with one worker, of ONE ROUND TRIP of an item
 *   of `bytes` serialised size (`v8.serialize(item).byteLength`): the item sent
 *   to a worker in a chunk and an equally sized result of the same kind sent
 *   back. A cost model charges half of it per direction.
 *
 * Every figure says how it was obtained (`measured`, `cached`, or `estimated`
 * with a reason), how many samples it rests on, and their spread. Measuring
 * problems never throw: the affected figures fall back to the documented
 * estimates and the profile carries a warning; every measuring worker is
 * terminated before this returns. Only invalid options throw
 * (`AmorsizeValidationError`).
 *
 * The cache file is `<cacheDir>/spawn-cost-v1.json`, keyed by the machine key
 * (CPU model, core counts, quota, platform, arch, Node and tinypool versions)
 * and valid for `ttlMs`. A corrupt, truncated, foreign, expired or
 * schema-invalid file is ignored (with a warning), measured again and
 * replaced. Without `options.hardware` the key is built from `node:os` and has
 * no quota; the optimizer passes the profile of `probeHardware()`.
 */
export async function measureSpawnCost(options?: SpawnCostOptions): Promise<SpawnCostProfile> {
  return measureSpawnCostWith(resolveSpawnCostOptions(options));
}

/** Takes the measurement of a plan; tests pass one that returns fixed figures. */
export type Measure = (plan: MeasurePlan) => Promise<MeasureOutcome>;

/**
 * {@link measureSpawnCost} with resolved options and a replaceable measurement
 * (internal: not exported from the package).
 */
export async function measureSpawnCostWith(
  options: ResolvedSpawnCostOptions,
  measure: Measure = (plan) => runMeasurements(plan),
): Promise<SpawnCostProfile> {
  const started = performance.now();
  const key = options.machineKey;
  const file = options.cache ? cacheFilePath(options.cacheDir) : null;
  const cacheWarnings: Warning[] = [];

  if (file && !options.refresh) {
    const read = await readCache(file, key, options.ttlMs);
    if (read.status === "hit") return asCachedProfile(read.profile, file, performance.now() - started);
    if (read.status === "ignored") cacheWarnings.push(read.warning);
    const kept = keptInMemory(file, key, options.ttlMs);
    if (kept) return { ...kept, durationMs: performance.now() - started };
  }

  let profile = await measuredProfile(options, measure, started);
  if (file) {
    if (profile.source === "measured") {
      const stored: SpawnCostProfile = { ...profile, cachePath: file };
      try {
        await writeCache(file, key, stored);
        profile = stored;
      } catch (error) {
        cacheWarnings.push(unwritableWarning(error));
        keepInMemory(file, key, { ...profile, warnings: [...profile.warnings, ...cacheWarnings] });
      }
    } else {
      cacheWarnings.push({
        code: SpawnCostWarningCode.notCached,
        message: "Every figure is an estimate, so the profile was not cached; the next call measures again.",
      });
    }
  }
  return cacheWarnings.length > 0
    ? { ...profile, warnings: [...profile.warnings, ...cacheWarnings] }
    : profile;
}

/** A fresh measurement as a profile; the documented estimates if it throws or fails the schema. */
async function measuredProfile(
  options: ResolvedSpawnCostOptions,
  measure: Measure,
  started: number,
): Promise<SpawnCostProfile> {
  const key = options.machineKey;
  const measuredAt = new Date().toISOString();
  const loadPerCore = currentLoadPerCore(key.usableCores);
  try {
    const outcome = await measure({
      budgetMs: options.budgetMs,
      maxWorkers: options.maxWorkers,
      cores: key.usableCores,
    });
    const profile: SpawnCostProfile = {
      schemaVersion: 1,
      measuredAt,
      loadPerCore,
      durationMs: performance.now() - started,
      source: outcome.anyMeasured ? "measured" : "estimated",
      cachePath: null,
      machineKey: key,
      workerStart: outcome.workerStart,
      dispatch: outcome.dispatch,
      pace: outcome.pace,
      clone: outcome.clone,
      warnings: outcome.warnings,
    };
    // Once per measurement: without zod's compiled fast path (see `parseInput` in @amorsize/types).
    const checked = SpawnCostProfileSchema.safeParse(profile, { jitless: true });
    // A bug rather than a measuring problem, but the promise holds: estimates, never a throw.
    return checked.success
      ? profile
      : estimatedSpawnCost(key, `the measured profile failed its schema: ${checked.error.message}`);
  } catch (error) {
    return estimatedSpawnCost(key, `measuring failed: ${messageOf(error)}`);
  }
}

/**
 * Profiles measured in this process whose cache file could not be written, by cache file
 * and machine key: without them every call of a long-lived process (or every `amorsize`
 * command of a script) would measure again (~0.6 s) while the folder stays unwritable.
 */
const unwritten = new Map<string, { profile: SpawnCostProfile; storedAt: number }>();

function memoryKey(file: string, key: MachineKey): string {
  return `${file}\n${JSON.stringify(key)}`;
}

function keepInMemory(file: string, key: MachineKey, profile: SpawnCostProfile): void {
  unwritten.set(memoryKey(file, key), { profile, storedAt: Date.now() });
}

/** The profile kept for this file and machine, as cached figures, while it is younger than `ttlMs`. */
function keptInMemory(file: string, key: MachineKey, ttlMs: number): SpawnCostProfile | null {
  const kept = unwritten.get(memoryKey(file, key));
  if (!kept || Date.now() - kept.storedAt > ttlMs) return null;
  const cached = asCachedProfile(kept.profile, file, 0);
  return {
    ...cached,
    cachePath: null,
    warnings: [
      ...cached.warnings,
      {
        code: SpawnCostWarningCode.keptInMemory,
        message: `The cache file ${file} could not be written; these figures were measured earlier by this process and kept in memory.`,
      },
    ],
  };
}
