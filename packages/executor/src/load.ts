// Loading a task module, in a worker or in the calling thread. The worker entry imports
// this module, so it stays free of @amorsize/types (see worker.ts); the error a failed
// load becomes is built in task.ts.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { type LoadFailure, type SerializedError, serializeError } from "./protocol.js";

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
/** Each module's exports as {@link exportOf} resolved them, by href, then name: a module's namespace never changes. */
const resolvedExports = new Map<string, Map<string, unknown>>();

/**
 * Export `name` of a module, undefined when it has none. Node gives a CommonJS module's
 * `module.exports` as the default export, and as named exports only the names its static
 * analysis finds: `module.exports = { dbl: (x) => x * 2 }` has no named export `dbl` ("it
 * exports default"), which a pool user's CommonJS worker file often writes; it is taken
 * from the default export then. A function that is a property of the default export (a
 * CommonJS module's, found or not) is bound to it, as `exports.scale(x)` calls it: a
 * method that reads `this.factor` returned NaN for every item.
 */
function exportOf(href: string, namespace: Record<string, unknown>, name: string): unknown {
  let known = resolvedExports.get(href);
  let found = known?.get(name);
  if (found === undefined) {
    // Resolved once per module and name (a short serial call reads it on every call).
    found = resolveExport(namespace, name);
    if (found === undefined) return undefined;
    if (known === undefined) {
      known = new Map();
      resolvedExports.set(href, known);
    }
    known.set(name, found);
  }
  // A named export is read live (a module may assign it later); one from the default is its bound copy.
  return found === OWN_EXPORT ? namespace[name] : found;
}

/** What {@link resolveExport} gives for a name the module's namespace has as its own. */
const OWN_EXPORT = Symbol("own export");

/** {@link exportOf}'s lookup, uncached: OWN_EXPORT, a value from the default export, or undefined. */
function resolveExport(namespace: Record<string, unknown>, name: string): unknown {
  const own = name in namespace;
  const ownOrNone = own ? OWN_EXPORT : undefined;
  let value: unknown;
  let holder: unknown;
  try {
    holder = name === "default" ? undefined : namespace.default;
    // Own properties only: `toString` is no export of a module whose default is an object.
    const held =
      (typeof holder === "object" || typeof holder === "function") &&
      holder !== null &&
      Object.hasOwn(holder, name);
    if (!held) return ownOrNone;
    value = (holder as Record<string, unknown>)[name];
  } catch {
    // A default export that throws when looked into (a Proxy's trap): the module's own names stand.
    return ownOrNone;
  }
  // A named export other than the default's property is the module's own.
  if (own && namespace[name] !== value) return OWN_EXPORT;
  return typeof value === "function" ? value.bind(holder) : value;
}

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

/** This thread's CommonJS module cache (Node's `require.cache`). */
const commonJsCache = createRequire(import.meta.url).cache;

/**
 * Before a module is imported under a URL with a query (another version of a file: a
 * session's `?amorsize-version=` after an edit), the file's entry in the CommonJS cache is
 * dropped. Node imports a CommonJS file through that cache, by path, whatever the URL's
 * query: an edited `.cjs` task module gave its first version's exports again, in the calling
 * thread and in warm workers. Only the file itself loads afresh (as an ES module's
 * version does: what it requires stays cached), and only when it is in the cache.
 */
function forgetCommonJs(href: string): void {
  if (!href.startsWith("file:") || !href.includes("?")) return;
  try {
    const path = fileURLToPath(href);
    if (path in commonJsCache) delete commonJsCache[path];
  } catch {
    // Not a path this thread can name: nothing cached under it.
  }
}

