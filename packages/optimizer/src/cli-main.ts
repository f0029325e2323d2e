import { createWriteStream } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { explain } from "@amorsize/cost-model";
import { createExecutor, type Executor } from "@amorsize/executor";
import { formatHardwareProfile, probeHardware } from "@amorsize/hardware-probe";
import { defaultCacheDir, measureSpawnCost } from "@amorsize/spawn-cost";
import {
  CompareReportSchema,
  type ExecuteOptions,
  ExecutionReportSchema,
  HardwareProfileSchema,
  messageOf,
  PlanSchema,
  type Progress,
  type RunOptions,
  type SpawnCostProfile,
  SpawnCostProfileSchema,
} from "@amorsize/types";
import { compareRows, compareStrategies, predictedMs, type Strategy } from "./compare.js";
import { parseDataText, readAllText, readDataFile } from "./data.js";
import { DataError, UsageError } from "./errors.js";
import { type ExecuteResult, execute, executorFor, runOptionsFor, taskOf } from "./execute.js";
import { formatPlan, formatTable } from "./format.js";
import { type OptimizeResult, optimize } from "./optimize.js";
import { parseTaskSpec } from "./task.js";

export { UsageError };

/** Where the CLI reads and writes: the process's streams, or a test's. */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: AsyncIterable<Buffer | string>;
}

function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin };
}

const COMMON_HELP = `Input (one of):
  --data FILE        a JSON array, or JSON lines (.jsonl / .ndjson), one item per line
  --stdin            read a JSON array or JSON lines from standard input
  --range N          the numbers 0 .. N-1
Options:
  --max-workers N    use at most N workers
  --min-speedup X    run in parallel only if at least X times faster (default 1.2)
  --chunk-size N     fix the items per task
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

Like optimize, then explains the decision term by term.

${COMMON_HELP}

Example:
  amorsize explain ./fib.js#fib --range 5000`,
  run: `Usage: amorsize run <module#export> (--data FILE | --stdin | --range N) [--out FILE] [options]

Decides and runs. Each result is printed as one JSON line, in input order, to standard
output or to --out FILE; the report goes to standard error (--json: as JSON).
  --on-error MODE    throw (default): stop at the first failure; collect: finish the rest

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

const OPTIONS = {
  data: { type: "string" },
  stdin: { type: "boolean" },
  range: { type: "string" },
  "max-workers": { type: "string" },
  "min-speedup": { type: "string" },
  "chunk-size": { type: "string" },
  "no-cache": { type: "boolean" },
  json: { type: "boolean" },
  out: { type: "string" },
  "on-error": { type: "string" },
  repeat: { type: "string" },
  refresh: { type: "boolean" },
  budget: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

type Values = ReturnType<typeof parseCli>["values"];

function parseCli(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(messageOf(error).replace(/\. To specify a positional argument.*$/s, ""));
  }
}

function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new UsageError(`${flag}: expected a positive integer, got "${value}"`);
  return Number(value);
}

function positiveNumber(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n <= 0)
    throw new UsageError(`${flag}: expected a positive number, got "${value}"`);
  return n;
}

async function readInput(values: Values, io: CliIo): Promise<unknown[]> {
  const given = [values.data !== undefined, values.stdin === true, values.range !== undefined].filter(
    Boolean,
  ).length;
  if (given === 0) throw new UsageError("no input: give --data FILE, --stdin or --range N");
  if (given > 1) throw new UsageError("give only one of --data, --stdin and --range");
  if (values.range !== undefined) {
    const n = Number(values.range);
    if (!/^\d+$/.test(values.range) || n > 50_000_000)
      throw new UsageError(`--range: expected a whole number up to 50000000, got "${values.range}"`);
    return Array.from({ length: n }, (_, i) => i);
  }
  if (values.stdin) return parseDataText(await readAllText(io.stdin), "stdin");
  return readDataFile(values.data!);
}

function taskArgument(positionals: string[], command: string) {
  const spec = positionals[1];
  if (!spec)
    throw new UsageError(
      `${command}: missing the task, e.g. amorsize ${command} ./hash.js#sha256 --range 1000`,
    );
  if (positionals.length > 2) throw new UsageError(`${command}: unexpected argument "${positionals[2]}"`);
  return parseTaskSpec(spec);
}

function optimizerOptions(values: Values): ExecuteOptions {
  const options: ExecuteOptions = {};
  const maxWorkers = positiveInt(values["max-workers"], "--max-workers");
  if (maxWorkers !== undefined) options.maxWorkers = maxWorkers;
  const minSpeedup = positiveNumber(values["min-speedup"], "--min-speedup");
  if (minSpeedup !== undefined) {
    if (minSpeedup < 1)
      throw new UsageError(`--min-speedup: expected a number >= 1, got "${values["min-speedup"]}"`);
    options.minSpeedup = minSpeedup;
  }
  const chunkSize = positiveInt(values["chunk-size"], "--chunk-size");
  if (chunkSize !== undefined) options.chunkSize = chunkSize;
  if (values["no-cache"]) options.cache = false;
  const onError = values["on-error"];
  if (onError !== undefined) {
    if (onError !== "throw" && onError !== "collect")
      throw new UsageError(`--on-error: expected "throw" or "collect", got "${onError}"`);
    options.onError = onError;
  }
  return options;
}

