import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseInput, type TaskRefInput, TaskRefSchema } from "@amorsize/types";
import { TaskLoadError } from "./errors.js";
import { loadedTask, loadTask, moduleIsMissing, moduleMissing, type TaskFunction } from "./load.js";
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
 * How long the calling thread waits for a task module's import, milliseconds: far past
 * what loading code takes (a module whose top level loads a large model for 12 s is
 * waited for), so that an import still pending is one that never ends.
 */
export const IMPORT_WAIT_MS = 120_000;

/**
 * Imports a task in the current thread (once per module) and returns its export, or
 * throws a {@link TaskLoadError} naming the module, the export and what went wrong. The
 * one loader of the project: workers use {@link loadTask}, the calling thread this, with
 * the same codes and messages.
 */
export function importTask(task: ResolvedTask | TaskRefInput): Promise<TaskFunction> {
  return importTaskWithin(task, IMPORT_WAIT_MS);
}

/**
 * {@link importTask} waiting at most `boundMs` for the module's import: past it, the call
 * fails with a TaskLoadError (`AMORSIZE_TASK_LOAD_FAILED`). A module whose top-level await
 * never settles (a promise nothing resolves, a connection never made) held `execute()` for
 * ever in a process that stays up (a server). The timer keeps no process alive: one with
 * nothing else to do ends as before, exit code 13 and Node's warning naming the module,
 * at once rather than after the bound. The import itself cannot be stopped: a module that was only
 * slow is found loaded by a later call. A module whose top level loops never yields this
 * thread at all: only a worker can bound it (`sample.isolate`).
 */
export async function importTaskWithin(
  task: ResolvedTask | TaskRefInput,
  boundMs: number,
): Promise<TaskFunction> {
  const resolved = resolvedOf(task);
  const ready = loadedTask(resolved.href, resolved.exportName);
  if (ready !== undefined) return ready;
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(importTimeout(resolved, boundMs)), boundMs);
    // A process with nothing else to do ends as Node ends it (exit code 13, a warning naming the module).
    timer.unref();
  });
  try {
    const loaded = await Promise.race([loadTask(resolved.href, resolved.exportName), bound]);
    if (typeof loaded === "function") return loaded;
    throw taskLoadError(resolved, loaded);
  } finally {
    clearTimeout(timer);
  }
}

function importTimeout(task: ResolvedTask, boundMs: number): TaskLoadError {
  return new TaskLoadError(
    "AMORSIZE_TASK_LOAD_FAILED",
    task.href,
    task.exportName,
    `its import had not ended within ${boundMs} ms in the calling thread (a top-level await that never settles?)`,
  );
}

/**
 * Throws the {@link TaskLoadError} a load would give (`AMORSIZE_TASK_NOT_FOUND`) when the
 * task's module is a file that does not exist; imports nothing. For a caller that loads
 * the task in a worker only, and would otherwise learn of a mistyped path after whatever
 * it does first (a session's guarded call: the machine's probe, its spawn cost).
 */
export function assertTaskModuleExists(task: ResolvedTask | TaskRefInput): void {
  const resolved = resolvedOf(task);
  if (moduleIsMissing(resolved.href)) throw taskLoadError(resolved, moduleMissing(resolved.href));
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
