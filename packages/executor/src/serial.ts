import { ItemUnsettledError, itemFailure } from "./errors.js";
import type { Input } from "./input.js";
import { RUNNING, RunLifecycle } from "./lifecycle.js";
import type { TaskFunction } from "./load.js";
import type { ResolvedRunOptions } from "./options.js";
import type { ReportShape } from "./report.js";
import { importTask, type ResolvedTask } from "./task.js";
import { Wakeup } from "./wakeup.js";

/** Give the event loop a turn at least this often, so abort, timers and progress run. */
export const SLICE_MS = 10;
/** Results a serial stream computes ahead of its consumer. */
export const STREAM_HIGH_WATER = 1024;
/** Items run between two looks at the clock, at most. */
export const MAX_STRIDE = 1 << 16;

/**
 * Keeps the thread for one more turn after `beforeExit` failed awaited items: Node emits
 * it again only after a turn of the loop, and what runs on from the failures (the next
 * items, through promises alone) may await another item that cannot settle. Without the
 * turn the process exited there, silently, with the run pending (a serial run of items
 * that settle at once, the third and sixth never).
 */
export function nextExitCheck(): void {
  setImmediate(noTurnWork);
}

function noTurnWork(): void {}

/** True for a promise or any object with a `then` method. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as { then?: unknown }).then === "function"
  );
}

// The stretch loops below hold no try/catch (V8 runs a task inlined into a loop inside
// a try block several times slower) and allocate nothing: they report through these.
/** Set when a stretch stopped at an item that returned a promise. */
let sliceStop: PromiseLike<unknown> | null = null;
/** Where in its stretch the item being run is; `~i` (negative) while item `i` is read from the source. */
let sliceAt = 0;
/** Set when a sync iterator ended inside a stretch. */
let sliceDone = false;

/** The index of the item a stretch was running when it threw. */
export function sliceFailedAt(): number {
  return sliceAt;
}

/** The promise the last stretch stopped at, if any; cleared. */
export function takeSliceStop(): PromiseLike<unknown> | null {
  const stop = sliceStop;
  sliceStop = null;
  return stop;
}

/**
 * Runs `array[i..end)` into `out[i..end)`; returns where it stopped (a promise stops it
 * early, in `sliceStop`).
 */
export function arraySlice(
  fn: TaskFunction,
  array: readonly unknown[],
  out: unknown[],
  i: number,
  end: number,
): number {
  for (; i < end; i++) {
    sliceAt = i;
    const value = fn(array[i]);
    if (isThenable(value)) {
      sliceStop = value;
      return i;
    }
    out[i] = value;
  }
  return end;
}

/** Like {@link arraySlice} for a sync iterator: `i` counts the items read. */
function iteratorSlice(
  fn: TaskFunction,
  iterator: Iterator<unknown>,
  out: unknown[],
  i: number,
  end: number,
): number {
  for (; i < end; i++) {
    sliceAt = ~i;
    const step = iterator.next();
    if (step.done) {
      sliceDone = true;
      return i;
    }
    sliceAt = i;
    const value = fn(step.value);
    if (isThenable(value)) {
      sliceStop = value;
      return i;
    }
    out[i] = value;
  }
  return end;
}

export const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * The next number of items between two looks at the clock: twice as many when the last
 * stretch took under 0.5 ms, half as many past 2 ms, so a look costs next to nothing for
 * fast items and a slice overruns little for slow ones.
 */
export function nextStride(stride: number, sinceMs: number): number {
  if (sinceMs < 0.5) return Math.min(MAX_STRIDE, stride * 2);
  if (sinceMs > 2) return Math.max(1, stride >> 1);
  return stride;
}

/** What a step of the loop returns when no item is left pending: go on, or the input is done. */
const NEXT = -1;
const DONE = -2;
const noTask: TaskFunction = () => undefined;

/**
 * One `map()` or `stream()` in the calling thread. Items run one after another (a
 * plain loop for a synchronous task); with `concurrency > 1`, up to that many promises
 * of an async task are awaited at once. Every ~{@link SLICE_MS} ms the loop yields to
 * the event loop, checking the clock only every `stride` items so the check costs
 * next to nothing for fast items.
 */
