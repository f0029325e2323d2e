import { performance } from "node:perf_hooks";
import { MODEL_CONSTANTS } from "@amorsize/cost-model";
import { createExecutor, type Executor, type MapResult, type ResolvedTask } from "@amorsize/executor";
import {
  type BackendDecision,
  type BackendMapOptions,
  type ExecuteOptions,
  ExecuteOptionsSchema,
  type ExecutionReport,
  type Plan,
  type PlanInput,
  parseInput,
  RUN_CONSTANTS,
  type RunBackend,
  type RunOptions,
  type TaskRefInput,
  type Warning,
} from "@amorsize/types";
import { planRun, predictionAtCount, serialItemRate, wholeSerialMs, withFrozenMachine } from "./decide.js";
import { EarlyPool, KeptSampler } from "./early-pool.js";
import { DataError } from "./errors.js";
import { formatMs } from "./format.js";
import { guardedInput, MAX_COLLECTED_ITEMS, type SourceFence } from "./guard.js";
import { basisOf, type OptimizeBasis, type OptimizerOverhead } from "./optimize.js";
import { dropPlanCache } from "./plan-cache.js";
import { scaleSerial } from "./plan-memo.js";
import { isolated, type Prepared, type PrepareHooks, prepare } from "./prepare.js";
import { type RunMeasured, runContradicts } from "./profiles.js";
import {
  backendPrediction,
  backendReport,
  type CallTimes,
  mergeSampled,
  type PlanCheck,
  planCheck,
  type SampledItems,
} from "./report.js";
import type { TaskData } from "./sample.js";
import {
  restInput,
  runStretch,
  type Stretch,
  stretchItemScale,
  stretchLength,
  stretchReading,
} from "./serial-check.js";
import { plannedAround, withUnsendableReason } from "./unsendable.js";

export interface ExecuteResult<R> {
  /** Results in input order; under `onError: "collect"` a failed item's slot is `undefined`. */
  results: R[];
  /**
   * Failed items (under `onError: "collect"`), by index. Each has `code` and `index`. An
   * iterable input whose source failed ends with its `SourceError` (the report counts only
   * the items read).
   */
  errors: Error[];
  /**
   * The plan that ran: for the items sampling left (reason `SAMPLED_ITEMS_DONE`), and a
   * long serial plan's checked stretch left (reason `SERIAL_CHECKED` when planned again).
   */
  plan: Plan;
  report: ExecutionReport;
  check: PlanCheck;
  /** Time spent deciding (probe, spawn cost, sampling, planning), milliseconds. */
  overheadMs: OptimizerOverhead;
  /** End-to-end wall time: optimizing and running, milliseconds. */
  wallMs: number;
  /** What the plan rested on. */
  optimized: OptimizeBasis;
  /** Set when a `backend` was given: what it decided (and, when `decision.use`, the run was there). */
  backend?: { kind: string; decision: BackendDecision };
}

/** The task as the executor loads it: by its resolved URL, so a relative path means the same everywhere. */
export function taskOf(task: ResolvedTask): { module: string; export: string } {
  return { module: task.href, export: task.exportName };
}

/**
 * The executor for a plan: the calling thread for serial and concurrent plans, a pool for
 * parallel. Under isolation (`isolate`, `chunkTimeoutMs` or `resourceLimits`) a serial plan
 * runs in one worker, where the task cannot take the calling thread with it; a concurrent
 * plan (an I/O-bound async task, whose items wait rather than compute) stays here.
 */
export function executorFor(plan: Plan, options: ExecuteOptions = {}): Executor {
  const limits = options.resourceLimits === undefined ? {} : { resourceLimits: options.resourceLimits };
  switch (plan.mode) {
    case "serial":
      return isolated(options)
        ? createExecutor({ mode: "parallel", workers: 1, ...limits })
        : createExecutor({ mode: "serial" });
    case "concurrent":
      return createExecutor({ mode: "serial", concurrency: plan.concurrency });
    case "parallel":
      return createExecutor({ mode: "parallel", workers: plan.workers, ...limits });
  }
}

/**
 * Sampled items for the executor's `precomputed`: each result at its index, and an
 * `undefined` result where an item failed, so that no sampled item runs again.
 */
export function precomputedOf(sampled: SampledItems): Map<number, unknown> {
  return new Map([
    ...sampled.precomputed,
    ...[...sampled.failures.keys()].map((k) => [k, undefined] as const),
  ]);
}

