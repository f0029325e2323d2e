import { execute } from "@amorsize/optimizer";
import { measureItersPerUs } from "./workloads/_lib.mjs";

const ipu = measureItersPerUs();
for (const name of process.argv.slice(2)) {
  const mod = await import(`./workloads/${name}.mjs`);
  const items = mod.workload.generate(mod.workload.count.full, { seed: 7, itersPerUs: ipu });
  for (let r = 0; r < 2; r++) {
    const res = await execute(
      { module: new URL(`./workloads/${name}.mjs`, import.meta.url), export: mod.workload.export },
      items,
      { cache: false },
    );
    const w = res.optimized.workload;
    console.log(
      name,
      res.plan.mode,
      res.plan.workers ?? "",
      res.plan.chunkSize ?? "",
      "wall",
      res.report.wallMs.toFixed(0),
      "item",
      w.itemTimeMs.mean.toFixed(4),
      "helper",
      w.helperCpuShare?.toFixed(2),
      "cpuToWall",
      w.cpuToWall.toFixed(2),
      "async",
      w.async,
      "sampled",
      w.sampled,
    );
    console.log("  ", res.plan.reasons.map((x) => x.code + ": " + x.message.slice(0, 220)).join("\n   "));
    console.log(
      "  spawn",
      JSON.stringify(res.optimized.spawnCost.workerStart.fixedMs.value),
      JSON.stringify(res.optimized.spawnCost.workerStart.perWorkerMs.value),
      "alts",
      (res.plan.alternatives ?? [])
        .slice(0, 3)
        .map((a) => `${a.label ?? a.mode}:${a.predictedWallMs?.toFixed?.(0)}`)
        .join(" | "),
    );
  }
}
