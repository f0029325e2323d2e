// `@amorsize/cluster/cli`: the `amorsize-worker` command as a function, for `amorsize worker`.
import { messageOf } from "@amorsize/types";
import { packageVersion, parseWorkerArgs, WORKER_USAGE } from "./cli-args.js";
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
 * Redis. Failures are written to `io.err`; it never rejects.
 */
export async function main(argv: readonly string[], io: CommandOutput = STDIO): Promise<number> {
  if (argv.length === 0) {
    // A bare command is a mistake: the help goes where mistakes go.
    io.err(WORKER_USAGE);
    return 2;
  }
  let host: WorkerHost;
  try {
    const parsed = parseWorkerArgs(argv);
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
    const finish = (code: number) => {
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
      host.close().then(
        () => finish(0),
        () => finish(1),
      );
    };
    const onTerm = () => stop("SIGTERM");
    const onInt = () => stop("SIGINT");
    process.on("SIGTERM", onTerm);
    process.on("SIGINT", onInt);
    void host.lost.then((cause) => {
      if (stopping) return;
      stopping = true;
      io.err(
        `amorsize-worker: lost the connection to Redis at ${host.address}${cause ? `: ${messageOf(cause)}` : ""}`,
      );
      // A close can hang on a server that is gone; the host is of no use either way.
      void Promise.race([host.close(), new Promise((r) => setTimeout(r, 1000))]).then(() => finish(1));
    });
    // Only now: a supervisor may signal as soon as it reads this line.
    io.out(
      `amorsize-worker: ${host.id} ready on queue "${host.queueName}" at ${host.address} with ${host.concurrency} worker thread(s)`,
    );
  });
}
