// What task modules a worker host runs: files under the folders, or the exact files, it was
// started with, compared by real path (symbolic links resolved), and nothing else.
import { realpathSync, statSync } from "node:fs";
import { realpath } from "node:fs/promises";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { AmorsizeValidationError } from "@amorsize/types";
import { TaskNotAllowedError } from "./errors.js";

/** The real paths a host runs task modules from. */
export interface AllowList {
  /** Folders: any file below one is allowed. */
  readonly folders: readonly string[];
  /** Single files. */
  readonly files: readonly string[];
}

/**
 * The allow list of `paths` (resolved against `cwd`), each by its real path.
 *
 * @throws {AmorsizeValidationError} a path that does not exist, as `options.allow[i]`.
 */
export function resolveAllowList(paths: readonly string[], cwd = process.cwd()): AllowList {
  const folders: string[] = [];
  const files: string[] = [];
  const issues: string[] = [];
  paths.forEach((path, i) => {
    try {
      const real = realpathSync(resolve(cwd, path));
      (statSync(real).isDirectory() ? folders : files).push(real);
    } catch (error) {
      issues.push(
        `options.allow[${i}]: ${JSON.stringify(path)} cannot be read (${(error as { code?: string }).code ?? "error"})`,
      );
    }
  });
  if (issues.length > 0) throw new AmorsizeValidationError(issues);
  return { folders, files };
}

/** Whether `path` is `folder` or lies below it. */
function within(folder: string, path: string): boolean {
  const rel = relative(folder, path);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
}

function allows(list: AllowList, path: string): boolean {
  return list.files.includes(path) || list.folders.some((folder) => within(folder, path));
}

/**
 * The URL to import for a job's task module, once it is known to be allowed: the module's
 * real path, so what runs is the file that was checked. A file that does not exist but
 * would lie in an allowed folder is passed on as it is: importing it fails the chunk as a
 * missing module does anywhere, without saying anything of files outside the list.
 *
 * @throws {TaskNotAllowedError} anything else: a `node:`, `data:`, `http(s):` or other
 *   non-file URL, or a file (after resolving symbolic links) outside the allowed paths.
 */
export async function admitModule(list: AllowList, module: unknown): Promise<string> {
  const named = typeof module === "string" ? module : String(module);
  let url: URL;
  try {
    url = new URL(named);
  } catch {
    throw new TaskNotAllowedError(named, "not a file: URL");
  }
  if (url.protocol !== "file:") {
    throw new TaskNotAllowedError(
      named,
      `${url.protocol} modules are never run; only files under --allow are`,
    );
  }
  let path: string;
  try {
    path = fileURLToPath(url);
  } catch {
    throw new TaskNotAllowedError(named, "not a local file");
  }
  let real: string;
  try {
    real = await realpath(path);
  } catch {
    if (allows(list, path)) return url.href;
    throw new TaskNotAllowedError(named, "not under the paths this host allows (--allow)");
  }
  if (!allows(list, real)) {
    const where = real === path ? "" : ` (it resolves to ${real})`;
    throw new TaskNotAllowedError(named, `not under the paths this host allows (--allow)${where}`);
  }
  return pathToFileURL(real).href;
}
