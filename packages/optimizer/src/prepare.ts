// What every decision rests on, gathered once: the task (checked), the machine, what
// parallelism costs here, and the task's per-item figures.
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import {
  assertTaskModuleExists,
  type Executor,
  importTask,
  type ResolvedTask,
  resolveTask,
} from "@amorsize/executor";
import { probeHardware } from "@amorsize/hardware-probe";
import { defaultCacheDir, measureSpawnCost } from "@amorsize/spawn-cost";
import {
  type HardwareProfile,
  type OptimizeOptions,
  type PlanConstraints,
  PlanConstraintsSchema,
  type SpawnCostProfile,
  type TaskRefInput,
  type WorkloadSample,
} from "@amorsize/types";
import { COLD_MIN_CPU_SHARE, COLD_MIN_ITEMS } from "./cold-sample.js";
import { frozenHardwareOf, type ModuleCosts, planOf, withFrozenMachine } from "./decide.js";
import { topLevelVersions, unversionedKey } from "./module-version.js";
import { moduleHash } from "./plan-cache.js";
import { emptyWorkload, SAMPLE_DEFAULTS, type SampleResult, sampleTask, type TaskData } from "./sample.js";
import { parseSchedstat } from "./sampling/clock-math.js";
import { fillWhile } from "./sampling/fill.js";
import type { SampleGuard } from "./sampling/guarded.js";
import { POOL_MIN_ITEM_MS, pooledWorkload } from "./sampling/pool.js";
import { clonedBytes } from "./sampling/session.js";
import { isRandomAccess, sizedLength } from "./sampling/source.js";
import {
  middleReading,
  PROBE_MIN_SAVING_MS,
  PROBE_WAIT_SHARES,
  type ProbeUnit,
  probeBlock,
  probeBudgetMs,
  probeIndices,
  probeWarmup,
  readBeside,
  readModuleCost,
  type WarmupReading,
  warmupBeside,
  withReading,
  writeWarmup,
} from "./warmup.js";
import { cachedOrSampled, type MeasuredWorkload } from "./workload.js";

/** The machine and the caller's limits, as the cost model takes them. */
export interface Machine {
  hardware: HardwareProfile;
  spawnCost: SpawnCostProfile;
  constraints: PlanConstraints;
}

export interface Prepared extends MeasuredWorkload, Machine {
  task: ResolvedTask;
  /** Milliseconds spent on each step. */
  overheadMs: { probe: number; spawnCost: number; sample: number; filled?: number };
}

/** What execute() and stream() pass beyond the public options. */
export interface PrepareHooks {
  /** The task names the version of its module to run (a session's): not looked up again. */
  versioned?: boolean;
  /**
   * With `versioned`: that version's content hash (null: the module is no readable file),
   * which the caches' keys take; absent, it is read again there (a `stat` and more).
   */
  versionHash?: string | null;
  onError?: "throw" | "collect";
  signal?: AbortSignal;
  /** Told the first sampled item's time, with the machine and the item count, while sampling goes on. */
  onFirstTiming?: (
    itemMs: number,
    machine: Machine,
    totalItems: number | null,
    cached: ModuleCosts | null,
  ) => void;
  /** Keep what was read of a source that failed while sampled (see `SampleTaskOptions`). */
  deferSourceError?: boolean;
  /**
   * The decision must come in bounded time (optimize, explain, compare): sampled items run
   * in a worker unless `sample.isolate` is false, and a block still running at `budgetMs` +
   * {@link DECISION_SLACK_MS} is cut off and taken as at least that slow.
   */
  bounded?: boolean;
  /** A session's machine figures, measured once: nothing is probed or read per call. */
  machine?: Pick<Machine, "hardware" | "spawnCost">;
  /** false: measure no warm-up (a session, whose workers stay warm); a cached figure is still read. */
  warmupProbe?: boolean;
  /** A pool of fresh workers started while sampling, if any: a warm-up probe runs there (see `withWarmup`). */
  probePool?: () => Executor | undefined;
  /**
   * Where sampling started no pool: one of `workers` (the plan's) started for the warm-up
   * probe, which the run takes when its plan is the same size (see `EarlyPool.forProbe`).
   */
  startProbePool?: (workers: number) => Executor | undefined;
  /** A guarded sample's executor when sampling ends, open (see `SampleGuard.keep`); closed at once without this hook. */
  keepSampler?: (executor: Executor) => void;
  /**
   * A session saves each task's figures to the plan cache itself, after the run and off
   * the call's path (see `createAmorsize`): a fresh sample is not written here. The write
   * is a file synced to disk, 1.8-2.2 ms, where a fine task's call runs 0.5 ms of items.
   */
  savesFigures?: boolean;
  /** A session's figures for this task and input when it has learned them: then nothing is sampled. */
  known?: (task: ResolvedTask, data: TaskData, totalItems: number | null) => MeasuredWorkload | null;
}

