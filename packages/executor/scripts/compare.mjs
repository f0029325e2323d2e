// Side-by-side throughput of @amorsize/executor against hand-written tinypool code, in one
// process, on a fine-grained workload (scripts/work.mjs, ~1-2 us per item).
//
//   npm run build && node scripts/compare.mjs [--items 200000] [--chunk 1000] [--workers 2] [--reps 7]
//
// Every variant runs in each repetition, in a rotating order so none always runs first;
// the table shows medians and ratios. All pools are started and warmed up before timing.
import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";
import { Tinypool } from "tinypool";
import { createExecutor } from "../dist/index.js";
import { mix } from "./work.mjs";

const { values: args } = parseArgs({
  options: {
    items: { type: "string", default: "200000" },
    chunk: { type: "string", default: "1000" },
    workers: { type: "string", default: String(Math.min(2, availableParallelism())) },
    reps: { type: "string", default: "7" },
    "item-reps": { type: "string", default: "3" },
  },
});
const N = Number(args.items);
const CHUNK = Number(args.chunk);
const WORKERS = Number(args.workers);
const REPS = Number(args.reps);
const ITEM_REPS = Number(args["item-reps"]);

const items = Array.from({ length: N }, (_, i) => i);
const task = { module: new URL("./work.mjs", import.meta.url), export: "mix" };
const expected = items.map(mix);

const parallel = createExecutor({ workers: WORKERS });
const serial = createExecutor({ mode: "serial" });
const chunkPool = new Tinypool({
  filename: new URL("./baseline-chunk-worker.mjs", import.meta.url).href,
  minThreads: WORKERS,
  maxThreads: WORKERS,
});
const itemPool = new Tinypool({
  filename: new URL("./baseline-item-worker.mjs", import.meta.url).href,
  minThreads: WORKERS,
  maxThreads: WORKERS,
});

const variants = {
  "plain loop (calling thread)": async () => items.map(mix),
  "executor, serial mode": async () => (await serial.map(task, items)).results,
  [`hand-written tinypool loop, chunk ${CHUNK}`]: async () => {
    const pending = [];
    for (let i = 0; i < N; i += CHUNK) pending.push(chunkPool.run(items.slice(i, i + CHUNK)));
    return (await Promise.all(pending)).flat();
  },
  [`executor, chunk ${CHUNK}`]: async () => (await parallel.map(task, items, { chunkSize: CHUNK })).results,
  'executor, chunkSize "auto"': async () => (await parallel.map(task, items)).results,
  "tinypool, one task per item": async () => Promise.all(items.map((item) => itemPool.run(item))),
};
const names = Object.keys(variants);
const perItemName = "tinypool, one task per item";
const handName = `hand-written tinypool loop, chunk ${CHUNK}`;

function check(name, results) {
  if (results.length !== N) throw new Error(`${name}: ${results.length} results, expected ${N}`);
  for (let i = 0; i < N; i++) {
    if (results[i] !== expected[i]) throw new Error(`${name}: wrong result at ${i}`);
  }
}

// Warm-up: start every pool, load every module, let V8 optimise the hot paths.
for (const name of names) {
  if (name === perItemName) await Promise.all(items.slice(0, 20_000).map((item) => itemPool.run(item)));
  else check(name, await variants[name]());
}

const times = Object.fromEntries(names.map((name) => [name, []]));
for (let rep = 0; rep < REPS; rep++) {
  for (let k = 0; k < names.length; k++) {
    const name = names[(k + rep) % names.length];
    if (name === perItemName && rep >= ITEM_REPS) continue;
    const start = performance.now();
    const results = await variants[name]();
    times[name].push(performance.now() - start);
    check(name, results);
  }
}

await Promise.all([parallel.close(), serial.close(), chunkPool.destroy(), itemPool.destroy()]);

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const hand = median(times[handName]);
const loop = median(times["plain loop (calling thread)"]);
console.log(
  `${N} items of ~${((loop * 1000) / N).toFixed(2)} us, ${WORKERS} workers, Node ${process.version}, ` +
    `${REPS} repetitions (${ITEM_REPS} for one task per item), medians\n`,
);
console.log("| variant | median ms | runs | vs hand-written loop | vs plain loop |");
console.log("| --- | ---: | ---: | ---: | ---: |");
for (const name of names) {
  const m = median(times[name]);
  console.log(
    `| ${name} | ${m.toFixed(1)} | ${times[name].length} | ${(m / hand).toFixed(3)} | ${(m / loop).toFixed(2)} |`,
  );
}
