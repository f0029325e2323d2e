import { inverseNormal, iterationsFor, shuffled, spin } from "./_lib.mjs";

const MEAN_US = 3_000;
const CV = 1.5;

/** Hashing whose cost per item follows a log-normal law: most items cheap, a few very long. */
export function hashSkewed(item) {
  return { id: item.id, hash: spin(item.iterations, item.id) };
}

function cvOf(values) {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length;
  return Math.sqrt(variance) / mean;
}

/**
 * Log-normal item times with exactly the mean and coefficient of variation asked
 * for. Random draws would give a cv anywhere from 1 to 2 on a few hundred items,
 * so the times are the law's quantiles at (i + 0.5) / n instead, with the spread
 * of the log solved for so that these n values have coefficient of variation
 * `cv`, in an order shuffled by `seed`.
 */
export function skewedDurationsUs(count, seed, meanUs = MEAN_US, cv = CV) {
  if (count < 2) return Array.from({ length: count }, () => meanUs);
  const z = Array.from({ length: count }, (_, i) => inverseNormal((i + 0.5) / count));
  const at = (sigma) => z.map((x) => Math.exp(sigma * x));
  let lo = 0;
  let hi = 8;
  for (let k = 0; k < 100; k++) {
    const mid = (lo + hi) / 2;
    if (cvOf(at(mid)) < cv) lo = mid;
    else hi = mid;
  }
  const raw = at((lo + hi) / 2);
  const mean = raw.reduce((a, b) => a + b, 0) / count;
  return shuffled(
    raw.map((x) => (x / mean) * meanUs),
    seed,
  );
}

export const workload = {
  name: "heavy-skewed",
  summary: "log-normal item times, cv 1.5, mean 3 ms, in random order",
  export: "hashSkewed",
  fineGrained: false,
  meanItemUs: MEAN_US,
  count: { full: 400, quick: 24 },
  quickScale: 1,
  generate(count, { seed, itersPerUs, scale = 1 }) {
    return skewedDurationsUs(count, seed, MEAN_US * scale).map((us, id) => ({
      id,
      iterations: iterationsFor(us, itersPerUs),
    }));
  },
};
