// Where `amorsize run` writes its JSON lines: standard output or an --out file, in
// buffered writes that wait when the reader is slower than the run.
import { randomBytes } from "node:crypto";
import { constants, unlinkSync } from "node:fs";
import { access, type FileHandle, lstat, open, readlink, realpath, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import type { Writable } from "node:stream";
import { messageOf } from "@amorsize/types";
import { AmorsizeOptimizerError } from "./errors.js";

/** The output could not be written: standard output, or the --out file. */
export class OutputError extends AmorsizeOptimizerError {
  override readonly name = "OutputError";
  /** The system's error code (`ENOSPC`, `EPIPE`, ...), when there is one. */
  readonly errno: string | undefined;
  constructor(where: string, cause: unknown) {
    const errno = (cause as { code?: unknown } | null)?.code;
    const code = typeof errno === "string" ? errno : undefined;
    super("AMORSIZE_OUTPUT_FAILED", `${where}: cannot write (${reasonOf(code, cause)})`, { cause });
    this.errno = code;
  }

  /** The reader went away (`amorsize run ... | head -1`): not a failure to report. */
  get brokenPipe(): boolean {
    return this.errno === "EPIPE";
  }
}

const REASONS: Record<string, string> = {
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
  ENOTDIR: "not a directory",
  EISDIR: "is a folder",
  ENOENT: "no such folder",
  EACCES: "permission denied",
  EPERM: "permission denied",
  EROFS: "read-only file system",
  EPIPE: "the reader closed it",
};

function reasonOf(code: string | undefined, cause: unknown): string {
  return (code && REASONS[code]) ?? messageOf(cause);
}

/** Text is written once this many characters are waiting (or when the run waits on its items). */
export const FLUSH_CHARS = 64 * 1024;

/**
 * Lines gathered into large writes. A write happens when {@link FLUSH_CHARS} are waiting,
 * or when the event loop is idle (the run is waiting for results), so results appear as
 * they complete without one write per result. When the stream is full, `add()` returns a
 * promise to wait on; a failed stream makes `add()` throw an {@link OutputError}.
 */
export class LineWriter {
  private text = "";
  private idleScheduled = false;
  /** The wait for the stream to drain, while one is under way. */
  private draining: Promise<void> | undefined;
  private failure: unknown;
  private readonly onError = (error: unknown) => {
    this.failure ??= error;
  };

  constructor(
    private readonly out: Writable,
    /** Named in errors: `standard output`, `--out FILE`. */
    private readonly where: string,
    private readonly limit = FLUSH_CHARS,
  ) {
    out.on("error", this.onError);
  }

  /** Adds one line (without its newline); a promise when the caller must wait before adding more. */
  add(line: string): Promise<void> | undefined {
    if (this.failure !== undefined) throw new OutputError(this.where, this.failure);
    this.text += `${line}\n`;
    if (this.text.length >= this.limit) return this.flush();
    if (!this.idleScheduled) {
      this.idleScheduled = true;
      setImmediate(this.writeWhenIdle);
    }
    return undefined;
  }

  /**
   * Writes what is waiting, and waits while the stream is full. Callers that wait at once
   * share one wait for the drain (one set of listeners on the stream, however many wait).
   */
  async flush(): Promise<void> {
    const text = this.take();
    if (text !== "" && !this.out.write(text)) {
      this.draining ??= this.settled("drain").finally(() => {
        this.draining = undefined;
      });
      await this.draining;
    }
    if (this.failure !== undefined) throw new OutputError(this.where, this.failure);
  }

  /**
   * Writes what is waiting and waits until the stream has taken it (or failed). The
   * writer keeps listening for errors: one told later must not go unhandled.
   */
  async finish(): Promise<void> {
    const text = this.take();
    if (text !== "" && this.failure === undefined) {
      // The callback has the error; the stream tells its listeners a tick later.
      await new Promise<void>((resolve) =>
        this.out.write(text, (error) => {
          if (error) this.failure ??= error;
          resolve();
        }),
      );
    }
    if (this.failure !== undefined) throw new OutputError(this.where, this.failure);
  }

  private take(): string {
    const text = this.text;
    this.text = "";
    return text;
  }

  private readonly writeWhenIdle = () => {
    this.idleScheduled = false;
    // A full stream waits for the next flush, which waits for it to drain.
    if (this.text === "" || this.failure !== undefined || this.out.writableNeedDrain) return;
    this.out.write(this.take());
  };

  /** Resolves on `event`, or when the stream fails or closes first. */
  private settled(event: "drain"): Promise<void> {
    const out = this.out;
    return new Promise((resolve) => {
      const done = () => {
        out.off(event, done);
        out.off("error", done);
        out.off("close", done);
        if (out.destroyed && this.failure === undefined) this.failure = new Error("the stream was closed");
        resolve();
      };
      out.on(event, done);
      out.on("error", done);
      out.on("close", done);
    });
  }
}

/** Where --out results go while the run lasts; `commit()` puts them in place, `discard()` leaves nothing. */
export interface OutFile {
  readonly stream: Writable;
  /** `--out FILE`, for errors. */
  readonly where: string;
  commit(): Promise<void>;
  discard(): Promise<void>;
}

/** A random part for a temporary file's name. */
export function randomName(): string {
  return randomBytes(8).toString("hex");
}

/**
 * Opens the --out destination before the run, so that one that cannot be written fails
 * before any item runs. A regular file (or none yet) is written as a temporary file,
 * created exclusively under a random name in the destination's folder and renamed over it
 * at the end: a failed run leaves the old file as it was. Anything else (a device such as
 * /dev/null, a FIFO) is written in place, as a shell's `>` would.
 */
export async function openOutFile(path: string, random: () => string = randomName): Promise<OutFile> {
  const where = `--out ${path}`;
  try {
    const existing = await stat(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return null;
      throw error;
    });
    // A link whose target does not exist yet: `>` creates the target, and so does this.
    if (existing === null) {
      const link = await lstat(path).catch(() => null);
      if (link?.isSymbolicLink()) {
        const target = resolve(dirname(path), await readlink(path));
        const temporary = await createTemporary(dirname(target), basename(target), random);
        return replacing(where, temporary, target);
      }
    }
    if (existing?.isDirectory()) throw Object.assign(new Error("is a folder"), { code: "EISDIR" });
    if (existing && !existing.isFile()) return inPlace(where, await open(path, "w"));
    // A link the user put at the destination is followed, as `>` would: its target is replaced.
    const destination = existing ? await realpath(path) : path;
    // As `>` would: a file this user may not write is refused (before any item runs), and
    // the new one keeps the old one's permissions (a 0600 file of results stays private).
    if (existing) await access(destination, constants.W_OK);
    const temporary = await createTemporary(dirname(destination), basename(destination), random);
    if (existing) {
      try {
        await temporary.handle.chmod(existing.mode & 0o7777);
      } catch (error) {
        await temporary.handle.close().catch(() => {});
        await rm(temporary.path, { force: true });
        throw error;
      }
    }
    return replacing(where, temporary, destination);
  } catch (error) {
    throw new OutputError(where, await explained(error, dirname(path)));
  }
}