/** How far past the sampling budget a bounded decision waits for a sampled item, ms. */
export const DECISION_SLACK_MS = 800;

/** Whether the caller asked for protection from the task: then it never runs in the calling thread. */
export function isolated(options: OptimizeOptions): boolean {
  return (
    options.isolate === true || options.chunkTimeoutMs !== undefined || options.resourceLimits !== undefined
  );
}

/** How sampling is guarded: in a worker (with the caller's limits and, for a bounded decision, a time bound), or not at all. */
export function sampleGuard(options: OptimizeOptions, bounded: boolean): SampleGuard | undefined {
  const wanted = options.sample?.isolate ?? (bounded || isolated(options));
  if (!wanted) return undefined;
  const budgetMs = options.sample?.budgetMs ?? SAMPLE_DEFAULTS.budgetMs;
  return {
    ...(options.chunkTimeoutMs === undefined ? {} : { chunkTimeoutMs: options.chunkTimeoutMs }),
    ...(options.resourceLimits === undefined ? {} : { resourceLimits: options.resourceLimits }),
    ...(bounded ? { boundMs: budgetMs + DECISION_SLACK_MS } : {}),
  };
}

/**
 * Each task module's first import in this process, milliseconds, by URL: what a fresh
 * worker pays too. Measured once: a second import is a cache hit and says nothing.
 */
const firstImports = new Map<string, number>();
/** Tasks (`href#export`) whose module and export were found here. */
const checkedTasks = new Set<string>();
/**
 * Tasks (`href#export`) whose items sampling ran in this thread: V8 has compiled them here.
 * Not those sampled in a worker (guarded), nor those whose figures came from a cache.
 */
const ranHere = new Set<string>();

/** What a call that does not import the task here reads as its import: none. */
const NOT_IMPORTED = { importMs: 0, fresh: false } as const;

/**
 * Imports the task here (a task that cannot load fails now): its first import's time, and
 * whether that first import was this call's.
 */
async function loadHere(task: ResolvedTask): Promise<{ importMs: number; fresh: boolean }> {
  const known = firstImports.get(task.href);
  // A module imported once stays imported, and an export found once stays there: checking
  // again cannot fail (and costs a fine-grained call of a session more than its items do).
  if (known !== undefined && checkedTasks.has(task.key)) return { importMs: known, fresh: false };
  const t0 = performance.now();
  await importTask(task);
  checkedTasks.add(task.key);
  if (known !== undefined) return { importMs: known, fresh: false };
  const ms = performance.now() - t0;
  firstImports.set(task.href, ms);
  return { importMs: ms, fresh: true };
}

/**
 * An import at least this long loaded code (a module the process had already loaded, say
 * because the caller imported it too, is found in its cache in about a millisecond).
 */
export const LOADING_IMPORT_MS = 5;

/**
 * Whether a guarded sample is taken and read as cold (see `SampleTaskOptions.cold`): it runs
 * in a fresh worker, where V8 compiles the task as it goes. Where a thread's own time is
 * known (Linux's /proc/thread-self/schedstat counts its runtime and its waits for a core,
 * see `measureCpu` of @amorsize/executor) a preempted item reads its own time, not as a
 * warm-up; elsewhere (another system, or a kernel whose schedstat counts nothing) its wall
 * time holds the waits, and on a busy machine preempted early items read as one (a 0.6 s
 * job read as 0.2 s with a warm-up, and planned serial), so it is read as it ran. Read
 * once per process, from this thread's schedstat.
 */
export function guardedSamplesCold(): boolean {
  schedstatCounts ??= schedstatCountsIn(() => readFileSync("/proc/thread-self/schedstat", "latin1"));
  return schedstatCounts;
}

let schedstatCounts: boolean | undefined;

