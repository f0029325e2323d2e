import { performance } from "node:perf_hooks";
import type { Executor, ResultStream } from "@amorsize/executor";
import {
  AmorsizeValidationError,
  type ExecuteOptions,
  ExecuteOptionsSchema,
  type ExecutionReport,
  type Plan,
  parseInput,
  type TaskRefInput,
} from "@amorsize/types";
import { predictionAtCount, serialSoonerOnSampler } from "./decide.js";
import { KeptSampler } from "./early-pool.js";
import { ExecutorStateError } from "./errors.js";
import {
  type Decision,
  decide,
  dropContradictedFigures,
  executorFor,
  type Hosted,
  lentRunOptions,
  runOptionsFor,
  taskOf,
} from "./execute.js";
import { guardedInput, type SourceFence } from "./guard.js";
import type { OptimizeBasis } from "./optimize.js";
import { isolated } from "./prepare.js";
import { mergeSampled } from "./report.js";
import type { TaskData } from "./sample.js";

/**
 * How a stream that is not a session's runs. `serialOnSampler`: a serial plan whose sample
 * ran in a worker runs on that worker when the cost model says it is sooner there than in
 * the calling thread, which has not imported the task (see `serialSoonerOnSampler`): the
 * command's choice, whose own thread does nothing else; a caller of `stream()` gets a
 * serial plan in its thread, as documented.
 */
export interface LocalRun {
  serialOnSampler?: boolean;
}

/** One result of a stream: its input index and its value. */
export interface StreamResult<R> {
  index: number;
  value: R;
}

/**
 * What a stream's plan predicted for the items its run ran, from its merged report: that
 * report counts the items sampling ran among its own (as run, not precomputed), and the
 * plan covers the ones after them.
 */
export function streamPredictedWallMs(decision: Decision, report: ExecutionReport): number {
  return streamPrediction(decision, report).wallMs;
}

/** What a stream's plan predicted for the items its run ran (see `streamPredictedWallMs`), and for a loop over them. */
function streamPrediction(decision: Decision, report: ExecutionReport): { wallMs: number; serialMs: number } {
  const { precomputed, failures } = decision.prepared;
  const ran = Math.max(0, report.items - precomputed.size - failures.size);
  return predictionAtCount(decision.input, decision.plan, ran).predicted;
}

/** Results as they come, plus the plan and, once the stream has ended, the report. */
export interface OptimizedStream<R> extends AsyncIterable<StreamResult<R>> {
  /** The plan, once the first result was asked for (undefined before): for the items sampling left. */
  readonly plan: Plan | undefined;
  /** What the plan rested on, once planned. */
  readonly optimized: OptimizeBasis | undefined;
  /** The executor's report; throws until the stream has ended (read to its end, or left early). */
  report(): ExecutionReport;
  /** Items that failed (under `onError: "collect"`), by index, once the stream has ended. */
  readonly errors: readonly Error[];
  /**
   * The results already computed, in the order the iterator gives them, up to `max`
   * (default 65,536), without waiting: an empty array when none is ready (before the
   * first result was asked for, too), or once the run has stopped; then await the
   * iterator's `next()`. A consumer of millions of small results takes them a block at a
   * time instead of paying a promise per result.
   */
  readReady(max?: number): StreamResult<R>[];
}

/**
 * Decides how to run `task` over an (async) iterable and yields the results as they are
 * ready, in input order unless `ordered: false`, with bounded memory: the source is read
 * only as fast as results are consumed. Sampled items are not run twice. A source that
 * fails (even while sampled) ends the stream with a `SourceError` naming the item, after
 * every result before it was delivered.
 */
export function stream<R = unknown>(
  task: TaskRefInput,
  source: TaskData,
  options: ExecuteOptions = {},
): OptimizedStream<R> {
  return hostedStream<R>(task, source, parseInput(ExecuteOptionsSchema, options, "options"));
}

