import { sampleTask } from "@amorsize/optimizer";
for (const name of process.argv.slice(2)) {
  const mod = await import(`./workloads/${name}.mjs`);
  const items = mod.workload.generate(mod.workload.count.full, { seed: 7, itersPerUs: 120 });
  const r = await sampleTask({ module: new URL(`./workloads/${name}.mjs`, import.meta.url), export: mod.workload.export }, items, {});
  console.log(name, "sampled", r.workload.sampled, "item ms", r.workload.itemTimeMs.mean.toFixed(3), "helper", r.workload.helperCpuShare?.toFixed(3));
}
