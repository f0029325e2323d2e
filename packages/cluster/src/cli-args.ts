import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { messageOf } from "@amorsize/types";
import { closestMatch } from "leven";
import { ClusterUsageError } from "./errors.js";
import { type Connection, type WorkerHostOptions, WorkerHostOptionsSchema } from "./options.js";
import { readSecretFile } from "./secret.js";

/** Help text of `amorsize-worker` (also `amorsize worker`). */
export const WORKER_USAGE = `Usage: amorsize-worker --redis redis://host:port --allow <path> [options]

Runs Amorsize chunks from a BullMQ queue on this host's worker threads: only task
modules under the --allow paths, and with --secret-file only jobs signed with it.

Options:
  --redis <url>              Redis to pull chunks from (required; or AMORSIZE_REDIS_URL),
                             without a password: ps shows the command line to everyone
  --allow <path>             run task modules in this folder (or this file); repeatable,
                             required: nothing is allowed by default
  --secret-file <path>       run only jobs signed with the secret in this file
  --max-job-bytes <n>        refuse a job larger than this (default: 16777216)
  --max-job-items <n>        refuse a job of more items than this (default: 100000)
  --redis-password-file <p>  the Redis password (or AMORSIZE_REDIS_PASSWORD)
  --redis-tls-ca-file <p>    PEM of the CA of Redis's certificate (with rediss://)
  --redis-tls-cert-file <p>  PEM of a client certificate, and
  --redis-tls-key-file <p>   PEM of its key
  --concurrency <n>          worker threads (default: this host's usable cores)
  --queue <name>             queue name (default: amorsize)
  --prefix <prefix>          BullMQ key prefix (default: bull)
  --lock-duration <ms>       job lock; a silent host's chunks move on after it (default: 30000)
  --stalled-interval <ms>    how often to look for dead hosts' chunks (default: 30000)
  --max-stalled <n>          recoveries of one chunk before it fails (default: 2)
  --lost-after <ms>          exit 1 once Redis has been gone or silent this
                             long (default: 3000)
  -h, --help                 show this help (also: amorsize-worker help)
  --version                  show the version of amorsize-worker

Exit codes: 0 stopped by SIGTERM or SIGINT, 1 could not start or lost Redis,
2 a usage mistake (an unknown option, a bad value, no --redis or --allow).
`;

const OPTIONS = {
  redis: { type: "string" },
  allow: { type: "string", multiple: true },
  "secret-file": { type: "string" },
  "max-job-bytes": { type: "string" },
  "max-job-items": { type: "string" },
  "redis-password-file": { type: "string" },
  "redis-tls-ca-file": { type: "string" },
  "redis-tls-cert-file": { type: "string" },
  "redis-tls-key-file": { type: "string" },
  concurrency: { type: "string" },
  queue: { type: "string" },
  prefix: { type: "string" },
  "lock-duration": { type: "string" },
  "stalled-interval": { type: "string" },
  "max-stalled": { type: "string" },
  "lost-after": { type: "string" },
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

type NumberOption =
  | "concurrency"
  | "lockDurationMs"
  | "stalledIntervalMs"
  | "maxStalledCount"
  | "lostAfterMs"
  | "maxJobBytes"
  | "maxJobItems";

/**
 * A number flag's value, checked as a whole number and against its option's bounds in
 * {@link WorkerHostOptionsSchema}: `--concurrency 5000` is a usage mistake that names the
 * flag (exit 2), not a failure to start that names the option.
 */
function numberFlag(name: string, text: string | undefined, option: NumberOption): number | undefined {
  const value = positiveInt(name, text);
  if (value === undefined) return undefined;
  const checked = WorkerHostOptionsSchema.shape[option].safeParse(value);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    throw new ClusterUsageError(`${name}: ${issue?.message ?? "out of range"}, got ${JSON.stringify(text)}`);
  }
  return value;
}

type Flags = ReturnType<typeof parseFlags>["values"];

/** The text of a file a flag names, or a usage error saying why it cannot be read. */
function fileText(flag: string, path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new ClusterUsageError(
      `${flag}: cannot read ${JSON.stringify(path)} (${(error as { code?: string }).code})`,
      {
        cause: error,
      },
    );
  }
}

/**
 * Where Redis is, with its password and TLS files, none of them on the command line: a
 * password inside `--redis` is refused, since `ps` shows it to every user of the machine.
 */