function importOnce(href: string): Promise<Boxed> {
  let pending = modules.get(href);
  if (pending === undefined) {
    forgetCommonJs(href);
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

/**
 * Why a task whose module is a file that does not exist cannot load. A module named as a
 * package is (`{ module: "lodash" }`, read as the file ./lodash) is told so, when the
 * package is there to import.
 */
export function moduleMissing(href: string): { code: "AMORSIZE_TASK_NOT_FOUND"; detail: string } {
  let detail = "the module does not exist";
  try {
    const named = packageNamed(fileURLToPath(href));
    if (named !== null) {
      const what =
        named.spec === named.name ? "is a package" : `is in the package ${JSON.stringify(named.name)}`;
      detail +=
        ` (a module is a file or URL, not a package name: ${JSON.stringify(named.spec)} ${what} in ${named.folder};` +
        " name a module of yours that imports it)";
    }
  } catch {
    // Not a file URL: the plain reason.
  }
  return { code: "AMORSIZE_TASK_NOT_FOUND", detail };
}

/** Path segments a package specifier can take: `@scope/name/sub`. */
const SPECIFIER_SEGMENTS = 3;

/**
 * The package a missing file's path names as a specifier would (`lodash`, `@babel/parser`,
 * `highlight.js`, `lodash/fp`), with the `node_modules` folder it is in: its last one to
 * three segments read as the specifier the path was resolved from, the package looked for
 * as Node resolves one, in the `node_modules` of that folder and of each folder above it.
 * Null when no such package is there.
 */
export function packageNamed(path: string): { spec: string; name: string; folder: string } | null {
  const segments = path.split(sep).filter((s) => s !== "");
  for (let k = 1; k <= Math.min(SPECIFIER_SEGMENTS, segments.length - 1); k++) {
    const tail = segments.slice(-k);
    const scoped = tail[0]!.startsWith("@");
    if (scoped && k === 1) continue;
    const name = scoped ? `${tail[0]}/${tail[1]}` : tail[0]!;
    let base = path;
    for (let i = 0; i < k; i++) base = dirname(base);
    for (let dir = base; ; dir = dirname(dir)) {
      const folder = join(dir, "node_modules");
      if (existsSync(join(folder, name, "package.json"))) return { spec: tail.join("/"), name, folder };
      if (dirname(dir) === dir) break;
    }
  }
  return null;
}

/**
 * Why an import failed, for a TaskLoadError's message: a file Node cannot import as a
 * module at all (`ERR_UNKNOWN_FILE_EXTENSION`: a TypeScript file, say, where this Node does
 * not strip types) is named as such, the task module itself or a file it imports, with what
 * to give instead; anything else, the module threw while loading.
 */
export function loadFailureDetail(href: string, cause: SerializedError): string {
  const unknown = /Unknown file extension "([^"]*)" for (.+)$/.exec(cause.message);
  if (cause.props?.code !== "ERR_UNKNOWN_FILE_EXTENSION" || unknown === null) {
    return `the module threw while loading: ${cause.message}`;
  }
  const [, ext, path] = unknown;
  const node = `Node ${process.versions.node}`;
  if (path === pathOf(href)) {
    return `${node} cannot import a "${ext}" file as a module (${cause.message}): give the task as JavaScript (.js, .mjs or .cjs), compiled from it`;
  }
  return `it imports ${path}, a "${ext}" file ${node} cannot import as a module (${cause.message}): import JavaScript compiled from it`;
}

/** The file path of a `file:` URL, without its query; null for another URL. */
function pathOf(href: string): string | null {
  try {
    const url = new URL(href);
    url.search = "";
    url.hash = "";
    return url.protocol === "file:" ? fileURLToPath(url) : null;
  } catch {
    return null;
  }
}

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
    if (moduleIsMissing(href)) return { ...moduleMissing(href), cause };
    return { code: "AMORSIZE_TASK_LOAD_FAILED", detail: loadFailureDetail(href, cause), cause };
  }
  const value = exportOf(href, namespace, exportName);
  if (value === undefined && !(exportName in namespace)) {
    const names = Object.keys(namespace);
    return {
      code: "AMORSIZE_EXPORT_NOT_FOUND",
      detail: `the module has no export "${exportName}" (it exports ${names.length > 0 ? names.map((n) => `"${n}"`).join(", ") : "nothing"})`,
    };
  }
  if (typeof value !== "function") {
    return {
      code: "AMORSIZE_EXPORT_NOT_FUNCTION",
      detail: `export "${exportName}" is ${value === null ? "null" : typeof value}, not a function${functionsWithin(href, namespace, value)}`,
    };
  }
  return value as TaskFunction;
}

/**
 * The functions an export that is an object holds and a task can name (a CommonJS
 * module's `module.exports = { hash }`, read as its default export), as a hint; "" when
 * none. The error named the object alone, and a task left as `module` (the default) or
 * `module#default` gave no clue that `module#hash` was meant.
 */
function functionsWithin(href: string, namespace: Record<string, unknown>, value: unknown): string {
  if (typeof value !== "object" || value === null) return "";
  const names = Object.keys(value)
    .filter((name) => typeof exportOf(href, namespace, name) === "function")
    .slice(0, 5);
  if (names.length === 0) return "";
  return ` (it holds the functions ${names.map((n) => `"${n}"`).join(", ")}: name one as the export, module#${names[0]})`;
}

/**
 * The task function `exportName` of `href` when its import resolved in this thread
 * already, read at once (a short map's awaits of a loaded module cost it more than its
 * lookup); undefined when it is not loaded or not a function (`loadTask` says why).
 */
export function loadedTask(href: string, exportName: string): TaskFunction | undefined {
  const namespace = imported.get(href);
  const value = namespace === undefined ? undefined : exportOf(href, namespace, exportName);
  return typeof value === "function" ? (value as TaskFunction) : undefined;
}
