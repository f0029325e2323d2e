#!/usr/bin/env node
// Checks the cluster cost model against network latency: for each added latency (1, 5 and
// 20 ms each way by default) a TCP proxy (test/proxy.mjs) sits between Redis and everyone
// who talks to it, callers and hosts alike. Through it the script measures the cluster
// (measureClusterCost), plans two workloads (planCluster), runs each on the cluster at the
// planned chunk size, half and double it, and locally (a serial loop, which is what the
// planner compares with, and a 2-thread @amorsize/executor for reference), and prints
// predicted against measured wall times. Starts its own redis-server and two amorsize-worker
// hosts of one thread per latency, and stops them on the way out. Run after
// `npx turbo run build --filter=@amorsize/cluster...`:
//   node scripts/latency-bench.mjs [--quick] [--latencies 1,5,20] [--reps 3]
import { fileURLToPath } from "node:url";
import { serialize } from "node:v8";
import { createExecutor } from "@amorsize/executor";
import { cluster, measureClusterCost, planCluster, predictClusterWallMs } from "../dist/index.js";
import { startDelayProxy } from "../test/proxy.mjs";
import { freePort, start, startRedis, stopAll } from "./processes.mjs";

const argv = process.argv.slice(2);
const flag = (name, fallback) => {
  const at = argv.indexOf(name);
  return at >= 0 ? argv[at + 1] : fallback;
};
const quick = argv.includes("--quick");
const LATENCIES = flag("--latencies", "1,5,20").split(",").map(Number);
const REPS = Number(flag("--reps", quick ? "1" : "3"));
const ITEMS = quick ? 1000 : 2000;
/** Two workloads: the short one should go local at high latency, the long one stay on the cluster. */
const WORKLOADS = [
  { name: "short", itemMs: 0.2 },
  { name: "long", itemMs: 1 },
];

const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
// Items wait instead of computing (see bench-task.mjs): the two hosts stand for two machines,
// which two threads on this shared 2-core machine are not. `--cpu` runs a CPU-bound hash.
const cpu = argv.includes("--cpu");
const task = {
  module: fileURLToPath(new URL("./bench-task.mjs", import.meta.url)),
  export: cpu ? "hash" : "wait",
};
const tasks = await import(task.module);
const runItem = tasks[task.export];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const time = async (fn) => {
  const s = performance.now();
  await fn();
  return performance.now() - s;
};

/** Rounds of the CPU-bound hash that take about `ms` on this machine now (median of a few timings). */
function roundsFor(ms) {
  const { hash } = tasks;
  const probe = 100_000;
  const item = { seed: 1, rounds: probe };
  for (let i = 0; i < 20; i++) hash(item);
  const per = median(
    Array.from({ length: 9 }, () => {
      const s = performance.now();
      for (let i = 0; i < 5; i++) hash(item);
      return (performance.now() - s) / 5;
    }),
  );
  return Math.max(1, Math.round((probe * ms) / per));
}

/** A workload's items, its serial results, and its item time as a serial loop measures it. */
function makeWorkload({ name, itemMs }) {
  const rounds = cpu ? roundsFor(itemMs) : 0;
  const items = Array.from({ length: ITEMS }, (_, i) =>
    cpu ? { seed: i, rounds } : { seed: i, ms: itemMs },
  );
  const expected = items.map(runItem);
  // The planner's item time, as a sampler would take it: a serial timing of the first 200 items.
  const sample = items.slice(0, 200);
  const measuredItemMs =
    median(
      Array.from({ length: 3 }, () => {
        const s = performance.now();
        sample.map(runItem);
        return performance.now() - s;
      }),
    ) / sample.length;
  // What the planner is told per item: V8-serialised item and result (what the codec sends, before base64).
  const bytesPerItem = serialize(items[0]).length + serialize(expected[0]).length;
  return { name, items, expected, itemMs: measuredItemMs, bytesPerItem };
}

async function benchLatency(delayMs, redisPort, workloads, executor) {
  const proxy = await startDelayProxy({ upstreamPort: redisPort, delayMs });
  const queueName = `latency-${delayMs}`;
  const hosts = await Promise.all(
    [0, 1].map(() =>
      start(
        process.execPath,
        [CLI, "--redis", proxy.url, "--allow", task.module, "--concurrency", "1", "--queue", queueName],
        /ready on queue/,
      ),
    ),
  );
  const profile = await measureClusterCost({ connection: proxy.url, queueName, samples: quick ? 5 : 15 });
  const backend = cluster({ connection: proxy.url, queueName });
  const rows = [];
  try {
    await backend.connect();
    for (const w of workloads) rows.push(await benchWorkload(delayMs, profile, backend, executor, w));
  } finally {
    await backend.close();
    for (const host of hosts) host.kill("SIGTERM");
    await Promise.all(hosts.map((h) => (h.exitCode === null ? new Promise((r) => h.once("exit", r)) : 0)));
    await proxy.close();
  }
  return { delayMs, figures: profile.figures, rows };
}