/** stream() once its options are parsed, in a session when `hosted` is given. */
export function hostedStream<R>(
  task: TaskRefInput,
  source: TaskData,
  parsed: ExecuteOptions,
  hosted?: HostedStream,
  local: LocalRun = {},
): OptimizedStream<R> {
  if (parsed.backend !== undefined) {
    throw new AmorsizeValidationError([
      "options.backend: stream() runs on this machine; use execute() with a backend",
    ]);
  }
  if (parsed.maxItems !== undefined) {
    throw new AmorsizeValidationError([
      "options.maxItems: stream() keeps no results, so it takes inputs of any length; the bound is execute()'s",
    ]);
  }
  const state: StreamState = { errors: [] };
  let run: StreamRun<R> | undefined;
  return {
    get plan() {
      return state.plan;
    },
    get optimized() {
      return state.optimized;
    },
    get errors() {
      return state.errors;
    },
    report() {
      if (!state.report)
        throw new ExecutorStateError("The stream's report is available once the stream has ended");
      return state.report;
    },
    readReady(max?: number) {
      return run === undefined ? [] : run.readReady(max);
    },
    [Symbol.asyncIterator]() {
      if (run !== undefined) throw new ExecutorStateError("An optimized stream can be iterated only once");
      run = new StreamRun<R>(task, source, parsed, state, hosted, local);
      return run;
    },
  };
}

/** A session's part in a stream: what it lends (see `Hosted`), and what it is told once the stream has ended. */
export interface HostedStream extends Hosted {
  /** Awaited before the stream decides (on its first `next()`): the session fills in its part and names the task's version to run. */
  ready?: () => Promise<TaskRefInput>;
  /** Called once, when the stream ends, with its decision (none if it failed before) and report (none if it failed before it ran). */
  ended?: (decision: Decision | null, report: ExecutionReport | undefined) => void;
}

/** What an optimized stream learns as it goes, for its getters. */
interface StreamState {
  plan?: Plan;
  optimized?: OptimizeBasis;
  report?: ExecutionReport;
  errors: Error[];
}

/**
 * One optimized stream's run: decides on the first `next()`, then hands out the executor's
 * results (leaving out the placeholders of items that failed while sampled), and on the
 * way out records the report and closes the executor. An explicit iterator rather than an
 * async generator, so that `readReady` can take ready results a block at a time: 5 M
 * trivial results took ~3 s more through a generator re-yielding each one.
 */
class StreamRun<R> implements AsyncIterator<StreamResult<R>, undefined> {
  private setup: Promise<void> | null = null;
  private results: ResultStream<unknown> | null = null;
  private executor: Executor | null = null;
  private prepared: Decision["prepared"] | null = null;
  private decision: Decision | null = null;
  /** The session's pool runs this stream: it is not closed at the end. */
  private lent = false;
  /** The source's failure waits here while the executor runs and delivers every item before it. */
  private readonly fence: SourceFence = { failure: null };
  private finished: Promise<void> | null = null;

  constructor(
    private readonly task: TaskRefInput,
    private readonly source: TaskData,
    private readonly options: ExecuteOptions,
    private readonly state: StreamState,
    private readonly hosted?: HostedStream,
    private readonly local: LocalRun = {},
  ) {}

  async next(): Promise<IteratorResult<StreamResult<R>, undefined>> {
    if (this.finished !== null) {
      await this.finished;
      return { done: true, value: undefined };
    }
    try {
      this.setup ??= this.start();
      await this.setup;
      const results = this.results!;
      const failedWhileSampled = this.prepared!.failures;
      for (;;) {
        const next = await results.next();
        if (next.done) break;
        // Items that failed while sampled are placeholders in the executor's input.
        if (!failedWhileSampled.has(next.value.index)) return next as IteratorResult<StreamResult<R>>;
      }
    } catch (error) {
      await this.finish();
      throw error;
    }
    await this.finish();
    if (this.fence.failure !== null) throw this.fence.failure;
    return { done: true, value: undefined };
  }

  readReady(max?: number): StreamResult<R>[] {
    if (this.results === null || this.finished !== null) return [];
    const ready = this.results.readReady(max) as StreamResult<R>[];
    const failedWhileSampled = this.prepared!.failures;
    return failedWhileSampled.size === 0 ? ready : ready.filter((r) => !failedWhileSampled.has(r.index));
  }

