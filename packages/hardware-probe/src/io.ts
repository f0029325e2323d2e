import { execFile } from "node:child_process";
import { access, readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { type CommandResult, type CommandRunner, messageOf } from "@amorsize/types";

/**
 * The command runner the probe uses unless `runCommand` replaces it:
 * `child_process.execFile` with a time-out after which the command is killed
 * (SIGKILL). It never throws or rejects: a command that cannot start, fails or
 * times out gives `exitCode: null` (or its non-zero exit code) and whatever it wrote.
 */
export const defaultCommandRunner: CommandRunner = (command, args, timeoutMs) =>
  new Promise<CommandResult>((resolve) => {
    try {
      execFile(
        command,
        [...args],
        {
          timeout: timeoutMs,
          killSignal: "SIGKILL",
          maxBuffer: 4 * 1024 * 1024,
          windowsHide: true,
          encoding: "utf8",
          // lscpu and sysctl translate their headers; the parsers read the C locale.
          env: { ...process.env, LC_ALL: "C" },
        },
        (error, stdout) => {
          const text = typeof stdout === "string" ? stdout : "";
          if (!error) return resolve({ stdout: text, exitCode: 0 });
          const code = (error as { code?: unknown }).code;
          resolve({ stdout: text, exitCode: typeof code === "number" ? code : null });
        },
      );
    } catch {
      resolve({ stdout: "", exitCode: null });
    }
  });

/** How a command run went, as the probe sees it. */
export type CommandOutcome =
  | { status: "ok"; stdout: string }
  | { status: "failed"; detail: string }
  | { status: "timed-out" };

/** File and command access, all relative to the injected root; nothing here throws. */
export interface ProbeIo {
  /** The folder standing for `/`, absolute. */
  readonly root: string;
  /** Maps an absolute machine path (`/proc/cpuinfo`) into the root. */
  resolve(machinePath: string): string;
  readText(machinePath: string): Promise<string | null>;
  exists(machinePath: string): Promise<boolean>;
  listDir(machinePath: string): Promise<string[] | null>;
  run(command: string, args: readonly string[]): Promise<CommandOutcome>;
}

export function createProbeIo(root: string, runner: CommandRunner, timeoutMs: number): ProbeIo {
  const resolve = (machinePath: string) => path.join(root, machinePath);
  return {
    root,
    resolve,
    async readText(machinePath) {
      try {
        return await readFile(resolve(machinePath), "utf8");
      } catch {
        return null;
      }
    },
    async exists(machinePath) {
      try {
        await access(resolve(machinePath));
        return true;
      } catch {
        return false;
      }
    },
    async listDir(machinePath) {
      try {
        return await readdir(resolve(machinePath));
      } catch {
        return null;
      }
    },
    run: (command, args) => runWithTimeout(runner, command, args, timeoutMs),
  };
}

/**
 * Runs a command through a runner that may be injected and so may throw, reject
 * or never settle: the probe waits at most `timeoutMs` for it.
 */
async function runWithTimeout(
  runner: CommandRunner,
  command: string,
  args: readonly string[],
  timeoutMs: number,
): Promise<CommandOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<"timed-out">((resolve) => {
    timer = setTimeout(() => resolve("timed-out"), timeoutMs);
  });
  const started = performance.now();
  try {
    const result = await Promise.race([
      Promise.resolve().then(() => runner(command, args, timeoutMs)),
      timedOut,
    ]);
    if (result === "timed-out") return { status: "timed-out" };
    if (result === null || typeof result !== "object" || typeof result.stdout !== "string") {
      return { status: "failed", detail: "the runner returned no output" };
    }
    if (result.exitCode === 0) return { status: "ok", stdout: result.stdout };
    // The default runner reports a kill at its own time-out as exitCode null.
    if (result.exitCode === null && performance.now() - started >= timeoutMs * 0.95)
      return { status: "timed-out" };
    return {
      status: "failed",
      detail: result.exitCode === null ? "it could not be started" : `it exited with code ${result.exitCode}`,
    };
  } catch (error) {
    return {
      status: "failed",
      detail: `the runner threw: ${messageOf(error)}`,
    };
  } finally {
    clearTimeout(timer);
  }
}
