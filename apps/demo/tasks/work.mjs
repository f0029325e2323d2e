// The demo's task modules: plain JavaScript, so worker threads load them as they are.
// Each item says how much work it is (an iteration count), so the cost lives in the data.

// A module-level binding: inside a vm context (Jest) every `Math.imul` lookup would go
// through the context's global interceptor and run a hundred times slower.
const imul = Math.imul;

/** An integer hash loop: deterministic CPU work proportional to `rounds`. */
function churn(seed, rounds) {
  let h = seed | 0;
  for (let i = 0; i < rounds; i++) {
    h = imul(h ^ (h >>> 15), 0x2c1b3c6d);
    h = imul(h ^ (h >>> 12), 0x297a2d39);
    h ^= h >>> 15;
  }
  return h >>> 0;
}

/** Tiny items: a multiply. Far too little work to send anywhere. */
export function scale(x) {
  return x * 3;
}

/** Items that carry their own cost: `{ seed, rounds }`. */
export function hash(item) {
  return churn(item.seed, item.rounds);
}

/** Large payloads, light compute: a plain array of numbers in, its running sum out. */
export function prefixSum(values) {
  // push, not new Array(n): a holey array clones as a sparse one, ~150 KB here instead of ~100 KB.
  const out = [];
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    sum += values[i];
    out.push(sum);
  }
  return out;
}