export class SerialRun extends RunLifecycle {
  private fn: TaskFunction = noTask;
  /** Precomputed indices in order, so stretches can run plainly between them. */
  private readonly preKeys: number[];
  private prePos = 0;
  /** Settles the one await in progress (the loop awaits one thing at a time) when stopped. */
  private onStop: (() => void) | null = null;
  // time slicing
  private stride = 1;
  private countdown = 1;
  private lastCheck = 0;
  private lastYield = 0;
  private idleMs = 0;
  // async items in flight (concurrency > 1)
  private active = 0;
  private readonly slotFree = new Wakeup();
  /** A stream's loop waits here while its consumer is {@link STREAM_HIGH_WATER} results behind. */
  private readonly drain = new Wakeup();
  /** Items whose promises are awaited, each with what fails it as never settling. */
  private readonly awaiting = new Map<number, () => void>();
  /**
   * Node is about to exit with nothing left to run: every promise still awaited can never
   * settle. Failing them lets the run end (and report them) instead of the process ending
   * with the run's promise pending, silently, with exit code 0.
   */
  private readonly onBeforeExit = () => {
    if (this.awaiting.size === 0) return;
    for (const fail of [...this.awaiting.values()]) fail();
    nextExitCheck();
  };
  private watchingExit = false;

  constructor(
    private readonly task: ResolvedTask,
    input: Input,
    opts: ResolvedRunOptions,
    private readonly concurrency: number,
    delivery: "map" | "stream",
  ) {
    super(opts, input, delivery, true, STREAM_HIGH_WATER);
    const precomputed = opts.precomputed;
    this.preKeys = precomputed === undefined ? [] : [...precomputed.keys()].sort((a, b) => a - b);
  }

  // ---------------------------------------------------------------- lifecycle

  protected async start(): Promise<void> {
    try {
      await this.loop();
    } catch (error) {
      this.stop(error);
    } finally {
      if (this.watchingExit) process.off("beforeExit", this.onBeforeExit);
    }
    if (this.state === RUNNING && this.opts.onProgress !== undefined) this.progress();
    const wallMs = this.tally.elapsedMs();
    this.tally.busyMs = Math.max(0, wallMs - this.idleMs);
    this.end(wallMs);
  }

  protected halt(): void {
    this.onStop?.();
    this.drain.wake();
  }

  protected shape(): ReportShape {
    return {
      mode: this.concurrency > 1 ? "concurrent" : "serial",
      workers: 0,
      chunkSize: null,
      adaptive: false,
    };
  }

  protected consumed(): void {
    if (this.delivery.room >= STREAM_HIGH_WATER / 2) this.drain.wake();
  }

  // ---------------------------------------------------------------- the loop

  private async loop(): Promise<void> {
    if (!this.listen()) return;
    const fn = await this.race(importTask(this.task));
    if (fn === undefined || this.state !== RUNNING || !this.openSource()) return;
    this.fn = fn;
    const stretches = this.asyncIterator === null;
    this.lastCheck = this.lastYield = performance.now();
    while (this.state === RUNNING) {
      const index = this.nextIndex;
      const nextPre = this.precomputedFrom(index);
      const step =
        index === nextPre && this.array !== null
          ? this.precomputedRun(index)
          : stretches && index !== nextPre
            ? this.stretch(index, nextPre)
            : await this.one(index, nextPre);
      if (step === DONE) break;
      if (step >= 0) await this.pending(step);
      if (this.delivery.room <= 0) await this.drained();
      if (this.countdown <= 0 && this.clockSaysYield()) await this.yieldNow();
    }
    this.sourceDone = this.state === RUNNING;
    while (this.active > 0 && this.state === RUNNING) await this.freeSlot();
  }

  /** The first precomputed index at or after `index`, or +Infinity. */
  private precomputedFrom(index: number): number {
    const keys = this.preKeys;
    while (this.prePos < keys.length && keys[this.prePos]! < index) this.prePos++;
    return this.prePos < keys.length ? keys[this.prePos]! : Number.POSITIVE_INFINITY;
  }

