import { serialize } from "node:v8";
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

/** The kind seen most often, ties broken by the order of first appearance. */
export function dominantKind(kinds: readonly PayloadKind[]): PayloadKind {
  const counts = new Map<PayloadKind, number>();
  for (const kind of kinds) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  let best: PayloadKind = kinds[0] ?? "number";
  for (const [kind, count] of counts) if (count > (counts.get(best) ?? 0)) best = kind;
  return best;
}