/** A file that cannot be created in a folder that exists (/proc) is no missing folder. */
async function explained(error: unknown, folder: string): Promise<unknown> {
  if ((error as NodeJS.ErrnoException | null)?.code !== "ENOENT") return error;
  const found = await stat(folder).catch(() => null);
  return found?.isDirectory() ? new Error(`no file can be created in ${folder}`, { cause: error }) : error;
}

/**
 * Creates `.<name>.<random>.tmp` in `folder` with O_EXCL: never opens what is already
 * there (a link planted at the name included); tries another name if one is taken.
 */
export async function createTemporary(
  folder: string,
  name: string,
  random: () => string = randomName,
): Promise<{ path: string; handle: FileHandle }> {
  for (let attempt = 1; ; attempt++) {
    const path = join(folder, `.${name}.${random()}.tmp`);
    try {
      return { path, handle: await open(path, "wx", 0o666) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST" || attempt >= 10) throw error;
    }
  }
}

function inPlace(where: string, handle: FileHandle): OutFile {
  const stream = handle.createWriteStream();
  return {
    stream,
    where,
    commit: () => ended(stream, where),
    discard: async () => {
      stream.destroy();
      await handle.close().catch(() => {});
    },
  };
}

/** Temporary files being written: removed if the process ends before their run does (a task's `process.exit()`). */
const unfinished = new Set<string>();

function removeUnfinished(): void {
  for (const path of unfinished) {
    try {
      unlinkSync(path);
    } catch {
      // Gone already.
    }
  }
}

function replacing(
  where: string,
  temporary: { path: string; handle: FileHandle },
  destination: string,
): OutFile {
  // flush: on disk (fsync) before it closes, and so before the rename: a crash leaves the
  // old file or the whole new one.
  const stream = temporary.handle.createWriteStream({ flush: true });
  if (unfinished.size === 0) process.on("exit", removeUnfinished);
  unfinished.add(temporary.path);
  return {
    stream,
    where,
    commit: async () => {
      try {
        await ended(stream, where);
        await rename(temporary.path, destination);
        finished(temporary.path);
      } catch (error) {
        await discardTemporary(stream, temporary);
        throw error instanceof OutputError ? error : new OutputError(where, error);
      }
    },
    discard: () => discardTemporary(stream, temporary),
  };
}

function finished(path: string): void {
  if (unfinished.delete(path) && unfinished.size === 0) process.off("exit", removeUnfinished);
}

async function discardTemporary(stream: Writable, temporary: { path: string; handle: FileHandle }) {
  stream.destroy();
  await temporary.handle.close().catch(() => {});
  await rm(temporary.path, { force: true });
  finished(temporary.path);
}

/** Ends a file stream and waits until it is written and closed. */
function ended(stream: Writable, where: string): Promise<void> {
  if (stream.closed) {
    return stream.errored ? Promise.reject(new OutputError(where, stream.errored)) : Promise.resolve();
  }
  return new Promise((resolve, reject) => {
    let failure: unknown;
    stream.once("error", (error) => {
      failure ??= error;
    });
    stream.once("close", () => (failure === undefined ? resolve() : reject(new OutputError(where, failure))));
    stream.end();
  });
}
