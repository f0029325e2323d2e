// Runs sampled items in this thread and keeps what they gave: thin I/O around the clock
// reads. The arithmetic is in clock-math.ts, the records in records.ts.
import { performance } from "node:perf_hooks";
import { CloneError, itemFailure, settledHere } from "@amorsize/executor";
import { messageOf } from "@amorsize/types";
import { type CloneMeter, serializedBytes } from "../payload.js";
import { heapUsed, ThreadClock } from "./clock.js";
import { blockItemFigures, concurrentItemFigures, SCHEDSTAT_STALENESS_MS } from "./clock-math.js";
import { classLossError, lostClassOf } from "./clone-class.js";
import { LoopProbe } from "./loop-probe.js";
import { nextBlockSize, sizedPositions } from "./order.js";
import { itemRecord, ownCpuRecords, readsOtherThreads, type SampleRecord } from "./records.js";
import type { Block } from "./source.js";
import { SamplingState, type SessionOptions } from "./state.js";
import { cpuToWall, weightedMean } from "./stats.js";

const FAILED = Symbol("failed");

/**
 * An async task whose sampled items spent more than this share of their time with the
 * event loop waiting in its poll (for timers or I/O) waits: it is I/O-bound. A CPU-bound
 * async task never leaves the loop idle (its awaits are microtasks). The loop's idle time
 * is not seen when something else kept the thread off its loop past a timer, so a CPU
 * share under COMPUTING_SHARE says so too.
 */
const WAITING_IDLE_SHARE = 0.1;
/** Share of their own time that items must be seen computing to be sampled alone again. */
const COMPUTING_SHARE = 0.8;
/**
 * Items shorter than this (mean own time, ms) cannot be told computing from a CPU reading
 * taken fresh (off by ~0.05 ms, see threadCpuBetween), and are taken to wait. Without a
 * fresh reading the bound is a scheduler tick (SCHEDSTAT_STALENESS_MS).
 */
const FRESH_MIN_MS = 1;

/**
 * Whether an async task's sampled items wait (then they are sampled several at once). Items
 * whose promises all settled before the event loop turned waited for nothing (a timer or
 * I/O needs the loop to poll): they compute, whatever the clocks read, and are sampled
 * alone again. Otherwise only items seen to compute are: at least FRESH_MIN_MS each (a
 * scheduler tick where the thread's own CPU time is not read fresh), their loop idle under
 * a tenth of their time, and their CPU time at least COMPUTING_SHARE of their own time
 * (queueing for a core left out; the thread's fresh CPU time where every record has it,
 * else the reading that allows a tick). Anything else is taken to wait. Pure.
 */
export function asyncItemsWait(records: readonly SampleRecord[]): boolean {
  if (records.length === 0) return false;
  if (records.every((m) => m.loopTurned === false)) return false;
  const ownMs = weightedMean(records, (m) => m.ownMs);
  // A fresh reading is the thread's own: no tick's slack lifts a wait's CPU share, and a
  // short item's CPU time reads what it was (a 9.8 ms minify read 9.7 ms).
  const own = ownCpuRecords(records);
  const cpuShare = cpuToWall(own ?? records);
  const minMs = own !== null ? FRESH_MIN_MS : SCHEDSTAT_STALENESS_MS;
  const computes = ownMs >= minMs && idleShare(records) < WAITING_IDLE_SHARE && cpuShare >= COMPUTING_SHARE;
  return !computes;
}

function idleShare(records: readonly SampleRecord[]): number {
  let idle = 0;
  let wall = 0;
  for (const m of records) {
    idle += m.idleMs * m.weight;
    wall += m.wallMs * m.weight;
  }
  return wall > 0 ? idle / wall : 0;
}

/** Where a try-free stretch of items stands: written by runStretch, read by its caller. */
interface Stretch {
  /** Position in the block of the item being run. */
  at: number;
  /** Set when a stretch stopped at an item that returned a promise (at `at`). */
  stop: PromiseLike<unknown> | null;
  /** `performance.now()` past which the block stops early (checked at positions 1, 2, 4, 8, ...). */
  deadline: number;
  /** Set when the block stopped at its deadline: the items before `at` ran. */
  cut: boolean;
}

/**
 * A block runs past its deadline by at most what its items since the last check took:
 * checks at positions 1, 2, 4, 8, ... cost a few clock reads per block, and bound the
 * overrun to the block's own time so far (fib(30..39) sized from fib(0) stops after fib(33)).
 */
const CUT_MIN_MS = 2;

/**
 * Runs the items of a block from position `from` into `results`; stops early at a promise.
 * It holds no try/catch and allocates nothing: it reports through `stretch`.
 */
function runStretch(
  fn: (item: unknown) => unknown,
  items: readonly unknown[],
  results: unknown[],
  from: number,
  stretch: Stretch,
): number {
  for (let k = from; k < items.length; k++) {
    stretch.at = k;
    if (k > 0 && (k & (k - 1)) === 0 && performance.now() > stretch.deadline) {
      stretch.cut = true;
      return k;
    }
    const value = fn(items[k]);
    if (value !== null && typeof (value as PromiseLike<unknown>)?.then === "function") {
      stretch.stop = value as PromiseLike<unknown>;
      return k;
    }
    results[k] = value;
  }
  return items.length;
}

