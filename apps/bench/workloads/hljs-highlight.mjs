import hljs from "highlight.js";
import { prng } from "./_lib.mjs";
import { cssSheet, jsModule, record, sqlScript } from "./_text.mjs";

/**
 * Highlights one snippet in its language. The import registers all of
 * highlight.js's ~190 languages: a heavy module load in every fresh worker.
 */
export function highlightSnippet(snippet) {
  return hljs.highlight(snippet.code, { language: snippet.language }).value;
}

const SOURCES = {
  javascript: (random, chars) => jsModule(random, chars),
  css: (random, chars) => cssSheet(random, chars),
  sql: (random, chars) => sqlScript(random, chars),
  json: (random, chars) =>
    JSON.stringify(
      Array.from({ length: Math.max(1, Math.round(chars / 400)) }, (_, id) => record(random, id, 200)),
      null,
      2,
    ),
};
const LANGUAGES = Object.keys(SOURCES);

export const workload = {
  name: "hljs-highlight",
  summary:
    "highlight.js 11.12.0 with all languages highlights generated JavaScript, CSS, SQL and JSON" +
    " snippets of 1-8 KB, about 4 ms each; importing it takes a fresh worker about 140 ms (measured 136-142 ms)",
  export: "highlightSnippet",
  fineGrained: false,
  meanItemUs: 4_000,
  count: { full: 300, quick: 8 },
  quickScale: 1,
  generate(count, { seed }) {
    const random = prng(seed);
    return Array.from({ length: count }, (_, i) => {
      const language = LANGUAGES[i % LANGUAGES.length];
      return { language, code: SOURCES[language](random, 1_000 + random() * 7_000) };
    });
  },
};
