import { minify } from "terser";
import { prng } from "./_lib.mjs";
import { jsModule } from "./_text.mjs";

/**
 * Minifies one ES module with terser's defaults (compress and mangle). `minify`
 * returns a promise, but the work is CPU: an async task that is CPU-bound.
 */
export async function minifyModule(source) {
  const out = await minify(source, { module: true });
  return out.code;
}

export const workload = {
  name: "terser-minify",
  summary:
    "terser 5.51.4 `minify` (async, CPU-bound) over generated ES modules of 2-8 KB, about 20 ms each;" +
    " importing terser takes a fresh worker about 75 ms (measured 71-89 ms; a synthetic workload module: 8 ms)",
  export: "minifyModule",
  fineGrained: false,
  meanItemUs: 20_000,
  count: { full: 56, quick: 3 },
  quickScale: 1,
  generate(count, { seed }) {
    const random = prng(seed);
    return Array.from({ length: count }, () => jsModule(random, 2_000 + random() * 6_000));
  },
};
