// Seeded generators of realistic text for the library workloads: JavaScript
// modules, Markdown documents, CSS, SQL and JSON records. Plain JavaScript so
// that worker threads import it without a build step; only the generators run
// in the main thread, the tasks never call them.

import { inverseNormal, shuffled } from "./_lib.mjs";

// Bound once, as _lib.mjs binds imul: under Jest every `Math.floor` lookup goes through the vm
// context's global, and the generators draw hundreds of thousands of words in the tests.
const floor = Math.floor;

const SYLLABLES = [
  "ka",
  "lo",
  "mi",
  "ner",
  "to",
  "sa",
  "vi",
  "del",
  "ran",
  "po",
  "qui",
  "tes",
  "bar",
  "con",
  "fi",
  "gu",
  "hal",
  "jen",
  "ix",
  "mor",
  "nu",
  "pel",
  "ros",
  "sun",
  "tar",
  "ul",
  "ven",
  "wex",
  "yor",
  "zen",
  "ap",
  "be",
  "cri",
  "dov",
  "el",
  "fan",
  "gri",
  "hu",
];

/** A pronounceable lower-case word of 1 to 4 syllables. */
export function word(random) {
  const n = 1 + floor(random() * random() * 4);
  let w = "";
  for (let i = 0; i < n; i++) w += SYLLABLES[floor(random() * SYLLABLES.length)];
  return w;
}

/** camelCase identifier of 1 to 3 words. */
export function identifier(random) {
  const n = 1 + floor(random() * 3);
  let id = word(random);
  for (let i = 1; i < n; i++) {
    const w = word(random);
    id += w[0].toUpperCase() + w.slice(1);
  }
  return id;
}

/** An identifier not in `taken` (then added to it). */
function fresh(random, taken, style = (id) => id) {
  let id = style(identifier(random));
  if (taken.has(id)) id += taken.size;
  taken.add(id);
  return id;
}

function pick(random, list) {
  return list[floor(random() * list.length)];
}

/** A sentence of 4 to 18 words, capitalised, ending with a full stop. */
export function sentence(random) {
  const n = 4 + floor(random() * 15);
  const words = Array.from({ length: n }, () => word(random));
  words[0] = words[0][0].toUpperCase() + words[0].slice(1);
  return `${words.join(" ")}.`;
}

// ---------------------------------------------------------------------------
// JavaScript

const BINARY = ["+", "-", "*", "/", "%", "&&", "||", "===", "<", ">="];

function jsExpression(random, names, depth = 0) {
  const r = random();
  if (depth > 2 || r < 0.25) {
    const leaf = random();
    if (leaf < 0.35 && names.length > 0) return pick(random, names);
    if (leaf < 0.6) return String(floor(random() * 1000));
    if (leaf < 0.75) return JSON.stringify(word(random));
    if (leaf < 0.85) return `\`${word(random)}-\${${names.length > 0 ? pick(random, names) : "0"}}\``;
    return pick(random, ["true", "false", "null", "[]", "{}"]);
  }
  const a = () => jsExpression(random, names, depth + 1);
  // Operands are parenthesised when compound, so any nesting stays valid syntax.
  const group = (e) => (depth > 0 ? `(${e})` : e);
  if (r < 0.45) return group(`${a()} ${pick(random, BINARY)} ${a()}`);
  if (r < 0.55)
    return `${pick(random, ["Math.max", "Math.min", "String", "Number", "Array.isArray"])}(${a()})`;
  if (r < 0.65) return group(`${a()} ? ${a()} : ${a()}`);
  if (r < 0.75) return `[${a()}, ${a()}, ${a()}]`;
  if (r < 0.85) return `({ ${identifier(random)}: ${a()}, ${identifier(random)}: ${a()} })`;
  if (r < 0.93 && names.length > 0) return `${pick(random, names)}.${identifier(random)}`;
  return group(`(${identifier(random)}) => ${a()}`);
}

