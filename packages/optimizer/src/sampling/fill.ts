// Items run in the calling thread while it would otherwise wait for a warm-up probe.
import { performance } from "node:perf_hooks";
import { setImmediate as turn } from "node:timers/promises";
import { mapNow, type ResolvedTask, type RunError } from "@amorsize/executor";
import { ThreadClock } from "./clock.js";
import { clonedBytes } from "./session.js";
import { shiftError } from "./shift.js";

/**
 * Longest stretch of items between two turns of the event loop, ms: what is waited for
 * (a probe's message) is seen at most this late, or one item late.
 */
export const FILL_STRETCH_MS = 1;

export interface FillOptions {
  onError: "throw" | "collect";
  signal?: AbortSignal | undefined;
  /**
   * Whether to read each item's own time from the thread's clock (two readings an item,
   * a few microseconds); else the clock is read around each stretch of items, and each
   * item's `ownMs` is its wall time less its share of the stretch's waits for a core.
   * Items too short to join the sample's figures (see pool.ts) need not pay for it.
   */
  ownTimes?: boolean | undefined;
  /**
   * No item runs here before this settles (or `pending` does, or `signal` aborts): for items
   * long enough to hold this thread past the probe's start, a promise that settles once the
   * probe's workers have imported the task and its first chunk goes within the turn. Their
   * imports and that chunk are messages this thread answers and sends: an item of 300 ms run
   * first put the probe's item after it.
   */
  after?: Promise<unknown> | undefined;
  /** The thread's clock (this thread's schedstat when absent; another file in tests). Closed when the fill ends. */
  threadClock?: ThreadClock | undefined;
}

/** What the calling thread ran while it waited. */
export interface Filled {
  /** Results by input index: kept, so no item runs twice. */
  results: Map<number, unknown>;
  /** Items that failed (under `onError: "collect"`), by input index. */
  failures: Map<number, unknown>;
  /** Time spent running them, ms. */
  workMs: number;
  /**
   * Each item that gave a result: its input index, its wall time here, ms, its own time
   * (the wall time less what the thread spent queued for a core, where the clock reads
   * it), ms, and its input's cloned size, bytes.
   */
  timed: Array<{ index: number; ms: number; ownMs: number; bytes: number }>;
}

/**
 * Runs items of `data` that `skip` does not exclude, in input order, in this thread while
 * `pending` has not settled: a warm-up probe holds the decision up while a fresh worker
 * imports the task and runs a few items, and the thread would otherwise sit idle (a
 * minifier's probe took 100-130 ms against its 300 ms loop). The items are the run's own
 * work, done once, each as `mapNow()` runs it: their results are kept, and a result that
 * cannot be cloned fails its item as in sampling (an item that cannot be is left to the
 * run, as the probe leaves it). A failing item (one whose promise can never settle too)
 * rejects with its error at its input index under `onError: "throw"`; `signal` stops it,
 * an awaited item included. Settles after `pending` does (its outcome is the caller's to
 * read) or when the input is used up.
 */
export async function fillWhile(
  pending: Promise<unknown>,
  task: ResolvedTask,
  data: ArrayLike<unknown>,
  skip: (index: number) => boolean,
  options: FillOptions,
): Promise<Filled> {
  const filled: Filled = { results: new Map(), failures: new Map(), workMs: 0, timed: [] };
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
  const clock = options.threadClock ?? new ThreadClock(undefined, false);
  const perItem = options.ownTimes === true ? clock : null;
  try {
    if (options.after !== undefined) await waitFor(options.after, pending, options.signal);
    // The probe's first message needs a turn of the event loop before anything is known.
    await turn();
    while (!settled) {
      options.signal?.throwIfAborted();
      const t0 = performance.now();
      const stretch =
        perItem === null ? { first: filled.timed.length, queuedMs: clock.read(false).queuedMs } : null;
      try {
        do {
          while (next < data.length && skip(next)) next++;
          if (next >= data.length) return filled;
          await runOne(task, data, next++, filled, { ...options, clock: perItem });
        } while (performance.now() - t0 < FILL_STRETCH_MS);
      } finally {
        const wallMs = performance.now() - t0;
        filled.workMs += wallMs;
        if (stretch !== null)
          ownShare(filled.timed, stretch.first, wallMs, clock.read(false).queuedMs - stretch.queuedMs);
      }
      await turn();
    }
    return filled;
  } finally {
    clock.close();
  }
}

/**
 * Takes a stretch's waits for a core out of its items' times, in proportion to them: the
 * items from `first` on ran in `wallMs`, `queuedMs` of it queued. A probe's units are their
 * worker's own time, and the items run beside them are their warm reference: beside a
 * Markdown renderer's probe, this thread waited 7-33 ms for a core in 100 ms.
 */
export function ownShare(timed: Filled["timed"], first: number, wallMs: number, queuedMs: number): void {
  const share = wallMs > 0 ? Math.max(0, 1 - Math.max(0, queuedMs) / wallMs) : 1;
  for (let k = first; k < timed.length; k++) timed[k]!.ownMs = timed[k]!.ms * share;
}

/** Until `after` or `pending` settles, or `signal` aborts (then rejects with its reason). */
async function waitFor(after: Promise<unknown>, pending: Promise<unknown>, signal: AbortSignal | undefined) {
  signal?.throwIfAborted();
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<void>((resolve) => {
    onAbort = resolve;
    signal?.addEventListener("abort", onAbort, { once: true });
  });
  try {
    await Promise.race([after.catch(() => undefined), pending.catch(() => undefined), aborted]);
  } finally {
    if (onAbort !== undefined) signal?.removeEventListener("abort", onAbort);
  }
  signal?.throwIfAborted();
}

/**
 * Runs item `index` through `mapNow()`, as a serial run would in this thread: a promise is
 * awaited, one that can never settle fails as `ItemUnsettledError`, an abort rejects.
 */
async function runOne(
  task: ResolvedTask,
  data: ArrayLike<unknown>,
  index: number,
  filled: Filled,
  options: FillOptions & { clock: ThreadClock | null },
): Promise<void> {
  const item = data[index];
  let bytes: number;
  try {
    bytes = clonedBytes("item", index, item);
  } catch {
    // Left to the run, which fails it as that item (or collects it) where it must be sent.
    return;
  }
  const { signal, clock } = options;
  const queuedBefore = clock?.read(false).queuedMs ?? 0;
  const t0 = performance.now();
  const outcome = await mapNow(task, [item], {
    onError: "collect",
    ...(signal === undefined ? {} : { signal }),
  });
  const ms = performance.now() - t0;
  const ownMs = clock === null ? ms : Math.max(0, ms - (clock.read(false).queuedMs - queuedBefore));
  const [error] = outcome.errors;
  if (error !== undefined) {
    const shifted = shiftError(error as RunError, index);
    if (options.onError === "throw") throw shifted;
    filled.failures.set(index, shifted);
    return;
  }
  const result = outcome.results[0];
  try {
    // What a worker could not send back fails here too, as it does in sampling.
    clonedBytes("result", index, result);
  } catch (cloneError) {
    if (options.onError === "throw") throw cloneError;
    filled.failures.set(index, cloneError);
    return;
  }
  filled.results.set(index, result);
  filled.timed.push({ index, ms, ownMs, bytes });
}
