// Which version of a task module a session runs: a module edited on disk is imported afresh.
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
 * The versions of task modules the session ran (their hashes: see `fileHash`, read again
 * only when the file changed on disk). A module imported once
 * stays in a thread's module map for good, keyed by URL: when its content differs from
 * the first version the session ran, the session imports it under its URL with a
 * `?amorsize-version=<hash>` query, which the module loader treats as another module, in
 * the calling thread and in warm workers alike. Each version stays in memory; a session
 * meant to outlive many edits is closed and made again.
 */
export class ModuleVersions {
  /** Module paths, by URL (a URL is read once). */
  readonly #paths = new Map<string, string>();
  /**
   * The hash each module URL had the first time it ran: that version has the plain URL.
   * Never dropped: forgetting it would take a later version for the first and run the
   * module imported under the plain URL; it is small beside the module it stands for.
   */
  readonly #first = new Map<string, string>();

  /** `capacity`: module paths remembered, oldest dropped first (a dropped one is worked out again). */
  constructor(private readonly capacity: number) {}

  of(task: ResolvedTask): TaskVersion {
    const hash = this.#hash(task.href);
    if (hash === null) return { task, profileKey: task.key, hash };
    const first = this.#first.get(task.href);
    if (first === undefined) this.#first.set(task.href, hash);
    const profileKey = `${task.key}@${hash}`;
    if (first === undefined || first === hash) return { task, profileKey, hash };
    const href = `${task.href}${task.href.includes("?") ? "&" : "?"}amorsize-version=${hash.slice(0, 16)}`;
    return {
      task: { href, exportName: task.exportName, key: `${href}#${task.exportName}` },
      profileKey,
      hash,
    };
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
