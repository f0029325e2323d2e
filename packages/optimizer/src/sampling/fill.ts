// Items run in the calling thread while it would otherwise wait for a warm-up probe.
import { performance } from "node:perf_hooks";
import { ItemError } from "@amorsize/executor";
import { clonedBytes } from "./session.js";

/**
 * Longest stretch of items between two turns of the event loop, ms: what is waited for
 * (a probe's message) is seen at most this late, or one item late.
 */
export const FILL_STRETCH_MS = 1;

/** What the calling thread ran while it waited. */
export interface Filled {
  /** Results by input index: kept, so no item runs twice. */
  results: Map<number, unknown>;
  /** Items that failed (under `onError: "collect"`), by input index. */
  failures: Map<number, unknown>;
  /** Time spent running them, ms. */
  workMs: number;
}

/**
 * Runs items of `data` that `skip` does not exclude, in input order, in this thread while
 * `pending` has not settled: a warm-up probe holds the decision up while a fresh worker
 * imports the task and runs a few items, and the thread would otherwise sit idle (a
 * minifier's probe took 100-130 ms against its 300 ms loop). The items are the run's own
 * work, done once: their results are kept, and a result that cannot be cloned fails its
 * item as in sampling (an item that cannot be is left to the run, as the probe leaves it). A failing item rejects with an ItemError naming its index under
 * `onError: "throw"`; `signal` stops it between stretches. Settles after `pending` does
 * (its outcome is the caller's to read) or when the input is used up.
 */
export async function fillWhile(
  pending: Promise<unknown>,
  fn: (item: unknown) => unknown,
  data: ArrayLike<unknown>,
  skip: (index: number) => boolean,
  options: { onError: "throw" | "collect"; signal?: AbortSignal | undefined },
): Promise<Filled> {
  const filled: Filled = { results: new Map(), failures: new Map(), workMs: 0 };
  let settled = false;
  pending.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  let next = 0;
  // The probe's first message needs a turn of the event loop before anything is known.
  await turn();
  while (!settled) {
    options.signal?.throwIfAborted();
    const t0 = performance.now();
    do {
      while (next < data.length && skip(next)) next++;
      if (next >= data.length) {
        filled.workMs += performance.now() - t0;
        return filled;
      }
      await runOne(fn, data, next++, filled, options.onError);
    } while (performance.now() - t0 < FILL_STRETCH_MS);
    filled.workMs += performance.now() - t0;
    await turn();
  }
  return filled;
}

async function runOne(
  fn: (item: unknown) => unknown,
  data: ArrayLike<unknown>,
  index: number,
  filled: Filled,
  onError: "throw" | "collect",
): Promise<void> {
  const item = data[index];
  try {
    clonedBytes("item", index, item);
  } catch {
    // Left to the run, which fails it as that item (or collects it) where it must be sent.
    return;
  }
  let result: unknown;
  try {
    result = fn(item);
    if (isThenable(result)) result = await result;
  } catch (error) {
    if (onError === "throw") throw new ItemError(index, error);
    filled.failures.set(index, error);
    return;
  }
  try {
    // What a worker could not send back fails here too, as it does in sampling.
    clonedBytes("result", index, result);
  } catch (error) {
    if (onError === "throw") throw error;
    filled.failures.set(index, error);
    return;
  }
  filled.results.set(index, result);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as { then?: unknown }).then === "function"
  );
}

/** One turn of the event loop: messages from workers are taken in. */
function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
