import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseInput, type TaskRefInput, TaskRefSchema } from "@amorsize/types";

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