  /**
   * Runs items from `index` up to the next clock check, precomputed index or the
   * delivery's room, in a loop with no try/catch. Returns the index of an item that
   * returned a promise (in `sliceStop`), or {@link NEXT} / {@link DONE}.
   */
  private stretch(index: number, nextPre: number): number {
    const array = this.array;
    let end = index + Math.min(this.countdown, nextPre - index, this.delivery.room);
    if (array !== null) {
      if (index >= array.length) return DONE;
      if (end > array.length) end = array.length;
    }
    // A map's results go straight to their index. A stream's go into a block of their
    // own, run over a copy of the stretch's items, so that the loop writes each result
    // where it reads its item in both cases, with no offset to compute per item.
    const direct = this.delivery.direct;
    const out = direct ?? [];
    const offset = direct === null ? index : 0;
    let reached: number;
    sliceStop = null;
    sliceDone = false;
    try {
      if (array === null)
        reached = iteratorSlice(this.fn, this.syncIterator!, out, index - offset, end - offset);
      else if (direct !== null) reached = arraySlice(this.fn, array, out, index, end);
      else reached = arraySlice(this.fn, array.slice(index, end), out, 0, end - index);
    } catch (error) {
      const at = offset + (sliceAt < 0 ? ~sliceAt : sliceAt);
      this.ran(index, at, out, direct);
      if (sliceAt < 0) throw error; // the source threw, not the task: the run fails with its error
      this.nextIndex = at + 1;
      this.countdown -= at + 1 - index;
      this.itemFailed(at, error);
      return NEXT;
    }
    reached += offset;
    this.ran(index, reached, out, direct);
    const stopped = sliceStop !== null;
    this.nextIndex = stopped ? reached + 1 : reached;
    this.countdown -= this.nextIndex - index;
    if (stopped) return reached;
    return sliceDone ? DONE : NEXT;
  }

  /** Items `from..to` ran and wrote their results into `out`. */
  private ran(from: number, to: number, out: unknown[], direct: unknown[] | null): void {
    this.nextIndex = to;
    if (to <= from) return;
    this.tally.succeeded += to - from;
    if (direct === null) this.delivery.put({ first: from, values: out, failed: null });
  }

  /**
   * Delivers the precomputed results of an array from `index` (precomputed) on while their
   * indices follow one another, up to the next clock check and the delivery's room (at
   * least one). Without an await per item: sampling keeps its blocks' results, thousands of
   * consecutive indices, and awaiting each cost a run of 200,000 tiny items 1.3 ms for 2,000
   * of them, 5.4 ms for 20,000 (the items themselves: 1.9 ms).
   */
  private precomputedRun(index: number): number {
    const array = this.array!;
    if (index >= array.length) return DONE;
    const keys = this.preKeys;
    const values = this.opts.precomputed!;
    const end = Math.min(array.length, index + Math.max(1, Math.min(this.countdown, this.delivery.room)));
    let at = index;
    while (at < end && keys[this.prePos] === at) {
      this.delivery.one(at, values.get(at));
      this.prePos++;
      at++;
    }
    this.tally.precomputed += at - index;
    this.countdown -= at - index;
    this.nextIndex = at;
    return NEXT;
  }

  /** Reads and runs one item: a precomputed one, or one from an async iterator. */
  private async one(index: number, nextPre: number): Promise<number> {
    let item: unknown;
    if (this.array !== null) {
      if (index >= this.array.length) return DONE;
      item = this.array[index];
    } else if (this.syncIterator !== null) {
      const step = this.syncIterator.next();
      if (step.done) return DONE;
      item = step.value;
    } else {
      const step = await this.race(this.asyncIterator!.next());
      if (step === undefined || step.done) return DONE;
      item = step.value;
    }
    this.nextIndex = index + 1;
    this.countdown--;
    if (index === nextPre) {
      this.tally.precomputed++;
      this.delivery.one(index, this.opts.precomputed!.get(index));
      return NEXT;
    }
    let result: unknown;
    try {
      result = this.fn(item);
    } catch (error) {
      this.itemFailed(index, error);
      return NEXT;
    }
    if (!isThenable(result)) {
      this.emit(index, result);
      return NEXT;
    }
    sliceStop = result;
    return index;
  }

