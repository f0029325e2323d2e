import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { closestMatch } from "leven";
import { ClusterUsageError } from "./errors.js";
import type { WorkerHostOptions } from "./options.js";

/** Help text of `amorsize-worker` (also `amorsize worker`). */
export const WORKER_USAGE = `Usage: amorsize-worker --redis redis://host:port [options]

Runs Amorsize chunks from a BullMQ queue on this host's worker threads.

Options:
  --redis <url>              Redis to pull chunks from (required)
  --concurrency <n>          worker threads (default: this host's usable cores)
  --queue <name>             queue name (default: amorsize)
  --prefix <prefix>          BullMQ key prefix (default: bull)
  --lock-duration <ms>       job lock; a silent host's chunks move on after it (default: 30000)
  --stalled-interval <ms>    how often to look for dead hosts' chunks (default: 30000)
  --max-stalled <n>          recoveries of one chunk before it fails (default: 2)
  -h, --help                 show this help (also: amorsize-worker help)
  --version                  show the version of amorsize-worker

Exit codes: 0 stopped by SIGTERM or SIGINT, 1 could not start or lost Redis,
2 a usage mistake (an unknown option, a bad value, no --redis).
`;

const OPTIONS = {
  redis: { type: "string" },
  concurrency: { type: "string" },
  queue: { type: "string" },
  prefix: { type: "string" },
  "lock-duration": { type: "string" },
  "stalled-interval": { type: "string" },
  "max-stalled": { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
} as const;

/** This package's version, from its package.json (one folder above src/ and dist/). */
export function packageVersion(): string {
  const text = readFileSync(new URL("../package.json", import.meta.url), "utf8");
  return (JSON.parse(text) as { version: string }).version;
}

/** parseArgs, its failures as usage errors; an unknown option names the option it looks like. */
function parseFlags(argv: readonly string[]) {
  try {
    return parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: true });
  } catch (error) {
    const { tokens } = parseArgs({ args: [...argv], options: OPTIONS, strict: false, tokens: true });
    const unknown = tokens.find((t) => t.kind === "option" && !Object.hasOwn(OPTIONS, t.name));
    if (unknown?.kind !== "option") throw new ClusterUsageError((error as Error).message, { cause: error });
    const names = Object.keys(OPTIONS).map((name) => `--${name}`);
    const guess = closestMatch(unknown.rawName, names, { maxDistance: 2 });
    const hint = guess ? `did you mean ${guess}?` : "see --help";
    throw new ClusterUsageError(`unknown option ${unknown.rawName} (${hint})`, { cause: error });
  }
}

function positiveInt(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || (value === 0 && name !== "--max-stalled")) {
    throw new ClusterUsageError(`${name}: Expected a positive integer, got ${JSON.stringify(text)}`);
  }
  return value;
}

/**
 * Parses an `amorsize-worker` command line into worker host options, `"help"` or `"version"`.
 *
 * @throws {ClusterUsageError} an unknown flag, an argument, a missing `--redis` or a bad number.
 */
export function parseWorkerArgs(argv: readonly string[]): WorkerHostOptions | "help" | "version" {
  const { values, positionals } = parseFlags(argv);
  // `help` is the one argument taken, as `amorsize help` takes it.
  const extra = positionals.find((word, i) => i > 0 || word !== "help");
  if (extra !== undefined) throw new ClusterUsageError(`unexpected argument ${JSON.stringify(extra)}`);
  if (values.help || positionals.length > 0) return "help";
  if (values.version) return "version";
  const redis = values.redis;
  if (!redis) throw new ClusterUsageError("--redis: Required (for example --redis redis://127.0.0.1:6379)");
  if (!/^rediss?:\/\/.+/.test(redis)) {
    throw new ClusterUsageError(
      `--redis: Expected a redis:// or rediss:// URL, got ${JSON.stringify(redis)}`,
    );
  }
  const options: WorkerHostOptions = { connection: redis };
  const concurrency = positiveInt("--concurrency", values.concurrency);
  const lock = positiveInt("--lock-duration", values["lock-duration"]);
  const stalled = positiveInt("--stalled-interval", values["stalled-interval"]);
  const maxStalled = positiveInt("--max-stalled", values["max-stalled"]);
  if (concurrency !== undefined) options.concurrency = concurrency;
  if (values.queue !== undefined) options.queueName = values.queue;
  if (values.prefix !== undefined) options.prefix = values.prefix;
  if (lock !== undefined) options.lockDurationMs = lock;
  if (stalled !== undefined) options.stalledIntervalMs = stalled;
  if (maxStalled !== undefined) options.maxStalledCount = maxStalled;
  return options;
}
