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
  /**
   * The reference objects seen, with what they named then: a caller that passes the same
   * object each call finds it by identity, without building its key (its fields are
   * compared, since an object can be changed between calls).
   */
  readonly #byObject = new WeakMap<
    object,
    { module: string; name: unknown; cwd: string; resolved: ResolvedTask }
  >();

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.#tasks.size;
  }

  of(task: TaskRefInput): ResolvedTask {
    if (task !== null && typeof task === "object" && onlyTaskKeys(task)) {
      const seen = this.#byObject.get(task);
      const { module, export: name } = task as { module?: unknown; export?: unknown };
      if (seen !== undefined && seen.module === module && seen.name === name && seen.cwd === process.cwd()) {
        return seen.resolved;
      }
    }
    const resolved = this.#resolve(task);
    const { module, export: name } = task as { module?: unknown; export?: unknown };
    if (typeof module === "string")
      this.#byObject.set(task as object, { module, name, cwd: process.cwd(), resolved });
    return resolved;
  }

  #resolve(task: TaskRefInput): ResolvedTask {
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
  if (task === null || typeof task !== "object" || !onlyTaskKeys(task)) return null;
  const { module, export: name } = task as { module?: unknown; export?: unknown };
  if (name !== undefined && typeof name !== "string") return null;
  const where = typeof module === "string" ? module : module instanceof URL ? module.href : null;
  if (where === null) return null;
  // Each part with its length first: no two references run into the same key.
  const cwd = process.cwd();
  const exported = name === undefined ? "-" : `+${name}`;
  return `${cwd.length}:${cwd}${where.length}:${where}${exported}`;
}

/** Whether a reference holds `module` and `export` only: another key (a mistyped `exprt`) is for validation to name. */
function onlyTaskKeys(task: object): boolean {
  for (const key of Object.keys(task)) if (key !== "module" && key !== "export") return false;
  return true;
}
