import { deserialize, serialize } from "node:v8";
import type { PayloadKind } from "@amorsize/types";

/** What structured clone will see: decides which measured clone cost applies. */
export function payloadKind(value: unknown): PayloadKind {
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint" || value == null) {
    return "number";
  }
  if (typeof value === "string") return "string";
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return "typed-array";
  if (Array.isArray(value)) {
    return value.every((v) => typeof v === "number") ? "plain-array" : "object";
  }
  return "object";
}

/** Bytes the value takes as structured clone serialises it. Throws DataCloneError when it cannot be cloned. */
export function serializedBytes(value: unknown): number {
  return serialize(value).byteLength;
}

/**
 * The fixed cost of one `v8.serialize` and one `v8.deserialize` call on a trivial value, ms
 * (the fastest of a few): the API's own overhead (a serializer object, a Buffer), which a
 * value sent inside a chunk does not pay. Measured once per process.
 */
let callOverhead: { serializeMs: number; deserializeMs: number } | null = null;

function apiOverhead(): { serializeMs: number; deserializeMs: number } {
  if (callOverhead !== null) return callOverhead;
  let serializeMs = Number.POSITIVE_INFINITY;
  let deserializeMs = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 32; i++) {
    const t0 = performance.now();
    const buffer = serialize(i);
    const t1 = performance.now();
    deserialize(buffer);
    const t2 = performance.now();
    serializeMs = Math.min(serializeMs, t1 - t0);
    deserializeMs = Math.min(deserializeMs, t2 - t1);
  }
  callOverhead = { serializeMs, deserializeMs };
  return callOverhead;
}

/**
 * What structured clone costs of values, one direction at a time, on the thread that
 * measured it, less the API's own per-call overhead: what the value itself costs.
 */
export class CloneMeter {
  count = 0;
  serializeMs = 0;
  deserializeMs = 0;

  /**
   * Serialises `value` (throwing DataCloneError when it cannot be cloned) and reads it
   * back, timing both: what the sending and the receiving thread each pay for it. Returns
   * its serialised size, bytes.
   */
  measure(value: unknown): number {
    const overhead = apiOverhead();
    const t0 = performance.now();
    const buffer = serialize(value);
    const t1 = performance.now();
    deserialize(buffer);
    const t2 = performance.now();
    this.count++;
    this.serializeMs += Math.max(0, t1 - t0 - overhead.serializeMs);
    this.deserializeMs += Math.max(0, t2 - t1 - overhead.deserializeMs);
    return buffer.byteLength;
  }

  /** Mean per value, ms; null when nothing was measured. */
  means(): { serializeMs: number; deserializeMs: number } | null {
    if (this.count === 0) return null;
    return { serializeMs: this.serializeMs / this.count, deserializeMs: this.deserializeMs / this.count };
  }
}

/** The kind seen most often, ties broken by the order of first appearance. */
export function dominantKind(kinds: readonly PayloadKind[]): PayloadKind {
  const counts = new Map<PayloadKind, number>();
  for (const kind of kinds) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  let best: PayloadKind = kinds[0] ?? "number";
  for (const [kind, count] of counts) if (count > (counts.get(best) ?? 0)) best = kind;
  return best;
}
