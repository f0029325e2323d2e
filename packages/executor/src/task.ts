import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseInput, type TaskRefInput, TaskRefSchema } from "@amorsize/types";
import { TaskLoadError } from "./errors.js";
import { loadTask, MODULE_MISSING, moduleIsMissing, type TaskFunction } from "./load.js";
import { type LoadFailure, rebuildError } from "./protocol.js";

/** A validated task: where to import it from and which export to call. */
export interface ResolvedTask {
  /** Module URL (`file:///...`). */
  readonly href: string;
  readonly exportName: string;
  /** `href#export`, for caches and messages. */
  readonly key: string;
}

// A scheme of two letters or more: "C:\x" stays a Windows path.
const URL_LIKE = /^[a-zA-Z][a-zA-Z\d+.-]+:/;

/**
 * Validates a task reference and turns its module into a URL: a `URL` or URL string is
 * kept, a path is resolved against the current working directory.
 */
export function resolveTask(task: TaskRefInput): ResolvedTask {
  const ref = parseInput(TaskRefSchema, task, "task");
  const module = ref.module;
  let href: string;
  if (module instanceof URL) href = module.href;
  else if (URL_LIKE.test(module)) href = new URL(module).href;
  else href = pathToFileURL(resolve(process.cwd(), module)).href;
  return { href, exportName: ref.export, key: `${href}#${ref.export}` };
}

/**
 * Imports a task in the current thread (once per module) and returns its export, or
 * throws a {@link TaskLoadError} naming the module, the export and what went wrong. The
 * one loader of the project: workers use {@link loadTask}, the calling thread this, with
 * the same codes and messages.
 */
export async function importTask(task: ResolvedTask | TaskRefInput): Promise<TaskFunction> {
  const resolved = resolvedOf(task);
  const loaded = await loadTask(resolved.href, resolved.exportName);
  if (typeof loaded === "function") return loaded;
  throw taskLoadError(resolved, loaded);
}

/**
 * Throws the {@link TaskLoadError} a load would give (`AMORSIZE_TASK_NOT_FOUND`) when the
 * task's module is a file that does not exist; imports nothing. For a caller that loads
 * the task in a worker only, and would otherwise learn of a mistyped path after whatever
 * it does first (a session's guarded call: the machine's probe, its spawn cost).
 */
export function assertTaskModuleExists(task: ResolvedTask | TaskRefInput): void {
  const resolved = resolvedOf(task);
  if (moduleIsMissing(resolved.href)) throw taskLoadError(resolved, MODULE_MISSING);
}

/**
 * `task` as a {@link ResolvedTask}: one from {@link resolveTask} as it is (the hot path's
 * check is three `typeof`s), a task reference resolved now, so `{ module, export }` passed
 * where a resolved task is documented works, and anything else is the same validation
 * error resolveTask() gives, naming the field.
 */
export function resolvedOf(task: ResolvedTask | TaskRefInput): ResolvedTask {
  const t = task as Partial<ResolvedTask> | null;
  if (
    t !== null &&
    typeof t === "object" &&
    typeof t.href === "string" &&
    typeof t.exportName === "string" &&
    typeof t.key === "string"
  ) {
    return t as ResolvedTask;
  }
  return resolveTask(task as TaskRefInput);
}

/** Builds the error for a task that does not load. */
export function taskLoadError(task: ResolvedTask, failure: LoadFailure): TaskLoadError {
  const cause = failure.cause === undefined ? undefined : rebuildError(failure.cause);
  return new TaskLoadError(failure.code, task.href, task.exportName, failure.detail, cause);
}
