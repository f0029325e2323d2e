// The executor's two hot paths, timed side by side with another build of the executor
// (a copy of an earlier dist/) so that a change can be judged on a busy machine: both
// builds run in the same process, in alternating order, and the ratio is what counts.
//
//   npm run build && node scripts/hot-paths.mjs [--base /path/to/old/dist] [--reps 5]
//
// - serial: `map()` in the calling thread over 1,000,000 numbers with a trivial task
//   (the try-free stretches over an array);
// - parallel: `map()` on 2 workers over 200,000 items of ~1 us (scripts/work.mjs), with
//   a fixed chunk of 1,000 and with adaptive chunks (chunk dispatch).
//
// Each case reports the median wall time and the median CPU time of the process (all its
// threads): on a loaded machine the wall time mostly measures the other jobs, while the
// CPU time still shows what the executor itself costs.
import { parseArgs } from "node:util";
import { mix } from "./work.mjs";

const { values: args } = parseArgs({
  options: {
    base: { type: "string" },
    reps: { type: "string", default: "5" },
    workers: { type: "string", default: "2" },
    only: { type: "string" },
  },
});
const REPS = Number(args.reps);
const WORKERS = Number(args.workers);

const builds = { new: await import("../dist/index.js") };
if (args.base !== undefined) builds.base = await import(new URL(`file://${args.base}/index.js`).href);

const trivial = { module: new URL("./trivial.mjs", import.meta.url), export: "addOne" };
const work = { module: new URL("./work.mjs", import.meta.url), export: "mix" };
const many = Array.from({ length: 1_000_000 }, (_, i) => i);
const fine = Array.from({ length: 200_000 }, (_, i) => i);
const fineExpected = fine.map(mix);

const executors = {};
for (const [name, build] of Object.entries(builds)) {
  executors[name] = {
    serial: build.createExecutor({ mode: "serial" }),
    parallel: build.createExecutor({ workers: WORKERS }),
  };
}

const variants = [
  ["serial map, 1 M trivial items", (ex) => ex.serial.map(trivial, many), (r) => r[999_999] === 1_000_000],
  [
    "parallel map, 200 K ~1 us items, chunk 1000",
    (ex) => ex.parallel.map(work, fine, { chunkSize: 1000 }),
    (r) => r.length === fine.length && r.every((v, i) => v === fineExpected[i]),
  ],
  [
    'parallel map, 200 K ~1 us items, chunkSize "auto"',
    (ex) => ex.parallel.map(work, fine),
    (r) => r.length === fine.length && r.every((v, i) => v === fineExpected[i]),
  ],
];

if (args.only !== undefined) {
  const keep = variants.filter(([label]) => label.startsWith(args.only));
  variants.splice(0, variants.length, ...keep);
}
const names = Object.keys(executors);
const times = {};
const cpu = {};
for (const [label, run, ok] of variants) {
  for (const name of names) {
    // Warm-up: start the pool, load the task, let V8 optimise.
    const { results } = await run(executors[name]);
    if (!ok(results)) throw new Error(`${name}: ${label}: wrong results`);
    times[`${label}|${name}`] = [];
    cpu[`${label}|${name}`] = [];
  }
}
for (let rep = 0; rep < REPS; rep++) {
  for (const [label, run, ok] of variants) {
    const order = rep % 2 === 0 ? names : [...names].reverse();
    for (const name of order) {
      const start = performance.now();
      const used = process.cpuUsage();
      const { results } = await run(executors[name]);
      times[`${label}|${name}`].push(performance.now() - start);
      const { user, system } = process.cpuUsage(used);
      cpu[`${label}|${name}`].push((user + system) / 1000);
      if (!ok(results)) throw new Error(`${name}: ${label}: wrong results`);
    }
  }
}
for (const { serial, parallel } of Object.values(executors))
  await Promise.all([serial.close(), parallel.close()]);

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
console.log(`Node ${process.version}, ${WORKERS} workers, median of ${REPS}, wall ms / CPU ms\n`);
const pair = (key) => `${median(times[key]).toFixed(1)} / ${median(cpu[key]).toFixed(1)}`;
const ratio = (of, label) => (median(of[`${label}|new`]) / median(of[`${label}|base`])).toFixed(3);
const compared = names.length > 1;
console.log(`| case | ${names.join(" | ")} |${compared ? " new / base wall | new / base CPU |" : ""}`);
console.log(`| --- |${names.map(() => " ---: |").join("")}${compared ? " ---: | ---: |" : ""}`);
for (const [label] of variants) {
  const cells = names.map((name) => pair(`${label}|${name}`)).join(" | ");
  console.log(`| ${label} | ${cells} |${compared ? ` ${ratio(times, label)} | ${ratio(cpu, label)} |` : ""}`);
}
