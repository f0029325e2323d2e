// createAmorsize(): one pool and what was learned of each task, kept across calls.
import { setMaxListeners } from "node:events";
import { performance } from "node:perf_hooks";
import { planExecution, uncertainSpread } from "@amorsize/cost-model";
import { createExecutor, ExecutorClosedError } from "@amorsize/executor";
import { probeHardware } from "@amorsize/hardware-probe";
import { currentLoadPerCore, defaultCacheDir, measureSpawnCost } from "@amorsize/spawn-cost";
import {
  type ExecuteOptions,
  ExecuteOptionsSchema,
  type ExecutionReport,
  type HardwareProfile,
  type OptimizeOptions,
  OptimizeOptionsSchema,
  type Plan,
  type PlanConstraints,
  type PlanInput,
  parseInput,
  type SessionOptions,
  SessionOptionsSchema,
  type SpawnCostProfile,
  SpawnCostProfileSchema,
  type TaskRefInput,
  type WorkloadSample,
  withFrozenFields,
} from "@amorsize/types";
import { joinSignals } from "./call-signal.js";
import {
  earlyPoolWorkers,
  frozenHardwareOf,
  frozenMachine,
  plannedBefore,
  planningCopyOf,
  planOf,
  wholeSerialMs,
} from "./decide.js";
import { type ExecuteResult, executeHosted, type Hosted, type Planned, taskOf } from "./execute.js";
import { ModuleVersions, type TaskVersion } from "./module-version.js";
import { basisOf, type OptimizeResult } from "./optimize.js";
import { sizeBucket, writePlanCache } from "./plan-cache.js";
import { PlanMemo, planKey, scaleSerial } from "./plan-memo.js";
import { constraintsOf, isolated, type Machine, prepare } from "./prepare.js";
import { type RunFigures, type TaskProfile, TaskProfiles } from "./profiles.js";
import { type QuickCall, quickInput, runQuick, runsAtOnce } from "./quick.js";
import type { TaskData } from "./sample.js";
import { type HostedStream, hostedStream, type OptimizedStream, streamPredictedWallMs } from "./stream.js";
import { ResolvedTasks } from "./task-refs.js";
import { plannedAround, UNSENDABLE_CODE, withUnsendableReason } from "./unsendable.js";
import { WarmPool } from "./warm-pool.js";
import { WarmRunCost } from "./warm-run.js";

/** What a call of a closed session, or one stopped by close(), rejects with (as `ExecutorClosedError`). */
const SESSION_CLOSED = "The session is closed: close() was called on it (createAmorsize() makes another)";
/** How a session call was planned, and how far its prediction was off. */
export interface SessionCall {
  /** `learned`: planned from the task's profile, nothing sampled; `sampled`: measured now (or read from the plan cache). */
  profile: "learned" | "sampled";
  /** Measured run wall time over the predicted one, minus 1 (0.1: 10% slower than predicted); null when not measurable. */
  predictionError: number | null;
}

/** `execute()`'s result, with how the session planned the call. */
export interface SessionExecuteResult<R> extends ExecuteResult<R> {
  session: SessionCall;
}

/** What `onRun` is told after each run (an `execute()`, or a stream that ended). */
export interface SessionRun extends SessionCall {
  /** The task: `module#export`. */
  task: string;
  kind: "execute" | "stream";
  mode: Plan["mode"];
  workers: number;
  items: number;
  /** Measured and predicted wall time of the run (without deciding), milliseconds. */
  wallMs: number;
  predictedWallMs: number;
  /** Time workers (or the calling thread) spent running items, milliseconds. */
  busyMs: number;
}

/** One task's profile, as `stats()` shows it. */
export interface SessionTaskStats {
  task: string;
  /** Mean item time the next plan takes, milliseconds. */
  itemMs: number;
  /**
   * How much slower items ran in workers computing at once than `itemMs`, as this
   * session's parallel runs measured it (`WorkloadSample.contention.factor`); 1: none seen.
   */
  workerSlowdown: number;
  /** Runs whose measured item time (or workers' item time) was blended in. */
  runs: number;
  /** Calls planned from the profile without sampling. */
  learnedCalls: number;
  lastPredictionError: number | null;
  meanAbsPredictionError: number | null;
}

/** A snapshot of a session, for a metrics system. */
export interface SessionStats {
  /**
   * Calls started (`execute`, `stream`, `optimize`), ended, and in flight now. A call whose
   * options are refused (invalid, or its signal aborted already) does not start and is not
   * counted; one that fails after (its task cannot load, its data is not a list) is.
   */
  calls: number;
  /**
   * `execute()` calls run at once: a learned task whose plan for this shape was made before,
   * serial and short (at most 10 ms predicted), runs in the calling thread without deciding
   * again or setting up a serial run (`mapNow()` of `@amorsize/executor`).
   */
  quickCalls: number;
  inFlight: number;
  /** Items run by ended runs, and the time spent running them, milliseconds. */
  items: number;
  busyMs: number;
  /** Workers up now (0 when the pool is closed for idleness or never started), and the pool's size. */
  warmWorkers: number;
  poolSize: number;
  /**
   * What a run on the warm workers costs beyond the model's prediction, milliseconds,
   * charged to each parallel plan on them: as the session's short parallel runs measured
   * it (see `WarmRunCost`), or the 0.5 ms estimate until three were. `warmRuns`: the runs
   * taken in (16 at most; under 3: the estimate stands).
   */
  warmRunMs: number;
  warmRuns: number;
  /** Pools started, and closed for idleness. */
  poolStarts: number;
  idleCloses: number;
  /** Profiles written to the plan cache, and the last write's error (null when none failed). */
  profileSaves: number;
  lastProfileSaveError: string | null;
  /** Task profiles, least recently used first, and how many fit. */
  profiles: SessionTaskStats[];
  maxProfiles: number;
}

/** What `warm()` did. */
export interface SessionWarmth {
  /** Workers up. */
  workers: number;
  /** Tasks imported in every worker and in the calling thread. */
  tasks: number;
  /** Imports made, milliseconds each (a worker or thread that had the task made none). */
  loadsMs: number[];
  /** How long `warm()` took, milliseconds. */
  ms: number;
}

