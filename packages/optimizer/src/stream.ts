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
 * only as fast as results are consumed. Sampled items are not run twice.
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
  let plan: Plan | undefined;
  let optimizedInfo: OptimizedStream<R>["optimized"];
  let finalReport: ExecutionReport | undefined;
  let finalErrors: Error[] = [];
  let started = false;

  async function* run(): AsyncGenerator<StreamResult<R>> {
    const decision = await decide(task, source, parsed, performance.now());
    const { prepared } = decision;
    plan = decision.plan;
    optimizedInfo = decision.basis;
    const executor = executorFor(plan);
    try {
      const runOptions = runOptionsFor(plan, parsed, prepared, prepared.workload.totalItems);
      const results = executor.stream(taskOf(prepared.task), prepared.data, runOptions);
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
          finalReport = merged.report;
          finalErrors = merged.errors;
        } catch {
          // No report when the run failed before it started; the failure is what the caller sees.
        }
      }
    } finally {
      await executor.close();
    }
  }

  return {
    get plan() {
      return plan;
    },
    get optimized() {
      return optimizedInfo;
    },
    get errors() {
      return finalErrors;
    },
    report() {
      if (!finalReport)
        throw new ExecutorStateError("The stream's report is available once the stream has ended");
      return finalReport;
    },
    [Symbol.asyncIterator]() {
      if (started) throw new ExecutorStateError("An optimized stream can be iterated only once");
      started = true;
      return run();
    },
  };
}
