// Measures the figures the README reports: runs measureSpawnCost() from dist/ in
// fresh processes (cold, then a cache hit in the same process, then a cache hit in
// a new process) and prints the medians (and ranges) over several runs as Markdown.
// Usage: npm run build && node scripts/measure-figures.mjs [runs]
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const self = fileURLToPath(import.meta.url);

if (process.argv[2] === "--child") {
  const [, , , mode, cacheDir] = process.argv;
  const { measureSpawnCost } = await import("../dist/index.js");
  const timed = async () => {
    const t0 = performance.now();
    const profile = await measureSpawnCost({ cacheDir });
    return { ms: performance.now() - t0, profile };
  };
  const first = await timed();
  const second = mode === "cold" ? await timed() : null;
  process.stdout.write(JSON.stringify({ first, second }));
} else {
  const runs = Number(process.argv[2] ?? 5);
  const child = (mode, dir) => {
    const out = spawnSync(process.execPath, [self, "--child", mode, dir], { encoding: "utf8" });
    if (out.status !== 0) throw new Error(out.stderr);
    return JSON.parse(out.stdout);
  };
  const results = [];
  for (let i = 0; i < runs; i++) {
    const dir = mkdtempSync(path.join(os.tmpdir(), "amorsize-figures-"));
    try {
      const cold = child("cold", dir);
      const warm = child("warm", dir);
      if (cold.first.profile.source !== "measured" || cold.second.profile.source !== "cached")
        throw new Error("expected a measurement, then a cache hit");
      results.push({
        profile: cold.first.profile,
        coldMs: cold.first.ms,
        cachedMs: cold.second.ms,
        cachedNewProcessMs: warm.first.ms,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    const m = s.length >> 1;
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
  };
  const fmt = (x) =>
    x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toFixed(3);
  const row = (label, pick, unit) => {
    const values = results.map((r) => pick(r));
    const prov = [...new Set(results.map((r) => pickFigure(r, label)?.provenance).filter(Boolean))].join("/");
    return `| ${label} | ${fmt(median(values))} ${unit} | ${fmt(Math.min(...values))} - ${fmt(Math.max(...values))} | ${prov} |`;
  };
  const figures = {};
  const pickFigure = (r, label) => figures[label]?.(r.profile);
  const add = (label, get, unit) => {
    figures[label] = get;
    return row(label, (r) => get(r.profile).value, unit);
  };
  const lines = [
    `${runs} runs, ${new Date().toISOString().slice(0, 10)}, ${os.cpus()[0]?.model.trim()} x ${os.cpus().length}, Node ${process.versions.node}`,
    "",
    "| figure | median | range | provenance |",
    "| --- | --- | --- | --- |",
    add("workerStart.fixedMs", (p) => p.workerStart.fixedMs, "ms"),
    add("workerStart.perWorkerMs", (p) => p.workerStart.perWorkerMs, "ms"),
    add("dispatch.latencyUs", (p) => p.dispatch.latencyUs, "us"),
    add("dispatch.throughputUs", (p) => p.dispatch.throughputUs, "us"),
  ];
  for (const kind of Object.keys(results[0].profile.clone)) {
    lines.push(add(`clone["${kind}"].perItemUs`, (p) => p.clone[kind].perItemUs, "us"));
    lines.push(add(`clone["${kind}"].perByteNs`, (p) => p.clone[kind].perByteNs, "ns"));
  }
  lines.push("", "| wall time of measureSpawnCost() | median | range |", "| --- | --- | --- |");
  for (const [label, key] of [
    ["cold (no cache file)", "coldMs"],
    ["cached, same process", "cachedMs"],
    ["cached, new process", "cachedNewProcessMs"],
  ]) {
    const values = results.map((r) => r[key]);
    lines.push(
      `| ${label} | ${fmt(median(values))} ms | ${fmt(Math.min(...values))} - ${fmt(Math.max(...values))} |`,
    );
  }
  const warnings = results.flatMap((r) => r.profile.warnings.map((w) => w.code));
  lines.push("", `warnings: ${warnings.length ? warnings.join(", ") : "none"}`);
  console.log(lines.join("\n"));
}
