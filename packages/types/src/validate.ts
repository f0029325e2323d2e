import { closestMatch } from "leven";
import { z } from "zod";
import { AmorsizeError } from "./errors.js";

/** Renders a received value briefly for an error message. */
function describeValue(value: unknown): string {
  if (value === undefined) return "undefined";
  if (typeof value === "function") return "a function";
  if (typeof value === "string")
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value !== "object" || value === null) return String(value);
  try {
    const text = JSON.stringify(value);
    return text.length > 60 ? `${text.slice(0, 60)}...` : text;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

function valueAt(root: unknown, path: readonly PropertyKey[]): { found: boolean; value: unknown } {
  let current: unknown = root;
  for (const key of path) {
    if (current === null || typeof current !== "object" || !(key in (current as object))) {
      return { found: false, value: undefined };
    }
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return { found: true, value: current };
}

function formatPath(label: string, path: readonly PropertyKey[]): string {
  let out = label;
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else if (typeof key === "string" && /^[A-Za-z_$][\w$]*$/.test(key)) out += out ? `.${key}` : key;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out || "(root)";
}

/**
 * Turns a zod failure into one readable line per issue, `path: message, got value`,
 * e.g. `options.maxWorkers: Too small: expected number to be >0, got -1`. With the
 * `schema` that failed, an unknown key names the known one it was probably meant to be
 * (`options: Unknown option "maxWorker" (did you mean "maxWorkers"?)`); a field left
 * out that takes one of several forms reads `Required` (zod says "Invalid input").
 */
export function formatZodError(error: z.ZodError, label = "", input?: unknown, schema?: z.ZodType): string[] {
  return error.issues.map((issue) => {
    const path = formatPath(label, issue.path);
    let message = issue.message;
    if (issue.code === "unrecognized_keys") {
      const known = schema === undefined ? [] : keysAt(schema, issue.path);
      const what = /^task\b/.test(path) ? "key" : "option";
      const named = issue.keys.map((key) => {
        const guess = closestMatch(key, known, { maxDistance: 2 });
        return guess === undefined ? `"${key}"` : `"${key}" (did you mean "${guess}"?)`;
      });
      message = `Unknown ${what}${issue.keys.length > 1 ? "s" : ""} ${named.join(", ")}`;
    } else if (input !== undefined) {
      const at = valueAt(input, issue.path);
      if (!at.found && issue.code === "invalid_union" && message === "Invalid input") message = "Required";
      else if (at.found || issue.path.length === 0) message += `, got ${describeValue(at.value)}`;
    }
    return `${path}: ${message}`;
  });
}

/** The keys an object schema takes at `path` within `schema` (optional, default and nullable wrappers seen through); none when not an object there. */
function keysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let current: z.ZodType | undefined = schema;
  for (const key of [...path, null]) {
    while (
      current instanceof z.ZodOptional ||
      current instanceof z.ZodDefault ||
      current instanceof z.ZodNullable
    ) {
      current = current.unwrap() as z.ZodType;
    }
    if (!(current instanceof z.ZodObject)) return [];
    if (key === null) return Object.keys(current.shape);
    current = current.shape[String(key)] as z.ZodType | undefined;
  }
  return [];
}

/** A public input failed its schema. `issues` holds one `path: message` line per problem. */
export class AmorsizeValidationError extends AmorsizeError {
  readonly code = "AMORSIZE_INVALID_INPUT" as const;
  override readonly name = "AmorsizeValidationError";
  readonly issues: readonly string[];

  constructor(issues: readonly string[], options?: { cause?: unknown }) {
    super(issues.length === 1 ? issues[0] : `Invalid input:\n  ${issues.join("\n  ")}`, options);
    this.issues = issues;
  }
}

/**
 * zod's parse context for values validated a few times in a process: without its compiled
 * fast path. On an object schema's first parse zod compiles a function for it (`new
 * Function`), which pays only over many parses; the profiles, samples and plans here are
 * validated a few times per call, and a process's first `execute()` compiled them all:
 * 11-14 ms of its first plan (7-8 ms without), while later calls read the same either way
 * (a fine task's deciding: median 3.0-3.9 ms against 3.2-3.4; a session's calls of ten
 * 50 us items: 1.017-1.030x a loop against 1.020-1.025x).
 */
const PARSE_ONCE = { jitless: true } as const;

/**
 * Validates a public input against its schema and returns the parsed value, or
 * throws an `AmorsizeValidationError` naming every bad path, prefixed with `label`
 * (`"options"`, `"task"`, ...).
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, label: string): z.output<S> {
  if (isParsedFrozen(schema, input)) return input as z.output<S>;
  const result = schema.safeParse(input, PARSE_ONCE);
  if (result.success) return result.data;
  throw new AmorsizeValidationError(formatZodError(result.error, label, input, schema), {
    cause: result.error,
  });
}

/** Values {@link parseFrozen} returned, each with the schema that validated it. */
const frozenValues = new WeakMap<object, z.ZodType>();

/**
 * Validates `input` as {@link parseInput} does, deep-freezes the parsed value and keeps
 * note of it: `parseInput` with the same schema then returns that value as it is, without
 * walking it again, since it cannot have changed. For figures a long-lived caller hands
 * the model on every call (a session's hardware and spawn-cost profiles: validating each
 * again took most of a plan's time). A value that cannot be frozen (a typed array inside)
 * is returned validated, and not noted.
 */
export function parseFrozen<S extends z.ZodType>(schema: S, input: unknown, label: string): z.output<S> {
  const value = parseInput(schema, input, label);
  if (value !== null && typeof value === "object" && deepFreeze(value)) frozenValues.set(value, schema);
  return value;
}

/**
 * A copy of `frozen` (a value {@link parseFrozen} returned for the object schema `schema`)
 * with the top-level fields of `patch` replaced, each validated against its own field's
 * schema only, frozen and noted as `parseFrozen` notes its values. A plan of the items
 * sampling left is the sample with another item count: validating the whole sample again
 * cost a fine-grained call ~80 us. Throws `AmorsizeValidationError` (paths prefixed with
 * `label`) for a bad field, and when `frozen` is not such a value.
 */
export function withFrozenFields<Shape extends z.ZodRawShape>(
  schema: z.ZodObject<Shape>,
  frozen: z.output<z.ZodObject<Shape>>,
  patch: Partial<z.output<z.ZodObject<Shape>>>,
  label: string,
): z.output<z.ZodObject<Shape>> {
  if (!isParsedFrozen(schema, frozen)) {
    throw new AmorsizeValidationError([`${label}: not a value parseFrozen() returned for this schema`]);
  }
  const fields: Record<string, unknown> = {};
  for (const key of Object.keys(patch)) {
    const field = schema.shape[key];
    if (field === undefined)
      throw new AmorsizeValidationError([`${label}.${key}: not a field of this schema`]);
    fields[key] = parseFrozen(field as z.ZodType, (patch as Record<string, unknown>)[key], `${label}.${key}`);
  }
  const value = Object.freeze({ ...frozen, ...fields }) as z.output<z.ZodObject<Shape>>;
  frozenValues.set(value, schema);
  return value;
}

/** Whether `value` is one {@link parseFrozen} returned for `schema`. */
export function isParsedFrozen(schema: z.ZodType, value: unknown): boolean {
  return value !== null && typeof value === "object" && frozenValues.get(value) === schema;
}

/** Freezes `value` all the way down when it holds only plain objects, arrays and primitives; false otherwise (nothing frozen). */
function deepFreeze(value: object): boolean {
  if (!plainAllTheWay(value)) return false;
  freezeAll(value);
  return true;
}

function plainAllTheWay(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) return false;
  for (const child of childrenOf(value)) {
    if (typeof child === "function") return false;
    if (child !== null && typeof child === "object" && !plainAllTheWay(child)) return false;
  }
  return true;
}

function freezeAll(value: object): void {
  for (const child of childrenOf(value)) {
    if (child !== null && typeof child === "object") freezeAll(child);
  }
  Object.freeze(value);
}

/**
 * The values of an object's own keys; an array's elements by index. A parsed array holds
 * nothing else, and walking one of thousands of numbers by `Reflect.ownKeys` (a string per
 * index) took most of a fine task's sample validation: 0.3-0.6 ms per 2,000 sampled indices.
 */
function childrenOf(value: object): readonly unknown[] {
  if (Array.isArray(value) && Object.getPrototypeOf(value) === Array.prototype) return value;
  return Reflect.ownKeys(value).map((key) => (value as Record<PropertyKey, unknown>)[key]);
}
