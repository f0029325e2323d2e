import { iterationsFor, spin } from "./_lib.mjs";

const FIRST_US = 100;
const LAST_US = 8_000;

/** Hashing whose cost grows along the input: cheap items first, expensive last. */
export function hashGrowing(item) {
  return { id: item.id, hash: spin(item.iterations, item.id) };
}

/** Item times rising linearly from FIRST_US to LAST_US along the input. */
export function growingDurationsUs(count, scale = 1) {
  if (count === 1) return [FIRST_US * scale];
  return Array.from(
    { length: count },
    (_, i) => (FIRST_US + ((LAST_US - FIRST_US) * i) / (count - 1)) * scale,
  );
}

export const workload = {
  name: "growing",
  summary: "cost rising along the input, 0.1 ms for the first item to 8 ms for the last",
  export: "hashGrowing",
  fineGrained: false,
  meanItemUs: (FIRST_US + LAST_US) / 2,
  count: { full: 300, quick: 24 },
  quickScale: 1,
  generate(count, { itersPerUs, scale = 1 }) {
    return growingDurationsUs(count, scale).map((us, id) => ({
      id,
      iterations: iterationsFor(us, itersPerUs),
    }));
  },
};
