import { performance } from "node:perf_hooks";
import { planExecution } from "@amorsize/cost-model";
import { createExecutor, type Executor } from "@amorsize/executor";
import {
  type ExecuteOptions,
  ExecuteOptionsSchema,
  type ExecutionReport,
  type HardwareProfile,
  type Plan,
  type PlanConstraints,
  PlanConstraintsSchema,
  parseInput,
  type RunOptions,
  type TaskRefInput,
} from "@amorsize/types";
import { type BackendDecision, backendReport, type RunBackend } from "./backend.js";
import { DataError, ItemError } from "./errors.js";
import { type OptimizeResult, type OptimizerOverhead, optimize } from "./optimize.js";
import type { TaskData } from "./sample.js";

/** A first sampled item at least this slow, in a job at least this long, starts workers early. */
const EARLY_POOL_ITEM_MS = 1;
const EARLY_POOL_JOB_MS = 200;

/** Predicted against measured, for one run. */
export interface PlanCheck {
  /** The cost model's predicted wall time of the run (without optimizing), milliseconds. */
  predictedWallMs: number;
  /** Measured wall time of the run (without optimizing), milliseconds. */
  measuredWallMs: number;
  predictedSpeedup: number;
  /** The cost model's serial estimate over the measured run time. */
  measuredSpeedup: number;
  /** measured / predicted wall time: 1 is a perfect prediction. */
  ratio: number;
  /**
   * The same, end to end: what `execute()` expected the whole call to take once it had
   * decided (the time already spent deciding, measured, plus the run, predicted) and what
   * it took, against the model's serial estimate for the whole input.
   */
  endToEnd: {
    /** Measured time from the call to the start of the run: probe, spawn cost, sampling, planning. */
    decidedMs: number;
    predictedMs: number;
    measuredMs: number;
    /** The model's serial estimate for every item, sampled ones included. */
    serialMs: number;
    predictedSpeedup: number;
    measuredSpeedup: number;
  };
}

function endToEnd(decidedMs: number, runPredictedMs: number, measuredMs: number, serialMs: number) {
  const predictedMs = decidedMs + runPredictedMs;
  return {
    decidedMs,
    predictedMs,
    measuredMs,
    serialMs,
    predictedSpeedup: predictedMs > 0 ? serialMs / predictedMs : 0,
    measuredSpeedup: measuredMs > 0 ? serialMs / measuredMs : 0,
  };
}

export interface ExecuteResult<R> {
  /** Results in input order; under `onError: "collect"` a failed item's slot is `undefined`. */
  results: R[];
  /** Failed items (under `onError: "collect"`), by index. Each has `code` and `index`. */
  errors: Error[];
  plan: Plan;
  report: ExecutionReport;
  check: PlanCheck;
  /** Time spent deciding (probe, spawn cost, sampling, planning), milliseconds. */
  overheadMs: OptimizerOverhead;
  /** End-to-end wall time: optimizing and running, milliseconds. */
  wallMs: number;
  optimized: Omit<OptimizeResult, "data" | "precomputed" | "failures">;
  /** Set when a `backend` was given: what it decided (and, when `decision.use`, the run was there). */
  backend?: { kind: string; decision: BackendDecision };
}

/** The task as the executor should load it: by its resolved URL, so a relative path means the same everywhere. */
export function taskOf(optimized: Pick<OptimizeResult, "task">): { module: string; export: string } {
  return { module: optimized.task.url, export: optimized.task.export };
}

/** The executor for a plan: the calling thread for serial and concurrent plans, a pool for parallel. */
export function executorFor(plan: Plan, resourceLimits?: { maxOldGenerationSizeMb?: number }): Executor {
  switch (plan.mode) {
    case "serial":
      return createExecutor({ mode: "serial" });
    case "concurrent":
      return createExecutor({ mode: "serial", concurrency: plan.concurrency });
    case "parallel":
      return createExecutor({
        mode: "parallel",
        workers: plan.workers,
        ...(resourceLimits ? { resourceLimits } : {}),
      });
  }
}

/** The executor's run options for a plan and the caller's pass-through options. */
export function runOptionsFor(plan: Plan, options: ExecuteOptions, optimized: OptimizeResult): RunOptions {
  const run: RunOptions = {
    precomputed: new Map([
      ...optimized.precomputed,
      ...[...optimized.failures.keys()].map((k) => [k, undefined] as const),
    ]),
  };
  if (plan.mode === "parallel") {
    run.chunkSize = plan.adaptive ? "auto" : plan.chunkSize;
    run.maxInFlight = plan.maxInFlight;
  }
  // The whole input's length: the plan may cover only the items sampling left.
  const total = optimized.workload.totalItems;
  if (total !== null) run.totalItems = total;
  for (const key of ["ordered", "onError", "signal", "chunkTimeoutMs", "onProgress", "transfer"] as const) {
    if (options[key] !== undefined) (run as Record<string, unknown>)[key] = options[key];
  }
  return run;
}

