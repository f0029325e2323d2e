import { fileURLToPath } from "node:url";

/** Where the demo's task modules live (plain JavaScript next to dist/). */
export const TASKS = fileURLToPath(new URL("../tasks/work.mjs", import.meta.url));

// A module-level binding, as in tasks/work.mjs: under Jest every `Math.imul` lookup goes
// through the vm context's global and makes the payload data seconds slower to build.
const imul = Math.imul;

/** A small, seeded PRNG (mulberry32): the demo's data is the same on every run. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal draw (Box-Muller) from a uniform source. */
function normal(next: () => number): number {
  const u = Math.max(next(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
}

/** Hash-loop rounds per millisecond on a typical x64 core (about 3 ns a round). */
export const ROUNDS_PER_MS = 300_000;

export interface DemoWorkload {
  name: string;
  description: string;
  exportName: string;
  /** The items; `scale` shrinks the count (tests use a fraction). */
  data: (scale?: number) => unknown[];
}

export const workloads: DemoWorkload[] = [
  {
    name: "tiny items",
    description: "200,000 multiplies (~0.01 us each)",
    exportName: "scale",
    data: (scale = 1) => Array.from({ length: Math.round(200_000 * scale) }, (_, i) => i),
  },
  {
    name: "heavy uniform",
    description: "400 items of ~5 ms",
    exportName: "hash",
    data: (scale = 1) =>
      Array.from({ length: Math.round(400 * scale) }, (_, i) => ({ seed: i, rounds: 5 * ROUNDS_PER_MS })),
  },
  {
    name: "heavy skewed",
    description: "400 items, log-normal ~2.5 ms mean, cv ~1.5",
    exportName: "hash",
    data: (scale = 1) => {
      const next = random(42);
      // Log-normal with sigma 1.1 has cv = sqrt(exp(sigma^2) - 1) ~ 1.5.
      const sigma = 1.1;
      const mu = Math.log(2.5) - sigma ** 2 / 2;
      return Array.from({ length: Math.round(400 * scale) }, (_, i) => ({
        seed: i,
        rounds: Math.round(Math.exp(mu + sigma * normal(next)) * ROUNDS_PER_MS),
      }));
    },
  },
  {
    name: "large payloads",
    description: "300 arrays of 12,500 numbers (~100 KB in and out), light compute",
    exportName: "prefixSum",
    data: (scale = 1) => {
      const next = random(7);
      return Array.from({ length: Math.round(300 * scale) }, () => {
        // A loop, not Array.from: about 5x faster on 3.75 million numbers, the same values.
        const values: number[] = [];
        for (let i = 0; i < 12_500; i++) values.push(next() * 1000);
        return values;
      });
    },
  },
];
