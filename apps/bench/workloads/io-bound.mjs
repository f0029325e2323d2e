import { prng } from "./_lib.mjs";

/** Waits on a timer for 2-5 ms and does almost no CPU work: threads cannot help, awaiting at once can. */
export async function waitIo(item) {
  await new Promise((resolve) => setTimeout(resolve, item.delayMs));
  return item.id * 2;
}

export const workload = {
  name: "io-bound",
  summary: "awaits a 2-5 ms timer per item, almost no CPU",
  export: "waitIo",
  fineGrained: false,
  meanItemUs: 3_500,
  count: { full: 300, quick: 24 },
  quickScale: 1,
  generate(count, { seed }) {
    const random = prng(seed);
    return Array.from({ length: count }, (_, id) => ({ id, delayMs: 2 + Math.floor(random() * 4) }));
  },
};
