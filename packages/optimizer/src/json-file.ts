// The optimizer's JSON cache files (plan cache, module-cost cache), read with their schema.
import { readFileSync } from "node:fs";

/** What a schema needs here: zod's safeParse. */
interface Schema<T> {
  safeParse(value: unknown, context: { jitless: true }): { success: true; data: T } | { success: false };
}

export type JsonFileRead<T> =
  | { status: "ok"; value: T }
  | { status: "missing" }
  | { status: "notJson" }
  | { status: "invalid" };

/** Files whose validated content is kept, most recently read last; the oldest is dropped. */
export const VALIDATED_KEPT = 256;

const validated = new Map<string, { text: string; schema: Schema<unknown>; value: unknown }>();

/**
 * Reads the JSON file at `path` and checks it against `schema`. A file is read on every
 * call (another process may have written it) but validated again only when its text
 * changed: validating a plan-cache entry cost a fine-grained execute() more than reading
 * it. Each caller gets its own copy of the value. Unreadable files are `missing`.
 */
export function readJsonFile<T>(path: string, schema: Schema<T>): JsonFileRead<T> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return { status: "missing" };
  }
  const seen = validated.get(path);
  if (seen !== undefined && seen.text === text && seen.schema === schema) {
    validated.delete(path);
    validated.set(path, seen);
    return { status: "ok", value: structuredClone(seen.value) as T };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { status: "notJson" };
  }
  // Once per file read: without zod's compiled fast path (see `parseInput` in @amorsize/types).
  const parsed = schema.safeParse(json, { jitless: true });
  if (!parsed.success) return { status: "invalid" };
  validated.delete(path);
  validated.set(path, { text, schema, value: structuredClone(parsed.data) });
  if (validated.size > VALIDATED_KEPT) validated.delete(validated.keys().next().value as string);
  return { status: "ok", value: parsed.data };
}
