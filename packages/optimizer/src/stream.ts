import { performance } from "node:perf_hooks";
import {
  AmorsizeValidationError,
  type ExecuteOptions,
  ExecuteOptionsSchema,
  type ExecutionReport,
  type Plan,
  parseInput,
  type TaskRefInput,
} from "@amorsize/types";
import { ExecutorStateError } from "./errors.js";
import { decide, executorFor, runOptionsFor, taskOf } from "./execute.js";
import { guardedInput, type SourceFence } from "./guard.js";
import type { OptimizeBasis } from "./optimize.js";
import { mergeSampled } from "./report.js";
import type { TaskData } from "./sample.js";

/** One result of a stream: its input index and its value. */
export interface StreamResult<R> {
  index: number;
  value: R;
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
  const parsed = parseInput(ExecuteOptionsSchema, options, "options");
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
  let started = false;
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
    [Symbol.asyncIterator]() {
      if (started) throw new ExecutorStateError("An optimized stream can be iterated only once");
      started = true;
      return run<R>(task, source, parsed, state);
    },
  };
}

/** What an optimized stream learns as it goes, for its getters. */
interface StreamState {
  plan?: Plan;
  optimized?: OptimizeBasis;
  report?: ExecutionReport;
  errors: Error[];
}

async function* run<R>(
  task: TaskRefInput,
  source: TaskData,
  options: ExecuteOptions,
  state: StreamState,
): AsyncGenerator<StreamResult<R>> {
  const decision = await decide(task, source, options, performance.now(), { deferSourceError: true });
  const { prepared, plan } = decision;
  state.plan = plan;
  state.optimized = decision.basis;
  // The source's failure waits here while the executor runs and delivers every item before it.
  const fence: SourceFence = { failure: null };
  const executor = executorFor(plan);
  try {
    const runOptions = runOptionsFor(plan, options, prepared, prepared.workload.totalItems);
    const input = guardedInput(prepared.data, { fence });
    const results = executor.stream(taskOf(prepared.task), input, runOptions);
    try {
      for await (const result of results) {
        // Items that failed while sampled are placeholders in the executor's input.
        if (prepared.failures.has(result.index)) continue;
        yield result as StreamResult<R>;
      }
    } finally {
      // Also after an early break: the executor reports what ran until then.
      try {
        const merged = mergeSampled({ report: results.report(), errors: results.errors }, prepared);
        state.report = merged.report;
        state.errors = merged.errors;
      } catch {
        // No report when the run failed before it started; the failure is what the caller sees.
      }
    }
  } finally {
    await executor.close();
  }
  if (fence.failure !== null) throw fence.failure;
}
