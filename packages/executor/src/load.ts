import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { messageOf, TaskLoadError } from "./errors.js";
import { type LoadFailure, rebuildError, serializeError } from "./protocol.js";
import type { ResolvedTask } from "./task.js";

/** A task function: one item in, a result or a promise of one out. */
export type TaskFunction = (item: unknown) => unknown;

// One import per module per thread, whatever the number of runs.
const modules = new Map<string, Promise<Record<string, unknown>>>();

function importOnce(href: string): Promise<Record<string, unknown>> {
  let pending = modules.get(href);
  if (pending === undefined) {
    pending = import(href) as Promise<Record<string, unknown>>;
    modules.set(href, pending);
    // A failed import is not kept, so a module fixed on disk can be tried again.
    pending.catch(() => modules.delete(href));
  }
  return pending;
}

function moduleIsMissing(href: string): boolean {
  if (!href.startsWith("file:")) return false;
  try {
    return !existsSync(fileURLToPath(href));
  } catch {
    return false;
  }
}

/**
 * Imports `href` in the current thread and returns its export `exportName`, or a
 * description of why it cannot be used. Never throws.
 */
export async function loadTask(href: string, exportName: string): Promise<TaskFunction | LoadFailure> {
  let namespace: Record<string, unknown>;
  try {
    namespace = await importOnce(href);
  } catch (error) {
    const missing = moduleIsMissing(href);
    return {
      code: missing ? "AMORSIZE_TASK_NOT_FOUND" : "AMORSIZE_TASK_LOAD_FAILED",
      detail: missing ? "the module does not exist" : `the module threw while loading: ${messageOf(error)}`,
      cause: serializeError(error),
    };
  }
  if (!(exportName in namespace)) {
    const names = Object.keys(namespace);
    return {
      code: "AMORSIZE_EXPORT_NOT_FOUND",
      detail: `the module has no export "${exportName}" (it exports ${names.length > 0 ? names.map((n) => `"${n}"`).join(", ") : "nothing"})`,
    };
  }
  const value = namespace[exportName];
  if (typeof value !== "function") {
    return {
      code: "AMORSIZE_EXPORT_NOT_FUNCTION",
      detail: `export "${exportName}" is ${value === null ? "null" : typeof value}, not a function`,
    };
  }
  return value as TaskFunction;
}

/**
 * Imports a task in the current thread (once per module) and returns its export, or
 * throws a {@link TaskLoadError} naming the module, the export and what went wrong. The
 * one loader of the project: workers use {@link loadTask}, the calling thread this, with
 * the same codes and messages.
 */
export async function importTask(task: ResolvedTask): Promise<TaskFunction> {
  const loaded = await loadTask(task.href, task.exportName);
  if (typeof loaded === "function") return loaded;
  throw taskLoadError(task, loaded);
}

/** Builds the error for a task that does not load. */
export function taskLoadError(task: ResolvedTask, failure: LoadFailure): TaskLoadError {
  const cause = failure.cause === undefined ? undefined : rebuildError(failure.cause);
  return new TaskLoadError(failure.code, task.href, task.exportName, failure.detail, cause);
}
