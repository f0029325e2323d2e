import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { resolveTask as resolveExecutorTask, TaskLoadError } from "@amorsize/executor";
import type { TaskRefInput } from "@amorsize/types";

/** A task with its module as an absolute file URL. */
export interface ResolvedTask {
  /** Absolute `file:` URL (or other URL) of the module. */
  readonly url: string;
  readonly export: string;
}

/**
 * Validates a task reference and resolves its module (a relative path against the
 * current working directory), exactly as the executor's workers will.
 */
export function resolveTask(task: TaskRefInput): ResolvedTask {
  const resolved = resolveExecutorTask(task);
  return { url: resolved.href, export: resolved.exportName };
}

/** Parses the CLI form `./hash.js#sha256` (export defaults to `default`). */
export function parseTaskSpec(spec: string): TaskRefInput {
  const hash = spec.lastIndexOf("#");
  if (hash <= 0) return { module: spec };
  return { module: spec.slice(0, hash), export: spec.slice(hash + 1) };
}

type TaskFunction = (item: unknown) => unknown;
const loaded = new Map<string, Promise<TaskFunction>>();

/**
 * Imports the task module in this thread (once per module and export) and returns
 * the export, or throws a TaskLoadError naming the module and the export.
 */
export function loadTask(task: ResolvedTask): Promise<TaskFunction> {
  const key = `${task.url}#${task.export}`;
  let pending = loaded.get(key);
  if (!pending) {
    pending = importExport(task);
    loaded.set(key, pending);
    // A failed import may succeed later (the file may appear); do not keep failures.
    pending.catch(() => loaded.delete(key));
  }
  return pending;
}

async function importExport(task: ResolvedTask): Promise<TaskFunction> {
  let namespace: Record<string, unknown>;
  try {
    namespace = (await import(task.url)) as Record<string, unknown>;
  } catch (error) {
    // Whether the file exists tells "not there" from "there but broken", whatever the
    // loader (Node's, or a test runner's) calls its error.
    if (task.url.startsWith("file:") && !existsSync(fileURLToPath(task.url))) {
      throw new TaskLoadError(
        "AMORSIZE_TASK_NOT_FOUND",
        task.url,
        task.export,
        "cannot find the module",
        error,
      );
    }
    throw new TaskLoadError(
      "AMORSIZE_TASK_LOAD_FAILED",
      task.url,
      task.export,
      `the module threw while loading: ${error instanceof Error ? error.message : String(error)}`,
      error,
    );
  }
  if (!(task.export in namespace)) {
    const available = Object.keys(namespace).join(", ") || "none";
    throw new TaskLoadError(
      "AMORSIZE_EXPORT_NOT_FOUND",
      task.url,
      task.export,
      `the module has no export "${task.export}" (exports: ${available})`,
    );
  }
  const fn = namespace[task.export];
  if (typeof fn !== "function") {
    throw new TaskLoadError(
      "AMORSIZE_EXPORT_NOT_FUNCTION",
      task.url,
      task.export,
      `export "${task.export}" is a ${fn === null ? "null" : typeof fn}, not a function`,
    );
  }
  return fn as TaskFunction;
}
