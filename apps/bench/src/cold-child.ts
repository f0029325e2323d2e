// One cold run: a fresh Node process that gets a workload's items, then times either a plain
// loop or `execute()` over them, and prints one JSON line (see ColdRun). Started by cold.ts.
// The items are generated in a worker thread, which imports the workload's module for its
// generator: this thread has neither imported nor run the task before the timing, as in a
// program whose data comes from elsewhere (the CLI's `amorsize run` among them). Each
// strategy's time includes importing the task module.
import { performance } from "node:perf_hooks";
import { Worker } from "node:worker_threads";
import { checksum } from "./checksum.js";
import type { ColdRun } from "./cold.js";
import { WORKLOADS_DIR } from "./workloads.js";

/** The workload's items, generated in a worker thread and cloned here, and its task's export name. */
function itemsFromWorker(
  name: string,
  count: number,
  itersPerUs: number,
  seed: number,
): Promise<{ items: unknown[]; exportName: string }> {
  const source = `
    import { parentPort, workerData } from "node:worker_threads";
    import { loadWorkloads } from ${JSON.stringify(new URL("./workloads.js", import.meta.url).href)};
    const [workload] = await loadWorkloads([workerData.name]);
    const { count, itersPerUs, seed } = workerData;
    const items = workload.descriptor.generate(count, { itersPerUs, seed });
    parentPort.postMessage({ items, exportName: workload.descriptor.export });
  `;
  const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(source)}`), {
    workerData: { name, count, itersPerUs, seed },
  });
  return new Promise((resolve, reject) => {
    worker.once("message", (made: { items: unknown[]; exportName: string }) => {
      resolve(made);
      void worker.terminate();
    });
    worker.once("error", reject);
  });
}

async function main(): Promise<void> {
  const [name, strategy, countText, itersText, seedText] = process.argv.slice(2);
  if (strategy !== "loop" && strategy !== "amorsize") throw new Error(`unknown strategy ${strategy}`);
  const { items, exportName } = await itemsFromWorker(
    name!,
    Number(countText),
    Number(itersText),
    Number(seedText),
  );
  const moduleUrl = new URL(`${name}.mjs`, WORKLOADS_DIR).href;
  const t0 = performance.now();
  let run: ColdRun;
  if (strategy === "loop") {
    const fn = ((await import(moduleUrl)) as Record<string, unknown>)[exportName] as (
      item: unknown,
    ) => unknown;
    const results: unknown[] = [];
    for (const item of items) {
      const value = fn(item);
      results.push(value instanceof Promise ? await value : value);
    }
    const wallMs = performance.now() - t0;
    run = { strategy, wallMs, callMs: wallMs, checksum: checksum(results) };
  } else {
    // The optimizer's own import is part of a one-off job's cost: timed with it.
    const { execute } = await import("@amorsize/optimizer");
    const t1 = performance.now();
    const result = await execute({ module: moduleUrl, export: exportName }, items, {
      cache: false,
      spawnCost: { cache: true },
    });
    const end = performance.now();
    const { plan, optimized } = result;
    run = {
      strategy,
      wallMs: end - t0,
      callMs: end - t1,
      checksum: checksum(result.results),
      plan: plan.mode === "parallel" ? `${plan.workers} x ${plan.chunkSize}` : plan.mode,
      predictedMs: result.check.endToEnd.predictedMs,
      decidingMs: result.overheadMs.total,
      sampled: optimized.workload.sampled,
      sampledItemMs: optimized.workload.itemTimeMs.mean,
    };
  }
  process.stdout.write(`${JSON.stringify(run)}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
