// `@amorsize/cluster/cli`: the `amorsize-worker` command as a function, for `amorsize worker`.
import { messageOf } from "@amorsize/types";
import { packageVersion, parseWorkerArgs, WORKER_USAGE } from "./cli-args.js";
import { settlesWithin } from "./connection.js";
import { ClusterUsageError } from "./errors.js";
import { startWorkerHost, type WorkerHost } from "./host.js";

/** Where the command writes its lines. */
export interface CommandOutput {
  out(line: string): void;
  err(line: string): void;
}

const STDIO: CommandOutput = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/**
 * Runs `amorsize-worker` with `argv` (the arguments after the command name) until
 * SIGTERM/SIGINT (graceful: chunks in flight finish) or until Redis is lost, and resolves
 * with the exit code: 0 after a signal, `--help` or `--version`, 2 for a bad or empty
 * command line (the usage goes to `io.err`), 1 when the host could not start or lost
 * Redis (also during a graceful stop: it then stops at once). Failures are written to
 * `io.err`; it never rejects. `env` supplies `AMORSIZE_REDIS_URL` and `AMORSIZE_REDIS_PASSWORD`.
 */
export async function main(
  argv: readonly string[],
  io: CommandOutput = STDIO,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  if (argv.length === 0) {
    // A bare command is a mistake: the help goes where mistakes go.
    io.err(WORKER_USAGE);
    return 2;
  }
  let host: WorkerHost;
  try {
    const parsed = parseWorkerArgs(argv, env);
    if (parsed === "help" || parsed === "version") {
      io.out(parsed === "help" ? WORKER_USAGE : packageVersion());
      return 0;
    }
    host = await startWorkerHost(parsed);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    io.err(`amorsize-worker: ${messageOf(error)}${typeof code === "string" ? ` [${code}]` : ""}`);
    return error instanceof ClusterUsageError ? 2 : 1;
  }
  return serve(host, io);
}

/** Resolves with the exit code once the host has stopped; the signal handlers go with it. */
function serve(host: WorkerHost, io: CommandOutput): Promise<number> {
  return new Promise<number>((resolve) => {
    let stopping = false;
    let lost = false;
    let finished = false;
    const finish = (code: number) => {
      if (finished) return;
      finished = true;
      process.off("SIGTERM", onTerm);
      process.off("SIGINT", onInt);
      resolve(code);
    };
    const stop = (signal: string) => {
      if (stopping) {
        io.err(`amorsize-worker: ${signal} again, exiting now`);
        process.exit(130);
      }
      stopping = true;
      io.out(`amorsize-worker: ${signal}, finishing chunks in flight`);
      // A close that Redis's loss cut short (see below) exits 1.
      host.close().then(
        () => finish(lost ? 1 : 0),
        () => finish(1),
      );
    };
    const onTerm = () => stop("SIGTERM");
    const onInt = () => stop("SIGINT");
    process.on("SIGTERM", onTerm);
    process.on("SIGINT", onInt);
    // Lost also while stopping: the chunks in flight can no longer report, so waiting for them is pointless.
    void host.lost.then((cause) => {
      lost = true;
      stopping = true;
      io.err(
        `amorsize-worker: lost the connection to Redis at ${host.address}${cause ? `: ${messageOf(cause)}` : ""}`,
      );
      // The close drops the chunks in flight; the timer is a last resort should it still hang.
      void settlesWithin(host.close(), 1000).then(() => finish(1));
    });
    const trust = `task modules under ${host.allowed.join(", ")}, ${host.signed ? "signed jobs only" : "unsigned jobs too"}`;
    // Only now: a supervisor may signal as soon as it reads this line.
    io.out(
      `amorsize-worker: ${host.id} ready on queue "${host.queueName}" at ${host.address} with ${host.concurrency} worker thread(s); runs ${trust}`,
    );
  });
}
