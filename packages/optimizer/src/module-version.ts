// Which version of a task module a session runs: a module edited on disk is imported afresh.
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { ResolvedTask } from "@amorsize/executor";

/** A task as a session runs it: the URL its version is imported from, and the key its profile is kept under. */
export interface TaskVersion {
  /** The task to run: its own URL, or, once its module changed on disk, a URL naming that version. */
  task: ResolvedTask;
  /** `href#export@hash` (no hash for a module that is not a readable file). */
  profileKey: string;
  hash: string | null;
}

interface Seen {
  /** The module's file path (its URL read once). */
  path: string;
  mtimeMs: number;
  ctimeMs: number;
  size: number;
  hash: string;
}

/**
 * Content hashes of task modules, read again only when the file's size or times change
 * (a `stat` costs microseconds, a hash of a large module more). A module imported once
 * stays in a thread's module map for good, keyed by URL: when its content differs from
 * the first version the session ran, the session imports it under its URL with a
 * `?amorsize-version=<hash>` query, which the module loader treats as another module, in
 * the calling thread and in warm workers alike. Each version stays in memory; a session
 * meant to outlive many edits is closed and made again.
 */
export class ModuleVersions {
  readonly #seen = new Map<string, Seen>();
  /**
   * The hash each module URL had the first time it ran: that version has the plain URL.
   * Never dropped: forgetting it would take a later version for the first and run the
   * module imported under the plain URL; it is small beside the module it stands for.
   */
  readonly #first = new Map<string, string>();

  /** `capacity`: file states remembered, oldest dropped first (a dropped one is hashed again). */
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
      const seen = this.#seen.get(href);
      const path = seen?.path ?? fileURLToPath(href);
      const { mtimeMs, ctimeMs, size } = statSync(path);
      if (seen && seen.mtimeMs === mtimeMs && seen.ctimeMs === ctimeMs && seen.size === size)
        return seen.hash;
      const hash = createHash("sha256").update(readFileSync(path)).digest("hex");
      this.#remember(href, { path, mtimeMs, ctimeMs, size, hash });
      return hash;
    } catch {
      return null;
    }
  }

  #remember(key: string, value: Seen): void {
    this.#seen.delete(key);
    this.#seen.set(key, value);
    if (this.#seen.size > this.capacity) this.#seen.delete(this.#seen.keys().next().value as string);
  }
}
