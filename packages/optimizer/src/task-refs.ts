// Task references a session has resolved: the same module and export are validated and
// resolved once, not on every call.
import { type ResolvedTask, resolveTask } from "@amorsize/executor";
import type { TaskRefInput } from "@amorsize/types";

/**
 * Resolved tasks by what names them: the module (a string, or a `URL` by its `href` now),
 * the export, and the working directory a relative path resolves against. Validation
 * depends on nothing else, so a reference seen before resolves as it did then. A
 * reference that fails validation is not kept; at most `capacity` are (oldest out first).
 */
export class ResolvedTasks {
  readonly #tasks = new Map<string, ResolvedTask>();

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.#tasks.size;
  }

  of(task: TaskRefInput): ResolvedTask {
    const key = keyOf(task);
    if (key === null) return resolveTask(task);
    let resolved = this.#tasks.get(key);
    if (resolved === undefined) {
      resolved = resolveTask(task);
      this.#tasks.set(key, resolved);
      if (this.#tasks.size > this.capacity) this.#tasks.delete(this.#tasks.keys().next().value as string);
    }
    return resolved;
  }
}

/** The cache key of a reference, or null for one that is not a plain module and export (validation says what is wrong). */
function keyOf(task: unknown): string | null {
  if (task === null || typeof task !== "object") return null;
  const { module, export: name } = task as { module?: unknown; export?: unknown };
  if (name !== undefined && typeof name !== "string") return null;
  const where = typeof module === "string" ? module : module instanceof URL ? module.href : null;
  if (where === null) return null;
  // Each part with its length first: no two references run into the same key.
  const cwd = process.cwd();
  const exported = name === undefined ? "-" : `+${name}`;
  return `${cwd.length}:${cwd}${where.length}:${where}${exported}`;
}