/**
 * The executor's run options for a plan, the sampled items, and the caller's pass-through
 * options. `onWorker`: a serial plan runs on one worker though the caller did not ask for
 * isolation (the sampler's, see `serialSoonerOnSampler`).
 */
export function runOptionsFor(
  plan: Plan,
  options: ExecuteOptions,
  sampled: SampledItems,
  totalItems: number | null,
  onWorker = false,
): RunOptions {
  const run: RunOptions = { precomputed: precomputedOf(sampled) };
  if (plan.mode === "parallel") {
    run.chunkSize = plan.adaptive ? "auto" : plan.chunkSize;
    // A known input's adaptive run starts at the planned size, and corrects it as it goes.
    if (plan.adaptive && plan.totalItems !== null) run.firstChunkSize = plan.chunkSize;
    run.maxInFlight = plan.maxInFlight;
    const window = plan.adaptive ? adaptiveWindowMs(options.chunkTimeoutMs) : null;
    if (window !== null) run.targetChunkMs = window;
  } else if (plan.mode === "serial" && (onWorker || isolated(options))) {
    // One worker, adaptive chunks: short enough to keep inside the time-out and to lose little to a crash.
    run.chunkSize = "auto";
    const window = adaptiveWindowMs(options.chunkTimeoutMs);
    if (window !== null) run.targetChunkMs = window;
  }
  // The whole input's length: the plan may cover only the items sampling left.
  if (totalItems !== null) run.totalItems = totalItems;
  for (const key of ["ordered", "onError", "signal", "chunkTimeoutMs", "onProgress", "transfer"] as const) {
    if (options[key] !== undefined) (run as Record<string, unknown>)[key] = options[key];
  }
  return run;
}

/**
 * The adaptive chunk-duration window for a run under `chunkTimeoutMs`, or null when the
 * executor's default window already stays inside it. Adaptive chunks are measured, not
 * predicted, but they overshoot the window's top while they adapt: the top is half the
 * share of the time-out the plan allows a predicted chunk, the bottom a tenth of the top.
 */
export function adaptiveWindowMs(chunkTimeoutMs: number | undefined): [number, number] | null {
  if (chunkTimeoutMs === undefined) return null;
  const high = (MODEL_CONSTANTS.chunkTimeoutShare * chunkTimeoutMs) / 2;
  if (high >= RUN_CONSTANTS.streamChunkMaxMs) return null;
  return [Math.min(ADAPTIVE_LOW_MS, high / 10), high];
}

/** The bottom of the executor's default adaptive window, milliseconds. */
const ADAPTIVE_LOW_MS = 10;

/** A plan for the items that run, and the model's serial estimate for every item. */
export interface Planned {
  plan: Plan;
  wholeSerialMs: number;
  /** The input the plan was made from: a plan without the item count is checked against the count that ran (see `predictionAtCount`). */
  input?: PlanInput;
}

/** The one decision of a run: what it rests on, and the plan for the items that run. */
export interface Decision {
  prepared: Prepared;
  plan: Plan;
  basis: OptimizeBasis;
  /** The model's serial estimate for every item, the sampled ones included. */
  wholeSerialMs: number;
  /** The input the plan was made from. */
  input: PlanInput;
}

/**
 * What a long-lived session (`createAmorsize()`) lends one call; the top-level functions
 * run without one. Each part is optional: what is missing is done as a lone call does it.
 */
export interface Hosted {
  /** The session's machine figures and learned workloads (see `PrepareHooks`). */
  prepare?: Pick<
    PrepareHooks,
    "versioned" | "versionHash" | "machine" | "known" | "onFirstTiming" | "warmupProbe" | "savesFigures"
  >;
  /** The plan input as the session plans it: warm workers charge no start-up. */
  planInput?: (input: PlanInput, prepared: Prepared) => PlanInput;
  /**
   * The call's plan, when the session has one for these figures (a learned task, the same
   * item count, constraints and pool state): planning again would give the same plan.
   * Called with the input as `planInput` made it; undefined: plan now.
   */
  plan?: (base: PlanInput, prepared: Prepared, done: number, plan: () => Planned) => Planned;
  /** The session's pool for `plan`, lent (never closed by the call); undefined: a fresh executor. */
  executor?: (plan: Plan, options: ExecuteOptions) => Executor | undefined;
}