/** Whether the schedstat text `read` gives counts a thread's runtime (see `parseSchedstat`); false when unreadable. Pure but for `read`. */
export function schedstatCountsIn(read: () => string): boolean {
  try {
    return (parseSchedstat(read())?.runMs ?? 0) > 0;
  } catch {
    // No schedstat here: the waits are unknown.
    return false;
  }
}

/**
 * Whether this thread samples the task cold: this call imported its module first, and the
 * import loaded code. Then the sampled items ran while V8 was still compiling the task (in a
 * fresh process a parser's sampled items took 8.8 ms against 0.75 ms warm, a highlighter's
 * 8.8 against 1.5), and they are no warm reference for a warm-up probe: a fresh worker's
 * items, as cold, would read as no slower, and that "no warm-up" would be cached for the
 * module, for warm callers to plan on. Pure.
 */
export function samplesCold(load: { importMs: number; fresh: boolean }): boolean {
  return load.fresh && load.importMs >= LOADING_IMPORT_MS;
}

/**
 * Whether a sample taken as cold because the optimizer had not run the task in this thread
 * (its module imported by the caller, so the import read as loaded already: see
 * {@link samplesCold}) showed the task warm: it timed COLD_MIN_ITEMS items or more, computing
 * (`cpuToWall`: see COLD_MIN_CPU_SHARE), and they read no warm-up (`coldReading`). The caller
 * had run the task, and its items are a warm reference for a warm-up probe. Pure.
 */
export function sampledWarm(timedItems: number, cpuToWall: number, warmupRead: boolean): boolean {
  return timedItems >= COLD_MIN_ITEMS && cpuToWall >= COLD_MIN_CPU_SHARE && !warmupRead;
}

/**
 * Whether a warm-up probe may run against this call's sample: not against a cold one, whose
 * items a fresh worker's, as cold, would match (the probe would read no warm-up and cache
 * it). Cold: this call's import loaded code (`loaded`, see {@link samplesCold}), or the task
 * had not run in this thread (`unrun`) and its sample did not read warm (`warmHere`, see
 * {@link sampledWarm}). A guarded sample ran in a worker: the probe's reference is its own.
 * Pure.
 */
export function probesAgainst(sample: {
  loaded: boolean;
  unrun: boolean;
  guarded: boolean;
  warmHere: boolean;
}): boolean {
  const { loaded, unrun, guarded, warmHere } = sample;
  return !loaded && (!unrun || guarded || warmHere);
}

/** The hooks sampling is run with: the caller's, and the plan cache's check of its figures. */
interface SampleHooks extends PrepareHooks {
  confirms?: ((first: WorkloadSample) => boolean) | undefined;
}

const CONSTRAINT_KEYS = Object.keys(PlanConstraintsSchema.shape) as (keyof PlanConstraints)[];

/** The caller's plan constraints, as the model takes them. */
export function constraintsOf(options: OptimizeOptions): PlanConstraints {
  const constraints: PlanConstraints = {};
  for (const key of CONSTRAINT_KEYS) {
    if (options[key] !== undefined) (constraints as Record<string, unknown>)[key] = options[key];
  }
  return constraints;
}

/** The item count, when the input says it (an array, a typed array, a Set or a Map) or the caller does; null for a stream. */
export function knownLength(data: TaskData, totalItems: number | undefined): number | null {
  if (Array.isArray(data)) return data.length;
  if (ArrayBuffer.isView(data) && !(data instanceof DataView))
    return (data as unknown as ArrayLike<unknown>).length;
  return sizedLength(data) ?? totalItems ?? null;
}

/**
 * Checks the task (a task that cannot load fails now, before anything is probed or
 * started; a guarded call's task only for a missing module file, the rest in the worker
 * that samples it), probes the machine, reads or measures the spawn cost, and reads the task's
 * figures from the plan cache or samples them. `options` are parsed already.
 */