async function benchWorkload(delayMs, profile, backend, executor, w) {
  const n = w.items.length;
  const workload = { items: n, itemMs: w.itemMs, bytesPerItem: w.bytesPerItem };
  const plan = planCluster({ cluster: profile.figures, workload });
  const sizes = {
    planned: plan.chunkSize,
    half: Math.max(1, Math.ceil(plan.chunkSize / 2)),
    double: Math.min(n, plan.chunkSize * 2),
  };
  const check = (results, what) => {
    if (results.length !== n || results.some((v, i) => v !== w.expected[i]))
      throw new Error(`${what}: results differ from the serial loop's`);
  };
  const configs = {
    serial: () => check(w.items.map(runItem), "serial"),
    executor: async () =>
      check((await executor.map(task, w.items, { chunkSize: Math.ceil(n / 8) })).results, "executor"),
  };
  for (const [name, chunkSize] of Object.entries(sizes)) {
    configs[name] = async () => check((await backend.map(task, w.items, { chunkSize })).results, name);
  }
  for (const run of Object.values(configs)) await run(); // warm-up, not counted
  const times = Object.fromEntries(Object.keys(configs).map((k) => [k, []]));
  // Interleaved, so that a shared machine's load falls on every configuration alike.
  for (let r = 0; r < REPS; r++)
    for (const [name, run] of Object.entries(configs)) times[name].push(await time(run));
  const measured = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
  const workers = profile.figures.totalWorkers;
  const predicted = Object.fromEntries(
    Object.entries(sizes).map(([k, cs]) => [k, predictClusterWallMs(profile.figures, workload, workers, cs)]),
  );
  // Right when the side chosen was not slower than the other by more than 5% (closer is a tie).
  const [chosen, other] =
    plan.backend === "cluster" ? [measured.planned, measured.serial] : [measured.serial, measured.planned];
  return {
    delayMs,
    workload: `${n} x ${w.itemMs.toFixed(2)} ms (${w.name})`,
    itemMs: w.itemMs,
    bytesPerItem: w.bytesPerItem,
    plan: { backend: plan.backend, chunkSize: plan.chunkSize, chunks: plan.chunks, workers: plan.workers },
    predicted,
    measured,
    error: Object.fromEntries(Object.keys(sizes).map((k) => [k, predicted[k] / measured[k] - 1])),
    decision: chosen <= other ? "yes" : chosen <= other * 1.05 ? "tie" : "NO",
  };
}

const ms = (v) => (v < 10 ? v.toFixed(1) : v.toFixed(0));
const pct = (v) => `${v >= 0 ? "+" : ""}${(v * 100).toFixed(0)}%`;

function printTable(results) {
  const lines = [
    "| latency each way | round trip / command / per job / per byte | workload | plan | predicted | measured | error | half chunk: measured (predicted, error) | double chunk: measured (predicted, error) | serial loop | executor (2 threads) | decision right |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const { delayMs, figures: f, rows } of results) {
    for (const r of rows) {
      const { predicted: p, measured: m, error: e } = r;
      lines.push(
        `| ${delayMs} ms | ${ms(f.roundTripMs)} / ${f.commandMs === undefined ? "-" : ms(f.commandMs)} / ${ms(f.perChunkMs)} ms / ${f.perByteNs.toFixed(1)} ns | ${r.workload} | ${r.plan.backend}, chunks of ${r.plan.chunkSize} (${r.plan.chunks}) | ${ms(p.planned)} ms | ${ms(m.planned)} ms | ${pct(e.planned)} | ${ms(m.half)} (${ms(p.half)}, ${pct(e.half)}) | ${ms(m.double)} (${ms(p.double)}, ${pct(e.double)}) | ${ms(m.serial)} ms | ${ms(m.executor)} ms | ${r.decision} |`,
      );
    }
  }
  console.log(lines.join("\n"));
}

async function main() {
  const port = await freePort();
  await startRedis(port);
  const workloads = WORKLOADS.map(makeWorkload);
  const executor = createExecutor({ workers: 2 });
  const results = [];
  try {
    for (const delayMs of LATENCIES) {
      const result = await benchLatency(delayMs, port, workloads, executor);
      results.push(result);
      console.error(JSON.stringify(result));
    }
  } finally {
    await executor.close();
  }
  console.log(
    `${new Date().toISOString()}, ${process.platform} ${process.arch}, Node ${process.version}, ${REPS} reps (medians)`,
  );
  printTable(results);
}

main()
  .catch((error) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(stopAll);
