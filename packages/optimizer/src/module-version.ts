// Which version of a task module a session runs: a module edited on disk is imported afresh.
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import type { ResolvedTask } from "@amorsize/executor";
import { fileHash } from "./file-hash.js";

/** A task as a session runs it: the URL its version is imported from, and the key its profile is kept under. */
export interface TaskVersion {
  /** The task to run: its own URL, or, once its module changed on disk, a URL naming that version. */
  task: ResolvedTask;
  /** `href#export@hash` (no hash for a module that is not a readable file). */
  profileKey: string;
  hash: string | null;
}

/**
 * A module checked for edits earlier in the same turn of the event loop, at most this
 * long ago, milliseconds, is not checked again. The check is a `stat` of the file, about
 * 5 us in a loop of them and 25-80 us between calls that run other work (measured on 2
 * cores beside calls of ten 50 us items: a tenth of such a call). Calls that await I/O
 * or timers between them (a server's requests, an edit written with `fs.promises`) are
 * each in a turn of their own and always check; calls run back to back in one turn (a
 * loop awaiting short calls) check once per this many milliseconds, so an edit written
 * synchronously between two of them is seen within this long.
 */
export const RECHECK_MS = 100;

/**
 * The hash each module URL had the first time a call of this process ran it (a session's
 * or a top-level one): that version has the plain URL, in this thread's module map and in
 * every worker. One map for the process, as the module map is: a session made after an
 * edit knows which version the plain URL holds here. Never dropped: forgetting it would
 * take a later version for the first and run the module imported under the plain URL;
 * it is small beside the module it stands for.
 */
const firstHashes = new Map<string, string>();

/** A module's version as last checked: the turn and the time of the check. */
interface Checked {
  version: TaskVersion;
  turn: number;
  at: number;
}

/**
 * The versions of task modules the session ran (their hashes: see `fileHash`, read again
 * only when the file changed on disk; the file looked at as {@link RECHECK_MS} says). A module imported once
 * stays in a thread's module map for good, keyed by URL: when its content differs from
 * the first version the session ran, the session imports it under its URL with a
 * `?amorsize-version=<hash>` query, which the module loader treats as another module, in
 * the calling thread and in warm workers alike. Each version stays in memory; a session
 * meant to outlive many edits is closed and made again.
 */
export class ModuleVersions {
  /** Module paths, by URL (a URL is read once). */
  readonly #paths = new Map<string, string>();

  /** The last check of each task, by its key (oldest dropped first past `capacity`). */
  readonly #checked = new Map<string, Checked>();
  /** Turns of the event loop seen since the first check (an immediate counts them). */
  #turn = 0;
  #counting = false;

  /** `capacity`: module paths and checks remembered, oldest dropped first (a dropped one is worked out again). */
  constructor(private readonly capacity: number) {}

  of(task: ResolvedTask): TaskVersion {
    const now = performance.now();
    // By key: a top-level call resolves its task afresh each time (a new object, the same key).
    const seen = this.#checked.get(task.key);
    if (seen !== undefined && seen.turn === this.#turn && now - seen.at < RECHECK_MS) {
      return seen.version;
    }
    const hash = this.#hash(task.href);
    // The same version as the last check: the same object (its strings are not built again).
    const version =
      seen !== undefined && seen.version.hash === hash ? seen.version : this.#version(task, hash);
    this.#checked.delete(task.key);
    this.#checked.set(task.key, { version, turn: this.#turn, at: now });
    if (this.#checked.size > this.capacity) this.#checked.delete(this.#checked.keys().next().value as string);
    this.#countTurn();
    return version;
  }

  #version(task: ResolvedTask, hash: string | null): TaskVersion {
    if (hash === null) return { task, profileKey: task.key, hash };
    const first = firstHashes.get(task.href);
    if (first === undefined) firstHashes.set(task.href, hash);
    const profileKey = `${task.key}@${hash}`;
    if (first === undefined || first === hash) return { task, profileKey, hash };
    const href = `${task.href}${task.href.includes("?") ? "&" : "?"}amorsize-version=${hash.slice(0, 16)}`;
    return {
      task: { href, exportName: task.exportName, key: `${href}#${task.exportName}` },
      profileKey,
      hash,
    };
  }

  /** The turn ends with this one's immediates: checks made in it are not reused after. Keeps nothing alive. */
  #countTurn(): void {
    if (this.#counting) return;
    this.#counting = true;
    setImmediate(() => {
      this.#turn++;
      this.#counting = false;
    }).unref();
  }

  #hash(href: string): string | null {
    if (!href.startsWith("file:")) return null;
    try {
      let path = this.#paths.get(href);
      if (path === undefined) {
        path = fileURLToPath(href);
        this.#paths.set(href, path);
        if (this.#paths.size > this.capacity) this.#paths.delete(this.#paths.keys().next().value as string);
      }
      return fileHash(path);
    } catch {
      return null;
    }
  }
}

/**
 * The versions the top-level functions (`execute()`, `stream()`, `optimize()`) run: a
 * module edited on disk since a call of this process ran it is run as its new version in
 * this thread and in the workers alike, where the sampled items ran the version this
 * thread had imported and the workers the one on disk (one call's results from two
 * versions of the task).
 */
export const topLevelVersions = new ModuleVersions(1024);

/** The task key without the version a session or a top-level call named (`?amorsize-version=`): the same for one module's every version. */
export function unversionedKey(key: string): string {
  return key.replace(/[?&]amorsize-version=[0-9a-f]+/, "");
}
