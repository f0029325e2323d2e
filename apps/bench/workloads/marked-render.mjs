import { Marked } from "marked";
import { prng } from "./_lib.mjs";
import { heavyTailedSizes, markdownDocument } from "./_text.mjs";

// An instance of its own: the global `marked` carries options any importer may change.
const markdown = new Marked({ gfm: true });

/** Renders one Markdown document to HTML. */
export function renderMarkdown(source) {
  return markdown.parse(source, { async: false });
}

export const MIN_CHARS = 30;
export const MAX_CHARS = 40_000;

export const workload = {
  name: "marked-render",
  summary:
    "marked 18.2.1 renders generated Markdown documents (headings, lists, tables, code, links) to HTML;" +
    " lengths log-normal from 30 to 40,000 characters (median ~1,100, mean ~1,800): heavy-tailed items",
  export: "renderMarkdown",
  fineGrained: false,
  meanItemUs: 400,
  count: { full: 2_500, quick: 60 },
  quickScale: 1,
  generate(count, { seed }) {
    const random = prng(seed);
    return heavyTailedSizes(count, seed, MIN_CHARS, MAX_CHARS).map((chars) =>
      markdownDocument(random, chars),
    );
  },
};
