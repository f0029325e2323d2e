import { execFile } from "node:child_process";
import type { Stats } from "node:fs";
import { access, constants, type FileHandle, open, readdir, stat } from "node:fs/promises";
import path from "node:path";
import { type CommandResult, type CommandRunner, MAX_TIMER_MS, messageOf } from "@amorsize/types";
import type { WarningList } from "./warnings.js";

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

/**
 * The most the probe reads from one file, by kind. A cgroup or sysfs file holds one
 * short value (sysfs caps its files at a 4 KiB page); 64 KiB leaves room for a cpu
 * list naming thousands of CPUs one by one. A /proc table grows with the machine:
 * `/proc/cpuinfo` takes about 1 KiB per logical CPU, so 4 MiB holds some 4,000.
 */
export const READ_LIMITS = {
  value: { bytes: 64 * 1024, what: "a cgroup or sysfs file" },
  table: { bytes: 4 * 1024 * 1024, what: "a /proc table" },
} as const;

/** Which limit of {@link READ_LIMITS} a read takes. */
export type ReadKind = keyof typeof READ_LIMITS;

/** File and command access, all relative to the injected root; nothing here throws. */
export interface ProbeIo {
  /** The folder standing for `/`, absolute. */
  readonly root: string;
  /** Maps an absolute machine path (`/proc/cpuinfo`) into the root. */
  resolve(machinePath: string): string;
  /**
   * The file's text; null when it is missing, unreadable, not a regular file or
   * larger than the limit of its kind (the last two with a warning). Never blocks.
   */
  readText(machinePath: string, kind?: ReadKind): Promise<string | null>;
  exists(machinePath: string): Promise<boolean>;
  listDir(machinePath: string): Promise<string[] | null>;
  run(command: string, args: readonly string[]): Promise<CommandOutcome>;
}

export function createProbeIo(
  root: string,
  runner: CommandRunner,
  timeoutMs: number,
  warnings: WarningList,
): ProbeIo {
  const resolve = (machinePath: string) => path.join(root, machinePath);
  return {
    root,
    resolve,
    async readText(machinePath, kind = "value") {
      const warn = warnings.reserve();
      const limit = READ_LIMITS[kind];
      const read = await readFileBounded(resolve(machinePath), limit.bytes);
      if (read.kind === "text") return read.text;
      if (read.kind === "not-regular") {
        warn("FILE_NOT_REGULAR", `${machinePath} is a ${read.type}, not a regular file; not read`);
      } else if (read.kind === "too-large") {
        warn(
          "FILE_TOO_LARGE",
          `${machinePath} holds more than ${limit.bytes} bytes, the most the probe reads from ${limit.what}; not used`,
        );
      }
      return null;
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

/** What reading one file gave. */
export type FileRead =
  | { kind: "text"; text: string }
  | { kind: "missing" }
  | { kind: "not-regular"; type: string }
  | { kind: "too-large"; bytesRead: number };

// O_NONBLOCK: opening a FIFO for reading would wait for a writer, forever if none
// comes. O_NOCTTY: opening a terminal must not make it the process's own.
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);
const CHUNK_BYTES = 16 * 1024;

function fileType(stats: Stats): string {
  if (stats.isFile()) return "regular file";
  if (stats.isFIFO()) return "FIFO";
  if (stats.isCharacterDevice()) return "character device";
  if (stats.isBlockDevice()) return "block device";
  if (stats.isSocket()) return "socket";
  if (stats.isDirectory()) return "folder";
  return "special file";
}

/**
 * Reads a regular file's text, at most `maxBytes` of it, without ever blocking:
 * the file is opened non-blocking and checked with fstat, so a FIFO, a device, a
 * socket or a folder is refused unread; a file longer than `maxBytes` is reported
 * after reading `maxBytes + 1` bytes. Never throws.
 */
export async function readFileBounded(file: string, maxBytes: number): Promise<FileRead> {
  let handle: FileHandle;
  try {
    handle = await open(file, OPEN_FLAGS);
  } catch (error) {
    // A socket cannot be opened (ENXIO): name it rather than call it missing.
    if ((error as { code?: unknown }).code !== "ENXIO") return { kind: "missing" };
    return stat(file).then(
      (stats) => ({ kind: "not-regular", type: fileType(stats) }),
      () => ({ kind: "missing" }),
    );
  }
  try {
    const type = fileType(await handle.stat());
    if (type !== "regular file") return { kind: "not-regular", type };
    return await readUpTo(handle, maxBytes);
  } catch {
    return { kind: "missing" };
  } finally {
    await handle.close().catch(() => {});
  }
}

/** Reads until the end or one byte past `maxBytes`, which tells a file of exactly `maxBytes` from a longer one. */
async function readUpTo(handle: FileHandle, maxBytes: number): Promise<FileRead> {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const want = Math.min(CHUNK_BYTES, maxBytes + 1 - total);
    const { bytesRead, buffer } = await handle.read(Buffer.allocUnsafe(want), 0, want, null);
    if (bytesRead === 0) break;
    chunks.push(buffer.subarray(0, bytesRead));
    total += bytesRead;
    if (total > maxBytes) return { kind: "too-large", bytesRead: total };
  }
  return { kind: "text", text: Buffer.concat(chunks, total).toString("utf8") };
}

/**
 * Runs a command through a runner that may be injected and so may throw, reject
 * or never settle: the probe waits at most `timeoutMs` for it.
 */
async function runWithTimeout(
  runner: CommandRunner,
  command: string,
  args: readonly string[],
  askedMs: number,
): Promise<CommandOutcome> {
  // A longer delay than a timer keeps would fire at once (see MAX_TIMER_MS).
  const timeoutMs = Math.min(askedMs, MAX_TIMER_MS);
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
