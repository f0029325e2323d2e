import { z } from "zod";

/**
 * A task that runs on a worker thread: a module and one of its exports. A worker
 * cannot receive a closure, so the task is named, not passed.
 *
 * `module` is an absolute path, a path relative to the current working
 * directory, a `file:` URL string or a `URL`. `export` defaults to `"default"`.
 */
export const TaskRefSchema = z.object({
  module: z.union([z.string().min(1, "Expected a module path or file URL"), z.instanceof(URL)]),
  export: z.string().min(1).default("default"),
});
export type TaskRef = z.output<typeof TaskRefSchema>;
export type TaskRefInput = z.input<typeof TaskRefSchema>;
