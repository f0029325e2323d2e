// How items and results travel through Redis. BullMQ stores a job's data and return value
// as JSON, so values are serialised with V8's serializer (node:v8, the format structured
// clone uses between threads) and carried as a base64 string inside the job's JSON: what a
// worker thread would receive locally (BigInt, undefined, NaN, -0, Map, Set, Date, RegExp,
// typed arrays, cycles) arrives as it was, and what structured clone refuses (a function, a
// symbol, a WeakMap) is refused here too. scripts/bench-codec.mjs measures the choice
// against msgpackr and JSON.
import { deserialize, serialize } from "node:v8";
import { messageOf } from "@amorsize/types";

/** Names the codec of a payload; a host or caller refuses a payload of another. */
export const CODEC = "v8+base64";

/** A value that could not be encoded: its position in the list, and why. */
export interface Refused {
  readonly position: number;
  readonly reason: string;
  readonly cause: unknown;
}

/** `values` encoded, less the refused ones: `kept` lists the positions encoded, in order. */
export interface Encoded {
  readonly payload: string;
  readonly kept: readonly number[];
  readonly refused: readonly Refused[];
}

/** One base64 payload of `values`; throws V8's clone error when one cannot travel. */
export function encodeAll(values: readonly unknown[]): string {
  return serialize(values).toString("base64");
}

/**
 * Encodes `values` as one payload. When one of them cannot travel, each is tried alone (only
 * then: the common case pays one serialisation) and the refused ones are left out.
 */
export function encodeEach(values: readonly unknown[]): Encoded {
  try {
    return { payload: encodeAll(values), kept: values.map((_, position) => position), refused: [] };
  } catch {
    const kept: number[] = [];
    const refused: Refused[] = [];
    values.forEach((value, position) => {
      try {
        serialize(value);
        kept.push(position);
      } catch (cause) {
        refused.push({ position, reason: messageOf(cause), cause });
      }
    });
    return { payload: encodeAll(kept.map((position) => values[position])), kept, refused };
  }
}

/**
 * The values of a payload made by {@link encodeAll}.
 * @throws {Error} the payload is not a V8-serialised array (another codec, or corrupt).
 */
export function decodeAll(payload: string): unknown[] {
  const values: unknown = deserialize(Buffer.from(payload, "base64"));
  if (!Array.isArray(values)) throw new Error(`Expected a ${CODEC} array payload`);
  return values;
}

/** The items of a chunk job. @throws {Error} a payload of another codec (a caller of another version). */
export function decodeChunkItems(data: { readonly codec?: unknown; readonly payload?: unknown }): unknown[] {
  if (data.codec !== CODEC || typeof data.payload !== "string") {
    throw new Error(`Cannot read a chunk encoded as ${String(data.codec)}: this host reads ${CODEC}`);
  }
  return decodeAll(data.payload);
}

/**
 * A chunk's results as one payload by position; a result that cannot travel is sent as
 * `undefined` and returned in `refused`, to be reported as that item's failure.
 */
export function encodeResults(results: readonly unknown[]): { payload: string; refused: readonly Refused[] } {
  const { payload, kept, refused } = encodeEach(results);
  if (refused.length === 0) return { payload, refused };
  const out = new Array<unknown>(results.length);
  for (const position of kept) out[position] = results[position];
  return { payload: encodeAll(out), refused };
}
