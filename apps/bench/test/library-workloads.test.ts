import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { deserialize, serialize } from "node:v8";
import { beforeAll, describe, expect, it } from "@jest/globals";
import { parse } from "acorn";
import { inflateSync } from "fflate";
import { checksum } from "../src/checksum.js";
import { median } from "../src/stats.js";
import { loadWorkloads, type Workload } from "../src/workloads.js";
import { prng } from "../workloads/_lib.mjs";
import { heavyTailedSizes, jsModule, markdownDocument } from "../workloads/_text.mjs";

const LIBRARIES = {
  "terser-minify": "terser",
  "acorn-parse": "acorn",
  "fflate-deflate": "fflate",
  "marked-render": "marked",
  "hljs-highlight": "highlight.js",
  "sha256-records": "@noble/hashes",
} as const;
type Name = keyof typeof LIBRARIES;

const options = { seed: 20261128, itersPerUs: 100 };
const require = createRequire(import.meta.url);

/** The installed package.json of a library (some, like @noble/hashes, do not export it). */
function installed(library: string): { version: string } {
  for (const root of ["../node_modules/", "../../../node_modules/"]) {
    const file = new URL(`${root}${library}/package.json`, import.meta.url);
    if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8")) as { version: string };
  }
  throw new Error(`${library} is not installed`);
}