export async function prepare(
  task: TaskRefInput,
  data: TaskData,
  options: OptimizeOptions,
  hooks: PrepareHooks = {},
): Promise<Prepared> {
  const t0 = performance.now();
  // A module edited on disk since this process ran it runs as its new version, here and in workers.
  const version = hooks.versioned === true ? null : topLevelVersions.of(resolveTask(task));
  const resolved = version?.task ?? resolveTask(task);
  // The version's content hash, read once for the caches below (undefined: read there).
  const hash = version === null ? hooks.versionHash : version.hash;
  const guarded = sampleGuard(options, hooks.bounded === true) !== undefined;
  // Guarded sampling runs the task in a worker, and so does a guarded run: its module is not
  // imported here, where a top level that loops, exits or fills the heap takes the caller
  // with it (an explain of a module whose top level looped never returned, whatever its
  // time-out). A task that cannot load otherwise fails in the worker, with the same TaskLoadError.
  // A mistyped path still fails first, before the machine is probed or anything started.
  if (guarded) assertTaskModuleExists(resolved);
  const load = guarded ? NOT_IMPORTED : await loadHere(resolved);
  const coldThread = samplesCold(load);
  // A module the caller imported may hold a task it never ran: V8 compiles it on its first
  // items here as after a fresh import. A compressor's two sampled items took 44-53 ms
  // where they take 21-33 ms warm, and its helper threads, compiling, read as garbage
  // collection that parallel runs pay: 3 of 6 runs in fresh processes planned serial a job
  // that 2 workers run 1.3x faster than a loop.
  const unrun = !ranHere.has(resolved.key);
  const cold = guarded ? guardedSamplesCold() : coldThread || unrun;
  /** The sample ran here and showed the task warm (see `sampledWarm`). */
  let warmHere = false;
  const hardware = hooks.machine?.hardware ?? (await probeHardware(options.hardware));
  const t1 = performance.now();
  // Read only when a cache is used: a session's learned call needs none.
  const dir = () => options.cacheDir ?? defaultCacheDir();
  // `cache` is the plan cache's switch; the spawn-cost cache has its own (`spawnCost.cache`),
  // so a cold plan still rests on the machine's cached costs.
  const spawnCost =
    hooks.machine?.spawnCost ??
    (await measureSpawnCost({ ...options.spawnCost, hardware: frozenHardwareOf(hardware), cacheDir: dir() }));
  const t2 = performance.now();
  const machine: Machine = { hardware, spawnCost, constraints: constraintsOf(options) };
  const total = knownLength(data, options.totalItems);
  const learned = total === 0 ? null : (hooks.known?.(resolved, data, total) ?? null);
  // The module's cached warm-up is read before sampling: a pool started early must pay it too.
  const cachedWarmup =
    total === 0 || learned !== null
      ? null
      : await cachedWarmupOf(resolved, options, dir, spawnCost.machineKey, hash);
  const measured =
    total === 0
      ? emptyInput(data)
      : (learned ??
        (await cachedOrSampled(
          resolved,
          total,
          options.cache === false
            ? null
            : {
                dir: dir(),
                machineKey: spawnCost.machineKey,
                write: hooks.savesFigures !== true,
                ...(hash === undefined ? {} : { hash }),
              },
          async (confirms) => {
            const sampled = withModuleLoad(
              await sample(resolved, data, options, machine, total, {
                ...hooks,
                confirms,
                cached: cachedWarmup,
                cold,
              }),
              load.importMs,
            );
            if (!guarded && sampled.workload.sampled > 0) ranHere.add(resolved.key);
            // A cold sample comes read as the task runs warm (see `SampleTaskOptions.cold`).
            if (cold && !guarded) {
              warmHere = sampledWarm(
                sampled.timedItems?.length ?? 0,
                sampled.workload.cpuToWall,
                sampled.workload.warmup !== undefined,
              );
            }
            return sampled;
          },
        )));
  const warmed =
    total === 0 || learned !== null
      ? measured
      : await withWarmup(measured, resolved, options, machine, {
          cache: { dir: dir(), machineKey: spawnCost.machineKey, read: cachedWarmup },
          pool: hooks.probePool,
          startPool: hooks.startProbePool,
          onError: hooks.onError ?? "throw",
          signal: hooks.signal,
          probe:
            hooks.warmupProbe !== false && probesAgainst({ loaded: coldThread, unrun, guarded, warmHere }),
        });
  const t3 = performance.now();
  return {
    ...warmed,
    ...machine,
    task: resolved,
    overheadMs: {
      probe: t1 - t0,
      spawnCost: t2 - t1,
      sample: t3 - t2,
      ...(warmed.filledMs === undefined ? {} : { filled: warmed.filledMs }),
    },
  };
}

/**
 * The module-cost cache's key for the task (null when not cached), and what it holds there
 * (`moduleLoadMs`: a fresh worker's import, as the probe that measured the warm-up saw it;
 * `readings`: the probes' readings the warm-up stands for, none for a miss).
 */