/** A one-line progress bar on a terminal; nothing when standard error is not one. */
function progressBar(stderr: CliIo["stderr"]): ((p: Progress) => void) | undefined {
  if (!stderr.isTTY) return undefined;
  return (p) => {
    const width = 30;
    const fraction = p.total ? Math.min(1, p.done / p.total) : 0;
    const bar = "#".repeat(Math.round(fraction * width)).padEnd(width, ".");
    const eta = p.etaMs !== undefined ? ` eta ${(p.etaMs / 1000).toFixed(1)}s` : "";
    stderr.write(
      `\r[${bar}] ${p.done}${p.total ? `/${p.total}` : ""}${p.failed ? ` (${p.failed} failed)` : ""}${eta}   `,
    );
  };
}

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
  for (const w of profile.warnings) print(`warning ${w.code}: ${w.message}`);
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
    };
    if (mode === "explain") Object.assign(out, { explanation: explain(result.plan) });
    return print(JSON.stringify(out, null, 2));
  }
  print(
    mode === "explain" ? explain(result.plan) : formatPlan(result.plan, result.workload, result.overheadMs),
  );
  for (const w of result.warnings) print(`warning ${w.code}: ${w.message}`);
}

async function commandRun(positionals: string[], values: Values, io: CliIo): Promise<number> {
  const task = taskArgument(positionals, "run");
  const items = await readInput(values, io);
  const options = optimizerOptions(values);
  const onProgress = progressBar(io.stderr);
  if (onProgress) options.onProgress = onProgress;
  let result: ExecuteResult<unknown>;
  try {
    result = await execute(task, items, options);
  } finally {
    // End the progress line, so a failure message starts on a line of its own.
    if (onProgress) io.stderr.write("\n");
  }
  // The output file is written only once the run succeeded: a failed run never
  // truncates an existing file.
  if (values.out) await writeLinesToFile(values.out, result.results);
  else await writeLines(io.stdout, result.results);
  io.stderr.write(runSummary(result, values.json === true));
  return result.report.failed > 0 ? 1 : 0;
}

/** What `run` says on standard error: the report as JSON, or a line and the first errors. */
function runSummary(result: ExecuteResult<unknown>, json: boolean): string {
  const { plan, check, overheadMs } = result;
  const report = ExecutionReportSchema.parse(result.report);
  if (json) return `${JSON.stringify({ plan, report, check, overheadMs })}\n`;
  const shape = plan.mode === "parallel" ? ` x${plan.workers}, chunk ${plan.chunkSize}` : "";
  const errors = result.errors
    .slice(0, 10)
    .map((e) => `  ${(e as { code?: string }).code ?? "ERROR"}: ${e.message}\n`);
  return (
    `${plan.mode}${shape}: ${report.succeeded} ok, ${report.failed} failed in ${result.wallMs.toFixed(0)} ms ` +
    `(run ${check.measuredWallMs.toFixed(0)} ms, predicted ${check.predictedWallMs.toFixed(0)} ms; ` +
    `optimizing ${overheadMs.total.toFixed(0)} ms)\n${errors.join("")}`
  );
}

/** Writes one JSON line per result (`null` for a failed item), waiting when the stream is full. */
async function writeLines(out: NodeJS.WritableStream, results: readonly unknown[]): Promise<void> {
  for (const r of results) {
    if (!out.write(`${JSON.stringify(r === undefined ? null : r)}\n`)) {
      await new Promise<void>((resolve) => out.once("drain", () => resolve()));
    }
  }
}

/** Writes the JSON lines to a temporary file, then renames it into place. */
async function writeLinesToFile(path: string, results: readonly unknown[]): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  const out = createWriteStream(temporary);
  try {
    await writeLines(out, results);
    await new Promise<void>((resolve, reject) => {
      out.once("error", reject);
      out.end(() => resolve());
    });
    await rename(temporary, path);
  } catch (error) {
    out.destroy();
    await rm(temporary, { force: true });
    throw new DataError(`--out ${path}: cannot write (${messageOf(error)})`, { cause: error });
  }
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
      await commandProbe(values, io);
      break;
    case "calibrate":
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
 * The `amorsize` command: runs `argv` and returns the exit code. A failure is one line
 * on standard error, with the error's code (exit code 1), or a usage mistake (2).
 */
export async function runCli(argv: string[], io: CliIo = processIo()): Promise<number> {
  try {
    return await main(argv, io);
  } catch (error) {
    const code = (error as { code?: string }).code;
    const tag = code && !(error instanceof UsageError) ? ` [${code}]` : "";
    io.stderr.write(`amorsize: ${messageOf(error).split("\n").join("; ")}${tag}\n`);
    return error instanceof UsageError ? 2 : 1;
  }
}