describe("library workloads", () => {
  const byName = {} as Record<Name, Workload>;
  const items = (name: Name, count = byName[name].descriptor.count.quick) =>
    byName[name].descriptor.generate(count, {
      ...options,
      scale: byName[name].descriptor.quickScale,
    });

  beforeAll(async () => {
    // See workloads.test.ts: Jest's vm loader needs the shared helpers linked first.
    await import("../workloads/_text.mjs");
    for (const w of await loadWorkloads(Object.keys(LIBRARIES))) byName[w.descriptor.name as Name] = w;
  });

  it("name the exact library version they are pinned to, and depend on it exactly", () => {
    const bench = require("../package.json") as { dependencies: Record<string, string> };
    for (const [name, library] of Object.entries(LIBRARIES)) {
      const { version } = installed(library);
      expect(bench.dependencies[library]).toBe(version);
      expect(byName[name as Name].descriptor.summary).toContain(`${library} ${version}`);
    }
  });

  it("terser-minify: an async API whose promise resolves to smaller, valid JavaScript", async () => {
    const [source] = items("terser-minify", 1) as string[];
    const pending = byName["terser-minify"].fn(source);
    expect(pending).toBeInstanceOf(Promise);
    const code = (await pending) as string;
    expect(code.length).toBeGreaterThan(0);
    expect(code.length).toBeLessThan(source!.length);
    expect(() => parse(code, { ecmaVersion: "latest", sourceType: "module" })).not.toThrow();
  });

  it("acorn-parse: a whole syntax tree per item, which survives cloning with the same checksum", () => {
    const [source] = items("acorn-parse", 1) as string[];
    const ast = byName["acorn-parse"].fn(source) as { type: string; body: unknown[]; end: number };
    expect(ast.type).toBe("Program");
    expect(ast.end).toBe(source!.length);
    let nodes = 0;
    const count = (v: unknown): void => {
      if (v === null || typeof v !== "object") return;
      if ("type" in v) nodes++;
      for (const x of Object.values(v)) count(x);
    };
    count(ast);
    // 4-16 KB of source: a graph of a thousand nodes or more, not a value.
    expect(nodes).toBeGreaterThan(1_000);
    expect(checksum(deserialize(serialize(ast)))).toBe(checksum(ast));
  });

  it("fflate-deflate: a Uint8Array of hundreds of KiB in, a smaller one out that inflates back", () => {
    const full = byName["fflate-deflate"].descriptor.generate(3, { ...options, scale: 1 }) as Uint8Array[];
    for (const input of full) {
      expect(input).toBeInstanceOf(Uint8Array);
      expect(input.length).toBeGreaterThanOrEqual(128 * 1024 - 8);
      expect(input.length).toBeLessThanOrEqual(512 * 1024);
    }
    const [small] = items("fflate-deflate", 1) as Uint8Array[];
    const out = byName["fflate-deflate"].fn(small) as Uint8Array;
    expect(out).toBeInstanceOf(Uint8Array);
    // Telemetry compresses, but far from to nothing: the output is large too.
    expect(out.length).toBeLessThan(small!.length * 0.8);
    expect(out.length).toBeGreaterThan(small!.length * 0.2);
    expect(checksum(inflateSync(out))).toBe(checksum(small));
  });

  it("marked-render: heavy-tailed documents from 30 to 40,000 characters, rendered to HTML", () => {
    const docs = byName["marked-render"].descriptor.generate(
      byName["marked-render"].descriptor.count.full,
      options,
    ) as string[];
    const lengths = docs.map((d) => d.length);
    expect(Math.min(...lengths)).toBeLessThan(60);
    expect(Math.max(...lengths)).toBeGreaterThan(38_000);
    // Heavy tail: the largest is over 20 times the median, and the mean well above the median.
    const mid = median(lengths);
    expect(Math.max(...lengths)).toBeGreaterThan(20 * mid);
    expect(lengths.reduce((a, b) => a + b, 0) / lengths.length).toBeGreaterThan(1.4 * mid);
    const html = byName["marked-render"].fn(docs[lengths.indexOf(Math.max(...lengths))]) as string;
    expect(typeof html).toBe("string");
    for (const tag of ["<h1>", "<p>", "<li>", "<pre><code", "<table>"]) expect(html).toContain(tag);
  });

  it("hljs-highlight: JavaScript, CSS, SQL and JSON snippets, each highlighted in its language", () => {
    const snippets = items("hljs-highlight") as { language: string; code: string }[];
    expect(new Set(snippets.map((s) => s.language))).toEqual(new Set(["javascript", "css", "sql", "json"]));
    for (const s of snippets.slice(0, 4)) {
      const html = byName["hljs-highlight"].fn(s) as string;
      expect(html).toMatch(/<span class="hljs-/);
      expect(html.length).toBeGreaterThan(s.code.length);
    }
  });

  it("sha256-records: the SHA-256 of each record's JSON, as node:crypto computes it", () => {
    const records = items("sha256-records", 20) as object[];
    for (const r of records) {
      const json = JSON.stringify(r);
      expect(json.length).toBeGreaterThan(500);
      expect(json.length).toBeLessThan(1_100);
      expect(byName["sha256-records"].fn(r)).toBe(createHash("sha256").update(json).digest("hex"));
    }
    expect(byName["sha256-records"].descriptor.fineGrained).toBe(true);
  });
});

describe("text generators", () => {
  it("JavaScript modules: valid syntax (no reserved words, no name declared twice) of the size asked", () => {
    for (let seed = 0; seed < 40; seed++) {
      const source = jsModule(prng(seed), 500 + seed * 200);
      expect(source.length).toBeGreaterThanOrEqual(500 + seed * 200);
      expect(() => parse(source, { ecmaVersion: "latest", sourceType: "module" })).not.toThrow();
    }
    expect(jsModule(prng(1), 2_000)).toBe(jsModule(prng(1), 2_000));
    expect(jsModule(prng(2), 2_000)).not.toBe(jsModule(prng(1), 2_000));
  });

  it("Markdown documents: a short one is one paragraph, a long one many blocks", () => {
    expect(markdownDocument(prng(1), 30).length).toBeLessThanOrEqual(30);
    expect(markdownDocument(prng(1), 30)).not.toContain("\n");
    const long = markdownDocument(prng(1), 20_000);
    expect(long.length).toBeGreaterThanOrEqual(20_000);
    expect(long.split("\n\n").length).toBeGreaterThan(20);
  });

  it("heavy-tailed sizes: log-normal quantiles spanning exactly min to max, in an order set by the seed", () => {
    for (const count of [2, 60, 2_500]) {
      const sizes = heavyTailedSizes(count, 7, 30, 40_000);
      expect(sizes).toHaveLength(count);
      expect(Math.min(...sizes)).toBe(30);
      expect(Math.max(...sizes)).toBe(40_000);
    }
    const a = heavyTailedSizes(100, 7, 30, 40_000);
    const b = heavyTailedSizes(100, 8, 30, 40_000);
    expect(b).not.toEqual(a);
    expect([...b].sort((x, y) => x - y)).toEqual([...a].sort((x, y) => x - y));
    // Symmetric in the log: the median size is the geometric mean of the bounds.
    expect(median(a)).toBeCloseTo(Math.sqrt(30 * 40_000), -1);
    expect(heavyTailedSizes(1, 7, 30, 40_000)).toEqual([1_095]);
  });
});
