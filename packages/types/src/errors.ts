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
  try {
    return String(thrown);
  } catch {
    return Object.prototype.toString.call(thrown);
  }
}
