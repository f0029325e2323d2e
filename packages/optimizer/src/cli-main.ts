import { performance } from "node:perf_hooks";
import { explain } from "@amorsize/cost-model";
import { createExecutor, type Executor } from "@amorsize/executor";
import { formatHardwareProfile, probeHardware } from "@amorsize/hardware-probe";
import { defaultCacheDir, measureSpawnCost } from "@amorsize/spawn-cost";
import {
  CompareReportSchema,
  HardwareProfileSchema,
  messageOf,
  PlanSchema,
  type RunOptions,
  type SpawnCostProfile,
  SpawnCostProfileSchema,
  type Warning,
} from "@amorsize/types";
import {
  type CliIo,
  noArguments,
  optimizerOptions,
  parseCli,
  positiveInt,
  readInput,
  taskArgument,
  type Values,
} from "./cli-args.js";
import { cacheWarnings, commandRun, InterruptedError } from "./cli-run.js";
import { compareRows, compareStrategies, predictedMs, type Strategy } from "./compare.js";
import { UsageError } from "./errors.js";
import { executorFor, runOptionsFor, taskOf } from "./execute.js";
import { formatPlan, formatTable } from "./format.js";
import { type OptimizeResult, optimize } from "./optimize.js";
import { OutputError } from "./output-sink.js";

export type { CliIo };
export { UsageError };

function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin };
}

const COMMON_HELP = `Input (one of):
  --data FILE        a JSON array, or JSON lines (.jsonl / .ndjson), one item per line
  --stdin            read a JSON array or JSON lines from standard input (it must not
                     be empty: give [] for no items)
  --range N          the numbers 0 .. N-1
Options:
  --max-workers N    use at most N workers
  --min-speedup X    run in parallel only if at least X times faster (default 1.2)
  --chunk-size N     fix the items per task
  --chunk-timeout MS fail a chunk (and a sampled item) that runs longer than MS; implies --isolate
  --max-memory-mb MB heap limit of each worker (an item past it fails as that item); implies --isolate
  --isolate          never run the task in this process: sampled items and a serial plan
                     run in a worker, so an item that exits or aborts fails as that item
  --no-cache         neither read nor write the plan cache
  --json             machine-readable output
  -h, --help         this help`;

