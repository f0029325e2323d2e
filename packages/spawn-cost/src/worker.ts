// Worker entry of the measurement, loaded by tinypool from dist/worker.js.
import { threadId } from "node:worker_threads";
import type { Tinypool as TinypoolClass } from "tinypool";
import type { MeasureTask, PaceAnswer, PaceTask } from "./protocol.js";

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

/** A loop of integer arithmetic V8 cannot fold away: `count` iterations from `seed`. */
function spin(count: number, seed: number): number {
  let x = seed | 0;
  for (let i = 0; i < count; i++) x = (Math.imul(x, 31) + i) | 0;
  return x;
}

/** Blocks of the loop between clock reads while computing for a wall time. */
const SPIN_BLOCK = 1_000;

function runPace(task: PaceTask): PaceAnswer {
  if (task.barrier !== undefined) waitAtBarrier(task.barrier, task.parties ?? 1, task.timeoutMs);
  const start = performance.now();
  let iterations = 0;
  let sink = 0;
  if (task.iterations !== undefined) {
    sink = spin(task.iterations, sink);
    iterations = task.iterations;
  } else {
    const until = start + (task.ms ?? 0);
    while (performance.now() < until) {
      sink = spin(SPIN_BLOCK, sink);
      iterations += SPIN_BLOCK;
    }
  }
  const end = performance.now();
  return {
    busyMs: end - start,
    iterations,
    sink,
    startMs: start,
    endMs: end,
    thread: threadId,
  };
}

/** Runs one measuring task. */
export default async function runMeasureTask(task: MeasureTask): Promise<unknown> {
  if (task.op === "barrier") return waitAtBarrier(task.barrier, task.parties, task.timeoutMs);
  if (task.op === "pace") return runPace(task);
  const results = task.items.map(identity);
  if (!task.transfer) return results;
  tinypool ??= (await import("tinypool")).Tinypool;
  // tinypool transfers whatever a movable result lists under its transferable symbol.
  const buffers = (results as ArrayBufferView[]).map((view) => view.buffer);
  const movable = { [tinypool.transferableSymbol]: buffers, [tinypool.valueSymbol]: results };
  return tinypool.move(movable as unknown as Parameters<typeof TinypoolClass.move>[0]);
}