/**
 * Gathers what the decision rests on and plans once, for the items sampling left. With
 * `run.early`, a pool may start while sampling; the plan credits its paid start-up. The
 * pool is closed if deciding fails. With `run.deferSourceError`, a source that fails while
 * sampled leaves the items read in the prepared data, which then throws its SourceError.
 * `run.streamed`: the results go to a stream's consumer, not kept by the run. With
 * `run.sampler`, a guarded sample's executor is kept open for the run (see `KeptSampler`),
 * and closed if deciding fails.
 */
export async function decide(
  task: TaskRefInput,
  data: TaskData,
  options: ExecuteOptions,
  start: number,
  run: {
    early?: EarlyPool;
    sampler?: KeptSampler;
    deferSourceError?: boolean;
    hosted?: Hosted;
    streamed?: boolean;
  } = {},
): Promise<Decision> {
  const { onError, signal } = options;
  const { early, sampler, deferSourceError, hosted, streamed } = run;
  try {
    const gathered = await prepare(task, data, options, {
      ...hosted?.prepare,
      ...(onError ? { onError } : {}),
      ...(signal ? { signal } : {}),
      ...(early
        ? {
            onFirstTiming: early.consider.bind(early),
            probePool: early.current.bind(early),
            startProbePool: early.forProbe.bind(early),
          }
        : {}),
      ...(sampler ? { keepSampler: sampler.keep.bind(sampler) } : {}),
      ...(deferSourceError ? { deferSourceError } : {}),
    });
    signal?.throwIfAborted();
    const t0 = performance.now();
    // Sampled items no worker can take: the call stays here, or (when it needs workers) they
    // fail. Kept here, the decision carries the constraints that say so (a serial check of
    // the call then plans no workers either).
    const { how: here, constraints: kept } = plannedAround(gathered, options);
    const prepared = here.kind === "here" ? { ...gathered, constraints: kept } : gathered;
    const { hardware, spawnCost, workload, constraints, precomputed, failures } = prepared;
    // A stream hands each result to its consumer: it keeps none (see `PlanInput.resultsKept`).
    const base = withFrozenMachine({
      hardware,
      spawnCost,
      workload,
      constraints,
      ...(streamed ? { resultsKept: false } : {}),
    });
    const done = precomputed.size + failures.size;
    const started = here.kind === "here" ? undefined : early?.started();
    const planNow = (): Planned => {
      const input = hosted?.planInput?.(base, prepared) ?? base;
      return { plan: planRun(input, done, started), wholeSerialMs: wholeSerialMs(input), input };
    };
    const planned = hosted?.plan?.(base, prepared, done, planNow) ?? planNow();
    const { wholeSerialMs: serialMs, input } = planned;
    const plan = withUnsendableReason(planned.plan, here);
    const t1 = performance.now();
    const basis = basisOf(prepared, { plan: t1 - t0, total: t1 - start });
    return { prepared, plan, basis, wholeSerialMs: serialMs, input: input ?? base };
  } catch (error) {
    await Promise.all([early?.close(), sampler?.close()]);
    throw error;
  }
}

/**
 * Decides how to run `task` over `data` and runs it that way. Returns the results in
 * input order, the plan, the run's report, and the predicted and measured wall
 * times side by side.
 */
export async function execute<R = unknown>(
  task: TaskRefInput,
  data: TaskData,
  options: ExecuteOptions = {},
): Promise<ExecuteResult<R>> {
  const start = performance.now();
  const parsed = parseInput(ExecuteOptionsSchema, options, "options");
  options.signal?.throwIfAborted();
  return executeHosted<R>(task, data, parsed, start);
}