/** Folds items that failed while sampled into the executor's report and error list. */
export function mergeSampleFailures(
  report: ExecutionReport,
  errors: Error[],
  failures: Map<number, unknown>,
): { report: ExecutionReport; errors: Error[] } {
  // Items sampled in this thread ran (while sampling): in execute()'s report they count
  // as succeeded or failed like any other item, not as precomputed.
  const ran = { ...report, succeeded: report.succeeded + report.precomputed, precomputed: 0 };
  if (failures.size === 0) return { report: ran, errors };
  const sampled = [...failures].map(([index, cause]) => new ItemError(index, cause));
  const merged = [...errors, ...sampled].sort(
    (a, b) => ((a as { index?: number }).index ?? 0) - ((b as { index?: number }).index ?? 0),
  );
  return {
    errors: merged,
    report: {
      ...ran,
      succeeded: ran.succeeded - failures.size,
      failed: report.failed + failures.size,
      errors: [
        ...report.errors,
        ...sampled.map((e) => ({ index: e.index, range: null, code: e.code, message: e.message })),
      ].sort((a, b) => (a.index ?? 0) - (b.index ?? 0)),
    },
  };
}

/**
 * The plan for what is left to run. Items sampled in this thread are done (their results,
 * or their failures under "collect", are kept), so when sampling ran a real share of the
 * input, the run is planned again for the items that remain: three 300 ms items of which
 * sampling ran one want two workers, not three. A pool started while sampling has part
 * of its start-up paid; it is kept when the model, crediting that part, finds it no
 * slower than a fresh pool of the planned size.
 */
export function planTheRest(
  optimized: OptimizeResult,
  options: ExecuteOptions,
  early?: { workers: number; startedMsAgo: number },
): Plan {
  const { plan, workload, hardware, spawnCost } = optimized;
  const total = workload.totalItems;
  const done = optimized.precomputed.size + optimized.failures.size;
  if (plan.mode === "serial" || total === null || done === 0 || done >= total) return plan;
  const remaining = total - done;
  // The caller's plan constraints, as optimize() passed them to the model.
  const constraints: PlanConstraints = {};
  for (const key of Object.keys(PlanConstraintsSchema.shape) as (keyof PlanConstraints)[]) {
    if (options[key] !== undefined) (constraints as Record<string, unknown>)[key] = options[key];
  }
  const input = { hardware, spawnCost, workload: { ...workload, totalItems: remaining }, constraints };
  let rest = planExecution(input);
  if (
    early &&
    !(rest.mode === "parallel" && rest.workers === early.workers) &&
    options.workers === undefined
  ) {
    const onEarly = planExecution({ ...input, constraints: { ...constraints, workers: early.workers } });
    if (onEarly.mode === "parallel") {
      const paid = Math.max(0, Math.min(early.startedMsAgo, onEarly.predicted.breakdown.startupMs));
      if (onEarly.predicted.wallMs - paid <= rest.predicted.wallMs) rest = onEarly;
    }
  }
  const note = {
    code: "SAMPLED_ITEMS_DONE",
    message: `${done} of ${total} items ran while sampling; this plan covers the ${remaining} that remain.`,
  };
  return { ...rest, reasons: [note, ...rest.reasons] };
}

/**
 * Decides how to run `task` over `data` and runs it that way. Returns the results in
 * input order, the plan, the executor's report, and the predicted and measured wall
 * times side by side.
 */
