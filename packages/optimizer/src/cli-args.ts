// The amorsize command line: its options, and the checks that make a mistake in them a
// usage error (exit code 2) that names the flag.
import { parseArgs } from "node:util";
import {
  type ExecuteOptions,
  ExecuteOptionsSchema,
  formatZodError,
  messageOf,
  type TaskRefInput,
  taskRefOfSpec,
} from "@amorsize/types";
import { closestName } from "./cli-help.js";
import { parseDataText, readAllText, readDataFile } from "./data.js";
import { UsageError } from "./errors.js";

/** Where the CLI reads and writes: the process's streams, or a test's. */
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  /** `columns`: a terminal's width, for the progress line. */
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stdin: AsyncIterable<Buffer | string>;
}

export const OPTIONS = {
  data: { type: "string" },
  stdin: { type: "boolean" },
  range: { type: "string" },
  workers: { type: "string" },
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
  "chunk-timeout": { type: "string" },
  "max-memory-mb": { type: "string" },
  isolate: { type: "boolean" },
  "serial-here": { type: "boolean" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
} as const;

export type Values = ReturnType<typeof parseCli>["values"];

type OptionName = keyof typeof OPTIONS;
const INPUT: OptionName[] = ["data", "stdin", "range"];
const PLANNING: OptionName[] = [
  "workers",
  "max-workers",
  "min-speedup",
  "chunk-size",
  "no-cache",
  "chunk-timeout",
  "max-memory-mb",
  "isolate",
];

/** The options each command takes besides --help and --version: another is a usage mistake, not ignored. */
export const COMMAND_OPTIONS: Record<string, readonly OptionName[]> = {
  probe: ["json"],
  calibrate: ["json", "refresh", "budget"],
  optimize: [...INPUT, ...PLANNING, "json"],
  explain: [...INPUT, ...PLANNING, "json"],
  run: [...INPUT, ...PLANNING, "json", "out", "on-error", "serial-here"],
  compare: [...INPUT, ...PLANNING, "json", "repeat"],
};

/** Throws a usage error naming the first option given that `command` does not take (`compare --out`: nothing would be written). */
export function assertOptionsOf(command: string, values: Values): void {
  const taken = COMMAND_OPTIONS[command];
  if (taken === undefined) return;
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined || name === "help" || name === "version") continue;
    if (!taken.includes(name as OptionName))
      throw new UsageError(`${command} does not take --${name} (see amorsize help ${command})`);
  }
}

/** The flags of the optimizer's options, for errors that name what the user typed. */
const FLAGS: Record<string, string> = {
  workers: "--workers",
  maxWorkers: "--max-workers",
  minSpeedup: "--min-speedup",
  chunkSize: "--chunk-size",
  onError: "--on-error",
  chunkTimeoutMs: "--chunk-timeout",
  resourceLimits: "--max-memory-mb",
};

/** Parses the command line. An option given twice is a mistake: which one was meant (a flag twice, a typo)? */
export function parseCli(argv: string[]) {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(withNegativeValues(argv));
  } catch (error) {
    const unknown = unknownOption(argv);
    if (unknown === undefined)
      throw new UsageError(messageOf(error).replace(/\. To specify a positional argument.*$/s, ""));
    const guess = closestName(
      unknown,
      Object.keys(OPTIONS).map((name) => `--${name}`),
    );
    throw new UsageError(
      `unknown option ${unknown} (${guess ? `did you mean ${guess}?` : "see amorsize --help"})`,
    );
  }
  const seen = new Set<string>();
  for (const token of parsed.tokens) {
    if (token.kind !== "option") continue;
    if (seen.has(token.name)) throw new UsageError(`--${token.name}: given more than once`);
    seen.add(token.name);
  }
  return { values: parsed.values, positionals: parsed.positionals };
}

/**
 * `--workers -1` as `--workers=-1`: a value that reads as a negative number is the option's
 * value, checked as any other (`--workers: expected a positive integer, got "-1"`), where
 * the parser took it for an option ("argument is ambiguous").
 */
function withNegativeValues(argv: string[]): string[] {
  const out: string[] = [];
  for (let k = 0; k < argv.length; k++) {
    const arg = argv[k]!;
    const next = argv[k + 1];
    const takesValue =
      arg.startsWith("--") && OPTIONS[arg.slice(2) as keyof typeof OPTIONS]?.type === "string";
    if (takesValue && next !== undefined && /^-(\d|\.\d)/.test(next)) {
      out.push(`${arg}=${next}`);
      k++;
    } else out.push(arg);
  }
  return out;
}