/** execute() once its options are parsed, in a session when `hosted` is given. */
export async function executeHosted<R>(
  task: TaskRefInput,
  data: TaskData,
  parsed: ExecuteOptions,
  start: number,
  hosted?: Hosted,
): Promise<ExecuteResult<R>> {
  const backend = parsed.backend as RunBackend | undefined;
  // A backend runs elsewhere, and a session's pool is started already: no workers to start early.
  const early = backend || hosted ? undefined : new EarlyPool(createExecutor, parsed.resourceLimits);
  // Under collect, a source that fails ends the input there: the items it gave run, and its
  // SourceError joins the errors (see `collectedSource`).
  const fence: SourceFence | undefined = parsed.onError === "collect" ? { failure: null } : undefined;
  // A guarded sample's worker, warm, runs a serial plan under isolation (see `KeptSampler`);
  // without isolation nothing would take it, and it closes when sampling ends.
  const sampler = hosted || !isolated(parsed) ? undefined : new KeptSampler();
  const decision = await decide(task, data, parsed, start, {
    ...(early ? { early } : hosted ? { hosted } : {}),
    ...(sampler ? { sampler } : {}),
    ...(fence ? { deferSourceError: true } : {}),
  });
  const { plan } = decision;
  // Taken now or closed: under isolation no serial check runs, and the plan stands.
  const warm = await sampler?.take(plan, true).catch(async (error: unknown) => {
    await early?.close();
    throw error;
  });
  // The backend decides for itself: a cluster can beat even a serial local plan (one core here).
  let chosen: BackendDecision | undefined;
  try {
    chosen =
      backend && plan.totalItems !== 0
        ? await backend.plan({
            workload: { ...decision.prepared.workload, totalItems: plan.totalItems },
            localPlan: plan,
          })
        : undefined;
  } catch (error) {
    await warm?.close();
    throw error;
  }
  if (backend && chosen?.use) {
    await warm?.close();
    return collectedSource(await runOnBackend<R>(decision, parsed, backend, chosen, start, fence), fence);
  }
  const { decision: checked, stretch } = await checkSerial(decision, parsed, hosted, early).catch(
    async (error: unknown) => {
      // A stretch item failed (under throw) or the caller aborted: no pool started while sampling is left open.
      await Promise.all([early?.close(), warm?.close()]);
      throw error;
    },
  );
  const input = guardedInput(checked.prepared.data, {
    limit: parsed.maxItems ?? MAX_COLLECTED_ITEMS,
    ...(fence ? { fence } : {}),
  });
  const lent = hosted?.executor?.(checked.plan, parsed);
  // An early pool the plan does not take is closed here.
  const pooled = await early?.take(checked.plan).catch(async (error: unknown) => {
    await warm?.close();
    throw error;
  });
  const executor = lent ?? warm ?? pooled ?? executorFor(checked.plan, parsed);
  const run = await runHere<R>(checked, input, parsed, executor, lent !== undefined);
  const times = { start, ...run.times, ...(stretch ? { runStart: stretch.startedAt } : {}) };
  // A plan made without the item count is checked against the count that ran.
  const counted =
    checked.plan.totalItems === null
      ? predictionAtCount(
          checked.input,
          checked.plan,
          run.report.items - run.report.precomputed,
          run.report.items,
        )
      : null;
  const predicted =
    counted?.predicted ?? (stretch ? withStretch(checked.plan, stretch) : checked.plan.predicted);
  const serialMs = counted?.wholeSerialMs ?? checked.wholeSerialMs;
  const result = resultOf<R>(checked, run, planCheck(predicted, serialMs, times), times, {
    ...(backend && chosen ? { backend: { kind: backend.kind, decision: chosen } } : {}),
  });
  // A session keeps its own figures (it samples again past the cache when a run contradicts them).
  if (hosted === undefined) {
    const { measuredWallMs, predictedWallMs } = result.check;
    const { aborted } = result.report;
    await dropContradictedFigures(checked, {
      measuredWallMs,
      predictedWallMs,
      predictedSerialMs: predicted.serialMs,
      parallel: checked.plan.mode === "parallel",
      aborted,
      warnings: result.optimized.warnings,
    });
  }
  return collectedSource(result, fence);
}

/** What a run measured against what the figures it was planned from predicted. */
export interface RunAgainstFigures extends RunMeasured {
  aborted: boolean;
  /** Where the warning goes. */
  warnings: Warning[];
}

/**
 * Figures read from the plan cache that the run contradicted (see `runContradicts`) are
 * dropped from the entry they were read from, with a warning: the next call samples the
 * task again, where every later call would have planned from them (cached figures of
 * items 5,000 times cheaper than the run's planned every later call serial).
 */
export async function dropContradictedFigures(decision: Decision, run: RunAgainstFigures): Promise<void> {
  const entry = decision.prepared.cacheEntry;
  if (entry === undefined || run.aborted || !runContradicts(run)) return;
  const { measuredWallMs, predictedWallMs } = run;
  const outcome = await dropPlanCache(entry.dir, entry.key);
  if (outcome === "absent") return;
  const loop = measuredWallMs > run.predictedSerialMs && run.parallel;
  run.warnings.push({
    code: "PLAN_CACHE_CONTRADICTED",
    message:
      `The run took ${formatMs(measuredWallMs)} where the cached figures predicted ${formatMs(predictedWallMs)}` +
      (loop ? ` (and ${formatMs(run.predictedSerialMs)} for a plain loop)` : "") +
      ": " +
      (outcome === "dropped"
        ? "dropped from the plan cache; the next call samples again."
        : `could not drop them (${outcome.error}).`),
  });
}