interface CachedWarmup extends Required<ModuleCosts> {
  key: string | null;
  readings: WarmupReading[];
}

async function cachedWarmupOf(
  task: ResolvedTask,
  options: OptimizeOptions,
  dir: () => string,
  machineKey: SpawnCostProfile["machineKey"],
  knownHash: string | null | undefined,
): Promise<CachedWarmup> {
  const useCache = options.warmup?.cache ?? options.cache !== false;
  const hash = useCache ? (knownHash === undefined ? await moduleHash(task) : knownHash) : null;
  if (hash === null) return { key: null, warmup: null, moduleLoadMs: null, readings: [] };
  const key = `${unversionedKey(task.key)}@${hash}`;
  const entry = readModuleCost(dir(), key, machineKey);
  return {
    key,
    warmup: entry?.warmup ?? null,
    moduleLoadMs: entry?.moduleLoadMs ?? null,
    readings: entry?.readings ?? [],
  };
}

/** Where a warm-up comes from and goes: the module-cost cache (its key and what it held). */
interface WarmupCache {
  dir: string;
  machineKey: SpawnCostProfile["machineKey"];
  read: CachedWarmup | null;
}

/**
 * The workload with a fresh worker's warm-up (see `WorkloadSample.warmup`): read from the
 * module-cost cache, or measured by a probe when the plan would start workers and parallel
 * saves enough to pay for one (and written to the cache), also where a cached figure from
 * fewer than `REPROBE_BELOW_READINGS` readings alone keeps the plan from starting workers
 * (see `decidesAlone`; the call then takes the middle one of them and its own, `middleReading`).
 * The probe runs items sampling left, once: their results join the sampled ones. Sampled
 * figures only: a guarded sample ran in a fresh worker already, and a stream's items cannot
 * be picked.
 */
async function withWarmup(
  measured: MeasuredWorkload,
  task: ResolvedTask,
  options: OptimizeOptions,
  machine: Machine,
  how: {
    cache: WarmupCache;
    pool: PrepareHooks["probePool"];
    startPool: PrepareHooks["startProbePool"];
    onError: "throw" | "collect";
    signal: AbortSignal | undefined;
    probe: boolean;
  },
): Promise<MeasuredWorkload> {
  const { workload, data, timedItems } = measured;
  // Items no worker can be sent keep the call here (see unsendable.ts): no worker to warm.
  if (workload.source !== "measured" || (measured.unsendable?.size ?? 0) > 0) return measured;
  const cached = how.cache.read?.warmup ?? null;
  const cachedOnly =
    cached === null ? measured : withCachedWarmup(measured, cached, how.cache.read?.moduleLoadMs ?? null);
  if (cached === null && workload.warmup !== undefined) return measured;
  if (!how.probe || options.warmup?.probe === false || !isRandomAccess(data) || !timedItems?.length)
    return cachedOnly;
  // A cached figure stands unless it alone keeps the call from starting workers while its
  // entry holds fewer than REPROBE_BELOW_READINGS readings: then one more probe is worth its cost.
  // Asked only where a probe could run: the question plans the call once more.
  if (cached !== null && !decidesAlone(cachedOnly, machine, how.cache.read?.readings.length ?? 0))
    return cachedOnly;
  const early = how.pool?.();
  // Items the caller asked to run guarded (isolate, a chunk time-out, worker limits) never
  // run here beyond what sampling ran.
  const fills = (budget: number) => (isolated(options) ? null : fillsWhileProbing(workload, budget));
  // Whether a probe pays is judged without the warm-up it would measure (nor a cached one);
  // a smaller saving is probed where this thread works from the probe's start (see probeBudgetMs).
  const input = withFrozenMachine({ ...machine, workload });
  const budgetMs = probeBudgetMs(input, early !== undefined, (budget) => fills(budget) === "beside");
  if (budgetMs === null) return cachedOnly;
  // A probe is planned parallel (see probeBudgetMs): its pool is the run's size, kept for it.
  const planned = planOf(input);
  const pool = early ?? (planned.mode === "parallel" ? how.startPool?.(planned.workers) : undefined);
  const probe = { budgetMs, fill: fills(budgetMs), pool, onError: how.onError, signal: how.signal };
  return foldProbe(measured, await probeAndFill(measured, data, timedItems, task, probe), how.cache);
}

