// `amorsize run`: decides, runs, and prints each result as a JSON line in input order as
// soon as it and those before it are done.
import { constants } from "node:os";
import { performance } from "node:perf_hooks";
import type { Writable } from "node:stream";
import {
  type ExecuteOptions,
  ExecuteOptionsSchema,
  type ExecutionReport,
  ExecutionReportSchema,
  parseInput,
  type Warning,
} from "@amorsize/types";
import { type CliIo, optimizerOptions, readInput, taskArgument, type Values } from "./cli-args.js";
import { ProgressDisplay } from "./cli-progress.js";
import { predictionAtCount } from "./decide.js";
import { AmorsizeOptimizerError, UsageError } from "./errors.js";
import type { OptimizeBasis } from "./optimize.js";
import { encodeResult, errorsInOrder, ResultNotPrintableError, withUnprintable } from "./output.js";
import { LineWriter, type OutFile, OutputError, openOutFile } from "./output-sink.js";
import { isolated } from "./prepare.js";
import { planCheck } from "./report.js";
import { hostedStream, type OptimizedStream } from "./stream.js";

/**
 * The warnings of the plan cache and of the spawn-cost cache (not cached, cannot be
 * written...), each once: what makes a run slower than it needs to be, every time.
 */
export function cacheWarnings(basis: Pick<OptimizeBasis, "warnings" | "spawnCost">): Warning[] {
  const spawnCost = basis.spawnCost.warnings.filter(
    (w) => w.code.startsWith("AMORSIZE_SPAWN_COST_CACHE_") || w.code === "AMORSIZE_SPAWN_COST_NOT_CACHED",
  );
  const seen = new Set<string>();
  return [...basis.warnings, ...spawnCost].filter((w) => {
    const key = `${w.code}\n${w.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * A progress line on standard error when it is a terminal and the results do not go to
 * that terminal too (their lines would run into it): --out, or standard output redirected.
 */
function progressDisplay(io: CliIo, toFile: boolean): ProgressDisplay | undefined {
  if (!io.stderr.isTTY || (!toFile && io.stdout.isTTY)) return undefined;
  return new ProgressDisplay(io.stderr);
}

/**
 * Runs `amorsize run`. The --out destination is opened first, so one that cannot be
 * written fails before anything runs; it is put in place only when the run went to its
 * end (failed items under `collect` included), and left as it was otherwise.
 */
export async function commandRun(positionals: string[], values: Values, io: CliIo): Promise<number> {
  const task = taskArgument(positionals, "run");
  const options = optimizerOptions(values);
  if (values["serial-here"] === true && isolated(options))
    throw new UsageError(
      "--serial-here runs a serial plan in this process: not with --isolate, --chunk-timeout or --max-memory-mb",
    );
  // Sampled items run in a worker: one that exits, aborts or runs out of memory fails as
  // that item (under --on-error collect) instead of ending this process.
  options.sample = { ...options.sample, isolate: true };
  // Listening before the temporary file exists, so that no signal finds it unguarded.
  const stopSignals = values.out === undefined ? undefined : abortOnSignals(options);
  let file: OutFile | undefined;
  try {
    file = values.out === undefined ? undefined : await openOutFile(values.out);
    options.signal?.throwIfAborted();
    const items = await readInput(values, io);
    options.signal?.throwIfAborted();
    const progress = progressDisplay(io, file !== undefined);
    if (progress) options.onProgress = progress.update;
    const start = performance.now();
    // The command's thread does nothing else: a serial plan runs on the sampling worker
    // when that is sooner, the task imported and warm there, not here. Its chunks complete
    // in order, and a failing one gives its results before the failing item (those before
    // an item that crashed the worker run again): under throw, every line before the
    // failure is printed either way (here a crash ended the command).
    const parsed = parseInput(ExecuteOptionsSchema, options, "options");
    const local = { serialOnSampler: values["serial-here"] !== true };
    const results = hostedStream(task, items, parsed, undefined, local);
    const out = file
      ? { stream: file.stream, where: file.where }
      : { stream: io.stdout as Writable, where: "standard output" };
    let unprintable: ResultNotPrintableError[];
    try {
      unprintable = await printResults(results, items.length, new LineWriter(out.stream, out.where));
    } finally {
      // Erased, so that the summary or a failure message starts on a clean line.
      progress?.clear();
    }
    if (file) {
      // A signal that came while an item held this thread is heard once the loop turns,
      // which can be after the last item: the run was stopped all the same, FILE kept.
      await new Promise((resolve) => setImmediate(resolve));
      options.signal?.throwIfAborted();
    }
    await file?.commit();
    const run = { results, unprintable, start, end: performance.now() };
    io.stderr.write(values.json ? jsonSummary(run) : textSummary(run));
    return run.results.report().failed + unprintable.length > 0 ? 1 : 0;
  } catch (error) {
    await file?.discard();
    throw error;
  } finally {
    stopSignals?.();
  }
}

/** The run was stopped by a signal (Ctrl-C): it exits with 128 + the signal's number, as the shell expects. */
export class InterruptedError extends AmorsizeOptimizerError {
  override readonly name = "InterruptedError";
  readonly exitCode: number;
  constructor(signal: "SIGINT" | "SIGTERM") {
    super("AMORSIZE_INTERRUPTED", `interrupted by ${signal}; --out left as it was`);
    this.exitCode = 128 + constants.signals[signal];
  }
}

/**
 * While --out's temporary file exists, the first SIGINT or SIGTERM aborts the run, so
 * that the file is removed, instead of ending the process at once (a second one does).
 * Returns what stops listening.
 */
function abortOnSignals(options: ExecuteOptions): () => void {
  const controller = new AbortController();
  options.signal = controller.signal;
  const listeners = (["SIGINT", "SIGTERM"] as const).map((signal) => {
    const listener = () => {
      stop();
      controller.abort(new InterruptedError(signal));
    };
    process.once(signal, listener);
    return [signal, listener] as const;
  });
  const stop = () => {
    for (const [signal, listener] of listeners) process.off(signal, listener);
  };
  return stop;
}

/**
 * Writes one line per item, in input order, as results come: `null` for an item that
 * failed (under `collect`, the stream skips it) and for a result JSON cannot hold, which
 * is returned as that item's error. When the run fails (an item under `throw`, its source),
 * the results it gave before (see the executor's stream) are written first: their lines
 * waited in the writer for the loop to turn, and 4,321 items of which the last failed
 * printed 4,096 lines.
 */
async function printResults(
  results: OptimizedStream<unknown>,
  total: number,
  writer: LineWriter,
): Promise<ResultNotPrintableError[]> {
  const unprintable: ResultNotPrintableError[] = [];
  const printed = { next: 0 };
  const iterator = results[Symbol.asyncIterator]();
  let ended = false;
  try {
    for (;;) {
      // Results already computed come a block at a time: a promise per result cost more
      // than writing it (5 M trivial items: ~3 s of 5).
      let ready = results.readReady();
      if (ready.length === 0) {
        const step = await iterator.next();
        if (step.done) break;
        ready = [step.value];
      }
      await printReady(ready, writer, printed, unprintable);
    }
    ended = true;
  } catch (error) {
    // The lines of the results before a failure wait in the writer: written before it is told.
    if (!(error instanceof OutputError)) await writer.finish().catch(() => undefined);
    throw error;
  } finally {
    // Leaving early (a write failed) stops the run, as leaving a for-await loop would.
    if (!ended) await iterator.return?.();
  }
  for (; printed.next < total; printed.next++) await writer.add("null");
  await writer.finish();
  return unprintable;
}

/** Writes results in order after those written (`printed.next`), `null` for the indices between. */
async function printReady(
  ready: readonly { index: number; value: unknown }[],
  writer: LineWriter,
  printed: { next: number },
  unprintable: ResultNotPrintableError[],
): Promise<void> {
  for (const { index, value } of ready) {
    for (; printed.next < index; printed.next++) await writer.add("null");
    let line = encodeResult(value);
    if (typeof line !== "string") {
      unprintable.push(new ResultNotPrintableError(index, line.problem));
      line = "null";
    }
    // Awaited only when the writer says so: an await per result would cost more than the result.
    const wait = writer.add(line);
    if (wait) await wait;
    printed.next = index + 1;
  }
}

interface FinishedRun {
  results: OptimizedStream<unknown>;
  unprintable: ResultNotPrintableError[];
  /** When the run was asked for and when its last result was written, `performance.now()`. */
  start: number;
  end: number;
}

/** What the run did, once it has ended: the plan, the report, the prediction beside the measure. */
function summaryOf({ results, unprintable, start, end }: FinishedRun) {
  const plan = results.plan!;
  const basis = results.optimized!;
  const report: ExecutionReport = withUnprintable(
    ExecutionReportSchema.parse(results.report(), { jitless: true }),
    unprintable,
  );
  const { hardware, spawnCost, workload, overheadMs } = basis;
  const times = { start, runStart: start + overheadMs.total, runEnd: end };
  // A plan made without the item count is checked against the count that ran (the CLI's
  // inputs are read whole today, so its plans know the count: this keeps the check right if
  // one is streamed).
  const counted = predictionAtCount(
    { hardware, spawnCost, workload },
    plan,
    report.items - report.precomputed,
    report.items,
  );
  const check = planCheck(counted.predicted, counted.wholeSerialMs, times);
  return { plan, report, check, overheadMs, warnings: cacheWarnings(basis) };
}

function jsonSummary(run: FinishedRun): string {
  return `${JSON.stringify(summaryOf(run))}\n`;
}

/** A line, the first errors, and the cache's warnings. */
function textSummary(run: FinishedRun): string {
  const { plan, report, check, overheadMs, warnings } = summaryOf(run);
  const shape = plan.mode === "parallel" ? ` x${plan.workers}, chunk ${plan.chunkSize}` : "";
  const errors = errorsInOrder(run.results.errors, run.unprintable)
    .slice(0, 10)
    .map((e) => `  ${(e as { code?: string }).code ?? "ERROR"}: ${e.message}\n`);
  return (
    `${plan.mode}${shape}: ${report.succeeded} ok, ${report.failed} failed in ${(run.end - run.start).toFixed(0)} ms ` +
    `(run ${check.measuredWallMs.toFixed(0)} ms, predicted ${check.predictedWallMs.toFixed(0)} ms; ` +
    `optimizing ${overheadMs.total.toFixed(0)} ms)\n${errors.join("")}` +
    warnings.map((w) => `warning ${w.code}: ${w.message}\n`).join("")
  );
}
