import { z } from "zod";

/**
 * A task that runs on a worker thread: a module and one of its exports. A worker
 * cannot receive a closure, so the task is named, not passed.
 *
 * `module` is an absolute path, a path relative to the current working
 * directory (not to the calling file), a `file:` URL string or a `URL`:
 * `new URL("./task.mjs", import.meta.url)` names a module next to the calling
 * file. `export` defaults to `"default"`.
 */
export const TaskRefSchema = z
  .object({
    module: z.union([
      z
        .string()
        .min(1, "Expected a module path or file URL")
        // A scheme of two letters or more marks a URL ("C:\\x" stays a Windows path): it must parse.
        .refine(
          (text) => !/^[a-zA-Z][a-zA-Z\d+.-]+:/.test(text) || URL.canParse(text),
          "Expected a valid URL",
        ),
      z.instanceof(URL),
    ]),
    export: z.string().min(1).default("default"),
  })
  // A mistyped key (`exprt`, `modul`) is an error, not a silent default export.
  .strict();
export type TaskRef = z.output<typeof TaskRefSchema>;
export type TaskRefInput = z.input<typeof TaskRefSchema>;
