import { deserialize, serialize } from "node:v8";
import type { PayloadKind } from "@amorsize/types";

/** What structured clone will see: decides which measured clone cost applies. */
export function payloadKind(value: unknown): PayloadKind {
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint" || value == null) {
    return "number";
  }
  if (typeof value === "string") return "string";
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return "typed-array";
  if (Array.isArray(value)) return allNumbers(value) ? "plain-array" : "object";
  return "object";
}

/**
 * Whether every element is a number. A plain loop: `every` with a callback took 84-130 us
 * over 12,800 doubles where this takes 5 us once compiled, and sampling asks twice per item.
 */
function allNumbers(values: readonly unknown[]): boolean {
  for (let i = 0; i < values.length; i++) if (typeof values[i] !== "number") return false;
  return true;
}

/** Bytes the value takes as structured clone serialises it. Throws DataCloneError when it cannot be cloned. */
export function serializedBytes(value: unknown): number {
  return serialize(value).byteLength;
}

/** Values a meter keeps for its batch timing: about a chunk's worth. */
const BATCH_VALUES = 256;
/** Serialised bytes a meter keeps for its batch timing, at most. */
const BATCH_BYTES = 1 << 20;
/**
 * Rounds of a meter's batch timing, at most: the least of each direction is kept, since a
 * preemption or a garbage collection only reads slower. Timed once, 256 records of ~730
 * bytes read 2.7-2.9 us a record out in the sampler (a collection of the items' garbage
 * landing in the one round), where rounds after it read 1.0-1.5.
 */
const ROUNDS = 3;
/** Rounds after the first are timed only while the rounds so far took under this much, ms. */
const ROUNDS_BUDGET_MS = 2;

/**
 * What structured clone costs of values, one direction at a time, on the thread that
 * measured it. Values go to a worker inside a chunk, as one message: the cost is timed on
 * the values measured (up to {@link BATCH_VALUES} of them, {@link BATCH_BYTES} in all),
 * serialised together as one array, per value. Timed one call per value, the call's own
 * cost came with each: records of ~700 bytes read 3.9 us a value alone against 0.9 us in
 * a batch of 1,000 (0.8-0.9 us through postMessage), and priced a parallel run of them at
 * 1.5 times what it took.
 */
export class CloneMeter {
  readonly #values: unknown[] = [];
  #bytes = 0;
  readonly #now: () => number;

  /** `now`: the clock the batch is timed with, milliseconds (another only in tests). */
  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  /**
   * Serialises `value` (throwing DataCloneError when it cannot be cloned), keeps it for
   * the batch timing while there is room (the first value always), and returns its
   * serialised size, bytes.
   */
  measure(value: unknown): number {
    const bytes = serialize(value).byteLength;
    const room = this.#values.length < BATCH_VALUES && this.#bytes + bytes <= BATCH_BYTES;
    // The first value is kept whatever its size: a large one is its own batch.
    if (room || this.#values.length === 0) {
      this.#values.push(value);
      this.#bytes += bytes;
    }
    return bytes;
  }

  /**
   * Per value, ms: the kept values serialised as one array and read back, the least of up
   * to {@link ROUNDS} timings (further rounds only while the rounds so far took under
   * {@link ROUNDS_BUDGET_MS}); null when nothing was kept.
   */
  means(): { serializeMs: number; deserializeMs: number } | null {
    const n = this.#values.length;
    if (n === 0) return null;
    let serializeMs = Number.POSITIVE_INFINITY;
    let deserializeMs = Number.POSITIVE_INFINITY;
    let spentMs = 0;
    for (let r = 0; r < ROUNDS && (r === 0 || spentMs < ROUNDS_BUDGET_MS); r++) {
      const t0 = this.#now();
      const buffer = serialize(this.#values);
      const t1 = this.#now();
      deserialize(buffer);
      const t2 = this.#now();
      serializeMs = Math.min(serializeMs, t1 - t0);
      deserializeMs = Math.min(deserializeMs, t2 - t1);
      spentMs += t2 - t0;
    }
    return { serializeMs: serializeMs / n, deserializeMs: deserializeMs / n };
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
