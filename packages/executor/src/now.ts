// A short serial map: the items of an array run at once in the calling thread.
import { performance } from "node:perf_hooks";
import {
  AmorsizeValidationError,
  type MapNowOptions,
  MapNowOptionsSchema,
  parseInput,
  type TaskRefInput,
} from "@amorsize/types";
import type { MapResult } from "./delivery.js";
import { ExecutorError, ItemUnsettledError, itemFailure, type RunError } from "./errors.js";
import { loadedTask } from "./load.js";
import { RunTally } from "./report.js";
import {
  arraySlice,
  nextExitCheck,
  nextStride,
  SLICE_MS,
  sliceFailedAt,
  takeSliceStop,
  yieldToLoop,
} from "./serial.js";
import { importTask, type ResolvedTask, resolvedOf } from "./task.js";

const SHAPE = { mode: "serial", workers: 0, chunkSize: null, adaptive: false } as const;

/** How a short run ended early: an item's error under `throw`, or the signal's reason. */
interface Stop {
  error: unknown;
  aborted: boolean;
}

/**
 * Runs every item of `items` in the calling thread, one after another, and resolves with
 * the same results, errors and report as a serial executor's `map()`. It skips most of
 * what a serial run sets up (progress, streaming, precomputed items): for arrays whose
 * items together take less than a time slice, where the set-up would cost more than the
 * items (ten items of 50 us). A run that outlasts a slice all the same (its items were
 * slower than expected) gives the event loop a turn every ~10 ms and stops there on an
 * abort. An item that returns a promise is awaited
 * before the next one starts; one that can never settle fails as `ItemUnsettledError`.
 * `task` comes from `resolveTask()`, which validated it; a task reference is resolved (and
 * validated) here.
 */
export async function mapNow<R>(
  task: ResolvedTask | TaskRefInput,
  items: readonly unknown[],
  options?: MapNowOptions,
): Promise<MapResult<R>> {
  const parsed =
    options === undefined ? {} : (atAGlance(options) ?? parseInput(MapNowOptionsSchema, options, "options"));
  if (!Array.isArray(items)) {
    throw new AmorsizeValidationError([`items: mapNow() takes an array, got ${kindOf(items)}`]);
  }
  const { signal } = parsed;
  signal?.throwIfAborted();
  const collect = parsed.onError === "collect";
  const resolved = resolvedOf(task);
  const fn = loadedTask(resolved.href, resolved.exportName) ?? (await importTask(resolved));
  const tally = new RunTally();
  const results = new Array<R>(items.length);
  let stop: Stop | null = signal?.aborted ? { error: signal.reason, aborted: true } : null;
  let i = 0;
  const failed = (index: number, cause: unknown) => {
    // Set, not left a hole that forEach, map and filter skip.
    results[index] = undefined as R;
    const error = itemFailure(index, cause);
    tally.errors.push(error);
    tally.failed++;
    if (!collect) stop = { error, aborted: false };
  };
  // Items run in stretches between looks at the clock; past a slice the loop yields, so a
  // run longer than expected (items far slower than the caller thought) leaves timers,
  // I/O and an abort their turn instead of holding the thread to its end.
  let stride = 1;
  let lastLook = performance.now();
  let lastYield = lastLook;
  while (stop === null && i < items.length) {
    // Stretches of items run in a loop with no try/catch around the task (see arraySlice).
    let reached = -1;
    try {
      reached = arraySlice(fn, items, results, i, Math.min(items.length, i + stride));
    } catch (cause) {
      const at = sliceFailedAt();
      tally.succeeded += at - i;
      failed(at, cause);
      i = at + 1;
    }
    if (reached >= 0) {
      tally.succeeded += reached - i;
      i = reached;
      const pending = takeSliceStop();
      if (pending !== null) {
        // Item `reached` returned a promise: awaited before the next item starts. A promise
        // that settles at once gives timers and I/O no turn: the slice's clock goes on.
        i = reached + 1;
        try {
          results[reached] = (await settled(pending, reached, signal)) as R;
          tally.succeeded++;
        } catch (cause) {
          if (cause === ABORTED) stop = { error: signal!.reason, aborted: true };
          else failed(reached, cause);
        }
      }
    }
    if (stop === null && i < items.length) {
      const now = performance.now();
      stride = nextStride(stride, now - lastLook);
      lastLook = now;
      if (now - lastYield >= SLICE_MS) {
        await yieldToLoop();
        lastYield = lastLook = performance.now();
      }
    }
    if (stop === null && signal?.aborted) stop = { error: signal.reason, aborted: true };
  }
  tally.items = i;
  const wallMs = tally.elapsedMs();
  // Awaiting an item's promise is running that item (a minifier with a promise API computes
  // there): the calling thread is busy with the items for the whole run.
  tally.busyMs = wallMs;
  tally.aborted = stop?.aborted ?? false;
  const report = tally.report(SHAPE, wallMs);
  if (stop !== null) {
    if (stop.error instanceof ExecutorError) stop.error.report = report;
    throw stop.error;
  }
  return { results, errors: collect ? tally.sortedErrors() : ([] as RunError[]), report };
}