/**
 * Under `onError: "collect"`, an iterable input whose source failed: the items it gave ran
 * (their results are kept, one per item read), and its `SourceError`, at the index of the
 * item it failed to give, is the last of the errors. It rejected the call before, every
 * result computed lost (a generator that threw at its third item).
 */
function collectedSource<R>(result: ExecuteResult<R>, fence: SourceFence | undefined): ExecuteResult<R> {
  if (fence?.failure == null) return result;
  result.errors.push(fence.failure);
  return result;
}

/**
 * A long serial plan run first on a stretch of its leading items (see serial-check.ts).
 * Their results join the sampled ones, and the rest is planned again: from the stretch's
 * item time when it ran {@link SERIAL_CHECK}'s `slower` times the sample or more (the
 * rest may then run on workers), else serially still, its prediction at the stretch's rate.
 */
async function checkSerial(
  decision: Decision,
  options: ExecuteOptions,
  hosted: Hosted | undefined,
  early: EarlyPool | undefined,
): Promise<{ decision: Decision; stretch: Stretch | null }> {
  const { prepared, plan } = decision;
  const { data, workload, hardware, constraints } = prepared;
  const itemMs = workload.itemTimeMs.mean;
  const length = Array.isArray(data)
    ? stretchLength(plan, workload, hardware.cores.usable.value, constraints, options)
    : 0;
  if (length === 0 || !Array.isArray(data)) return { decision, stretch: null };
  const stretch = await runStretch(taskOf(prepared.task), data, length, prepared, options);
  const folded: Prepared = { ...prepared, ...stretch.sampled };
  const done = folded.precomputed.size + folded.failures.size;
  const rest = Math.max(0, (workload.totalItems ?? done) - done);
  const frozen = withFrozenMachine({ hardware, spawnCost: prepared.spawnCost, workload, constraints });
  // The stretch keeps its results as the loop does: it is read against the model's serial
  // rate, the item's time and what keeping its result costs (the cost model's `r`).
  const serialItemMs = serialItemRate(frozen);
  const reading = stretchReading(stretch.wallMs, stretch.ran, serialItemMs);
  const scale = reading?.scale ?? 1;
  if (reading === null || !reading.replan) {
    // Serial still: the plan's figures for the items left, at the stretch's rate.
    const kept = scaleSerial(decision, (scale * rest) / Math.max(1, plan.totalItems ?? rest));
    const { predicted } = kept.plan;
    const restPlan = {
      ...kept.plan,
      totalItems: rest,
      predicted: predicted.items === undefined ? predicted : { ...predicted, items: rest },
    };
    return { decision: { ...decision, prepared: folded, plan: restPlan }, stretch };
  }
  const base = restInput(frozen, stretchItemScale(scale, serialItemMs, itemMs));
  const input = hosted?.planInput?.(base, folded) ?? base;
  const sampled = prepared.precomputed.size + prepared.failures.size;
  const where = sampled > 0 ? "while sampling and in the serial check" : "in the serial check";
  const replanned = planRun(input, done, early?.started(), where);
  const note = {
    code: "SERIAL_CHECKED",
    message: `The first ${length} items, run serially as a check, took ${scale.toFixed(2)}x the sampled time (${formatMs(stretch.wallMs / stretch.ran)} an item against ${formatMs(serialItemMs)}): the ${rest} items left were planned again at that rate.`,
  };
  return {
    decision: {
      ...decision,
      prepared: folded,
      plan: { ...replanned, reasons: [note, ...replanned.reasons] },
      wholeSerialMs: wholeSerialMs(input),
    },
    stretch,
  };
}

/** The prediction the run is checked against: the stretch as it ran, then the plan for the rest. */
function withStretch(
  plan: Plan,
  stretch: Stretch,
): Pick<Plan["predicted"], "wallMs" | "serialMs" | "speedup"> {
  const wallMs = stretch.wallMs + plan.predicted.wallMs;
  const serialMs = stretch.wallMs + plan.predicted.serialMs;
  return { wallMs, serialMs, speedup: wallMs > 0 ? serialMs / wallMs : 0 };
}

interface RunOutcome<R> {
  results: R[];
  errors: readonly Error[];
  report: ExecutionReport;
  times: Omit<CallTimes, "start">;
}

