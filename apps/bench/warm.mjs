import { Worker } from "node:worker_threads";
import { performance } from "node:perf_hooks";
const name = process.argv[2] ?? "terser-minify";
const mod = await import(`./workloads/${name}.mjs`);
const fn = mod[mod.workload.export];
const items = mod.workload.generate(mod.workload.count.full, { seed: 7, itersPerUs: 100 });
async function timeAll(label) {
  const t = []; for (const x of items) { const a = performance.now(); await fn(x); t.push(performance.now() - a); }
  const q = (k) => t.slice(k * 8, k * 8 + 8).reduce((a, b) => a + b, 0).toFixed(0);
  console.log(label, "total", t.reduce((a, b) => a + b, 0).toFixed(0), "first 8s:", [0,1,2,3,4,5,6].map(q).join(" "));
}
if (process.argv[3] === "worker") {
  const code = `const { workerData, parentPort } = require("node:worker_threads");
  (async () => { const mod = await import(workerData.url); const fn = mod[mod.workload.export];
   const items = mod.workload.generate(mod.workload.count.full, { seed: 7, itersPerUs: 100 });
   for (const round of [1,2]) { const t = []; for (const x of items) { const a = performance.now(); await fn(x); t.push(performance.now() - a); }
   const q = (k) => t.slice(k * 8, k * 8 + 8).reduce((a, b) => a + b, 0).toFixed(0);
   parentPort.postMessage("worker round " + round + " total " + t.reduce((a, b) => a + b, 0).toFixed(0) + " first 8s: " + [0,1,2,3,4,5,6].map(q).join(" ")); } })();`;
  const w = new Worker(code, { eval: true, workerData: { url: new URL(`./workloads/${name}.mjs`, import.meta.url).href } });
  w.on("message", (m) => console.log(m));
  await new Promise((r) => w.on("exit", r));
} else { await timeAll("main round 1"); await timeAll("main round 2"); }