/**
 * Readings of a module's warm-up past which a cached figure is not probed again for deciding
 * alone (see {@link decidesAlone}): with two, the lesser stands (`middleReading`), so one
 * reading a busy moment slowed no longer decides. A third probe bought no more: each probe
 * of a highlighter whose cached figure kept its plan serial cost that call 150-230 ms (its
 * fresh worker compiles grammars beside the items this thread runs meanwhile, which ran 1.6
 * times slower): 616-755 ms against a 500-548 ms loop, on each of its first three calls.
 */
export const REPROBE_BELOW_READINGS = 2;

/**
 * Whether a cached warm-up of `readings` readings is what alone keeps the plan from starting
 * workers, with a reading to come (fewer than {@link REPROBE_BELOW_READINGS}): with it the
 * plan is not parallel (the caller then probes, and a probe is run only where the plan
 * without any warm-up is parallel and saves enough: see `probeBudgetMs`). One probe a busy
 * moment slowed read 72 ms for a task whose probes read 0.6-1.4 ms, and every later plan
 * made with it was serial; a figure that leaves the plan parallel is not probed again (a
 * probe on each of a module's first three calls took the bench's deciding for 5,000 items
 * of 0.2 ms from 6.9 ms to 19.1 ms).
 */
export function decidesAlone(withCached: MeasuredWorkload, machine: Machine, readings: number): boolean {
  const { totalItems, itemTimeMs } = withCached.workload;
  // A job shorter than the least saving worth a probe is never probed (see probeBudgetMs): no plan needed.
  if (
    readings >= REPROBE_BELOW_READINGS ||
    totalItems === null ||
    totalItems * itemTimeMs.mean < PROBE_MIN_SAVING_MS
  )
    return false;
  return planOf(withFrozenMachine({ ...machine, workload: withCached.workload })).mode !== "parallel";
}

/**
 * The cached warm-up, measured by a probe against a warm thread: truer than a cold sample's
 * own; so is the import its fresh worker paid, where this thread had the module already.
 */
function withCachedWarmup(
  measured: MeasuredWorkload,
  warmup: NonNullable<CachedWarmup["warmup"]>,
  cachedLoadMs: number | null,
): MeasuredWorkload {
  const { workload } = measured;
  const moduleLoadMs = Math.max(workload.moduleLoadMs ?? 0, cachedLoadMs ?? 0);
  return { ...measured, workload: { ...workload, warmup, ...(moduleLoadMs > 0 ? { moduleLoadMs } : {}) } };
}

/** What a probe and the items run beside it gave: the probe's reading, the items, and how long it took. */
interface ProbeRun {
  probed: Awaited<ReturnType<typeof probeWarmup>>;
  filled: Awaited<ReturnType<typeof fillWhile>> | null;
  probeMs: number;
}

/**
 * Runs the warm-up probe in a fresh worker (or the early pool's) on items sampling left,
 * and, where `fill`, items in this thread meanwhile (see `fillWhile`). A failure of the
 * items here stops the probe, leaving its worker idle, before the call rejects.
 */
async function probeAndFill(
  measured: MeasuredWorkload,
  data: ArrayLike<unknown>,
  timedItems: NonNullable<MeasuredWorkload["timedItems"]>,
  task: ResolvedTask,
  probe: {
    budgetMs: number;
    fill: ReturnType<typeof fillsWhileProbing>;
    pool: Executor | undefined;
    onError: "throw" | "collect";
    signal: AbortSignal | undefined;
  },
): Promise<ProbeRun> {
  const { precomputed, failures, workload } = measured;
  const { onError, signal } = probe;
  const done = (i: number) => precomputed.has(i) || failures.has(i);
  const units = probeUnits(
    probeIndices(timedItems, done, data.length),
    data,
    done,
    probeBlock(workload.itemTimeMs.mean),
  );
  const probeStart = performance.now();
  const stopProbe = new AbortController();
  const probeSignal = signal === undefined ? stopProbe.signal : AbortSignal.any([signal, stopProbe.signal]);
  // Items that hold this thread past the budget run here only once the probe's first is sent.
  let dispatched: (() => void) | undefined;
  const sent = probe.fill === "after-dispatch" ? new Promise<void>((r) => (dispatched = r)) : undefined;
  const probing = probeWarmup(task, units, timedItems, {
    budgetMs: probe.budgetMs,
    onError,
    pool: probe.pool,
    signal: probeSignal,
    onDispatch: dispatched,
  });
  const probedIndices = new Set(units.flatMap((unit) => unit.items.map((_, k) => unit.index + k)));
  const filled =
    probe.fill !== null
      ? await fillWhile(probing, task, data, (i) => done(i) || probedIndices.has(i), {
          onError,
          signal,
          ownTimes: workload.itemTimeMs.mean >= POOL_MIN_ITEM_MS,
          after: sent,
        }).catch(async (error: unknown) => {
          stopProbe.abort(error);
          await probing.catch(() => undefined);
          throw error;
        })
      : null;
  const probed = await probing;
  return { probed, filled, probeMs: performance.now() - probeStart };
}

