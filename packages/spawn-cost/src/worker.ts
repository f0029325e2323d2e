// Worker entry of the measurement, loaded by tinypool from dist/worker.js.
import type { Tinypool as TinypoolClass } from "tinypool";
import type { MeasureTask } from "./protocol.js";

// Loaded on first use so that the start-up figures time a worker that imports
// nothing beyond tinypool's own entry, like a small task module.
let tinypool: typeof TinypoolClass | undefined;

function identity<T>(item: T): T {
  return item;
}

function waitAtBarrier(barrier: Int32Array, parties: number, timeoutMs: number): [] {
  Atomics.add(barrier, 0, 1);
  Atomics.notify(barrier, 0);
  const giveUpAt = Date.now() + timeoutMs;
  for (;;) {
    const arrived = Atomics.load(barrier, 0);
    if (arrived >= parties) return [];
    const left = giveUpAt - Date.now();
    if (left <= 0)
      throw new Error(`barrier: ${arrived} of ${parties} workers arrived within ${timeoutMs} ms`);
    Atomics.wait(barrier, 0, arrived, left);
  }
}

/** Runs one measuring task. */
export default async function runMeasureTask(task: MeasureTask): Promise<unknown> {
  if (task.op === "barrier") return waitAtBarrier(task.barrier, task.parties, task.timeoutMs);
  const results = task.items.map(identity);
  if (!task.transfer) return results;
  tinypool ??= (await import("tinypool")).Tinypool;
  // tinypool transfers whatever a movable result lists under its transferable symbol.
  const buffers = (results as ArrayBufferView[]).map((view) => view.buffer);
  const movable = { [tinypool.transferableSymbol]: buffers, [tinypool.valueSymbol]: results };
  return tinypool.move(movable as unknown as Parameters<typeof TinypoolClass.move>[0]);
}