export async function execute<R = unknown>(
  task: TaskRefInput,
  data: TaskData,
  options: ExecuteOptions = {},
): Promise<ExecuteResult<R>> {
  const t0 = performance.now();
  const parsed = parseInput(ExecuteOptionsSchema, options, "options");
  options.signal?.throwIfAborted();
  const {
    ordered,
    onError,
    signal,
    chunkTimeoutMs,
    onProgress,
    transfer,
    backend: _backend,
    ...optimizeOptions
  } = parsed;
  const backend = parsed.backend as RunBackend | undefined;
  // Workers take tens of milliseconds to start. When the first sampled item already shows
  // work worth parallelising, start a pool of the usable cores now, while sampling goes on,
  // and use it if the plan asks for that many workers.
  let early: Executor | undefined;
  let earlyStartedAt = 0;
  const onFirstTiming = (itemMs: number, hardware: HardwareProfile, total: number | null) => {
    const cores = hardware.cores.usable.value;
    // Few items: the search gives each item left its own worker (up to twice the cores;
    // the timed item is done); many: the cores.
    const guess = total !== null && total <= 2 * cores ? total - 1 : cores;
    const wanted = parsed.workers ?? Math.min(guess, parsed.maxWorkers ?? guess);
    if (
      backend ||
      total === null ||
      wanted < 2 ||
      itemMs < EARLY_POOL_ITEM_MS ||
      itemMs * total < EARLY_POOL_JOB_MS
    )
      return;
    early = createExecutor({ mode: "parallel", workers: wanted });
    earlyStartedAt = performance.now();
  };
  let optimized: OptimizeResult;
  try {
    optimized = await optimize(task, data, optimizeOptions, {
      ...(onError ? { onError } : {}),
      ...(signal ? { signal } : {}),
      onFirstTiming,
    });
    signal?.throwIfAborted();
  } catch (error) {
    await early?.close();
    throw error;
  }
  const plan = backend
    ? optimized.plan
    : planTheRest(
        optimized,
        parsed,
        early ? { workers: early.workers, startedMsAgo: performance.now() - earlyStartedAt } : undefined,
      );
  const reuse = early !== undefined && !backend && plan.mode === "parallel" && plan.workers === early.workers;
  if (early && !reuse) await early.close();

  let decision: BackendDecision | undefined;
  // The backend decides for itself: a cluster can beat even a serial local plan (one core here).
  if (backend && plan.totalItems !== 0) {
    decision = await backend.plan({ workload: optimized.workload, localPlan: plan });
  }
  if (backend && decision?.use) {
    if (!isSyncIterable(optimized.data)) {
      throw new DataError("data: a run backend takes an array or an iterable, not an async iterable");
    }
    const t1 = performance.now();
    const outcome = await backend.map(taskOf(optimized), optimized.data, {
      chunkSize: decision.chunkSize,
      ...(onError ? { onError } : {}),
      precomputed: runOptionsFor(plan, parsed, optimized).precomputed as Map<number, unknown>,
    });
    const t2 = performance.now();
    const merged = mergeSampleFailures(
      backendReport(outcome.report, decision, outcome.errors),
      [...outcome.errors],
      optimized.failures,
    );
    const { data: _d, precomputed: _p, failures: _f, ...info } = optimized;
    return {
      results: outcome.results as R[],
      errors: merged.errors,
      plan,
      report: merged.report,
      check: {
        predictedWallMs: decision.predictedWallMs,
        measuredWallMs: t2 - t1,
        predictedSpeedup:
          decision.predictedWallMs > 0 ? plan.predicted.serialMs / decision.predictedWallMs : 0,
        measuredSpeedup: t2 - t1 > 0 ? plan.predicted.serialMs / (t2 - t1) : 0,
        ratio: decision.predictedWallMs > 0 ? (t2 - t1) / decision.predictedWallMs : 0,
        endToEnd: endToEnd(t1 - t0, decision.predictedWallMs, t2 - t0, plan.predicted.serialMs),
      },
      overheadMs: optimized.overheadMs,
      wallMs: t2 - t0,
      optimized: info,
      backend: { kind: backend.kind, decision },
    };
  }

  const executor = reuse && early ? early : executorFor(plan);
  const t1 = performance.now();
  let outcome: { results: R[]; errors: Error[]; report: ExecutionReport };
  try {
    outcome = (await executor.map(
      taskOf(optimized),
      optimized.data,
      runOptionsFor(plan, parsed, optimized),
    )) as {
      results: R[];
      errors: Error[];
      report: ExecutionReport;
    };
  } finally {
    await executor.close();
  }
  const t2 = performance.now();
  const { report, errors } = mergeSampleFailures(outcome.report, outcome.errors, optimized.failures);
  const { data: _data, precomputed: _precomputed, failures: _failures, ...rest } = optimized;
  const measuredWallMs = t2 - t1;
  return {
    results: outcome.results,
    errors,
    plan,
    report,
    check: {
      predictedWallMs: plan.predicted.wallMs,
      measuredWallMs,
      predictedSpeedup: plan.predicted.speedup,
      measuredSpeedup: measuredWallMs > 0 ? plan.predicted.serialMs / measuredWallMs : 0,
      ratio: plan.predicted.wallMs > 0 ? measuredWallMs / plan.predicted.wallMs : 0,
      endToEnd: endToEnd(t1 - t0, plan.predicted.wallMs, t2 - t0, optimized.plan.predicted.serialMs),
    },
    overheadMs: optimized.overheadMs,
    wallMs: t2 - t0,
    optimized: rest,
    ...(backend && decision ? { backend: { kind: backend.kind, decision } } : {}),
  };
}

function isSyncIterable(data: unknown): data is Iterable<unknown> {
  return data != null && typeof (data as Iterable<unknown>)[Symbol.iterator] === "function";
}
