// A fine-grained CPU-bound task for the measurements: a few hundred integer
// multiply-xor rounds, about 1-2 us per item on a 2020s x64 core.
export function mix(seed) {
  let h = seed | 0;
  for (let i = 0; i < 1200; i++) h = Math.imul(h ^ i, 16777619) >>> 0;
  return h;
}
