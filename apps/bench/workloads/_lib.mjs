// Shared helpers of the benchmark workloads. Plain JavaScript so that worker
// threads import it directly, without a build step.

/**
 * Deterministic CPU work: an integer hash loop. The caller passes the iteration
 * count, so an item's cost lives in the item itself, not in run-time randomness.
 * The result depends on every iteration, so the loop cannot be optimised away.
 *
 * `h` is kept a 32-bit integer (`| 0`), which gives the same results as letting the sum
 * grow (every operation on it takes it modulo 2^32) at one speed in every thread. Without
 * it, V8 first compiled the loop for small integers and, once a sum passed 2^31, compiled
 * it again for doubles, 3.3x slower: a fresh thread ran its first ~4,000 light items at
 * 3.3 us and the rest at 10.5, so a fresh pool's workers outran the warmed-up calling
 * thread that the serial loop, the calibration and the sampling ran in.
 */
export function spin(iterations, seed) {
  let h = seed | 0;
  for (let i = 0; i < iterations; i++) {
    h = (Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) + i) | 0;
  }
  return h >>> 0;
}

// For the item generators only: under Jest each `Math.imul` lookup goes through the vm
// context's global, which made the payloads' half a million draws take seconds in the tests.
// `spin`, the timed work, keeps `Math.imul` as it was measured.
const imul = Math.imul;

/** Seeded PRNG (mulberry32): the same seed gives the same sequence on every machine. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal draws from a uniform generator (Box-Muller). */
export function normal(random) {
  let u = 0;
  while (u === 0) u = random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Iterations of `spin` that take about `us` microseconds at `itersPerUs`; at least 1. */
export function iterationsFor(us, itersPerUs) {
  return Math.max(1, Math.round(us * itersPerUs));
}

/**
 * A small numeric item that carries its own cost: the integer part is the
 * iteration count, the fraction a per-item seed. A number clones far cheaper
 * than an object, which is what fine-grained numeric work looks like.
 */
export function numericItems(count, iterations) {
  const items = new Array(count);
  for (let i = 0; i < count; i++) items[i] = iterations + (i % 4096) / 4096;
  return items;
}

/** Runs a numeric item made by `numericItems`. */
export function runNumeric(item) {
  const iterations = Math.trunc(item);
  return spin(iterations, Math.round((item - iterations) * 4096));
}

/** Calibrates `spin`: iterations per microsecond on this thread, best of a few runs. */
export function measureItersPerUs(targetMs = 40, rounds = 5) {
  // Warm the loop up so the JIT has compiled it before we time it.
  spin(2_000_000, 1);
  let best = 0;
  for (let r = 0; r < rounds; r++) {
    const iterations = Math.round(targetMs * 1000 * Math.max(best, 50));
    const start = performance.now();
    spin(iterations, r);
    const us = (performance.now() - start) * 1000;
    if (us > 0) best = Math.max(best, iterations / us);
  }
  return best;
}

/**
 * Inverse of the standard normal CDF (Acklam's rational approximation, relative
 * error below 1.2e-9), for 0 < p < 1.
 */
export function inverseNormal(p) {
  if (!(p > 0 && p < 1)) throw new RangeError(`inverseNormal needs 0 < p < 1, got ${p}`);
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    );
  }
  if (p > 1 - low) return -inverseNormal(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  );
}

/** Shuffles a copy of `list` with a seeded Fisher-Yates. */
export function shuffled(list, seed) {
  const out = [...list];
  const random = prng(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}
