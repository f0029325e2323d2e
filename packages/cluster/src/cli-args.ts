import { parseArgs } from "node:util";
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
  -h, --help                 show this help
`;

function positiveInt(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || (value === 0 && name !== "--max-stalled")) {
    throw new ClusterUsageError(`${name}: Expected a positive integer, got ${JSON.stringify(text)}`);
  }
  return value;
}

/**
 * Parses an `amorsize-worker` command line into worker host options, or `"help"`.
 *
 * @throws {ClusterUsageError} an unknown flag, a missing `--redis` or a bad number.
 */
export function parseWorkerArgs(argv: readonly string[]): WorkerHostOptions | "help" {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        redis: { type: "string" },
        concurrency: { type: "string" },
        queue: { type: "string" },
        prefix: { type: "string" },
        "lock-duration": { type: "string" },
        "stalled-interval": { type: "string" },
        "max-stalled": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new ClusterUsageError((error as Error).message, { cause: error });
  }
  if (values.help) return "help";
  const redis = values.redis as string | undefined;
  if (!redis) throw new ClusterUsageError("--redis: Required (for example --redis redis://127.0.0.1:6379)");
  if (!/^rediss?:\/\/.+/.test(redis)) {
    throw new ClusterUsageError(
      `--redis: Expected a redis:// or rediss:// URL, got ${JSON.stringify(redis)}`,
    );
  }
  const options: WorkerHostOptions = { connection: redis };
  const concurrency = positiveInt("--concurrency", values.concurrency as string | undefined);
  const lock = positiveInt("--lock-duration", values["lock-duration"] as string | undefined);
  const stalled = positiveInt("--stalled-interval", values["stalled-interval"] as string | undefined);
  const maxStalled = positiveInt("--max-stalled", values["max-stalled"] as string | undefined);
  if (concurrency !== undefined) options.concurrency = concurrency;
  if (values.queue !== undefined) options.queueName = values.queue as string;
  if (values.prefix !== undefined) options.prefix = values.prefix as string;
  if (lock !== undefined) options.lockDurationMs = lock;
  if (stalled !== undefined) options.stalledIntervalMs = stalled;
  if (maxStalled !== undefined) options.maxStalledCount = maxStalled;
  return options;
}
