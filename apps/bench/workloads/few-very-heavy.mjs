import { iterationsFor, spin } from "./_lib.mjs";

/** About 300 ms of hashing per item, and only three items. */
export function hashVeryHeavy(item) {
  return { id: item.id, hash: spin(item.iterations, item.id) };
}

export const workload = {
  name: "few-very-heavy",
  summary: "3 items of about 300 ms each",
  export: "hashVeryHeavy",
  fineGrained: false,
  meanItemUs: 300_000,
  count: { full: 3, quick: 3 },
  // Three items cannot be fewer, so the quick run makes each one lighter instead.
  quickScale: 0.1,
  generate(count, { itersPerUs, scale = 1 }) {
    const iterations = iterationsFor(300_000 * scale, itersPerUs);
    return Array.from({ length: count }, (_, id) => ({ id, iterations }));
  },
};