function connectionOf(values: Flags, env: NodeJS.ProcessEnv): Connection {
  const url = values.redis ?? env.AMORSIZE_REDIS_URL;
  if (!url) {
    throw new ClusterUsageError(
      "--redis: Required (for example --redis redis://127.0.0.1:6379, or AMORSIZE_REDIS_URL in the environment)",
    );
  }
  const flag = values.redis ? "--redis" : "AMORSIZE_REDIS_URL";
  if (!/^rediss?:\/\/.+/.test(url)) {
    throw new ClusterUsageError(
      `${flag}: Expected a redis:// or rediss:// URL, got ${JSON.stringify(values.redis ? url : "...")}`,
    );
  }
  if (values.redis && new URL(url).password) {
    throw new ClusterUsageError(
      "--redis: the URL holds a password, which ps shows to every user of this machine: put it in --redis-password-file or AMORSIZE_REDIS_PASSWORD",
    );
  }
  const passwordFile = values["redis-password-file"];
  // A password file ends with a newline more often than not; the password does not.
  const password = passwordFile
    ? fileText("--redis-password-file", passwordFile).replace(/\r?\n$/, "")
    : env.AMORSIZE_REDIS_PASSWORD || undefined;
  const tls: { ca?: string; cert?: string; key?: string } = {};
  for (const part of ["ca", "cert", "key"] as const) {
    const file = values[`redis-tls-${part}-file`];
    if (file) tls[part] = fileText(`--redis-tls-${part}-file`, file);
  }
  const hasTls = Object.keys(tls).length > 0;
  if (password === undefined && !hasTls) return url;
  return { url, ...(password === undefined ? {} : { password }), ...(hasTls ? { tls } : {}) };
}

/** The allow list, each path made absolute and checked to exist, and the secret. */
function trustOf(values: Flags): Pick<WorkerHostOptions, "allow" | "secret"> {
  const allow = (values.allow ?? []).map((path) => resolve(path));
  if (allow.length === 0) {
    throw new ClusterUsageError(
      "--allow: Required: the folders (or files) of the task modules this host may run, for example --allow /srv/app/tasks",
    );
  }
  const missing = allow.find((path) => !existsSync(path));
  if (missing !== undefined)
    throw new ClusterUsageError(`--allow: ${JSON.stringify(missing)} does not exist`);
  const file = values["secret-file"];
  if (file === undefined) return { allow };
  try {
    return { allow, secret: readSecretFile(file) };
  } catch (error) {
    throw new ClusterUsageError(`--secret-file: ${messageOf(error)}`, { cause: error });
  }
}

/**
 * Parses an `amorsize-worker` command line into worker host options, `"help"` or `"version"`.
 * `env` supplies `AMORSIZE_REDIS_URL` and `AMORSIZE_REDIS_PASSWORD`.
 *
 * @throws {ClusterUsageError} an unknown flag, an argument, a missing `--redis` or
 *   `--allow`, a password in `--redis`, a file that cannot be read, or a bad number.
 */
export function parseWorkerArgs(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): WorkerHostOptions | "help" | "version" {
  const { values, positionals } = parseFlags(argv);
  // `help` is the one argument taken, as `amorsize help` takes it.
  const extra = positionals.find((word, i) => i > 0 || word !== "help");
  if (extra !== undefined) throw new ClusterUsageError(`unexpected argument ${JSON.stringify(extra)}`);
  if (values.help || positionals.length > 0) return "help";
  if (values.version) return "version";
  const connection = connectionOf(values, env);
  const numbers = {
    concurrency: numberFlag("--concurrency", values.concurrency, "concurrency"),
    lockDurationMs: numberFlag("--lock-duration", values["lock-duration"], "lockDurationMs"),
    stalledIntervalMs: numberFlag("--stalled-interval", values["stalled-interval"], "stalledIntervalMs"),
    maxStalledCount: numberFlag("--max-stalled", values["max-stalled"], "maxStalledCount"),
    lostAfterMs: numberFlag("--lost-after", values["lost-after"], "lostAfterMs"),
    maxJobBytes: numberFlag("--max-job-bytes", values["max-job-bytes"], "maxJobBytes"),
    maxJobItems: numberFlag("--max-job-items", values["max-job-items"], "maxJobItems"),
  };
  // Files last: a mistyped number is named before a file is read.
  const options: WorkerHostOptions = { connection, ...trustOf(values) };
  for (const [name, value] of Object.entries(numbers)) {
    if (value !== undefined) options[name as keyof typeof numbers] = value;
  }
  if (values.queue !== undefined) options.queueName = values.queue;
  if (values.prefix !== undefined) options.prefix = values.prefix;
  return options;
}
