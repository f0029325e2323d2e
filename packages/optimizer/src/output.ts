// How `amorsize run` prints a result: as one JSON line, when JSON holds the value exactly.
// Pure functions of the value.
import { type ExecutionReport, messageOf } from "@amorsize/types";
import { AmorsizeOptimizerError } from "./errors.js";

/**
 * A result that JSON cannot hold exactly (a BigInt, NaN, a Map, a circular reference...).
 * `amorsize run` prints `null` on its line and reports this as the item's error.
 */
export class ResultNotPrintableError extends AmorsizeOptimizerError {
  override readonly name = "ResultNotPrintableError";
  readonly index: number;
  /** What could not be printed and where in the result, e.g. `a Set at result.a[1]`. */
  readonly problem: string;
  constructor(index: number, problem: string) {
    super(
      "AMORSIZE_RESULT_NOT_PRINTABLE",
      `Item ${index}: the result cannot be printed as JSON exactly (${problem})`,
    );
    this.index = index;
    this.problem = problem;
  }
}

/** What keeps JSON from holding a result exactly. */
export interface Unprintable {
  problem: string;
}

/**
 * The JSON text of `value` (one line, without its newline) when parsing it back gives the
 * same value: null, booleans, finite numbers (-0 is printed as 0), strings, and arrays and
 * plain objects of these. Anything else is {@link Unprintable}, the problem named with
 * where it sits (`a Map at result.a[2]`).
 */
export function encodeResult(value: unknown): string | Unprintable {
  // The common results first, without walking anything or allocating.
  if (typeof value === "number")
    return Number.isFinite(value) ? String(value) : { problem: notFinite(value) };
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "boolean" || value === null) return String(value);
  let problem: string | null;
  try {
    problem = problemOf(value, "result", new Set());
    if (problem === null) return JSON.stringify(value);
  } catch (error) {
    // Out of stack (nested too deeply), a string too long, or a getter that threw.
    problem = error instanceof RangeError ? "nested too deeply, or too long" : messageOf(error);
  }
  return { problem };
}

function notFinite(value: number): string {
  return Number.isNaN(value) ? "NaN" : String(value);
}

/** What keeps JSON from holding `value` exactly, or null. `ancestors` are the objects above it. */
function problemOf(value: unknown, path: string, ancestors: Set<object>): string | null {
  switch (typeof value) {
    case "number":
      return Number.isFinite(value) ? null : at(notFinite(value), path);
    case "string":
    case "boolean":
      return null;
    case "object":
      return value === null ? null : objectProblem(value, path, ancestors);
    case "undefined":
      return at("undefined", path);
    case "bigint":
      return at("a BigInt", path);
    default:
      return at(`a ${typeof value}`, path);
  }
}

function objectProblem(value: object, path: string, ancestors: Set<object>): string | null {
  if (ancestors.has(value)) return at("a circular reference", path);
  if (!Array.isArray(value)) {
    // Tags, not prototypes: a result may come from another realm (a vm context) or a worker.
    const tag = Object.prototype.toString.call(value).slice(8, -1);
    if (tag !== "Object") return at(`${/^[AEIO]/.test(tag) ? "an" : "a"} ${tag}`, path);
    if (typeof (value as { toJSON?: unknown }).toJSON === "function")
      return at("an object with toJSON()", path);
  }
  ancestors.add(value);
  try {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        if (!(i in value)) return at("a hole", `${path}[${i}]`);
        const problem = problemOf(value[i], `${path}[${i}]`, ancestors);
        if (problem !== null) return problem;
      }
      return null;
    }
    for (const key of Object.keys(value)) {
      const problem = problemOf((value as Record<string, unknown>)[key], pathTo(path, key), ancestors);
      if (problem !== null) return problem;
    }
    return null;
  } finally {
    ancestors.delete(value);
  }
}

function pathTo(path: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/** `what`, and where it sits unless it is the whole result. */
function at(what: string, path: string): string {
  return path === "result" ? what : `${what} at ${path}`;
}

/** Where an error sits in the input, for sorting: its item, or the first item of its chunk. */
function firstIndex(e: object): number {
  const { index, range } = e as { index?: number | null; range?: readonly [number, number] | null };
  return index ?? range?.[0] ?? 0;
}

/**
 * A run's report with its unprintable results counted as failed items (they ran, but
 * their results are lost to the output) and their errors in input order among the others.
 */
export function withUnprintable(
  report: ExecutionReport,
  unprintable: readonly ResultNotPrintableError[],
): ExecutionReport {
  if (unprintable.length === 0) return report;
  const added = unprintable.map(({ index, code, message }) => ({ index, range: null, code, message }));
  return {
    ...report,
    succeeded: report.succeeded - unprintable.length,
    failed: report.failed + unprintable.length,
    errors: [...report.errors, ...added].sort((a, b) => firstIndex(a) - firstIndex(b)),
  };
}

/** The failures of a run, unprintable results included, in input order. */
export function errorsInOrder(
  errors: readonly Error[],
  unprintable: readonly ResultNotPrintableError[],
): Error[] {
  return [...errors, ...unprintable].sort((a, b) => firstIndex(a) - firstIndex(b));
}