  // ---------------------------------------------------------------- async items

  /** Item `index` returned the promise in `sliceStop`: awaits it, or a free slot. */
  private async pending(index: number): Promise<void> {
    const promise = sliceStop!;
    sliceStop = null;
    if (!this.watchingExit) {
      this.watchingExit = true;
      process.on("beforeExit", this.onBeforeExit);
    }
    if (this.concurrency === 1) {
      await this.settleOne(index, promise);
      return;
    }
    this.startAsync(index, promise);
    if (this.active >= this.concurrency) await this.freeSlot();
  }

  /**
   * Awaits `promise`, or resolves with undefined as soon as the run stops. A single slot
   * rather than Promise.race with a shared "stopped" promise: that would pile up one
   * reaction per await for the whole run. The wait counts as idle (a consumer, a source, a
   * free slot) unless `idle` is false (an item's own promise: its time is the item's).
   */
  private async race<T>(promise: PromiseLike<T>, idle = true): Promise<T | undefined> {
    if (this.state !== RUNNING) return undefined;
    const start = performance.now();
    try {
      return await new Promise<T | undefined>((resolve, reject) => {
        this.onStop = () => resolve(undefined);
        promise.then(resolve, reject);
      });
    } finally {
      this.onStop = null;
      if (idle) this.idleMs += performance.now() - start;
    }
  }

  private async settleOne(index: number, pending: PromiseLike<unknown>): Promise<void> {
    let value: unknown;
    try {
      // Awaiting the item is running it (a minifier with a promise API computes there): busy.
      value = await this.race(
        new Promise((resolve, reject) => {
          this.awaiting.set(index, () => reject(new ItemUnsettledError(index, "calling thread")));
          pending.then(resolve, reject);
        }),
        false,
      );
    } catch (error) {
      this.itemFailed(index, error);
      return;
    } finally {
      this.awaiting.delete(index);
    }
    if (this.state === RUNNING) this.emit(index, value);
  }

  private startAsync(index: number, pending: PromiseLike<unknown>): void {
    this.active++;
    let settled = false;
    const settle = (handle: () => void) => {
      if (settled) return;
      settled = true;
      this.awaiting.delete(index);
      this.active--;
      if (this.state === RUNNING) handle();
      this.slotFree.wake();
    };
    this.awaiting.set(index, () =>
      settle(() => this.itemFailed(index, new ItemUnsettledError(index, "calling thread"))),
    );
    pending.then(
      (value) => settle(() => this.emit(index, value)),
      (error: unknown) => settle(() => this.itemFailed(index, error)),
    );
  }

  private freeSlot(): Promise<unknown> {
    return this.race(this.slotFree.wait());
  }

  private drained(): Promise<unknown> {
    return this.race(this.drain.wait());
  }

  // ---------------------------------------------------------------- time slicing

  /** Adapts the clock-check stride and says whether a slice is over. */
  private clockSaysYield(): boolean {
    const now = performance.now();
    const since = now - this.lastCheck;
    this.lastCheck = now;
    this.stride = nextStride(this.stride, since);
    this.countdown = this.stride;
    return now - this.lastYield >= SLICE_MS;
  }

  private async yieldNow(): Promise<void> {
    const start = performance.now();
    if (this.opts.onProgress !== undefined) this.progress();
    await yieldToLoop();
    const now = performance.now();
    this.idleMs += now - start;
    this.lastYield = this.lastCheck = now;
  }

  // ---------------------------------------------------------------- results and failures

  private itemFailed(index: number, cause: unknown): void {
    const error = itemFailure(index, cause);
    this.tally.errors.push(error);
    this.tally.failed++;
    if (!this.opts.collect) {
      this.stop(error);
      return;
    }
    this.delivery.skip(index);
  }

  private emit(index: number, value: unknown): void {
    this.tally.succeeded++;
    this.delivery.one(index, value);
  }
}
