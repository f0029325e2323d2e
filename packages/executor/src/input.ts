import { AmorsizeValidationError } from "@amorsize/types";

/** The input of a run: an array (read by index), a sync iterable or an async iterable. */
export type Input =
  | { readonly kind: "array"; readonly array: ArrayLike<unknown> }
  | { readonly kind: "sync"; readonly iterable: Iterable<unknown> }
  | { readonly kind: "async"; readonly iterable: AsyncIterable<unknown> };

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object that is not iterable" : `${typeof value} ${String(value)}`;
}

/** Classifies `items`, or throws an `AmorsizeValidationError` naming `label`. */
export function toInput(items: unknown, label: string): Input {
  if (Array.isArray(items)) return { kind: "array", array: items };
  if (items !== null && (typeof items === "object" || typeof items === "function")) {
    if (typeof (items as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function") {
      return { kind: "async", iterable: items as AsyncIterable<unknown> };
    }
    if (typeof (items as Iterable<unknown>)[Symbol.iterator] === "function") {
      return { kind: "sync", iterable: items as Iterable<unknown> };
    }
  }
  throw new AmorsizeValidationError([
    `${label}: Expected an array, an iterable or an async iterable, got ${describe(items)}`,
  ]);
}

/** Items in the input when known up front: an array's length, else `totalItems`. */
export function knownLength(input: Input, totalItems: number | undefined): number | null {
  if (input.kind === "array") return input.array.length;
  return totalItems ?? null;
}

/** Lets an unfinished iterator clean up (a generator's `finally`); never throws. */
export function closeIterator(iterator: Iterator<unknown> | AsyncIterator<unknown> | null): void {
  if (iterator === null || typeof iterator.return !== "function") return;
  try {
    const pending = iterator.return();
    if (pending !== null && typeof pending === "object" && "then" in pending) {
      (pending as Promise<unknown>).then(undefined, () => {});
    }
  } catch {
    // The caller's iterator failed while closing; the run has already ended.
  }
}