function parse(argv: string[]) {
  return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true, tokens: true });
}

/** The first option on the command line that is not one of amorsize's, as typed (`--jsn`). */
function unknownOption(argv: string[]): string | undefined {
  const { tokens } = parseArgs({
    args: argv,
    options: OPTIONS,
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  const token = tokens.find((t) => t.kind === "option" && !Object.hasOwn(OPTIONS, t.name));
  return token?.kind === "option" ? token.rawName : undefined;
}

export function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new UsageError(`${flag}: expected a positive integer, got "${value}"`);
  return Number(value);
}

/** A command that takes no argument after its name. */
export function noArguments(positionals: string[], command: string): void {
  if (positionals.length > 1) throw new UsageError(`${command}: unexpected argument "${positionals[1]}"`);
}

/** The items of --data, --stdin or --range. An empty standard input is a mistake: nothing was piped. */
export async function readInput(values: Values, io: CliIo): Promise<unknown[]> {
  const given = [values.data !== undefined, values.stdin === true, values.range !== undefined].filter(
    Boolean,
  ).length;
  if (given === 0) throw new UsageError("no input: give --data FILE, --stdin or --range N");
  if (given > 1) throw new UsageError("give only one of --data, --stdin and --range");
  if (values.range !== undefined) {
    const n = Number(values.range);
    if (!/^\d+$/.test(values.range) || n > 50_000_000)
      throw new UsageError(`--range: expected a whole number up to 50000000, got "${values.range}"`);
    // A plain loop: Array.from with a callback takes ~0.5 s for 5 M items.
    const items = new Array<number>(n);
    for (let i = 0; i < n; i++) items[i] = i;
    return items;
  }
  if (values.stdin) {
    const text = await readAllText(io.stdin);
    if (text.trim() === "")
      throw new UsageError(
        "--stdin: standard input was empty: pipe a JSON array or JSON lines ([] for no items)",
      );
    return parseDataText(text, "stdin");
  }
  return readDataFile(values.data!);
}

/** The task argument `module#export`, checked: a mistake in it is a usage error. */
export function taskArgument(positionals: string[], command: string): TaskRefInput {
  const spec = positionals[1];
  if (!spec)
    throw new UsageError(
      `${command}: missing the task, e.g. amorsize ${command} ./hash.js#sha256 --range 1000`,
    );
  if (positionals.length > 2) throw new UsageError(`${command}: unexpected argument "${positionals[2]}"`);
  const task = taskRefOfSpec(spec);
  if (task.module === "" || spec.startsWith("#"))
    throw new UsageError(`${command}: "${spec}": the module before "#" is empty`);
  if (task.export === "") throw new UsageError(`${command}: "${spec}": the export name after "#" is empty`);
  return task;
}

/** The optimizer's options from the flags, checked against its schema; a bad value names its flag. */
export function optimizerOptions(values: Values): ExecuteOptions {
  const options: ExecuteOptions = {};
  const workers = positiveInt(values.workers, "--workers");
  if (workers !== undefined) options.workers = workers;
  const maxWorkers = positiveInt(values["max-workers"], "--max-workers");
  if (maxWorkers !== undefined) options.maxWorkers = maxWorkers;
  if (workers !== undefined && maxWorkers !== undefined && workers > maxWorkers)
    throw new UsageError(`--workers ${workers} exceeds --max-workers ${maxWorkers}`);
  const minSpeedupText = values["min-speedup"];
  if (minSpeedupText !== undefined) {
    const minSpeedup = Number(minSpeedupText);
    if (minSpeedupText.trim() === "" || !Number.isFinite(minSpeedup) || minSpeedup < 1)
      throw new UsageError(`--min-speedup: expected a number >= 1, got "${minSpeedupText}"`);
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
  const chunkTimeoutMs = positiveInt(values["chunk-timeout"], "--chunk-timeout");
  if (chunkTimeoutMs !== undefined) options.chunkTimeoutMs = chunkTimeoutMs;
  const maxMemoryMb = positiveInt(values["max-memory-mb"], "--max-memory-mb");
  if (maxMemoryMb !== undefined) options.resourceLimits = { maxOldGenerationSizeMb: maxMemoryMb };
  if (values.isolate) options.isolate = true;
  const checked = ExecuteOptionsSchema.safeParse(options, { jitless: true });
  if (!checked.success) {
    const [first] = formatZodError(checked.error, "", options);
    throw new UsageError(first!.replace(/^(\w+):/, (_whole, key: string) => `${FLAGS[key] ?? key}:`));
  }
  return options;
}
