// Loading a task module, in a worker or in the calling thread. The worker entry imports
// this module, so it stays free of @amorsize/types (see worker.ts); the error a failed
// load becomes is built in task.ts.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type LoadFailure, serializeError } from "./protocol.js";

/** A task function: one item in, a result or a promise of one out. */
export type TaskFunction = (item: unknown) => unknown;

/** A task module's namespace, boxed: a promise never resolves with the namespace itself. */
interface Boxed {
  readonly n: Record<string, unknown>;
}

// One import per module per thread, whatever the number of runs.
const modules = new Map<string, Promise<Boxed>>();
/** The namespaces of the modules whose import has resolved, read without awaiting. */
const imported = new Map<string, Record<string, unknown>>();

/**
 * A one-line module that imports the task module and re-exports its namespace as `n`.
 * A promise resolved with a namespace that has a `then` export treats it as a thenable:
 * `import(href)` would call the task as `then(resolve, reject)`, which hangs or resolves
 * with anything. The wrapper's namespace has no `then`, and the task module's namespace
 * stays inside it, never itself the value of a promise.
 */
function wrapperOf(href: string): string {
  return `data:text/javascript,${encodeURIComponent(`import*as n from ${JSON.stringify(href)};export{n}`)}`;
}

function importOnce(href: string): Promise<Boxed> {
  let pending = modules.get(href);
  if (pending === undefined) {
    pending = import(wrapperOf(href)) as Promise<Boxed>;
    modules.set(href, pending);
    pending.then(
      (boxed) => imported.set(href, boxed.n),
      () => undefined,
    );
    // A failed import is not kept, so a module fixed on disk can be tried again.
    pending.catch(() => modules.delete(href));
  }
  return pending;
}

/** Why a task whose module is a file that does not exist cannot load. */
export const MODULE_MISSING = {
  code: "AMORSIZE_TASK_NOT_FOUND",
  detail: "the module does not exist",
} as const;

export function moduleIsMissing(href: string): boolean {
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
    namespace = (await importOnce(href)).n;
  } catch (error) {
    const cause = serializeError(error);
    if (moduleIsMissing(href)) return { ...MODULE_MISSING, cause };
    return {
      code: "AMORSIZE_TASK_LOAD_FAILED",
      detail: `the module threw while loading: ${cause.message}`,
      cause,
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
 * The task function `exportName` of `href` when its import resolved in this thread
 * already, read at once (a short map's awaits of a loaded module cost it more than its
 * lookup); undefined when it is not loaded or not a function (`loadTask` says why).
 */
export function loadedTask(href: string, exportName: string): TaskFunction | undefined {
  const value = imported.get(href)?.[exportName];
  return typeof value === "function" ? (value as TaskFunction) : undefined;
}
