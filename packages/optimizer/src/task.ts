import type { TaskRefInput } from "@amorsize/types";

/** Parses the CLI form `./hash.js#sha256` (export defaults to `default`). */
export function parseTaskSpec(spec: string): TaskRefInput {
  const hash = spec.lastIndexOf("#");
  if (hash <= 0) return { module: spec };
  return { module: spec.slice(0, hash), export: spec.slice(hash + 1) };
}