function jsStatements(random, names, depth, count, indent, taken) {
  const lines = [];
  for (let i = 0; i < count; i++) {
    const r = random();
    if (depth < 3 && r < 0.12) {
      lines.push(`${indent}if (${jsExpression(random, names)}) {`);
      lines.push(...jsStatements(random, names, depth + 1, 1 + floor(random() * 3), `${indent}  `, taken));
      lines.push(`${indent}} else {`);
      lines.push(...jsStatements(random, names, depth + 1, 1 + floor(random() * 2), `${indent}  `, taken));
      lines.push(`${indent}}`);
    } else if (depth < 3 && r < 0.22) {
      const i2 = `i${depth}`;
      lines.push(`${indent}for (let ${i2} = 0; ${i2} < ${jsExpression(random, names, 1)}; ${i2}++) {`);
      lines.push(
        ...jsStatements(random, [...names, i2], depth + 1, 1 + floor(random() * 3), `${indent}  `, taken),
      );
      lines.push(`${indent}}`);
    } else if (r < 0.6) {
      const name = fresh(random, taken);
      lines.push(`${indent}const ${name} = ${jsExpression(random, names)};`);
      names.push(name);
    } else if (r < 0.75 && names.length > 0) {
      lines.push(`${indent}${pick(random, names)}.${identifier(random)}(${jsExpression(random, names)});`);
    } else if (r < 0.85) {
      lines.push(`${indent}// ${sentence(random)}`);
    } else {
      lines.push(`${indent}console.log(${jsExpression(random, names)});`);
    }
  }
  return lines;
}

function jsFunction(random, exported, taken) {
  const name = fresh(random, taken);
  const params = Array.from({ length: floor(random() * 4) }, () => fresh(random, taken));
  const names = [...params];
  const body = jsStatements(random, names, 0, 3 + floor(random() * 8), "  ", taken);
  body.push(`  return ${jsExpression(random, names)};`);
  const head = `${exported ? "export " : ""}function ${name}(${params.join(", ")}) {`;
  return [`/** ${sentence(random)} */`, head, ...body, "}", ""].join("\n");
}

function jsClass(random, taken) {
  const name = fresh(random, taken);
  const out = [`export class ${name[0].toUpperCase()}${name.slice(1)} {`];
  const fields = Array.from({ length: 1 + floor(random() * 3) }, () => fresh(random, taken));
  out.push(`  constructor(${fields.join(", ")}) {`);
  for (const f of fields) out.push(`    this.${f} = ${f};`);
  out.push("  }");
  for (let m = 0; m < 1 + floor(random() * 4); m++) {
    const names = fields.map((f) => `this.${f}`);
    out.push(`  ${identifier(random)}() {`);
    out.push(...jsStatements(random, names, 1, 2 + floor(random() * 4), "    ", taken));
    out.push(`    return ${jsExpression(random, names)};`);
    out.push("  }");
  }
  out.push("}", "");
  return out.join("\n");
}

/** An ES module of about `chars` characters: functions, classes, constants and comments. */
export function jsModule(random, chars) {
  const parts = [`// ${sentence(random)}`, `"use strict";`, ""];
  // Every declared name is unique in the module: a redeclaration is a syntax error.
  const taken = new Set();
  let length = 0;
  while (length < chars) {
    const r = random();
    const part =
      r < 0.65
        ? jsFunction(random, random() < 0.5, taken)
        : r < 0.85
          ? jsClass(random, taken)
          : `export const ${fresh(random, taken, (id) => id.toUpperCase())} = ${jsExpression(random, [])};\n`;
    parts.push(part);
    length += part.length;
  }
  return parts.join("\n");
}

// ---------------------------------------------------------------------------
// Markdown

function inline(random) {
  const words = [];
  const n = 6 + floor(random() * 30);
  for (let i = 0; i < n; i++) {
    const r = random();
    const w = word(random);
    if (r < 0.06) words.push(`**${w} ${word(random)}**`);
    else if (r < 0.12) words.push(`_${w}_`);
    else if (r < 0.17) words.push(`\`${identifier(random)}()\``);
    else if (r < 0.21) words.push(`[${w}](https://example.com/${word(random)}/${word(random)})`);
    else words.push(w);
  }
  words[0] = words[0][0].toUpperCase() + words[0].slice(1);
  return `${words.join(" ")}.`;
}

function markdownBlock(random) {
  const r = random();
  if (r < 0.12) return `${"#".repeat(2 + floor(random() * 3))} ${sentence(random).slice(0, -1)}`;
  if (r < 0.5) return Array.from({ length: 1 + floor(random() * 4) }, () => inline(random)).join(" ");
  if (r < 0.66) {
    const ordered = random() < 0.4;
    return Array.from(
      { length: 2 + floor(random() * 6) },
      (_, i) => `${ordered ? `${i + 1}.` : "-"} ${inline(random)}`,
    ).join("\n");
  }
  if (r < 0.78) return ["```js", jsModule(random, 200 + random() * 600).trimEnd(), "```"].join("\n");
  if (r < 0.86) return `> ${inline(random)}\n> ${inline(random)}`;
  const cols = 2 + floor(random() * 4);
  const row = () => `| ${Array.from({ length: cols }, () => word(random)).join(" | ")} |`;
  const rows = Array.from({ length: 2 + floor(random() * 8) }, row);
  return [row(), `|${" --- |".repeat(cols)}`, ...rows].join("\n");
}