const HELP: Record<string, string> = {
  main: `amorsize: decide how to parallelise a function over worker threads, then run it that way.

Usage: amorsize <command> [options]

Commands:
  probe                       what this machine can give (cores, quota, memory)
  calibrate                   measure what parallelism costs here and cache it
  optimize <module#export>    decide: serial or parallel, workers, chunk size, and why
  explain <module#export>     the decision explained step by step
  run <module#export>         decide and run; results as JSON lines
  compare <module#export>     run the plan against serial, one task per item and alternatives
  worker --redis URL          serve chunks of cluster runs on this host (needs @amorsize/cluster)

Run "amorsize <command> --help" for a command's options and an example.`,
  probe: `Usage: amorsize probe [--json]

Prints the cores (logical, affinity, physical, quota, usable) and memory this process can use.

Example:
  amorsize probe --json`,
  calibrate: `Usage: amorsize calibrate [--refresh] [--budget MS] [--json]

Measures worker start-up, dispatch and structured-clone costs on this machine and caches them.
  --refresh          measure even if a valid cached profile exists
  --budget MS        time budget of the measurement (default 600)

Example:
  amorsize calibrate --refresh`,
  optimize: `Usage: amorsize optimize <module#export> (--data FILE | --stdin | --range N) [options]

Samples the task, models the run, and prints the plan.

${COMMON_HELP}

Example:
  amorsize optimize ./hash.js#sha256 --data items.json`,
  explain: `Usage: amorsize explain <module#export> (--data FILE | --stdin | --range N) [options]

Like optimize, then explains the decision term by term. Sampled items run in a worker; one
still running at the sampling budget + 800 ms is cut off and taken as at least that slow,
so the answer always comes.

${COMMON_HELP}

Example:
  amorsize explain ./fib.js#fib --range 5000`,
  run: `Usage: amorsize run <module#export> (--data FILE | --stdin | --range N) [--out FILE] [options]

Decides and runs. Each result is printed as one JSON line, in input order, as soon as it
and those before it are done, to standard output or to --out FILE; the report and any
cache warnings go to standard error at the end (--json: as JSON). Sampled items always run
in a worker, so one that exits, aborts or runs out of memory fails as that item.
  --on-error MODE    throw (default): stop at the first failure (the results before it
                     are printed); collect: finish the rest, a failed item's line is null
  --out FILE         write to a new file beside FILE and rename it over FILE once the run
                     ended; a failed or interrupted (Ctrl-C) run leaves FILE as it was.
                     FILE is checked before the run. A device or FIFO is written in place.

How values are printed: JSON as it is when it reads back the same: null, true/false,
finite numbers (-0 as 0), strings, arrays and plain objects of these. A result JSON
cannot hold exactly (undefined, a BigInt, NaN, Infinity, a Map, Set, Date or other
built-in object, a function, an array with holes, a circular reference, an object with
toJSON()) is printed as null and reported as that item's error,
AMORSIZE_RESULT_NOT_PRINTABLE, with its index; the other results are kept (exit code 1).

When standard output's reader goes away (| head -1) the run stops quietly, exit code 141
as for SIGPIPE; an output that cannot be written (disk full) is one line, exit code 1.

${COMMON_HELP}

Example:
  amorsize run ./fib.js#fib --range 5000 --out results.jsonl`,
  compare: `Usage: amorsize compare <module#export> (--data FILE | --stdin | --range N) [--repeat N] [options]

Runs the plan against serial, one task per item, Pool.map's default chunking and nearby
alternatives on this machine, and prints predicted and measured times side by side.
  --repeat N         runs of each strategy; the median is shown (default 1)

${COMMON_HELP}

Example:
  amorsize compare ./fib.js#fib --range 2000 --repeat 3`,
};

function printer(out: NodeJS.WritableStream): (text: string) => void {
  return (text) => {
    out.write(text.endsWith("\n") ? text : `${text}\n`);
  };
}

async function commandProbe(values: Values, io: CliIo): Promise<void> {
  const profile = await probeHardware();
  printer(io.stdout)(
    values.json
      ? JSON.stringify(HardwareProfileSchema.parse(profile), null, 2)
      : formatHardwareProfile(profile),
  );
}

async function commandCalibrate(values: Values, io: CliIo): Promise<void> {
  const budgetMs = positiveInt(values.budget, "--budget");
  const hardware = await probeHardware();
  const profile = await measureSpawnCost({
    hardware,
    cacheDir: defaultCacheDir(),
    refresh: values.refresh === true,
    ...(budgetMs === undefined ? {} : { budgetMs }),
  });
  const print = printer(io.stdout);
  if (values.json) return print(JSON.stringify(SpawnCostProfileSchema.parse(profile), null, 2));
  print(
    `Spawn cost (${profile.source}${profile.cachePath ? `, ${profile.cachePath}` : ""}, ${profile.durationMs.toFixed(0)} ms)`,
  );
  print(formatTable(["figure", "value"], spawnCostRows(profile)));
  printWarnings(print, profile.warnings);
}

function spawnCostRows(profile: SpawnCostProfile): string[][] {
  const f = (x: { value: number; provenance: string }, digits = 1) =>
    `${x.value.toFixed(digits)} (${x.provenance})`;
  return [
    ["worker start, fixed", `${f(profile.workerStart.fixedMs)} ms`],
    ["worker start, per worker", `${f(profile.workerStart.perWorkerMs)} ms`],
    ["dispatch latency", `${f(profile.dispatch.latencyUs)} us`],
    ["dispatch per task in flight", `${f(profile.dispatch.throughputUs)} us`],
    ...Object.entries(profile.clone).map(([kind, c]) => [
      `clone ${kind}`,
      `${f(c.perItemUs, 2)} us/item + ${f(c.perByteNs, 3)} ns/byte`,
    ]),
  ];
}

