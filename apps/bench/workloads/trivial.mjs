import { iterationsFor, numericItems, runNumeric } from "./_lib.mjs";

/** About 1 us of integer multiplies per item: far below any per-task dispatch cost. */
export function multiply(item) {
  return runNumeric(item);
}

export const workload = {
  name: "trivial",
  summary: "a few integer multiplies, about 1 us per item, many items",
  export: "multiply",
  fineGrained: true,
  meanItemUs: 1,
  count: { full: 100_000, quick: 10_000 },
  quickScale: 1,
  generate(count, { itersPerUs, scale = 1 }) {
    return numericItems(count, iterationsFor(1 * scale, itersPerUs));
  },
};