/** Clone costs of sampled items and results, measured as they are sized. */
export interface CloneMeters {
  item: CloneMeter;
  result: CloneMeter;
}

/**
 * Structured-clone size of an item or a result, or a CloneError naming the item. With
 * `meters`, the value is also read back and both directions timed.
 */
export function clonedBytes(
  what: "item" | "result",
  index: number,
  value: unknown,
  meters?: CloneMeters,
): number {
  try {
    return meters === undefined ? serializedBytes(value) : meters[what].measure(value);
  } catch (error) {
    const code = what === "item" ? "AMORSIZE_ITEM_NOT_CLONEABLE" : "AMORSIZE_RESULT_NOT_CLONEABLE";
    throw new CloneError(code, index, [index, index], messageOf(error), error);
  }
}

/** One sampling in this thread: the items it ran, what they gave, and what was measured of them. */
export class SampleSession extends SamplingState {
  /** Set once an item returned a promise: later items are sampled several at a time. */
  private asyncTask = false;
  private readonly clock = new ThreadClock();
  private readonly probe = new LoopProbe();
  private readonly stretch: Stretch = { at: 0, stop: null, deadline: 0, cut: false };
  /** The item time the last block measured, ms; null before any. */
  private lastItemMs: number | null = null;

  constructor(
    private readonly fn: (item: unknown) => unknown,
    options: SessionOptions,
  ) {
    super(options);
  }

  override blockSize(): number {
    const blockTimed = this.ranges.some((r) => r.length > 1);
    return nextBlockSize(this.asyncTask && this.waits(), this.records, blockTimed, this.shareSpent());
  }

  override run(block: Block): Promise<void> {
    this.ranges.push({ first: block.first, length: block.items.length });
    return this.asyncTask && this.waits() ? this.runConcurrent(block) : this.runBlock(block);
  }

  /**
   * Whether the async task's items wait more than they compute: then they are sampled
   * several at once (awaiting each in turn would cost its whole wait). A CPU-bound async
   * task (a minifier with a promise API) is sampled one item at a time like a synchronous
   * one: run together, each item's time would include the others' work. Protected so a
   * test can fix the answer and check what the session does with it.
   */
  protected waits(): boolean {
    return asyncItemsWait(this.records);
  }

  override close(): void {
    this.clock.close();
  }

  /**
   * An item's or a result's structured-clone size, or 0 when it cannot be cloned: the item
   * is noted as one no worker can take, or send back (see `SamplingState.unsendable`); it
   * ran here as the others did, and its result is kept. So is one that a clone would give
   * as another class (see `lostClassOf`): a task returning Points gave 83 Points (sampled
   * here) and 317 plain objects (from workers) in one call.
   */
  private bytesOf(what: "item" | "result", index: number, value: unknown): number {
    let bytes: number;
    try {
      bytes = clonedBytes(what, index, value, this.clone);
    } catch (error) {
      this.noteUnsendable(index, error as CloneError);
      return 0;
    }
    // An item or a result that is a Buffer crosses as one (the executor makes it a Buffer again).
    const lost = Buffer.isBuffer(value) ? null : lostClassOf(value);
    if (lost !== null) this.noteUnsendable(index, classLossError(what, index, lost));
    return bytes;
  }

  /** Runs a block of consecutive items, timing the block as a whole. */
  private async runBlock(block: Block): Promise<void> {
    const { first } = block;
    // Serialising every item of a block of tiny items would cost more than running them:
    // sizes come from a few items spread over the block (the executor checks the rest).
    let sized = sizedPositions(block.items.length);
    let inBytes = sized.map((k) => this.bytesOf("item", first + k, block.items[k]));
    // Watched from the block's first promise on (runItems); left from a block that threw: dropped.
    this.probe.take();
    const heapBefore = heapUsed();
    const outer0 = performance.now();
    const others = readsOtherThreads(this.lastItemMs, block.items.length);
    const before = this.clock.read(others);
    const budgetLeft = this.budgetLeftMs();
    this.stretch.deadline = performance.now() + Math.max(CUT_MIN_MS, budgetLeft);
    const { results, isAsync, ran, wallMs } = await this.runItems(first, block.items);
    const loopTurned = this.probe.take();
    // A block cut at its deadline is the items that ran.
    const items = ran < block.items.length ? block.items.slice(0, ran) : block.items;
    if (ran < block.items.length) {
      this.ranges[this.ranges.length - 1] = { first, length: ran };
      sized = sizedPositions(ran);
      // The items after the cut did not run here: the run sends them, or says it cannot.
      for (let k = ran; k < block.items.length; k++) this.unsendable.delete(first + k);
      inBytes = sized.map((k) => this.bytesOf("item", first + k, items[k]));
    }
    const after = this.clock.read(others);
    const outerMs = performance.now() - outer0;
    if (items.length > 0) this.lastItemMs = wallMs / items.length;
    const figures = blockItemFigures(
      { before, after, outerMs, heapGrowth: heapUsed() - heapBefore },
      wallMs,
      items.length,
    );
    this.units++;
    if (isAsync) this.asyncTask = true;
    if (this.units === 1) this.options.onFirstTiming?.(wallMs / items.length);
    this.unitTimes.push(figures.ownMs);
    this.unitItems.push(items.length);
    for (let k = 0; k < items.length; k++) {
      if (results[k] !== FAILED) this.precomputed.set(first + k, results[k]);
    }
    const weight = items.length / sized.length;
    for (let s = 0; s < sized.length; s++) {
      const k = sized[s]!;
      const index = first + k;
      const ok = results[k] !== FAILED;
      const outBytes = ok ? this.bytesOf("result", index, results[k]) : 0;
      const item = { index, item: items[k], result: results[k], ok, inBytes: inBytes[s]!, outBytes };
      this.records.push(itemRecord(item, figures, isAsync, weight, loopTurned));
    }
  }