/** A long-lived optimizer: the top-level functions, sharing one warm pool and learning from each run. */
export interface Amorsize extends AsyncDisposable {
  execute<R = unknown>(
    task: TaskRefInput,
    data: TaskData,
    options?: ExecuteOptions,
  ): Promise<SessionExecuteResult<R>>;
  stream<R = unknown>(task: TaskRefInput, source: TaskData, options?: ExecuteOptions): OptimizedStream<R>;
  optimize(task: TaskRefInput, data: TaskData, options?: OptimizeOptions): Promise<OptimizeResult>;
  /**
   * Gets the session ready now rather than on its first call: probes the machine, reads
   * (or measures) the spawn cost, starts the workers, and imports each of `tasks` in every
   * worker and in the calling thread. A first call then plans on warm workers, as later
   * calls do. The workers close after `idleMs` with no call, as after a call.
   */
  warm(tasks?: TaskRefInput | readonly TaskRefInput[]): Promise<SessionWarmth>;
  stats(): SessionStats;
  /** True once `close()` was called. */
  readonly closed: boolean;
  /** Stops every call in flight (each rejects with `ExecutorClosedError`) and ends the workers. Idempotent. */
  close(): Promise<void>;
}

/**
 * Options of `createAmorsize()`: `SessionOptions` (validated by its schema), with `onRun`
 * typed as what it is told, so that `onRun: (run) => run.mode` type-checks.
 */
export interface AmorsizeOptions extends Omit<SessionOptions, "onRun"> {
  /** Called after every `execute()` and every stream that ended (see {@link SessionRun}). What it throws is ignored. */
  onRun?: ((run: SessionRun) => void) | undefined;
}

/**
 * Session defaults. `saveAfterMs`: a profile that runs refined is saved to the plan cache
 * at most this often (a write is a file synced to disk: per call, it would cost a
 * fine-grained call more than its items), and on close.
 */
export const SESSION_DEFAULTS = { idleMs: 5_000, maxProfiles: 64, saveAfterMs: 30_000 } as const;

/**
 * Creates a session: `execute`, `stream` and `optimize` as the top-level functions, with
 * one pool of worker threads (at most the usable cores) shared by every call, started when
 * a plan first wants it and closed after `idleMs` without calls; warm workers cost a plan
 * no start-up. Each task's figures are kept (`maxProfiles`, least recently used first
 * out) and refined by every run, so a call like an earlier one samples nothing. The
 * machine is probed (and its spawn cost read from the cache, or measured) in the background
 * from creation on; the pool starts during the first call that wants workers, while it is
 * still sampling.
 */
export function createAmorsize(options: AmorsizeOptions = {}): Amorsize {
  return new AmorsizeSession(validOptions(options));
}

/** The options, validated (the schema checks that `onRun` is a function; its type is the caller's). */
function validOptions(options: AmorsizeOptions): AmorsizeOptions {
  const { onRun, ...valid } = parseInput(SessionOptionsSchema, options, "options");
  return onRun === undefined ? valid : { ...valid, onRun: options.onRun };
}

/**
 * A session on fixed machine figures instead of probed and measured ones: tests decide
 * what the machine is, so that what a call plans does not depend on the machine they run
 * on. Not in the package's exports.
 */
export function createAmorsizeOn(
  machine: Pick<Machine, "hardware" | "spawnCost">,
  options: AmorsizeOptions = {},
): Amorsize {
  return new AmorsizeSession(validOptions(options), machine);
}

/** A profile to save to the plan cache: its plan-cache key, the runs it had when last saved, and when. */
interface SavedProfile {
  cacheKey: string;
  /** The profile's `runs` when it was last written; -1: not written yet. */
  runs: number;
  at: number;
}

/** One call's tie to the session: the pool held open, the session's stop signal joined to the caller's. */
interface CallScope {
  options: ExecuteOptions;
  /** The pool this call holds open, once there is one. */
  pool: WarmPool | null;
  /** The session's calls when this one began (itself counted), and how many were in flight. */
  began: Began;
  end(): void;
}

/** The session when a call began: its calls (the call counted), those in flight, and its `warm()`s begun and under way. */
interface Began {
  calls: number;
  inFlight: number;
  warms: number;
  warming: number;
}

/** What the session knows for one call: the machine, the pool, and the task's version. */
interface CallContext {
  machine: SessionMachine;
  version: TaskVersion;
  /** Set when the call was planned from the profile. */
  learned: boolean;
  /** A sampled call's plan input on the cold pool, for all its items (see `#rememberSampledPlan`). */
  coldInput?: PlanInput;
  /** The call's options, validated. */
  options: OptimizeOptions;
  /** See `CallScope.began`. */
  began: Began;
  /** The call was planned on warm workers. */
  plannedWarm?: boolean;
}

interface SessionMachine extends Pick<Machine, "hardware" | "spawnCost"> {
  pool: WarmPool;
  /** The same figures validated and frozen once (`parseFrozen`), as every plan takes them: with a cold pool, and a warm one. */
  frozen: { hardware: HardwareProfile; cold: SpawnCostProfile; warm: SpawnCostProfile };
}

