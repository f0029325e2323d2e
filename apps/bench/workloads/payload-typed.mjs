import { prng } from "./_lib.mjs";

/** Doubles per item: 12,800 x 8 bytes = 100 KB. */
export const PAYLOAD_LENGTH = 12_800;

/** Light compute over a 100 KB Float64Array, returning another 100 KB Float64Array. */
export function scaleTyped(values) {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i] * 1.5 + 0.25;
  return out;
}

export const workload = {
  name: "payload-typed",
  summary: "about 100 KB in and out per item as Float64Array, light compute",
  export: "scaleTyped",
  fineGrained: false,
  meanItemUs: 50,
  count: { full: 400, quick: 40 },
  quickScale: 1,
  generate(count, { seed }) {
    const random = prng(seed);
    return Array.from({ length: count }, () => {
      const values = new Float64Array(PAYLOAD_LENGTH);
      for (let i = 0; i < PAYLOAD_LENGTH; i++) values[i] = random() * 1000 + 0.5;
      return values;
    });
  },
};
