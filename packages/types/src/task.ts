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
  .object(
    {
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
    },
    { error: (issue) => (issue.code === "invalid_type" ? notATaskRef(issue.input) : undefined) },
  )
  // A mistyped key (`exprt`, `modul`) is an error, not a silent default export.
  .strict();

/**
 * What a task that is not a `{ module, export }` object was probably meant to be, for
 * the two forms a newcomer reaches for: the function itself, and the CLI's
 * `module#export` string. Undefined: zod's own message.
 */
function notATaskRef(input: unknown): string | undefined {
  if (typeof input === "function") {
    return (
      "Expected { module, export }, not the function itself: a worker thread cannot receive a function, " +
      'so export it from a module and name both, e.g. { module: new URL("./task.mjs", import.meta.url), export: "name" }'
    );
  }
  if (typeof input !== "string") return undefined;
  const ref = taskRefOfSpec(input);
  if (ref.export) {
    const module = JSON.stringify(ref.module);
    const name = JSON.stringify(ref.export);
    return `Expected { module, export }, not a string ("module#export" is the CLI's form): write { module: ${module}, export: ${name} }`;
  }
  return `Expected { module, export }, not a string: write { module: ${JSON.stringify(input)} } for its default export`;
}

/**
 * A task written in the CLI's form, `module#export` (`./hash.js#sha256`), as a reference:
 * split at the last `#` (a path may hold one, an export name cannot). Without a `#`, or
 * with one only at the start, the whole string is the module (its default export). The
 * parts are not checked: an empty one is the caller's to refuse.
 */
export function taskRefOfSpec(spec: string): { module: string; export?: string } {
  const hash = spec.lastIndexOf("#");
  return hash <= 0 ? { module: spec } : { module: spec.slice(0, hash), export: spec.slice(hash + 1) };
}

export type TaskRef = z.output<typeof TaskRefSchema>;
export type TaskRefInput = z.input<typeof TaskRefSchema>;
