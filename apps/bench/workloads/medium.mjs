import { iterationsFor, numericItems, runNumeric } from "./_lib.mjs";

/** About 200 us of hashing per item. */
export function hashMedium(item) {
  return runNumeric(item);
}

export const workload = {
  name: "medium",
  summary: "integer hashing, about 200 us per item",
  export: "hashMedium",
  fineGrained: false,
  meanItemUs: 200,
  count: { full: 5_000, quick: 300 },
  quickScale: 1,
  generate(count, { itersPerUs, scale = 1 }) {
    return numericItems(count, iterationsFor(200 * scale, itersPerUs));
  },
};