/**
 * A probe's units: from each of `starts` (moved on past items run already and other units'
 * items: the starts after one sampled item follow one another), up to `block` items not
 * yet run, with no gap between their indices (an item run already, or another unit's, ends
 * a block). An item that cannot be cloned is left to the run, which fails it as that item
 * (or collects it): the probe must not reject the call for an item sampling never ran, so
 * it ends its block, and a block it would start is not made.
 */
export function probeUnits(
  starts: readonly number[],
  data: ArrayLike<unknown>,
  done: (index: number) => boolean,
  block: number,
): ProbeUnit[] {
  const taken = new Set<number>();
  const units: ProbeUnit[] = [];
  for (const start of starts) {
    const items: unknown[] = [];
    let bytes = 0;
    let first = start;
    while (first < data.length && (done(first) || taken.has(first))) first++;
    for (let index = first; index < data.length && items.length < block; index++) {
      if (done(index) || taken.has(index)) break;
      const item = data[index];
      try {
        bytes += clonedBytes("item", index, item);
      } catch {
        break;
      }
      taken.add(index);
      items.push(item);
    }
    if (items.length > 0) units.push({ index: first, items, bytes });
  }
  return units;
}

/**
 * The sample with what a probe ran folded in: its items' results and failures, the warm-up
 * it read (written to the module-cost cache), the items run beside it joined to the
 * figures where drawn alike (see `pooledWorkload`), and the fresh worker's import.
 */
async function foldProbe(
  measured: MeasuredWorkload,
  run: ProbeRun,
  cache: WarmupCache,
): Promise<MeasuredWorkload> {
  const { probed, filled, probeMs } = run;
  const { workload, precomputed, failures } = measured;
  const ran = {
    precomputed: new Map([...precomputed, ...probed.results, ...(filled?.results ?? [])]),
    failures: new Map([...failures, ...probed.failures, ...(filled?.failures ?? [])]),
    ...(filled === null || filled.results.size + filled.failures.size === 0
      ? {}
      : { filledMs: filled.workMs }),
  };
  // Items run here for most of the probe's time took a core as a run's second worker would,
  // and are the probe's warm reference (see `warmupBeside`, `readBeside`).
  const read =
    probed.warmup !== null && filled !== null && filled.workMs >= probeMs / 2
      ? readBeside(probed.warmup, warmupBeside(probed.timings, filled.timed, measured.timedItems))
      : probed.warmup;
  // This probe's reading among the cached ones (see `middleReading`): the middle one decides.
  const readings = read === null ? [] : withReading(cache.read?.readings ?? [], read);
  const middle = middleReading(readings);
  // Null exactly when this probe read nothing (then there are no readings either).
  const warmup =
    middle === null || middle === readings.at(-1) ? read : { ...middle, source: "cached" as const };
  // The items run here beside the probe join the sampled ones' figures where drawn alike.
  const basis = (measured.timedItems ?? []).filter((t) => t.inBasis === true);
  const pooled =
    filled === null || measured.workloadSource !== "sampled"
      ? null
      : pooledWorkload(
          workload,
          basis,
          measured.basisMs,
          filled.timed.map((t) => ({ index: t.index, ms: t.ownMs })),
        );
  const seen = pooled === null ? measured : { ...measured, workload: pooled };
  // A probe that read nothing (its first unit would outlast its wait, or failed) leaves the
  // cached warm-up, where there is one, to stand.
  const cachedWarmup = cache.read?.warmup ?? null;
  if (read === null || warmup === null)
    return cachedWarmup === null
      ? { ...seen, ...ran }
      : withCachedWarmup({ ...seen, ...ran }, cachedWarmup, cache.read?.moduleLoadMs ?? null);
  const key = cache.read?.key ?? null;
  const problem =
    key === null ? null : await writeWarmup(cache.dir, key, cache.machineKey, read, probed.moduleLoadMs);
  // The probe's worker imported the module fresh: a truer load than this thread's, which may
  // have had it already; one that reported none leaves the cached one.
  const freshLoadMs = probed.moduleLoadMs ?? cache.read?.moduleLoadMs ?? 0;
  const moduleLoadMs = Math.max(workload.moduleLoadMs ?? 0, freshLoadMs);
  return {
    ...seen,
    ...ran,
    workload: { ...seen.workload, warmup, ...(moduleLoadMs > 0 ? { moduleLoadMs } : {}) },
    warnings: problem === null ? measured.warnings : [...measured.warnings, problem],
  };
}