async function commandOptimize(
  positionals: string[],
  values: Values,
  mode: "optimize" | "explain",
  io: CliIo,
): Promise<void> {
  const task = taskArgument(positionals, mode);
  const items = await readInput(values, io);
  const { onError: _ignored, ...options } = optimizerOptions(values);
  const result = await optimize(task, items, options);
  const print = printer(io.stdout);
  if (values.json) {
    const out = {
      plan: PlanSchema.parse(result.plan),
      workload: result.workload,
      workloadSource: result.workloadSource,
      overheadMs: result.overheadMs,
      warnings: cacheWarnings(result),
    };
    if (mode === "explain") Object.assign(out, { explanation: explain(result.plan) });
    return print(JSON.stringify(out, null, 2));
  }
  print(
    mode === "explain" ? explain(result.plan) : formatPlan(result.plan, result.workload, result.overheadMs),
  );
  printWarnings(print, cacheWarnings(result));
}

function printWarnings(print: (text: string) => void, warnings: readonly Warning[]): void {
  for (const w of warnings) print(`warning ${w.code}: ${w.message}`);
}

async function commandCompare(positionals: string[], values: Values, io: CliIo): Promise<void> {
  const task = taskArgument(positionals, "compare");
  const items = await readInput(values, io);
  const repeat = positiveInt(values.repeat, "--repeat") ?? 1;
  const { onError: _ignored, ...options } = optimizerOptions(values);
  // Compare without reusing sampled results, so every strategy runs every item.
  const optimized = await optimize(task, items, options);
  const { plan, hardware, spawnCost, workload } = optimized;
  const strategies = compareStrategies(
    plan,
    items.length,
    hardware.cores.usable.value,
    hardware.cores.affinity.value ?? hardware.cores.usable.value,
  );
  const predicted = strategies.map((s) => predictedMs(s, plan, { hardware, spawnCost, workload }));
  const times: number[][] = strategies.map(() => []);
  for (let r = 0; r < repeat; r++) {
    for (const [i, s] of strategies.entries()) times[i]!.push(await timeStrategy(s, optimized, items));
  }
  const rows = compareRows(strategies, predicted, times);
  const print = printer(io.stdout);
  if (values.json) {
    // The report's schema has no warnings (yet): they are in the text output only.
    return print(
      JSON.stringify(CompareReportSchema.parse({ plan, items: items.length, repeat, rows }), null, 2),
    );
  }
  print(`${items.length} items, ${repeat} run(s) each, median wall time (pool start-up included)`);
  const cells = rows.map((r) => [
    r.strategy,
    r.workers === 0 ? "-" : String(r.workers),
    r.chunkSize === null ? "-" : String(r.chunkSize),
    r.predictedMs.toFixed(1),
    r.measuredMs.toFixed(1),
    `${r.speedup.toFixed(2)}x`,
  ]);
  print(formatTable(["strategy", "workers", "chunk", "predicted ms", "measured ms", "vs serial"], cells));
  printWarnings(print, cacheWarnings(optimized));
}

/** One timed run of a strategy over every item, its executor's start-up included, milliseconds. */
async function timeStrategy(
  strategy: Strategy,
  optimized: OptimizeResult,
  items: unknown[],
): Promise<number> {
  const { plan } = optimized;
  let executor: Executor;
  let options: RunOptions;
  if (strategy.kind === "pool") {
    executor = createExecutor({ mode: "parallel", workers: strategy.workers });
    options = { chunkSize: strategy.chunkSize ?? 1 };
  } else if (strategy.kind === "plan") {
    executor = executorFor(plan);
    options = runOptionsFor(plan, {}, { precomputed: new Map(), failures: new Map() }, items.length);
  } else {
    executor = createExecutor({ mode: "serial" });
    options = {};
  }
  const t0 = performance.now();
  try {
    await executor.map(taskOf(optimized.task), items, options);
  } finally {
    await executor.close();
  }
  return performance.now() - t0;
}

