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
 * (the median of a few, as a value's own calls are typical calls, not the luckiest): the
 * API's own overhead (a serializer object, a Buffer), which a value sent inside a chunk
 * does not pay. Measured once per process.
 */
let callOverhead: { serializeMs: number; deserializeMs: number } | null = null;

function apiOverhead(): { serializeMs: number; deserializeMs: number } {
  if (callOverhead !== null) return callOverhead;
  const serializeMs: number[] = [];
  const deserializeMs: number[] = [];
  for (let i = 0; i < 33; i++) {
    const t0 = performance.now();
    const buffer = serialize(i);
    const t1 = performance.now();
    deserialize(buffer);
    const t2 = performance.now();
    serializeMs.push(t1 - t0);
    deserializeMs.push(t2 - t1);
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1]!;
  callOverhead = { serializeMs: median(serializeMs), deserializeMs: median(deserializeMs) };
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
    apiOverhead();
    const t0 = performance.now();
    const buffer = serialize(value);
    const t1 = performance.now();
    deserialize(buffer);
    const t2 = performance.now();
    this.count++;
    this.serializeMs += t1 - t0;
    this.deserializeMs += t2 - t1;
    return buffer.byteLength;
  }

  /**
   * Mean per value less the API's per-call overhead, ms; null when nothing was measured.
   * The overhead comes off the mean, not off each reading: clipping each noisy reading at
   * zero kept the noise of values that cost nothing (numbers read 5.9 us a round trip
   * that way, and made the bench's light workload clone-bound and serial).
   */
  means(): { serializeMs: number; deserializeMs: number } | null {
    if (this.count === 0) return null;
    const overhead = apiOverhead();
    return {
      serializeMs: Math.max(0, this.serializeMs / this.count - overhead.serializeMs),
      deserializeMs: Math.max(0, this.deserializeMs / this.count - overhead.deserializeMs),
    };
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
