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
  assertOptionsOf,
  type CliIo,
  noArguments,
  optimizerOptions,
  parseCli,
  positiveInt,
  readInput,
  taskArgument,
  type Values,
} from "./cli-args.js";
import { COMMANDS, closestName, HELP, packageVersion } from "./cli-help.js";
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

function printer(out: NodeJS.WritableStream): (text: string) => void {
  return (text) => {
    out.write(text.endsWith("\n") ? text : `${text}\n`);
  };
}

async function commandProbe(values: Values, io: CliIo): Promise<void> {
  const profile = await probeHardware();
  printer(io.stdout)(
    values.json
      ? JSON.stringify(HardwareProfileSchema.parse(profile, { jitless: true }), null, 2)
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
  if (values.json)
    return print(JSON.stringify(SpawnCostProfileSchema.parse(profile, { jitless: true }), null, 2));
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
    ...(profile.pace === undefined
      ? []
      : [
          [`wait between chunks of ${profile.pace.afterMs} ms`, `${f(profile.pace.gapUs)} us`],
          [
            "workers' drift on equal work",
            `${(profile.pace.speedCv.value * 100).toFixed(1)}% (${profile.pace.speedCv.provenance})`,
          ],
        ]),
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
      plan: PlanSchema.parse(result.plan, { jitless: true }),
      workload: result.workload,
      workloadSource: result.workloadSource,
      overheadMs: result.overheadMs,
      warnings: cacheWarnings(result),
    };
    if (mode === "explain") Object.assign(out, { explanation: explain(result.plan, out.warnings) });
    return print(JSON.stringify(out, null, 2));
  }
  // explain lists the optimizer's warnings with the plan's, under Warnings.
  if (mode === "explain") return print(explain(result.plan, cacheWarnings(result)));
  print(formatPlan(result.plan, result.workload, result.overheadMs));
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
  // A serial plan runs as the serial strategy does (the same serial executor): timed once, for both rows.
  const sameAsSerial = (s: Strategy) => s.kind === "plan" && plan.mode === "serial";
  for (let r = 0; r < repeat; r++) {
    for (const [i, s] of strategies.entries()) {
      if (!sameAsSerial(s)) times[i]!.push(await timeStrategy(s, optimized, items));
    }
  }
  const serialTimes = times[strategies.findIndex((s) => s.kind === "serial")]!;
  for (const [i, s] of strategies.entries()) if (sameAsSerial(s)) times[i] = serialTimes;
  const rows = compareRows(strategies, predicted, times);
  const print = printer(io.stdout);
  if (values.json) {
    // The report's schema has no warnings (yet): they are in the text output only.
    return print(
      JSON.stringify(
        CompareReportSchema.parse({ plan, items: items.length, repeat, rows }, { jitless: true }),
        null,
        2,
      ),
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

/** Throws a usage error for a name that is not a command, with the command it looks like. */
function knownCommand(command: string): void {
  if (COMMANDS.includes(command)) return;
  const guess = closestName(command, [...COMMANDS, "worker", "help"]);
  throw new UsageError(
    `unknown command "${command}" (${guess ? `did you mean "${guess}"?` : "try amorsize --help"})`,
  );
}

/** `amorsize help [command]`: the help of amorsize or of one command, on standard output. */
async function commandHelp(positionals: string[], io: CliIo): Promise<number> {
  const command = positionals[1];
  if (positionals.length > 2) throw new UsageError(`help: unexpected argument "${positionals[2]}"`);
  if (command === "worker") return commandWorker(["--help"]);
  if (command !== undefined) knownCommand(command);
  printer(io.stdout)(HELP[command ?? "main"]!);
  return 0;
}

/** Runs one command and returns its exit code; a failure throws (see {@link runCli}). */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  if (argv[0] === "worker") return commandWorker(argv.slice(1));
  const { values, positionals } = parseCli(argv);
  if (values.version) {
    printer(io.stdout)(packageVersion());
    return 0;
  }
  if (positionals[0] === "help") return commandHelp(positionals, io);
  const command = positionals[0];
  if (!command) {
    // A bare `amorsize` is a mistake too: the help goes where mistakes go.
    printer(values.help ? io.stdout : io.stderr)(HELP.main!);
    return values.help ? 0 : 2;
  }
  knownCommand(command);
  if (values.help) {
    printer(io.stdout)(HELP[command]!);
    return 0;
  }
  assertOptionsOf(command, values);
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