/**
 * How this thread runs items while a probe holds the decision up (see `fillWhile`), if at
 * all: only items computing (not waiting). `"beside"`: none sampled longer than the probe's
 * budget, so the probe's end is seen at most about that late; items run from the probe's
 * start. `"after-dispatch"`: items the probe runs one at a time (see `probeBlock`) whose
 * mean and longest fit its wait (`PROBE_WAIT_SHARES` budgets): the probe then runs at least
 * one item of about that length, and an item run here meanwhile ends about when it does;
 * items run once the probe's first is sent (an item run first holds this thread, and the
 * probe's messages, that long). Three items of 300 ms (a budget of 121 ms): after the
 * sampled one, the probe ran the second in a fresh worker while this thread sat idle, and
 * the third ran after it here, 987 ms in all where the calls that planned without a probe
 * took 655-714 (now 657-694 with one). Null: no items here.
 */
export function fillsWhileProbing(
  workload: WorkloadSample,
  budgetMs: number,
): "beside" | "after-dispatch" | null {
  const { max, mean } = workload.itemTimeMs;
  if (!(workload.cpuToWall >= 0.5)) return null;
  if (max <= budgetMs) return "beside";
  const wait = PROBE_WAIT_SHARES * budgetMs;
  return probeBlock(mean) === 1 && mean <= wait && max <= wait ? "after-dispatch" : null;
}

/** Nothing to run: no sampling, no pool. */
function emptyInput(data: TaskData): MeasuredWorkload {
  const none = { precomputed: new Map(), failures: new Map(), warnings: [] };
  return { workload: emptyWorkload(), workloadSource: "sampled", data, ...none };
}

function sample(
  task: ResolvedTask,
  data: TaskData,
  options: OptimizeOptions,
  machine: Machine,
  total: number | null,
  hooks: SampleHooks & { cached: ModuleCosts | null; cold: boolean },
) {
  const { signal, deferSourceError, confirms, cold } = hooks;
  // A cold first item is no measure of the job: workers are not started on it (they would
  // also take a core from the sampling of the items that tell).
  const onFirstTiming = cold ? undefined : hooks.onFirstTiming;
  const { maxWorkers } = machine.constraints;
  const guard = sampleGuard(options, hooks.bounded === true);
  const kept = guard && hooks.keepSampler ? { ...guard, keep: hooks.keepSampler } : guard;
  return sampleTask(task, data, {
    ...(kept ? { guard: kept } : {}),
    ...options.sample,
    onError: hooks.onError ?? "throw",
    parallelism: Math.min(machine.hardware.cores.usable.value, maxWorkers ?? Number.POSITIVE_INFINITY),
    ...(signal ? { signal } : {}),
    ...(cold ? { cold } : {}),
    ...(deferSourceError ? { deferSourceError } : {}),
    ...(confirms ? { confirms } : {}),
    ...(total === null ? {} : { totalItems: total }),
    ...(onFirstTiming
      ? { onFirstTiming: (itemMs: number) => onFirstTiming(itemMs, machine, total, hooks.cached) }
      : {}),
  });
}

/**
 * The sample with the module's load in a fresh worker: measured there by guarded sampling,
 * else the module's first import in this thread (the same work), when it was measured.
 */
function withModuleLoad(result: SampleResult, importMs: number): SampleResult {
  const moduleLoadMs = result.moduleLoadMs ?? importMs;
  // An empty input's figures stand for nothing to run.
  if (result.workload.source !== "measured") return result;
  return { ...result, workload: { ...result.workload, moduleLoadMs } };
}
