import { Worker } from "node:worker_threads";
import { median } from "./stats.js";

// CommonJS, as an eval'd worker is: it times the dynamic import of the module it is handed.
const IMPORT_TIMER = `
const { parentPort, workerData } = require("node:worker_threads");
const start = performance.now();
import(workerData).then(
  () => parentPort.postMessage({ ms: performance.now() - start }),
  (error) => parentPort.postMessage({ error: String(error && error.message || error) }),
);`;

/** Milliseconds a fresh worker thread takes to import `moduleUrl` (and everything it imports). */
export async function measureImportMs(moduleUrl: string): Promise<number> {
  const worker = new Worker(IMPORT_TIMER, { eval: true, workerData: moduleUrl });
  try {
    const reply = await new Promise<{ ms?: number; error?: string }>((resolve, reject) => {
      worker.once("message", resolve);
      worker.once("error", reject);
      worker.once("exit", (code) => reject(new Error(`import timer exited with code ${code}`)));
    });
    if (reply.error !== undefined) throw new Error(`importing ${moduleUrl} failed: ${reply.error}`);
    return reply.ms!;
  } finally {
    await worker.terminate();
  }
}

/**
 * The per-worker module load a task pays before its first item: the median of
 * `samples` imports, each in a new worker, so nothing is cached between them.
 */
export async function measureModuleLoad(moduleUrl: string, samples: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) times.push(await measureImportMs(moduleUrl));
  return median(times);
}
