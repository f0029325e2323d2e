import { importTask, resolveTask as resolveExecutorTask, type TaskFunction } from "@amorsize/executor";
import type { TaskRefInput } from "@amorsize/types";

/** Parses the CLI form `./hash.js#sha256` (export defaults to `default`). */
export function parseTaskSpec(spec: string): TaskRefInput {
  const hash = spec.lastIndexOf("#");
  if (hash <= 0) return { module: spec };
  return { module: spec.slice(0, hash), export: spec.slice(hash + 1) };
}

// The names below keep sample.ts compiling until it takes the executor's `ResolvedTask`
// and `importTask` itself (sample.ts is being split on another branch). They hold no
// logic of their own: resolving and loading are the executor's, with its codes and messages.

/** @internal The executor's resolved task, in the shape sample.ts reads (`url`, `export`). */
export interface ResolvedTask {
  readonly url: string;
  readonly export: string;
}

/** @internal */
export function resolveTask(task: TaskRefInput): ResolvedTask {
  const { href, exportName } = resolveExecutorTask(task);
  return { url: href, export: exportName };
}

/** @internal */
export function loadTask(task: ResolvedTask): Promise<TaskFunction> {
  return importTask(resolveExecutorTask({ module: task.url, export: task.export }));
}