  /** Leaving early (`break`): the executor stops the run and reports what ran until then. */
  async return(): Promise<IteratorResult<StreamResult<R>, undefined>> {
    if (this.results !== null && this.finished === null) await this.results.return?.();
    await this.finish();
    return { done: true, value: undefined };
  }

  private async start(): Promise<void> {
    const task = (await this.hosted?.ready?.()) ?? this.task;
    // A guarded sample's worker, warm, runs a serial plan under isolation, or where the
    // command asked when sooner (see `KeptSampler`, `onSampler`); otherwise nothing would
    // take it, and it closes when sampling ends.
    const keeps = isolated(this.options) || this.local.serialOnSampler === true;
    const sampler = this.hosted || !keeps ? undefined : new KeptSampler();
    const decision = await decide(task, this.source, this.options, performance.now(), {
      deferSourceError: true,
      streamed: true,
      ...(this.hosted ? { hosted: this.hosted } : { sampler }),
    });
    const { prepared, plan } = decision;
    this.state.plan = plan;
    this.state.optimized = decision.basis;
    this.prepared = prepared;
    this.decision = decision;
    const lent = this.hosted?.executor?.(plan, this.options);
    this.lent = lent !== undefined;
    const warm = await sampler?.take(plan, this.onSampler(decision));
    this.executor = lent ?? warm ?? executorFor(plan, this.options);
    const total = prepared.workload.totalItems;
    const runOptions = runOptionsFor(plan, this.options, prepared, total, warm !== undefined);
    if (this.lent) lentRunOptions(runOptions, plan, prepared.workload.itemTimeMs.mean);
    const input = guardedInput(prepared.data, { fence: this.fence });
    this.results = this.executor.stream(taskOf(prepared.task), input, runOptions);
  }

  /**
   * Whether a serial plan runs on the worker that sampled the task: under isolation, or
   * where the command asked for it when sooner (see `serialSoonerOnSampler`; a model that
   * cannot price it keeps the plan here).
   */
  private onSampler(decision: Decision): boolean {
    if (isolated(this.options)) return true;
    const { plan, prepared } = decision;
    if (this.local.serialOnSampler !== true || plan.mode !== "serial" || plan.totalItems === null)
      return false;
    const ran = prepared.precomputed.size + prepared.failures.size;
    try {
      return serialSoonerOnSampler(decision.input, plan.totalItems, ran);
    } catch {
      return false;
    }
  }

  /**
   * Cached figures this stream's run contradicted are dropped, as `execute()` drops them:
   * read from the items' own time over the workers (a stream's wall time holds its
   * consumer's waits), and only when that is slow (the prediction holds start-up that the
   * items' time does not).
   */
  private async dropContradicted(decision: Decision, run: ExecutionReport): Promise<void> {
    const { wallMs: predictedWallMs, serialMs: predictedSerialMs } = streamPrediction(decision, run);
    const measuredWallMs = run.busyMs / Math.max(1, run.workers);
    if (measuredWallMs <= predictedWallMs) return;
    await dropContradictedFigures(decision, {
      measuredWallMs,
      predictedWallMs,
      predictedSerialMs,
      parallel: decision.plan.mode === "parallel",
      aborted: run.aborted,
      warnings: decision.basis.warnings,
    });
  }

  /** Once: the merged report and errors, then the executor closed. */
  private finish(): Promise<void> {
    this.finished ??= (async () => {
      if (this.results !== null) {
        try {
          const merged = mergeSampled(
            { report: this.results.report(), errors: this.results.errors },
            this.prepared!,
          );
          this.state.report = merged.report;
          this.state.errors = merged.errors;
        } catch {
          // No report when the run failed before it started; the failure is what the caller sees.
        }
        if (this.hosted === undefined && this.decision !== null && this.state.report !== undefined) {
          await this.dropContradicted(this.decision, this.state.report);
        }
      }
      if (!this.lent) await this.executor?.close();
      this.hosted?.ended?.(this.decision, this.state.report);
    })();
    return this.finished;
  }
}
