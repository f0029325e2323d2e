#!/usr/bin/env node
// Compares the cluster backend on this one machine (loopback Redis, 2 worker hosts) with
// the local executor on the same workload. Starts its own redis-server and hosts, and
// stops them on the way out. Usage: node scripts/bench-cluster.mjs [--quick]
import { fileURLToPath } from "node:url";
import { createExecutor } from "@amorsize/executor";
import { cluster, measureClusterCost, planCluster, predictClusterWallMs } from "../dist/index.js";
import { freePort, start, startRedis, stopAll } from "./processes.mjs";

const quick = process.argv.includes("--quick");
const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const task = { module: fileURLToPath(new URL("./bench-task.mjs", import.meta.url)), export: "hash" };

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function main() {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  await startRedis(port);
  await Promise.all(
    // The hosts run the bench task and nothing else.
    [0, 1].map(() =>
      start(
        process.execPath,
        [CLI, "--redis", url, "--allow", task.module, "--concurrency", "1"],
        /ready on queue/,
      ),
    ),
  );

  const profile = await measureClusterCost({ connection: url, samples: quick ? 5 : 30 });
  const rounds = 200_000; // about 0.3-0.5 ms per item on this machine
  const n = quick ? 400 : 2000;
  const items = Array.from({ length: n }, (_, i) => ({ seed: i, rounds }));
  const reps = quick ? 1 : 3;

  const { hash } = await import(task.module);
  items.slice(0, 50).map(hash); // warm the JIT up before timing the loop
  const t0 = performance.now();
  const serial = items.map(hash);
  const serialMs = performance.now() - t0;
  const itemMs = serialMs / n;

  const executor = createExecutor({ workers: 2 });
  const localChunk = Math.ceil(n / 8);
  const bytesPerItem = JSON.stringify(items[0]).length + 12;
  const workload = { items: n, itemMs, bytesPerItem };
  const backend = cluster({ connection: url });
  const check = (results, what) => {
    if (results.some((v, i) => v !== serial[i]))
      throw new Error(`${what} results differ from the serial map`);
  };
  const runLocal = async () =>
    check((await executor.map(task, items, { chunkSize: localChunk })).results, "local");
  const runCluster = (chunkSize) => async () =>
    check((await backend.map(task, items, { chunkSize })).results, "cluster");
  const time = async (fn) => {
    const s = performance.now();
    await fn();
    return performance.now() - s;
  };
  // The local time the planner compares with is measured first (pool started and warm).
  await runLocal();
  const localFirst = await time(runLocal);
  const plan = planCluster({ cluster: profile.figures, workload, localWallMs: localFirst });
  const configs = [
    { name: "local", run: runLocal },
    ...[...new Set([1, 10, plan.chunkSize])].map((chunkSize) => ({
      name: chunkSize,
      run: runCluster(chunkSize),
    })),
  ];
  for (const config of configs) await config.run(); // warm-up, not counted
  // Interleaved repetitions, so that a shared machine's load falls on every configuration alike.
  const times = new Map(configs.map((c) => [c.name, []]));
  for (let r = 0; r < reps; r++)
    for (const config of configs) times.get(config.name).push(await time(config.run));
  await executor.close();
  await backend.close();
  const localMs = median(times.get("local"));
  const rows = configs.slice(1).map(({ name: chunkSize }) => {
    const wall = median(times.get(chunkSize));
    return {
      chunkSize,
      chunks: Math.ceil(n / chunkSize),
      measuredMs: +wall.toFixed(1),
      predictedMs: +predictClusterWallMs(profile.figures, workload, 2, chunkSize).toFixed(1),
      vsLocal: +(wall / localMs).toFixed(2),
    };
  });
  const report = {
    date: new Date().toISOString(),
    machine: `${process.platform} ${process.arch}, Node ${process.version}`,
    items: n,
    itemMs: +itemMs.toFixed(4),
    serialMs: +serialMs.toFixed(1),
    local: { workers: 2, chunkSize: localChunk, wallMs: +localMs.toFixed(1) },
    clusterCosts: {
      roundTripMs: +profile.roundTrip.value.toFixed(3),
      perChunkMs: +profile.perChunk.value.toFixed(3),
      perByteNs: +profile.perByte.value.toFixed(2),
      hosts: profile.hosts.length,
      totalWorkers: profile.totalWorkers,
    },
    plan: {
      backend: plan.backend,
      chunkSize: plan.chunkSize,
      workers: plan.workers,
      reasons: plan.reasons.map((r) => r.code),
    },
    cluster: rows,
  };
  console.log(JSON.stringify(report, null, 2));
}

main()
  .catch((error) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(stopAll);