class AmorsizeSession implements Amorsize {
  readonly #options: AmorsizeOptions;
  /** Machine figures given instead of probed and measured (tests). */
  readonly #fixedMachine: Pick<Machine, "hardware" | "spawnCost"> | undefined;
  readonly #profiles: TaskProfiles;
  readonly #versions: ModuleVersions;
  readonly #tasks: ResolvedTasks;
  /** Recent plans of learned calls, reused while the task's figures hold; `prewarm`: planning it started the pool. */
  readonly #plans: PlanMemo<{ planned: Planned; prewarm: boolean }>;
  /** What a run on the warm workers costs beyond the model's prediction (see `WarmRunCost`). */
  readonly #warmRun = new WarmRunCost();
  /** `warm()`s begun, and under way: a call beside one shares the calling thread and the workers with its imports. */
  #warms = 0;
  #warming = 0;
  readonly #stop = new AbortController();
  /** Tasks (profile keys) whose next call samples afresh, past the plan cache (see `#resampleNext`). */
  readonly #resample = new Set<string>();
  #machine: Promise<SessionMachine> | null = null;
  /** What `#machine` resolved with, once it has. */
  #machineNow: SessionMachine | null = null;
  #pool: WarmPool | null = null;
  #closing: Promise<void> | null = null;
  /** Profiles to save to the plan cache: their plan-cache keys, the runs they had when last saved, and when. */
  readonly #saved = new Map<string, SavedProfile>();
  /** Plan-cache writes under way (close() waits for them), and how the writes went. */
  readonly #writes = new Set<Promise<void>>();
  #profileSaves = 0;
  #profileSaveError: string | null = null;
  #calls = 0;
  #quickCalls = 0;
  /** The last plan-memo key of each task version's learned calls without constraints (see `#quickKey`). */
  readonly #quickKeys = new WeakMap<
    TaskVersion,
    { totalItems: number; warm: boolean; loaded: boolean; contention: number | undefined; key: string }
  >();
  #inFlight = 0;
  #items = 0;
  #busyMs = 0;