/**
 * `options` as the schema would give them, when they are valid at a glance: a plain object
 * with no own keys but `onError` (`throw` or `collect`) and `signal` (an AbortSignal). A
 * short call pays for its options' validation as much as for its items (about 20 us
 * through the schema, against 0.5 ms for ten 50 us items). Each value is read once, as
 * the schema reads it, and copied. Null: anything else, which goes through
 * {@link MapNowOptionsSchema} to be accepted or told what is wrong.
 */
export function atAGlance(options: unknown): MapNowOptions | null {
  if (options === null || typeof options !== "object" || Object.getPrototypeOf(options) !== Object.prototype)
    return null;
  for (const key of Reflect.ownKeys(options)) if (key !== "onError" && key !== "signal") return null;
  const { onError, signal } = options as Record<string, unknown>;
  if (onError !== undefined && onError !== "throw" && onError !== "collect") return null;
  if (signal !== undefined && !(signal instanceof AbortSignal)) return null;
  return {
    ...(onError === undefined ? {} : { onError }),
    ...(signal === undefined ? {} : { signal }),
  };
}

/** Items awaited in this thread, each told when Node is about to exit with it pending. */
const awaited = new Set<() => void>();

function tellAwaited(): void {
  if (awaited.size === 0) return;
  for (const unsettled of [...awaited]) unsettled();
  nextExitCheck();
}

/**
 * Calls `unsettled` when Node is about to exit (`beforeExit`: nothing is left that could
 * settle what is awaited) until the returned function is called. One listener serves
 * every item awaited at once (a sampled block of an async task awaits dozens).
 */
function onExitPending(unsettled: () => void): () => void {
  if (awaited.size === 0) process.on("beforeExit", tellAwaited);
  awaited.add(unsettled);
  return () => {
    if (awaited.delete(unsettled) && awaited.size === 0) process.off("beforeExit", tellAwaited);
  };
}

/** Thrown by {@link settled} when the signal fires while an item is awaited. */
const ABORTED: unique symbol = Symbol("aborted");

/**
 * The value an item's promise settles with, awaited in the calling thread: rejects with
 * `ItemUnsettledError` (`index`, the calling thread) when Node is about to exit with
 * nothing left to settle it, where a bare `await` would let the process end with the
 * call pending (exit code 0, or 13 under a top-level await) and every result lost.
 */
export function settledHere(promise: PromiseLike<unknown>, index: number): Promise<unknown> {
  return settled(promise, index, undefined);
}

/**
 * The value `promise` settles with. Rejects with ABORTED when `signal` fires first, and
 * with `ItemUnsettledError` when Node is about to exit with nothing left to settle it.
 */
function settled(
  promise: PromiseLike<unknown>,
  index: number,
  signal: AbortSignal | undefined,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const done = () => {
      unwatch();
      signal?.removeEventListener("abort", aborted);
    };
    const aborted = () => {
      done();
      reject(ABORTED);
    };
    const unwatch = onExitPending(() => {
      done();
      reject(new ItemUnsettledError(index, "calling thread"));
    });
    signal?.addEventListener("abort", aborted, { once: true });
    try {
      promise.then(
        (value) => {
          done();
          resolve(value);
        },
        (error: unknown) => {
          done();
          reject(error);
        },
      );
    } catch (error) {
      // A thenable whose then() throws: the item failed, and nothing listens any more.
      done();
      reject(error);
    }
  });
}

function kindOf(value: unknown): string {
  if (value === null || typeof value !== "object") return `${typeof value} ${String(value)}`;
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === "string" && name !== "Object" ? `a ${name}` : "an object";
}