  /**
   * Runs the items of a block one after another. Items run in try-free stretches, as the
   * executor's workers run them: V8 runs a function inlined into a loop inside a try
   * block measurably slower (10-15% on a 1 us item here), which would make sampled items
   * look slower than the run's.
   *
   * `wallMs` is the block's time from its first item's call to its last item's end. The
   * session's own steps around it are left out: entering this async function and resuming
   * after its await took 20-90 us on a busy machine where the item (x * x) took 1 us, and
   * counted in, a lone item read slower than FAST_ITEM_MS (50 us) and blocks never formed.
   */
  private async runItems(
    first: number,
    items: readonly unknown[],
  ): Promise<{ results: unknown[]; isAsync: boolean; ran: number; wallMs: number }> {
    const { fn, stretch } = this;
    const results: unknown[] = [];
    let isAsync = false;
    stretch.cut = false;
    // Checked once per block: a check per item would weigh on items of a few nanoseconds.
    this.options.signal?.throwIfAborted();
    let k = 0;
    const t0 = performance.now();
    while (k < items.length) {
      try {
        k = runStretch(fn, items, results, k, stretch);
        if (stretch.cut) return { results, isAsync, ran: k, wallMs: performance.now() - t0 };
        if (stretch.stop !== null) {
          const pending = stretch.stop;
          stretch.stop = null;
          isAsync = true;
          this.probe.watch();
          results[k] = await settledHere(pending, first + k);
          k++;
        }
      } catch (error) {
        // The stretch is this session's own, so after an await it still says which item it was.
        const at = stretch.at;
        if (this.options.onError === "throw") throw itemFailure(first + at, error);
        this.failures.set(first + at, error);
        results[at] = FAILED;
        k = at + 1;
      }
    }
    return { results, isAsync, ran: items.length, wallMs: performance.now() - t0 };
  }

  /**
   * Runs the items of a block concurrently (an async task waits, so awaiting sampled
   * items one after another would cost their whole wait each), timing each item from
   * its call to its settling.
   */
  private async runConcurrent({ first, items }: Block): Promise<void> {
    const inBytes = items.map((item, k) => this.bytesOf("item", first + k, item));
    this.options.signal?.throwIfAborted();
    this.probe.take();
    this.probe.watch();
    const heapBefore = heapUsed();
    const outer0 = performance.now();
    const before = this.clock.read();
    const settled = await Promise.all(items.map((item, k) => this.settle(first + k, item)));
    const loopTurned = this.probe.take();
    const after = this.clock.read();
    const window = {
      before,
      after,
      outerMs: performance.now() - outer0,
      heapGrowth: heapUsed() - heapBefore,
    };
    const figures = concurrentItemFigures(
      window,
      settled.map((s) => s.wallMs),
    );
    this.units += items.length;
    for (let k = 0; k < settled.length; k++) {
      const { index, result } = settled[k]!;
      const { ok } = settled[k]!;
      this.unitTimes.push(figures[k]!.ownMs);
      this.unitItems.push(1);
      if (ok) this.precomputed.set(index, result);
      const outBytes = ok ? this.bytesOf("result", index, result) : 0;
      const item = { index, item: items[k], result, ok, inBytes: inBytes[k]!, outBytes };
      this.records.push(itemRecord(item, figures[k]!, true, 1, loopTurned));
    }
  }

  /** Runs one item of a concurrent block, timing it from its call to its settling. */
  private async settle(
    index: number,
    item: unknown,
  ): Promise<{ index: number; result: unknown; ok: boolean; wallMs: number }> {
    const t0 = performance.now();
    try {
      const result = await settledHere(Promise.resolve(this.fn(item)), index);
      return { index, result, ok: true, wallMs: performance.now() - t0 };
    } catch (error) {
      if (this.options.onError === "throw") throw itemFailure(index, error);
      this.failures.set(index, error);
      return { index, result: undefined, ok: false, wallMs: performance.now() - t0 };
    }
  }
}

export type { SessionOptions } from "./state.js";
