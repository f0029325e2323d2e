import { iterationsFor, spin } from "./_lib.mjs";

/** About 5 ms of hashing per item, every item alike. */
export function hashHeavy(item) {
  return { id: item.id, hash: spin(item.iterations, item.id) };
}

export const workload = {
  name: "heavy-uniform",
  summary: "integer hashing, about 5 ms per item, all alike",
  export: "hashHeavy",
  fineGrained: false,
  meanItemUs: 5_000,
  count: { full: 400, quick: 16 },
  quickScale: 1,
  generate(count, { itersPerUs, scale = 1 }) {
    const iterations = iterationsFor(5_000 * scale, itersPerUs);
    return Array.from({ length: count }, (_, id) => ({ id, iterations }));
  },
};