/**
 * A session learns from its parallel runs what an item takes in workers computing at once
 * (`WorkloadSample.contention`): on a busy machine their busy time holds their waits for
 * a core, which the run tells apart (`measureCpu`) where its chunks are long enough for
 * the two reads a chunk costs (~45 us here) to be lost in them.
 */
export const MEASURE_CPU_MIN_CHUNK_MS = 2;

/** Whether a session's run of `plan` measures its workers' waits for a core (see {@link MEASURE_CPU_MIN_CHUNK_MS}). */
export function learnsOwnTime(plan: Plan, itemMs: number): boolean {
  return plan.mode === "parallel" && plan.chunkSize * itemMs >= MEASURE_CPU_MIN_CHUNK_MS;
}

/**
 * A run on a session's lent pool: its workers measure their own time where the session
 * learns from it (see `learnsOwnTime`), and a serial plan (under isolation) runs one chunk
 * at a time, on one worker at a time, as a serial plan does, its waits for a core measured
 * (the session learns its item time from its chunks' own time).
 */
export function lentRunOptions(runOptions: RunOptions, plan: Plan, itemMs: number): RunOptions {
  if (learnsOwnTime(plan, itemMs)) runOptions.measureCpu = true;
  if (plan.mode === "serial") {
    runOptions.maxInFlight = 1;
    // Its waits for a core, where the run is long enough to pay for reading them.
    if ((plan.totalItems ?? Number.POSITIVE_INFINITY) * itemMs >= MEASURE_CPU_MIN_CHUNK_MS)
      runOptions.measureCpu = true;
  }
  return runOptions;
}

/** Runs the plan here over `data` (the prepared input, bounded), closing the executor whatever happens. */
async function runHere<R>(
  decision: Decision,
  data: TaskData,
  options: ExecuteOptions,
  executor: Executor,
  lent = false,
): Promise<RunOutcome<R>> {
  const { prepared, plan } = decision;
  const runOptions = runOptionsFor(plan, options, prepared, prepared.workload.totalItems);
  if (lent) lentRunOptions(runOptions, plan, prepared.workload.itemTimeMs.mean);
  const runStart = performance.now();
  let outcome: MapResult<R>;
  try {
    outcome = await executor.map<R>(taskOf(prepared.task), data, runOptions);
  } finally {
    if (!lent) await executor.close();
  }
  return { ...outcome, times: { runStart, runEnd: performance.now() } };
}

async function runOnBackend<R>(
  decision: Decision,
  options: ExecuteOptions,
  backend: RunBackend,
  chosen: BackendDecision,
  start: number,
  fence: SourceFence | undefined,
): Promise<ExecuteResult<R>> {
  const { prepared, plan } = decision;
  if (!isSyncIterable(prepared.data)) {
    throw new DataError("data: a run backend takes an array or an iterable, not an async iterable");
  }
  const runStart = performance.now();
  const limit = options.maxItems ?? MAX_COLLECTED_ITEMS;
  const data = guardedInput(prepared.data, { limit, ...(fence ? { fence } : {}) }) as Iterable<unknown>;
  const outcome = await backend.map(taskOf(prepared.task), data, {
    chunkSize: chosen.chunkSize,
    ...(options.onError ? { onError: options.onError } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress as BackendMapOptions["onProgress"] } : {}),
    precomputed: precomputedOf(prepared),
  });
  const times = { start, runStart, runEnd: performance.now() };
  const run = {
    results: outcome.results as R[],
    errors: outcome.errors,
    report: backendReport(outcome.report, chosen, outcome.errors),
  };
  const predicted = backendPrediction(chosen, plan.predicted.serialMs);
  return resultOf(decision, run, planCheck(predicted, decision.wholeSerialMs, times), times, {
    backend: { kind: backend.kind, decision: chosen },
  });
}

function resultOf<R>(
  decision: Decision,
  run: Omit<RunOutcome<R>, "times">,
  check: PlanCheck,
  times: CallTimes,
  extra: Pick<ExecuteResult<R>, "backend">,
): ExecuteResult<R> {
  const { report, errors } = mergeSampled(run, decision.prepared);
  return {
    results: run.results,
    errors,
    plan: decision.plan,
    report,
    check,
    overheadMs: decision.basis.overheadMs,
    wallMs: times.runEnd - times.start,
    optimized: decision.basis,
    ...extra,
  };
}

function isSyncIterable(data: unknown): data is Iterable<unknown> {
  return data != null && typeof (data as Iterable<unknown>)[Symbol.iterator] === "function";
}