/** What `@amorsize/cluster/cli` exports. */
export interface ClusterCli {
  main(argv: string[]): Promise<number>;
}

/**
 * `amorsize worker` lives in @amorsize/cluster, an optional peer dependency that
 * single-machine users never install: it is loaded only when asked for.
 */
export async function commandWorker(
  argv: string[],
  load: () => Promise<ClusterCli> = () => import("@amorsize/cluster/cli"),
): Promise<number> {
  let cluster: ClusterCli;
  try {
    cluster = await load();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code !== "ERR_MODULE_NOT_FOUND" && code !== "ERR_PACKAGE_PATH_NOT_EXPORTED") throw error;
    throw new UsageError(
      `amorsize worker needs @amorsize/cluster: npm install @amorsize/cluster (${messageOf(error)})`,
    );
  }
  return cluster.main(argv);
}

/** Runs one command and returns its exit code; a failure throws (see {@link runCli}). */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  if (argv[0] === "worker") return commandWorker(argv.slice(1));
  const { values, positionals } = parseCli(argv);
  const command = positionals[0];
  if (!command) {
    printer(io.stdout)(HELP.main!);
    return values.help ? 0 : 2;
  }
  if (!(command in HELP) || command === "main")
    throw new UsageError(`unknown command "${command}" (try amorsize --help)`);
  if (values.help) {
    printer(io.stdout)(HELP[command]!);
    return 0;
  }
  switch (command) {
    case "probe":
      noArguments(positionals, command);
      await commandProbe(values, io);
      break;
    case "calibrate":
      noArguments(positionals, command);
      await commandCalibrate(values, io);
      break;
    case "optimize":
    case "explain":
      await commandOptimize(positionals, values, command, io);
      break;
    case "run":
      return commandRun(positionals, values, io);
    case "compare":
      await commandCompare(positionals, values, io);
      break;
  }
  return 0;
}

/**
 * The exit code when standard output's reader went away (`amorsize run ... | head -1`):
 * that of a command ended by SIGPIPE (128 + 13), as the shell reports one. Node ignores
 * the signal, so the run stops on the write's EPIPE instead, quietly.
 */
export const BROKEN_PIPE_EXIT = 141;

/**
 * The `amorsize` command: runs `argv` and returns the exit code. A failure is one line
 * on standard error, with the error's code (exit code 1), or a usage mistake (2). A
 * standard output that cannot be written is a failure too (the disk is full), except when
 * its reader went away ({@link BROKEN_PIPE_EXIT}, nothing printed).
 */
export async function runCli(argv: string[], io: CliIo = processIo()): Promise<number> {
  const stdout = watchErrors(io.stdout);
  // Nothing useful can be done about a standard error that cannot be written.
  watchErrors(io.stderr);
  try {
    const code = await main(argv, io);
    // A write's failure is told on a later tick.
    await new Promise((resolve) => setImmediate(resolve));
    if (stdout.failure !== undefined) throw new OutputError("standard output", stdout.failure);
    return code;
  } catch (error) {
    if (error instanceof OutputError && error.brokenPipe) return BROKEN_PIPE_EXIT;
    const code = (error as { code?: string }).code;
    const tag = code && !(error instanceof UsageError) ? ` [${code}]` : "";
    io.stderr.write(`amorsize: ${messageOf(error).split("\n").join("; ")}${tag}\n`);
    if (error instanceof InterruptedError) return error.exitCode;
    return error instanceof UsageError ? 2 : 1;
  }
}

/**
 * Keeps a stream's first error, so that it never goes unhandled (which would end the
 * process with a stack trace). The listener stays: a write may fail after the command.
 */
function watchErrors(stream: NodeJS.WritableStream): { failure: unknown } {
  const state: { failure: unknown } = { failure: undefined };
  stream.on("error", (error) => {
    state.failure ??= error;
  });
  return state;
}
