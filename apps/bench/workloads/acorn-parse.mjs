import { parse } from "acorn";
import { prng } from "./_lib.mjs";
import { jsModule } from "./_text.mjs";

/** Parses one ES module and returns its whole syntax tree: a large object graph per item. */
export function parseModule(source) {
  return parse(source, { ecmaVersion: "latest", sourceType: "module" });
}

export const workload = {
  name: "acorn-parse",
  summary:
    "acorn 8.19.0 `parse` of generated ES modules of 4-16 KB, returning the whole AST (about 2,500 nodes" +
    " per item); cloning the tree back costs about as much as parsing it",
  export: "parseModule",
  fineGrained: false,
  meanItemUs: 2_800,
  count: { full: 420, quick: 8 },
  quickScale: 1,
  generate(count, { seed }) {
    const random = prng(seed);
    return Array.from({ length: count }, () => jsModule(random, 4_000 + random() * 12_000));
  },
};