  constructor(options: AmorsizeOptions, fixedMachine?: Pick<Machine, "hardware" | "spawnCost">) {
    this.#options = options;
    this.#fixedMachine = fixedMachine;
    // Every call in flight listens to the session's stop: a server's dozens at once are no leak.
    setMaxListeners(0, this.#stop.signal);
    const maxProfiles = options.maxProfiles ?? SESSION_DEFAULTS.maxProfiles;
    this.#profiles = new TaskProfiles(maxProfiles);
    this.#versions = new ModuleVersions(maxProfiles * 4);
    this.#tasks = new ResolvedTasks(maxProfiles * 4);
    this.#plans = new PlanMemo(maxProfiles * 4);
    // The machine's figures are read now, in the background (the probe, and the spawn-cost
    // cache or its measurement): the first call finds them ready. A failure is the first
    // call's to report.
    this.#machine = this.#measureMachine();
    this.#machine.catch(() => undefined);
  }

  get closed(): boolean {
    return this.#closing !== null;
  }

  async execute<R>(task: TaskRefInput, data: TaskData, options: ExecuteOptions = {}) {
    const start = performance.now();
    const scope = this.#enter(parseOptions(options));
    try {
      const known = this.#machineNow;
      const context = known === null ? await this.#context(task, scope) : this.#contextOn(known, task, scope);
      const quick = quickInput(data, scope.options) ? this.#quick(context, data, scope.options) : null;
      const result =
        quick !== null
          ? await runQuick<R>(quick, data as readonly unknown[], scope.options, start)
          : await executeHosted<R>(
              taskOf(context.version.task),
              data,
              this.#resample.delete(context.version.profileKey)
                ? { ...scope.options, cache: false }
                : scope.options,
              start,
              this.#hosted(context),
            );
      // A plan without the item count is checked against the count that ran (its check says so).
      const predictedWallMs =
        result.plan.totalItems === null ? result.check.predictedWallMs : result.plan.predicted.wallMs;
      const session = this.#learn(context, result.optimized.workload, result.plan, result.report, {
        kind: "execute",
        predictedWallMs,
        fromCache: result.optimized.workloadSource === "cached",
      });
      // The result is this call's own object: completed in place rather than copied.
      return Object.assign(result, { session });
    } catch (error) {
      throw this.#closedOr(error);
    } finally {
      scope.end();
    }
  }

  stream<R>(task: TaskRefInput, source: TaskData, options: ExecuteOptions = {}): OptimizedStream<R> {
    const parsed = parseInput(ExecuteOptionsSchema, options, "options");
    let scope: CallScope | null = null;
    let context: CallContext | null = null;
    // The stream decides on its first next(): the session enters then, and leaves when it ends.
    const hosted: HostedStream = {
      ready: async () => {
        scope = this.#enter(parsed);
        // The stream's run reads its options when it decides, after this: the session's stop joins the caller's signal.
        if (scope.options.signal !== undefined) parsed.signal = scope.options.signal;
        // And its cache folder, the session's where the stream names none.
        if (scope.options.cacheDir !== undefined) parsed.cacheDir = scope.options.cacheDir;
        context = await this.#context(task, scope);
        // A run contradicted the task's profile: this stream samples afresh, past the plan cache.
        if (this.#resample.delete(context.version.profileKey)) parsed.cache = false;
        const own = this.#hosted(context);
        // A stream of unknown length gives the session no profile to save: its sample is written by the call.
        Object.assign(hosted, own, { prepare: { ...own.prepare, savesFigures: false } });
        return taskOf(context.version.task);
      },
      ended: (decision, report) => {
        if (context !== null && decision !== null && report !== undefined) {
          this.#learn(context, decision.basis.workload, decision.plan, report, {
            kind: "stream",
            predictedWallMs: streamPredictedWallMs(decision, report),
            fromCache: decision.basis.workloadSource === "cached",
          });
        }
        scope?.end();
      },
    };
    if (this.closed) throw new ExecutorClosedError(undefined, SESSION_CLOSED);
    return hostedStream<R>(task, source, parsed, hosted);
  }

  async optimize(task: TaskRefInput, data: TaskData, options: OptimizeOptions = {}): Promise<OptimizeResult> {
    const t0 = performance.now();
    const parsed = parseInput(OptimizeOptionsSchema, options, "options");
    const scope = this.#enter(parsed);
    try {
      const context = await this.#context(task, scope);
      const hosted = this.#hosted(context);
      // optimize() runs nothing the session learns from: its fresh sample is written by the call.
      const prepared = await prepare(taskOf(context.version.task), data, scope.options, {
        ...hosted.prepare,
        savesFigures: false,
        bounded: true,
      });
      const t1 = performance.now();
      const { hardware, spawnCost, workload } = prepared;
      // Sampled items no worker can take: the plan stays here, or (when it needs workers) they fail.
      const { how, constraints } = plannedAround(prepared, parsed);
      const input = hosted.planInput!({ hardware, spawnCost, workload, constraints }, prepared);
      const plan = withUnsendableReason(planOf(input), how);
      const t2 = performance.now();
      const { data: rejoined, precomputed, failures } = prepared;
      const basis = basisOf(prepared, { plan: t2 - t1, total: t2 - t0 });
      return { plan, data: rejoined, precomputed, failures, ...basis };
    } catch (error) {
      throw this.#closedOr(error);
    } finally {
      scope.end();
    }
  }

  async warm(tasks: TaskRefInput | readonly TaskRefInput[] = []): Promise<SessionWarmth> {
    const start = performance.now();
    if (this.closed) throw new ExecutorClosedError(undefined, SESSION_CLOSED);
    // Every reference checked before anything starts.
    const refs: readonly TaskRefInput[] = Array.isArray(tasks) ? tasks : [tasks as TaskRefInput];
    const resolved = refs.map((task) => this.#tasks.of(task));
    this.#warms++;
    this.#warming++;
    try {
      this.#machine ??= this.#measureMachine();
      const { pool } = await this.#machine;
      // Held open as a call holds it: the idle time counts from the end of the warm-up.
      pool.enter();
      try {
        if (this.closed) throw new ExecutorClosedError(undefined, SESSION_CLOSED);
        const executor = pool.prewarm();
        const loadsMs: number[] = [];
        // One task at a time: each one's imports, one per worker, are sent side by side, and
        // land one on each worker only while no other import keeps a worker busy.
        for (const ref of resolved) {
          const { task } = this.#versions.of(ref);
          // In every worker, and here (sampling and serial plans run its items in this
          // thread), side by side: the workers' imports are sent before this thread's begins.
          const loads = await Promise.all([
            executor.preload(taskOf(task)),
            createExecutor({ mode: "serial" }).preload(taskOf(task)),
          ]);
          loadsMs.push(...loads[1], ...loads[0]);
          pool.lend(task.href);
        }
        return { workers: pool.workers, tasks: resolved.length, loadsMs, ms: performance.now() - start };
      } finally {
        pool.leave();
      }
    } catch (error) {
      throw this.#closedOr(error);
    } finally {
      this.#warming--;
    }
  }

  /** Whether a `warm()` ran beside a call that began as `began` says: under way then, or begun since. */
  #warmedBeside(began: Began): boolean {
    return began.warming > 0 || this.#warms !== began.warms;
  }

  stats(): SessionStats {
    const pool = this.#pool;
    return {
      calls: this.#calls,
      quickCalls: this.#quickCalls,
      inFlight: this.#inFlight,
      items: this.#items,
      busyMs: this.#busyMs,
      warmWorkers: pool?.workers ?? 0,
      poolSize: pool?.size ?? 0,
      warmRunMs: this.#warmRun.valueMs,
      warmRuns: this.#warmRun.runs,
      poolStarts: pool?.starts ?? 0,
      idleCloses: pool?.idleCloses ?? 0,
      profileSaves: this.#profileSaves,
      lastProfileSaveError: this.#profileSaveError,
      profiles: this.#profiles.all().map((p) => ({
        task: p.key,
        itemMs: p.workload.itemTimeMs.mean,
        workerSlowdown: p.workload.contention?.factor ?? 1,
        runs: p.runs,
        learnedCalls: p.learnedCalls,
        lastPredictionError: p.lastError,
        meanAbsPredictionError: p.meanAbsError,
      })),
      maxProfiles: this.#profiles.capacity,
    };
  }

  close(): Promise<void> {
    if (this.#closing === null) {
      this.#stop.abort(
        new ExecutorClosedError(new Error("The session was closed during this call"), SESSION_CLOSED),
      );
      this.#closing = (async () => {
        // A call still deciding may start the pool once: closing waits for the machine first.
        const machine = await this.#machine?.catch(() => undefined);
        await this.#pool?.close();
        if (machine !== undefined) this.#saveProfiles(machine, 0);
        await Promise.all(this.#writes);
      })();
    }
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** A call begins: it holds the pool open, and the session's close stops it as the caller's signal does. */
  #enter<O extends OptimizeOptions & { signal?: AbortSignal }>(options: O): CallScope & { options: O } {
    if (this.closed) throw new ExecutorClosedError(undefined, SESSION_CLOSED);
    options.signal?.throwIfAborted();
    this.#calls++;
    this.#inFlight++;
    this.#pool?.enter();
    const joined = options.signal === undefined ? null : joinSignals(this.#stop.signal, options.signal);
    const signal = joined?.signal ?? this.#stop.signal;
    let ended = false;
    // A call without a cache folder of its own reads and writes the session's.
    const cacheDir = options.cacheDir ?? this.#options.cacheDir;
    const scope = {
      options: { ...options, signal, ...(cacheDir === undefined ? {} : { cacheDir }) },
      pool: this.#pool,
      began: { calls: this.#calls, inFlight: this.#inFlight, warms: this.#warms, warming: this.#warming },
      end: () => {
        if (ended) return;
        ended = true;
        this.#inFlight--;
        joined?.release();
        scope.pool?.leave();
      },
    };
    return scope;
  }

  /** The machine (probed once), the pool, and the task's version on disk. */
  async #context(task: TaskRefInput, scope: CallScope): Promise<CallContext> {
    this.#machine ??= this.#measureMachine();
    return this.#contextOn(await this.#machine, task, scope);
  }

  /** {@link #context} once the machine is known: at once, without awaiting (a short call's await costs it more than the rest). */
  #contextOn(machine: SessionMachine, task: TaskRefInput, scope: CallScope): CallContext {
    // The first calls began before the pool was made: they hold it open from here.
    if (scope.pool === null) {
      scope.pool = machine.pool;
      scope.pool.enter();
    }
    if (this.closed) throw new ExecutorClosedError(undefined, SESSION_CLOSED);
    return {
      machine,
      version: this.#versions.of(this.#tasks.of(task)),
      learned: false,
      options: scope.options,
      began: scope.began,
    };
  }

  /**
   * A learned call that runs at once (see `runsAtOnce`): the profile holds for this input,
   * and the plan made for its shape since the item time last moved is serial and short.
   * Null: decide and run as any call does.
   */
  #quick(context: CallContext, data: readonly unknown[], options: ExecuteOptions): QuickCall | null {
    const { machine, version } = context;
    const known = this.#profiles.known(version.profileKey, data, data.length);
    if (known === null) return null;
    const key = this.#quickKey(version, data.length, machine.pool, constraintsOf(options), known.workload);
    const itemMs = known.workload.itemTimeMs.mean;
    const memo = this.#plans.entry(key, itemMs);
    if (memo === undefined) return null;
    const planned = scaleSerial(memo.value.planned, itemMs / memo.itemMs);
    // A plan whose making started the pool, now closed for idleness, is planned again.
    if (!runsAtOnce(planned.plan) || (memo.value.prewarm && !machine.pool.warm)) return null;
    context.learned = true;
    this.#quickCalls++;
    const { hardware, spawnCost } = machine;
    return { task: version.task, hardware, spawnCost, workload: known.workload, planned };
  }

  /**
   * The plan-memo key of a learned call: the last one built for this version, when the
   * count and the pool's state are the same and no constraint is given (the same string,
   * whose hash the memo's map does not compute again), else built now.
   */
  #quickKey(
    version: TaskVersion,
    totalItems: number,
    pool: WarmPool,
    constraints: PlanConstraints,
    workload: WorkloadSample,
  ): string {
    const contention = workload.contention?.factor;
    const warm = pool.warm;
    const loaded = pool.hasLoaded(version.task.href);
    const plain = isEmptyObject(constraints);
    const last = this.#quickKeys.get(version);
    if (
      plain &&
      last?.totalItems === totalItems &&
      last.warm === warm &&
      last.loaded === loaded &&
      last.contention === contention
    )
      return last.key;
    const shape = {
      profileKey: version.profileKey,
      totalItems,
      done: 0,
      warm,
      loaded,
      constraints,
      contention,
    };
    const key = planKey(shape);
    if (plain)
      this.#quickKeys.set(version, {
        totalItems,
        warm,
        loaded,
        contention,
        key,
      });
    return key;
  }

  async #measureMachine(): Promise<SessionMachine> {
    const { hardware: probe, spawnCost: costOptions, cacheDir, maxWorkers, idleMs } = this.#options;
    const hardware = this.#fixedMachine?.hardware ?? (await probeHardware(probe));
    const spawnCost =
      this.#fixedMachine?.spawnCost ??
      // The frozen copy, as execute() passes it: spawn cost takes it without validating it again.
      (await measureSpawnCost({
        ...costOptions,
        hardware: frozenHardwareOf(hardware),
        cacheDir: cacheDir ?? defaultCacheDir(),
      }));
    const size = Math.min(hardware.cores.usable.value, maxWorkers ?? Number.POSITIVE_INFINITY);
    const pool = new WarmPool(size, idleMs ?? SESSION_DEFAULTS.idleMs);
    this.#pool = pool;
    // The same frozen copies execute()'s decide() takes for these objects: validated once.
    const machineFrozen = frozenMachine(hardware, spawnCost);
    const frozen = {
      hardware: machineFrozen.hardware,
      cold: machineFrozen.spawnCost,
      // Only the start-up differs: that field alone is validated (the whole profile took ~0.5 ms).
      warm: withFrozenFields(
        SpawnCostProfileSchema,
        machineFrozen.spawnCost,
        { workerStart: warmStart(spawnCost, this.#warmRun).workerStart },
        "spawnCost",
      ),
    };
    this.#machineNow = { hardware, spawnCost, pool, frozen };
    return this.#machineNow;
  }

  /** What the session lends a call: its machine figures, the task's profile, and its warm pool. */
  #hosted(context: CallContext): Required<Hosted> {
    const { machine, version } = context;
    const { pool } = machine;
    return {
      prepare: {
        // The call runs the version of the task's module the session chose (`#versions`),
        // whose hash the caches' keys take: not read again.
        versioned: true,
        versionHash: version.hash,
        machine: { hardware: machine.hardware, spawnCost: machine.spawnCost },
        // The session's workers stay warm: a warm-up is paid once per worker in its life,
        // and calls in flight together would each start a probe worker.
        warmupProbe: false,
        // The session writes the figures it learns (see `#saveProfile`), in its own cache
        // folder: a first call whose cache is that folder does not wait for a write.
        savesFigures:
          this.#options.saveProfiles !== false &&
          (context.options.cacheDir ?? defaultCacheDir()) === (this.#options.cacheDir ?? defaultCacheDir()),
        known: (_task, data, total) => {
          const known = this.#profiles.known(version.profileKey, data, total);
          context.learned = known !== null;
          return known;
        },
        // A cold pool starts while sampling goes on when the first item says the job would
        // use warm workers (as execute()'s early pool does for a cold one): the plan then
        // finds it warm, and this call uses it as the later ones will.
        onFirstTiming: (itemMs, machine, total) => {
          if (pool.warm || this.closed) return;
          try {
            // Judged on warm workers: the session keeps the pool for the calls after this one.
            const warm = { ...machine, spawnCost: warmStart(machine.spawnCost, this.#warmRun) };
            if (earlyPoolWorkers(itemMs, total, warm) > 0) pool.prewarm();
          } catch {
            // Constraints the model rejects start nothing; the call's own plan reports them.
          }
        },
      },
      planInput: (input, prepared) => {
        const done = prepared.precomputed.size + prepared.failures.size;
        const planning = warmInput(input, machine, version.task.href, done);
        context.plannedWarm = planning.spawnCost === machine.frozen.warm;
        if (!context.learned && planning.spawnCost === machine.frozen.cold) context.coldInput = planning;
        return planning;
      },
      plan: (base, _prepared, done, planNow) => this.#planOnce(context, base, done, planNow),
      executor: (plan, options) => {
        if (options.resourceLimits !== undefined || this.closed) return undefined;
        if (plan.mode === "parallel" && plan.workers <= pool.size) return pool.lend(version.task.href);
        // A serial plan under isolation runs on it too, one chunk at a time (see
        // `lentRunOptions`), when it is warm, or to start it for a task called again while
        // calls keep coming (a learned call within `idleMs` of the last one): a fresh worker
        // per call imported the task and warmed up every time. A first call, or one after the
        // pool closed for idleness, does not start every worker of the pool for one. Not
        // marked as loading the task: it ran in one of the workers only.
        if (
          plan.mode === "serial" &&
          isolated(options) &&
          (pool.warm || (context.learned && plan.totalItems !== 0 && pool.usedWithinIdle()))
        )
          return pool.prewarm();
        return undefined;
      },
    };
  }

  /**
   * A learned call's plan: the one made for the same shape (item count, constraints, pool
   * state) while the task's item time has moved less than PLAN_REUSE_DRIFT since, else a
   * new one. A sampled call always plans.
   */
  #planOnce(context: CallContext, base: PlanInput, done: number, planNow: () => Planned): Planned {
    if (!context.learned) return planNow();
    const { pool } = context.machine;
    const href = context.version.task.href;
    const key = planKey({
      profileKey: context.version.profileKey,
      totalItems: base.workload.totalItems,
      done,
      warm: pool.warm,
      loaded: pool.hasLoaded(href),
      constraints: base.constraints,
      // A stream's plan keeps no results: not an execute() call's.
      resultsKept: base.resultsKept,
      contention: base.workload.contention?.factor,
    });
    const itemMs = base.workload.itemTimeMs.mean;
    const reused = this.#plans.entry(key, itemMs);
    if (reused !== undefined && stillAdaptiveAlike(reused.value.planned.plan, base.workload)) {
      // Made for the pool's state now (the key holds it): warm, or not.
      context.plannedWarm = pool.warm;
      // The pool closed for idleness since: it starts again, as planning would have started it.
      if (reused.value.prewarm && !pool.warm) pool.prewarm();
      return scaleSerial(reused.value.planned, itemMs / reused.itemMs);
    }
    const wasWarm = pool.warm;
    const planned = planNow();
    this.#plans.set(key, itemMs, { planned, prewarm: !wasWarm && pool.warm }, planned.plan.mode === "serial");
    return planned;
  }

  /**
   * A run contradicted the task's profile (see `CONTRADICTION_RATIO`): the profile and its
   * plans are dropped, and the task's next call samples past the plan cache, which holds
   * the same figures (the session writes the new sample there).
   */
  #resampleNext(key: string): void {
    this.#profiles.forget(key);
    this.#plans.forget(key);
    this.#saved.delete(key);
    this.#resample.add(key);
    if (this.#resample.size > this.#profiles.capacity) {
      this.#resample.delete(this.#resample.values().next().value as string);
    }
  }

  /** After a run: the profile made or refined, the session's totals, and `onRun` told. */
  #learn(
    context: CallContext,
    workload: OptimizeResult["workload"],
    plan: Plan,
    report: ExecutionReport,
    run: { kind: SessionRun["kind"]; predictedWallMs: number; fromCache?: boolean },
  ): SessionCall {
    const key = context.version.profileKey;
    const { kind, predictedWallMs } = run;
    const error = predictedWallMs > 0 && !report.aborted ? report.wallMs / predictedWallMs - 1 : null;
    const predictionError = error !== null && Number.isFinite(error) ? error : null;
    if (!context.learned) this.#plans.forget(key);
    // A call kept in the calling thread for sampled items no worker can take leaves no
    // profile: a call planned from one samples nothing, and would send such items to workers.
    const keptHere = plan.reasons[0]?.code === UNSENDABLE_CODE;
    if (keptHere) {
      this.#profiles.forget(key);
      this.#saved.delete(key);
    }
    // A learned call's profile was marked used when its figures were read (`known()`).
    const profile = keptHere
      ? null
      : context.learned
        ? this.#profiles.peek(key)
        : this.#profiles.sampled(key, workload);
    if (!context.learned && profile !== null && profile !== undefined && kind === "execute") {
      this.#rememberSampledPlan(context, profile);
    }
    // The plan covers the items sampling left; the report counts the sampled ones as succeeded too.
    const ran = Math.min(report.succeeded, plan.totalItems ?? report.succeeded);
    // A serial plan run in a worker (under isolation) is learned as a serial run: its
    // chunks' time, waits for a core left out, is its items' time, one worker at a time.
    // Not a run that started its worker (its import and warm-up are in its time), as for
    // a parallel run: told as such (`freshWorkers`), it teaches nothing.
    const serialInWorker =
      plan.mode === "serial" && report.mode === "parallel" && report.taskLoads === undefined;
    const besideWarm = this.#warmedBeside(context.began);
    const figures: RunFigures = {
      mode: serialInWorker ? "serial" : report.mode,
      busyMs: serialInWorker ? report.busyMs - (report.queuedMs ?? 0) : report.busyMs,
      ran,
      // Workers that computed at once: a lent pool may hold more than the plan keeps busy
      // (a serial plan on it runs one chunk at a time).
      workers: Math.min(report.workers, report.chunks, plan.mode === "parallel" ? plan.maxInFlight : 1),
      freshWorkers: report.taskLoads !== undefined,
      // The calling thread did other work while this call's items ran: another call of the
      // session (in flight when it began, or begun since), or a stream's consumer, whose work
      // runs while an async item's promise is awaited. Its busy time is then no item time.
      sharedThread:
        !serialInWorker &&
        (context.began.inFlight > 1 ||
          this.#calls !== context.began.calls ||
          besideWarm ||
          (kind === "stream" && workload.async)),
      ...(report.queuedMs === undefined || serialInWorker ? {} : { queuedMs: report.queuedMs }),
      // A warm-up's imports ran beside it, in this thread and on the workers: no item's time.
      ...(besideWarm ? { besideWarm } : {}),
      // The load now, where a slowdown is learned or held (read for those only: a short
      // serial call of a task without one does not pay for it).
      ...(profile?.workload.contention !== undefined || figuresOnWorkers(report, serialInWorker)
        ? { loadPerCore: currentLoadPerCore(context.machine.hardware.cores.usable.value) }
        : {}),
    };
    if (profile !== undefined && profile !== null) {
      if (context.learned) profile.learnedCalls++;
      if (this.#profiles.learn(profile, figures, predictionError) === "contradicted") this.#resampleNext(key);
    }
    if (profile !== undefined && profile !== null && !this.#resample.has(key)) {
      const { hash } = context.version;
      if (hash !== null && (!context.learned || !this.#saved.has(key))) {
        // Never written (-1): the call left its fresh sample's write to the session, which
        // writes it whether or not the run refined it (a run that started workers does not).
        // A new sample (an input unlike the profile's: four times the items, say) replaced
        // the profile, and is written under its own size, as a first one is. Figures read
        // from the plan cache are there already: what the runs refine is written at the
        // session's pace (`saveAfterMs`) or on close, not on this call's path (a write and
        // its fsync for every new session's first call of a task).
        const fromCache = run.fromCache === true && !context.learned;
        const cacheKey = `${key}/${sizeBucket(profile.sampledItems)}`;
        this.#saved.set(
          key,
          fromCache ? { cacheKey, runs: 0, at: performance.now() } : { cacheKey, runs: -1, at: 0 },
        );
        this.#forgetDropped();
      }
      const saved = this.#saved.get(key);
      if (saved !== undefined) {
        this.#saveProfile(key, saved, context.machine, SESSION_DEFAULTS.saveAfterMs, performance.now());
      }
    }
    // A stream's wall time holds its waits for the source and the consumer: no run's own cost.
    if (kind === "execute")
      this.#learnWarmRun(context, plan, report, predictedWallMs, figures.sharedThread === true);
    this.#items += report.items;
    this.#busyMs += report.busyMs;
    const call: SessionCall = { profile: context.learned ? "learned" : "sampled", predictionError };
    // Told only when someone listens: building the record costs a short call microseconds.
    if (this.#options.onRun !== undefined) {
      this.#tell({
        ...call,
        task: context.version.task.key,
        kind,
        mode: plan.mode,
        // A serial plan in a worker runs one chunk at a time, on the pool too.
        workers: plan.mode === "serial" ? Math.min(report.workers, 1) : report.workers,
        items: report.items,
        wallMs: report.wallMs,
        predictedWallMs,
        busyMs: report.busyMs,
      });
    }
    return call;
  }

  /**
   * A parallel run planned and run on warm workers, alone in the calling thread, taught
   * what such a run costs beyond the model (see `WarmRunCost`); when that figure moves, the
   * warm pool's start-up is set to it and the plans made with the old one are dropped.
   */
  #learnWarmRun(
    context: CallContext,
    plan: Plan,
    report: ExecutionReport,
    predictedWallMs: number,
    sharedThread: boolean,
  ): void {
    if (context.plannedWarm !== true || plan.mode !== "parallel" || report.mode !== "parallel") return;
    if (report.aborted || report.failed > 0 || report.taskLoads !== undefined || sharedThread) return;
    const charged = plan.predicted.breakdown.startupMs;
    if (!this.#warmRun.takeIn(report.wallMs, predictedWallMs, charged)) return;
    const { machine } = context;
    machine.frozen.warm = withFrozenFields(
      SpawnCostProfileSchema,
      machine.frozen.cold,
      { workerStart: warmStart(machine.spawnCost, this.#warmRun).workerStart },
      "spawnCost",
    );
    this.#plans.clear();
  }

  /**
   * After a sampled call on a cold pool: the plan its items were planned with as a whole
   * (to decide whether to start the pool) is the next call's of the same shape, which is
   * planned from the profile, the same figures but for which items were sampled and how
   * long sampling took (the model reads neither). Kept for that call when it runs at once:
   * the second call of a short task then does not plan (1.0-1.4 ms) nor set up a run.
   */
  #rememberSampledPlan(context: CallContext, profile: TaskProfile): void {
    const input = context.coldInput;
    const { pool } = context.machine;
    const total = input?.workload.totalItems;
    if (input === undefined || typeof total !== "number" || pool.warm) return;
    // The plan input holds exactly the profile's figures (not ones scaled since, by a serial check).
    if (planningCopyOf(profile.workload) !== input.workload) return;
    const plan = plannedBefore(input);
    if (plan === undefined || !runsAtOnce(plan)) return;
    const key = this.#quickKey(
      context.version,
      total,
      pool,
      constraintsOf(context.options),
      profile.workload,
    );
    const planned = { plan, wholeSerialMs: wholeSerialMs(input) };
    this.#plans.set(key, profile.workload.itemTimeMs.mean, { planned, prewarm: false }, true);
  }

  /**
   * Writes to the plan cache each profile that runs refined since it was last written, if
   * that was at least `afterMs` ago (atomically; a failed write is counted, never thrown).
   * Profiles the session dropped are not written. After a run, `#saveProfile` is asked for
   * that run's profile alone: the others did not change.
   */
  #saveProfiles(machine: SessionMachine, afterMs: number): void {
    const now = performance.now();
    for (const [key, saved] of this.#saved) this.#saveProfile(key, saved, machine, afterMs, now);
  }

  /**
   * Save records of profiles the session dropped (least recently used out) are let go
   * once they are twice the profiles kept: the records stay bounded however many tasks
   * a session meets, at a sweep per `maxProfiles` new tasks.
   */
  #forgetDropped(): void {
    if (this.#saved.size <= 2 * this.#profiles.capacity) return;
    for (const key of this.#saved.keys()) if (this.#profiles.peek(key) === undefined) this.#saved.delete(key);
  }

  #saveProfile(
    key: string,
    saved: SavedProfile,
    machine: SessionMachine,
    afterMs: number,
    now: number,
  ): void {
    if (this.#options.saveProfiles === false) return;
    const profile = this.#profiles.peek(key);
    if (profile === undefined) {
      this.#saved.delete(key);
      return;
    }
    if (profile.runs === saved.runs || (saved.at > 0 && now - saved.at < afterMs)) return;
    // One write in flight between calls (close writes the rest): a caller that never waits
    // for I/O lets none finish, and churning profiles would start one per call (issue 15).
    if (afterMs > 0 && this.#writes.size > 0) return;
    saved.runs = profile.runs;
    saved.at = now;
    const dir = this.#options.cacheDir ?? defaultCacheDir();
    const write = writePlanCache(dir, saved.cacheKey, machine.spawnCost.machineKey, profile.workload).then(
      (error) => {
        if (error === null) this.#profileSaves++;
        else this.#profileSaveError = error;
      },
    );
    this.#writes.add(write);
    void write.finally(() => this.#writes.delete(write));
  }

  #tell(run: SessionRun): void {
    try {
      this.#options.onRun?.(run);
    } catch {
      // A metrics hook that fails must not fail the call whose results it was told.
    }
  }

  /**
   * A call or a warm-up stopped by close() rejects with the session's `ExecutorClosedError`,
   * whatever stage it was in (the pool's own closing error, or any other, is its cause).
   */
  #closedOr(error: unknown): unknown {
    if (!this.closed || isSessionClosed(error)) return error;
    return new ExecutorClosedError(error, SESSION_CLOSED);
  }
}

/**
 * The plan input on the session's pool: no more workers than it has, and, once it is up,
 * no start-up, nor module load for a task its workers have imported. Planning with a
 * zero-cost start-up profile rather than with constraints keeps the model's own search
 * (serial, or how many workers and what chunks) for the warm case too.
 */
function warmInput(input: PlanInput, machine: SessionMachine, href: string, done = 0): PlanInput {
  const { pool, frozen } = machine;
  const constraints = { ...input.constraints };
  if (constraints.workers === undefined) {
    constraints.maxWorkers = Math.min(constraints.maxWorkers ?? pool.size, pool.size);
  }
  if (!pool.warm) {
    const cold = { ...input, hardware: frozen.hardware, spawnCost: frozen.cold, constraints };
    // Sampling ran every item: nothing runs now, and the next call, planned from what it
    // learned, decides on the pool itself (two plans less for a short first call).
    const total = input.workload.totalItems;
    if (total === null || done < total) prewarm(cold, frozen.warm, pool);
    return cold;
  }
  // Warm workers have the module imported and its code compiled: no load, no warm-up.
  const workload = pool.hasLoaded(href) ? warmWorkload(input.workload) : input.workload;
  return { ...input, hardware: frozen.hardware, spawnCost: frozen.warm, workload, constraints };
}

function warmWorkload(workload: WorkloadSample): WorkloadSample {
  const { warmup: _, ...rest } = workload;
  return { ...rest, moduleLoadMs: 0 };
}

/**
 * A cold pool costs the call that starts it; the calls after it have it for free. When
 * the task would run in parallel on warm workers and not on a cold pool, the pool starts
 * now, beside this call's own plan, so that the next call finds it warm.
 */
function prewarm(cold: PlanInput, warmCost: SpawnCostProfile, pool: WarmPool): void {
  if (cold.workload.totalItems === 0) return;
  try {
    const plan = planOf(cold);
    if (plan.mode === "parallel") return;
    const warm = planExecution({ ...cold, spawnCost: warmCost });
    if (warm.mode === "parallel" && warm.predicted.wallMs < plan.predicted.wallMs) pool.prewarm();
  } catch {
    // Constraints the model rejects start nothing; the call's own plan reports them.
  }
}

function warmStart(spawnCost: SpawnCostProfile, run: WarmRunCost): SpawnCostProfile {
  const { fixedMs, perWorkerMs } = spawnCost.workerStart;
  // No worker starts: what a run on them costs beyond the model (see `WarmRunCost`), in place
  // of the start-up, with the start-up's provenance. Whether it is the estimate or the
  // session's runs' measure is `stats().warmRuns` (0, or three or more): an "estimated"
  // provenance here made the cost model warn of estimated costs on every warm plan.
  return {
    ...spawnCost,
    workerStart: { fixedMs: { ...fixedMs, value: run.valueMs }, perWorkerMs: { ...perWorkerMs, value: 0 } },
  };
}

/**
 * execute()'s options, validated. No options at all (`{}`, the default) are valid as they
 * are: every option is optional and none has a default the schema fills in.
 */
function parseOptions(options: ExecuteOptions): ExecuteOptions {
  if (isEmptyObject(options)) return {};
  return parseInput(ExecuteOptionsSchema, options, "options");
}

function isEmptyObject(value: unknown): boolean {
  if (value === null || typeof value !== "object" || Object.getPrototypeOf(value) !== Object.prototype)
    return false;
  return Reflect.ownKeys(value).length === 0;
}

/** A run whose figures are its workers' (a parallel run, not a serial plan run in a worker). */
function figuresOnWorkers(report: ExecutionReport, serialInWorker: boolean): boolean {
  return report.mode === "parallel" && !serialInWorker;
}

/**
 * Whether a parallel plan made earlier still chunks as the model would now: adaptively for
 * a sample that may be far off (or an input of unknown length), fixed otherwise. Runs that
 * came to know the mean (see `knownFromRuns`) lift a first sample's uncertainty: a plan
 * made under it kept 4 adaptive chunks a worker over 29 calls of 200 items of 1 ms (109 ms
 * a call against 103 for 2 chunks of 100). The memo's key leaves this out, so that serial
 * plans (the quick path's) are found whatever the spread.
 */
export function stillAdaptiveAlike(plan: Plan, workload: WorkloadSample): boolean {
  if (plan.mode !== "parallel") return true;
  return plan.adaptive === (workload.totalItems === null || uncertainSpread(workload.spread));
}

/** An error that says the session was closed (see `SESSION_CLOSED`). */
function isSessionClosed(error: unknown): boolean {
  return error instanceof ExecutorClosedError && error.message.startsWith(SESSION_CLOSED);
}
