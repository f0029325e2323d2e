// One cold run: a fresh Node process that generates a workload's items, then times either
// a plain loop or `execute()` over them, and prints one JSON line (see ColdRun). Started by
// cold.ts; nothing of the task has run in this process before the timing.
import { performance } from "node:perf_hooks";
import { checksum } from "./checksum.js";
import type { ColdRun } from "./cold.js";
import { loadWorkloads } from "./workloads.js";

async function main(): Promise<void> {
  const [name, strategy, countText, itersText, seedText] = process.argv.slice(2);
  if (strategy !== "loop" && strategy !== "amorsize") throw new Error(`unknown strategy ${strategy}`);
  const [workload] = await loadWorkloads([name!]);
  const items = workload!.descriptor.generate(Number(countText), {
    itersPerUs: Number(itersText),
    seed: Number(seedText),
  });
  const t0 = performance.now();
  let run: ColdRun;
  if (strategy === "loop") {
    const results: unknown[] = [];
    for (const item of items) {
      const value = workload!.fn(item);
      results.push(value instanceof Promise ? await value : value);
    }
    const wallMs = performance.now() - t0;
    run = { strategy, wallMs, callMs: wallMs, checksum: checksum(results) };
  } else {
    // The optimizer's own import is part of a one-off job's cost: timed with it.
    const { execute } = await import("@amorsize/optimizer");
    const t1 = performance.now();
    const result = await execute(
      { module: workload!.moduleUrl, export: workload!.descriptor.export },
      items,
      {
        cache: false,
        spawnCost: { cache: true },
      },
    );
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
