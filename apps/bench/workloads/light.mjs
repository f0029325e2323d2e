import { iterationsFor, numericItems, runNumeric } from "./_lib.mjs";

/** About 10 us of hashing per item. */
export function hashLight(item) {
  return runNumeric(item);
}

export const workload = {
  name: "light",
  summary: "integer hashing, about 10 us per item",
  export: "hashLight",
  fineGrained: true,
  meanItemUs: 10,
  count: { full: 20_000, quick: 2_000 },
  quickScale: 1,
  generate(count, { itersPerUs, scale = 1 }) {
    return numericItems(count, iterationsFor(10 * scale, itersPerUs));
  },
};
