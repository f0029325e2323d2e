import { prng } from "./_lib.mjs";

/** Doubles per item: 12,800 x 8 bytes = 100 KB. */
export const PAYLOAD_LENGTH = 12_800;

/** Light compute over a 100 KB plain array, returning another 100 KB plain array. */
export function scaleArray(values) {
  // push, not new Array(n): a holey array clones as a sparse one, about 40% larger and 5x slower.
  const out = [];
  for (let i = 0; i < values.length; i++) out.push(values[i] * 1.5 + 0.25);
  return out;
}

export const workload = {
  name: "payload-array",
  summary: "about 100 KB in and out per item as plain arrays of doubles, light compute",
  export: "scaleArray",
  fineGrained: false,
  meanItemUs: 100,
  count: { full: 400, quick: 40 },
  quickScale: 1,
  generate(count, { seed }) {
    const random = prng(seed);
    return Array.from({ length: count }, () => {
      const values = [];
      // Non-integer values keep the array packed doubles, as numeric data usually is.
      for (let i = 0; i < PAYLOAD_LENGTH; i++) values.push(random() * 1000 + 0.5);
      return values;
    });
  },
};