/** A Markdown document of about `chars` characters (at least one short paragraph). */
export function markdownDocument(random, chars) {
  const first = inline(random);
  if (chars <= first.length) return first.slice(0, Math.max(8, chars)).trimEnd();
  const blocks = [`# ${sentence(random).slice(0, -1)}`, first];
  let length = blocks[0].length + first.length;
  while (length < chars) {
    const block = markdownBlock(random);
    blocks.push(block);
    length += block.length + 2;
  }
  return blocks.join("\n\n");
}

/**
 * `count` sizes on a log-normal law spanning exactly `min` to `max`: the
 * quantiles at (i + 0.5) / count, so the smallest and the largest are the
 * bounds and the tail is there at every count, in an order shuffled by `seed`.
 */
export function heavyTailedSizes(count, seed, min, max) {
  if (count === 1) return [Math.round(Math.sqrt(min * max))];
  const z0 = inverseNormal(0.5 / count);
  const mu = (Math.log(min) + Math.log(max)) / 2;
  const sigma = (Math.log(max) - Math.log(min)) / (2 * -z0);
  const sizes = Array.from({ length: count }, (_, i) =>
    Math.round(Math.exp(mu + sigma * inverseNormal((i + 0.5) / count))),
  );
  return shuffled(sizes, seed);
}

// ---------------------------------------------------------------------------
// CSS, SQL, JSON

/** A style sheet of about `chars` characters. */
export function cssSheet(random, chars) {
  const props = [
    [
      "color",
      () =>
        `#${floor(random() * 0xffffff)
          .toString(16)
          .padStart(6, "0")}`,
    ],
    ["margin", () => `${floor(random() * 32)}px ${floor(random() * 32)}px`],
    ["display", () => pick(random, ["flex", "grid", "block", "inline-block", "none"])],
    ["font-size", () => `${(0.75 + random() * 1.5).toFixed(2)}rem`],
    ["border", () => `${1 + floor(random() * 3)}px solid rgba(0, 0, 0, ${random().toFixed(2)})`],
    ["transition", () => `opacity ${floor(random() * 500)}ms ease-in-out`],
  ];
  const rules = [];
  let length = 0;
  while (length < chars) {
    const selector = `.${word(random)}-${word(random)}${random() < 0.3 ? `:${pick(random, ["hover", "focus", "first-child"])}` : ""}`;
    const body = Array.from({ length: 2 + floor(random() * 5) }, () => {
      const [name, value] = pick(random, props);
      return `  ${name}: ${value()};`;
    });
    const rule = `${selector} {\n${body.join("\n")}\n}\n`;
    rules.push(random() < 0.1 ? `@media (max-width: ${400 + floor(random() * 800)}px) {\n${rule}}\n` : rule);
    length += rule.length;
  }
  return rules.join("\n");
}

/** SQL statements, about `chars` characters. */
export function sqlScript(random, chars) {
  const statements = [];
  let length = 0;
  while (length < chars) {
    const table = word(random);
    const cols = Array.from({ length: 2 + floor(random() * 5) }, () => identifier(random));
    const r = random();
    const statement =
      r < 0.5
        ? `SELECT ${cols.join(", ")}\nFROM ${table} t\nJOIN ${word(random)} u ON u.id = t.${cols[0]}\nWHERE t.${cols[1]} > ${floor(random() * 1000)} AND u.name LIKE '${word(random)}%'\nORDER BY ${cols[0]} DESC\nLIMIT ${10 + floor(random() * 90)};`
        : r < 0.8
          ? `INSERT INTO ${table} (${cols.join(", ")})\nVALUES (${cols.map(() => (random() < 0.5 ? floor(random() * 1e6) : `'${word(random)}'`)).join(", ")});`
          : `CREATE TABLE ${table} (\n  id INTEGER PRIMARY KEY,\n${cols.map((c) => `  ${c} ${pick(random, ["TEXT", "INTEGER", "REAL", "TIMESTAMP"])} NOT NULL`).join(",\n")}\n);`;
    statements.push(`-- ${sentence(random)}\n${statement}`);
    length += statement.length;
  }
  return statements.join("\n\n");
}

/** A JSON-like record of about `chars` characters of serialised content. */
export function record(random, id, chars) {
  const tags = Array.from({ length: 1 + floor(random() * 4) }, () => word(random));
  const out = {
    id,
    user: identifier(random),
    email: `${word(random)}@${word(random)}.example`,
    createdAt: 1_700_000_000_000 + floor(random() * 1e10),
    score: Math.round(random() * 1e6) / 100,
    tags,
    text: "",
  };
  let text = "";
  while (text.length < chars) text += `${sentence(random)} `;
  out.text = text.slice(0, chars);
  return out;
}
