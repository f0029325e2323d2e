import { inspect } from "node:util";

/**
 * The one base of every error Amorsize throws: a stable string `code`
 * (`AMORSIZE_...`), a `name`, and the original error as `cause` where there is one.
 * Catch any Amorsize failure with `error instanceof AmorsizeError`, then switch on `code`.
 */
export abstract class AmorsizeError extends Error {
  abstract readonly code: string;
}

/**
 * The message of anything thrown. Duck-typed, not `instanceof Error`: errors rebuilt
 * from a worker, from structured clone or from another realm (a vm context) fail that test.
 */
export function messageOf(thrown: unknown): string {
  if (typeof thrown === "object" && thrown !== null) {
    const message = (thrown as { message?: unknown }).message;
    if (typeof message === "string") return message;
  }
  let text: string | undefined;
  try {
    text = String(thrown);
  } catch {
    // No toString (`Object.create(null)`).
  }
  if (text !== undefined && !/^\[object \w+\]$/.test(text)) return text;
  // A plain object thrown (`throw { code: "E_BAD" }`) reads as its fields, not "[object Object]".
  try {
    const described = inspect(thrown, DESCRIBE);
    return described.length > DESCRIBED_MAX ? `${described.slice(0, DESCRIBED_MAX - 1)}…` : described;
  } catch {
    return Object.prototype.toString.call(thrown);
  }
}

/** The longest description {@link messageOf} gives (an object of 10,000 keys gave 147,782 characters). */
const DESCRIBED_MAX = 300;

/** How {@link messageOf} describes a thrown value that is no error and has no text of its own: one line, bounded. */
const DESCRIBE = {
  depth: 2,
  compact: true,
  breakLength: Number.POSITIVE_INFINITY,
  maxArrayLength: 10,
  maxStringLength: 200,
} as const;
