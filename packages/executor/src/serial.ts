import type { ExecutionReport } from "@amorsize/types";
import { ExecutorError, ItemError, type RunError } from "./errors.js";
import { closeIterator, type Input, knownLength } from "./input.js";
import { loadTask, type TaskFunction, taskLoadError } from "./load.js";
import type { ResolvedRunOptions } from "./options.js";
import type { MapResult, StreamEngine, StreamItem } from "./parallel.js";
import { RunTally } from "./report.js";
import type { ResolvedTask } from "./task.js";

const RUNNING = 0;
const STOPPING = 1;
const ENDED = 2;

/** Give the event loop a turn at least this often, so abort, timers and progress run. */
export const SLICE_MS = 10;
/** Results a serial stream computes ahead of its consumer. */
export const STREAM_HIGH_WATER = 1024;
const MAX_STRIDE = 1 << 16;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as { then?: unknown }).then === "function"
  );
}

// The fast-path loops below hold no try/catch (V8 runs a task inlined into a loop inside
// a try block several times slower) and allocate nothing: they report through these.
/** Set when a stretch stopped at an item that returned a promise. */
let sliceStop: PromiseLike<unknown> | null = null;
/** Index of the item being run; -1 while the source is read, so its errors are told apart. */
let sliceAt = -1;
/** Set when a sync iterator ended inside a stretch. */
let sliceDone = false;

/** Runs `array[i..end)` into `out[i..end)`; returns where it stopped (a promise stops it early). */
function arraySlice(
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

/** Like {@link arraySlice} for a sync iterator, reading at most `end - index` items. */
function iteratorSlice(
  fn: TaskFunction,
  iterator: Iterator<unknown>,
  out: unknown[],
  index: number,
  end: number,
): number {
  for (; index < end; index++) {
    sliceAt = -1;
    const step = iterator.next();
    if (step.done) {
      sliceDone = true;
      return index;
    }
    sliceAt = index;
    const value = fn(step.value);
    if (isThenable(value)) {
      sliceStop = value;
      return index;
    }
    out[index] = value;
  }
  return end;
}

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * One `map()` or `stream()` in the calling thread. Items run one after another (a
 * plain loop for a synchronous task); with `concurrency > 1`, up to that many promises
 * of an async task are awaited at once. Every ~{@link SLICE_MS} ms the loop yields to
 * the event loop, checking the clock only every `stride` items so the check costs
 * next to nothing for fast items.
 */
export class SerialRun implements StreamEngine {
  private state = RUNNING;
  private readonly tally = new RunTally();
  private failure: unknown = undefined;
  private failureDelivered = false;
  private reportValue: ExecutionReport | null = null;
  private abortListener: (() => void) | null = null;
  /** Settles the one await in progress (the loop awaits one thing at a time) when stopped. */
  private onStop: (() => void) | null = null;
  private readonly endWaiters: Array<() => void> = [];
  private iterator: Iterator<unknown> | AsyncIterator<unknown> | null = null;
  private sourceDone = false;
  private nextIndex = 0;
  private readonly total: number | null;
  // time slicing
  private stride = 1;
  private countdown = 1;
  private lastCheck = 0;
  private lastYield = 0;
  private idleMs = 0;
  // async items in flight (concurrency > 1)
  private active = 0;
  private slotWaiter: (() => void) | null = null;
  // map delivery
  private out: unknown[] = [];
  private resolveMap: ((result: MapResult<unknown>) => void) | null = null;
  private rejectMap: ((error: unknown) => void) | null = null;
  // stream delivery
  private started = false;
  private buffer: Array<StreamItem<unknown>> = [];
  private head = 0;
  private readonly pending = new Map<number, { value: unknown; failed: boolean }>();
  private nextEmit = 0;
  private consumerWaiter: (() => void) | null = null;
  private drainWaiter: (() => void) | null = null;

  constructor(
    private readonly task: ResolvedTask,
    private readonly input: Input,
    private readonly opts: ResolvedRunOptions,
    private readonly concurrency: number,
    private readonly delivery: "map" | "stream",
  ) {
    this.total = knownLength(input, opts.totalItems);
    if (delivery === "map" && input.kind === "array") this.out = new Array(input.array.length);
  }

  get errors(): readonly RunError[] {
    return this.tally.sortedErrors();
  }

  finalReport(): ExecutionReport | null {
    return this.reportValue;
  }

  map(): Promise<MapResult<unknown>> {
    const promise = new Promise<MapResult<unknown>>((resolve, reject) => {
      this.resolveMap = resolve;
      this.rejectMap = reject;
    });
    void this.run();
    return promise;
  }

  // ---------------------------------------------------------------- the loop

  private async run(): Promise<void> {
    try {
      await this.loop();
    } catch (error) {
      this.stop(error);
    }
    this.finish();
  }

  private async loop(): Promise<void> {
    const signal = this.opts.signal;
    if (signal?.aborted) {
      this.stop(signal.reason, true);
      return;
    }
    if (signal !== undefined) {
      this.abortListener = () => this.stop(signal.reason, true);
      signal.addEventListener("abort", this.abortListener, { once: true });
    }
    const loaded = await this.race(loadTask(this.task.href, this.task.exportName));
    if (loaded === undefined || this.state !== RUNNING) return;
    if (typeof loaded !== "function") {
      this.stop(taskLoadError(this.task, loaded));
      return;
    }
    const fn: TaskFunction = loaded;
    const input = this.input;
    const array = input.kind === "array" ? (input.array as readonly unknown[]) : null;
    let syncIterator: Iterator<unknown> | null = null;
    let asyncIterator: AsyncIterator<unknown> | null = null;
    if (input.kind === "sync") this.iterator = syncIterator = input.iterable[Symbol.iterator]();
    else if (input.kind === "async") this.iterator = asyncIterator = input.iterable[Symbol.asyncIterator]();
    const precomputed = this.opts.precomputed;
    // Precomputed indices in order, so the fast path can run plain stretches between them.
    const preKeys = precomputed === undefined ? [] : [...precomputed.keys()].sort((a, b) => a - b);
    let prePos = 0;
    let nextPre = preKeys.length > 0 ? preKeys[0]! : Number.POSITIVE_INFINITY;
    const concurrency = this.concurrency;
    const toMap = this.delivery === "map";
    const fast = toMap && asyncIterator === null;
    const out = this.out;
    this.lastCheck = this.lastYield = performance.now();

    while (this.state === RUNNING) {
      const index = this.nextIndex;
      while (nextPre < index)
        nextPre = ++prePos < preKeys.length ? preKeys[prePos]! : Number.POSITIVE_INFINITY;

      if (fast && index !== nextPre) {
        // A stretch of items up to the next clock check or precomputed index.
        let end = index + Math.min(this.countdown, nextPre - index);
        let reached: number;
        sliceStop = null;
        sliceDone = false;
        try {
          if (array !== null) {
            if (index >= array.length) break;
            if (end > array.length) end = array.length;
            reached = arraySlice(fn, array, out, index, end);
          } else {
            reached = iteratorSlice(fn, syncIterator!, out, index, end);
          }
        } catch (error) {
          // The source threw (not a task): the run fails with its error.
          if (sliceAt < 0) throw error;
          this.tally.succeeded += sliceAt - index;
          this.nextIndex = sliceAt + 1;
          this.itemFailed(sliceAt, error);
          this.countdown -= sliceAt + 1 - index;
          if (this.countdown <= 0 && this.clockSaysYield()) await this.yieldNow();
          continue;
        }
        this.tally.succeeded += reached - index;
        if (sliceStop !== null) {
          // The item at `reached` returned a promise.
          const pending: PromiseLike<unknown> = sliceStop;
          sliceStop = null;
          this.nextIndex = reached + 1;
          if (concurrency === 1) await this.settleOne(reached, pending);
          else {
            this.startAsync(reached, pending);
            if (this.active >= concurrency) await this.freeSlot();
          }
          reached++;
        } else {
          this.nextIndex = reached;
          if (sliceDone) break;
        }
        this.countdown -= reached - index;
        if (this.countdown <= 0 && this.clockSaysYield()) await this.yieldNow();
        continue;
      }

      let item: unknown;
      if (array !== null) {
        if (index >= array.length) break;
        item = array[index];
      } else if (syncIterator !== null) {
        const step = syncIterator.next();
        if (step.done) break;
        item = step.value;
      } else {
        const step = await this.race(asyncIterator!.next());
        if (step === undefined) break;
        if (step.done) break;
        item = step.value;
      }
      this.nextIndex = index + 1;

      if (index === nextPre) {
        this.emit(index, precomputed!.get(index));
      } else {
        let result: unknown;
        let threw = false;
        try {
          result = fn(item);
        } catch (error) {
          threw = true;
          this.itemFailed(index, error);
        }
        if (!threw) {
          if (isThenable(result)) {
            if (concurrency === 1) {
              await this.settleOne(index, result);
            } else {
              this.startAsync(index, result);
              if (this.active >= concurrency) await this.freeSlot();
            }
          } else {
            this.emit(index, result);
          }
        }
      }
      if (!toMap && this.buffer.length - this.head >= STREAM_HIGH_WATER) await this.drained();
      if (--this.countdown <= 0 && this.clockSaysYield()) await this.yieldNow();
    }
    this.sourceDone = this.state === RUNNING;
    while (this.active > 0 && this.state === RUNNING) await this.freeSlot();
  }

  /**
   * Awaits `promise`, or resolves with undefined as soon as the run stops. A single slot
   * rather than Promise.race with a shared "stopped" promise: that would pile up one
   * reaction per await for the whole run.
   */
  private async race<T>(promise: PromiseLike<T>): Promise<T | undefined> {
    if (this.state !== RUNNING) return undefined;
    const start = performance.now();
    try {
      return await new Promise<T | undefined>((resolve, reject) => {
        this.onStop = () => resolve(undefined);
        promise.then(resolve, reject);
      });
    } finally {
      this.onStop = null;
      this.idleMs += performance.now() - start;
    }
  }

  private async settleOne(index: number, pending: PromiseLike<unknown>): Promise<void> {
    let value: unknown;
    try {
      value = await this.race(pending);
    } catch (error) {
      this.itemFailed(index, error);
      return;
    }
    if (this.state === RUNNING) this.emit(index, value);
  }

  private startAsync(index: number, pending: PromiseLike<unknown>): void {
    this.active++;
    pending.then(
      (value) => {
        this.active--;
        if (this.state === RUNNING) this.emit(index, value);
        this.releaseSlot();
      },
      (error: unknown) => {
        this.active--;
        if (this.state === RUNNING) this.itemFailed(index, error);
        this.releaseSlot();
      },
    );
  }

  private freeSlot(): Promise<unknown> {
    return this.race(
      new Promise<void>((resolve) => {
        this.slotWaiter = resolve;
      }),
    );
  }

  private releaseSlot(): void {
    const waiter = this.slotWaiter;
    if (waiter !== null) {
      this.slotWaiter = null;
      waiter();
    }
  }

  /** Adapts the clock-check stride and says whether a slice is over. */
  private clockSaysYield(): boolean {
    const now = performance.now();
    const since = now - this.lastCheck;
    this.lastCheck = now;
    if (since < 0.5) this.stride = Math.min(MAX_STRIDE, this.stride * 2);
    else if (since > 2) this.stride = Math.max(1, this.stride >> 1);
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
    const error = new ItemError(index, cause);
    this.tally.errors.push(error);
    this.tally.failed++;
    if (!this.opts.collect) {
      this.stop(error);
      return;
    }
    if (this.delivery === "stream") this.skip(index);
  }

  private emit(index: number, value: unknown): void {
    this.tally.succeeded++;
    if (this.delivery === "map") {
      this.out[index] = value;
      return;
    }
    if (!this.opts.ordered || (this.concurrency === 1 && index === this.nextEmit)) {
      this.buffer.push({ index, value });
      this.nextEmit = index + 1;
      this.wakeConsumer();
      return;
    }
    this.pending.set(index, { value, failed: false });
    this.flushOrdered();
  }

  /** A failed item leaves a gap an ordered stream must step over. */
  private skip(index: number): void {
    if (!this.opts.ordered) return;
    this.pending.set(index, { value: undefined, failed: true });
    this.flushOrdered();
  }

  private flushOrdered(): void {
    let entry = this.pending.get(this.nextEmit);
    while (entry !== undefined) {
      this.pending.delete(this.nextEmit);
      if (!entry.failed) this.buffer.push({ index: this.nextEmit, value: entry.value });
      this.nextEmit++;
      entry = this.pending.get(this.nextEmit);
    }
    this.wakeConsumer();
  }

  private progress(): void {
    const progress = this.tally.progress(this.total);
    try {
      this.opts.onProgress!(progress);
    } catch (error) {
      this.stop(error);
    }
  }

  // ---------------------------------------------------------------- ending

  private stop(error: unknown, aborted = false): void {
    if (this.state !== RUNNING) return;
    this.state = STOPPING;
    this.failure = error;
    this.tally.aborted = aborted;
    if (error !== undefined && !aborted && !this.tally.errors.includes(error as RunError)) {
      this.tally.fatal = error;
    }
    if (!this.sourceDone) closeIterator(this.iterator);
    this.onStop?.();
    this.wakeConsumer();
    const drain = this.drainWaiter;
    this.drainWaiter = null;
    drain?.();
  }

  private finish(): void {
    if (this.state === ENDED) return;
    if (this.state === RUNNING && this.opts.onProgress !== undefined) this.progress();
    this.state = ENDED;
    if (this.abortListener !== null) this.opts.signal?.removeEventListener("abort", this.abortListener);
    this.tally.items = this.nextIndex;
    const wallMs = this.tally.elapsedMs();
    this.tally.busyMs = Math.max(0, wallMs - this.idleMs);
    const report = this.tally.report(
      {
        mode: this.concurrency > 1 ? "concurrent" : "serial",
        workers: 0,
        chunkSize: null,
        adaptive: false,
      },
      wallMs,
    );
    this.reportValue = report;
    const failure = this.failure;
    if (failure instanceof ExecutorError) failure.report = report;
    if (this.delivery === "map") {
      if (failure !== undefined) this.rejectMap!(failure);
      else this.resolveMap!({ results: this.out, errors: this.tally.sortedErrors(), report });
      this.out = [];
    }
    this.wakeConsumer();
    for (const waiter of this.endWaiters.splice(0)) waiter();
  }

  // ---------------------------------------------------------------- stream side

  private wakeConsumer(): void {
    const waiter = this.consumerWaiter;
    if (waiter !== null) {
      this.consumerWaiter = null;
      waiter();
    }
  }

  private drained(): Promise<unknown> {
    return this.race(
      new Promise<void>((resolve) => {
        this.drainWaiter = resolve;
      }),
    );
  }

  next(): Promise<IteratorResult<StreamItem<unknown>, undefined>> {
    if (!this.started) {
      this.started = true;
      void this.run();
    }
    if (this.state === RUNNING || this.state === ENDED) {
      if (this.head < this.buffer.length && this.failure === undefined) {
        const item = this.buffer[this.head++]!;
        if (this.head === this.buffer.length) {
          this.buffer = [];
          this.head = 0;
        }
        if (this.drainWaiter !== null && this.buffer.length - this.head < STREAM_HIGH_WATER / 2) {
          const drain = this.drainWaiter;
          this.drainWaiter = null;
          drain();
        }
        return Promise.resolve({ done: false, value: item });
      }
      if (this.state === ENDED) {
        if (this.failure !== undefined && !this.failureDelivered) {
          this.failureDelivered = true;
          return Promise.reject(this.failure);
        }
        return Promise.resolve({ done: true, value: undefined });
      }
    }
    return new Promise<void>((resolve) => {
      this.consumerWaiter = resolve;
    }).then(() => this.next());
  }

  async return(): Promise<IteratorResult<StreamItem<unknown>, undefined>> {
    this.failureDelivered = true;
    if (!this.started) {
      this.started = true;
      this.stop(undefined);
      this.finish();
    } else if (this.state === RUNNING) {
      this.stop(undefined);
    }
    if (this.state !== ENDED) await new Promise<void>((resolve) => this.endWaiters.push(resolve));
    this.buffer = [];
    this.head = 0;
    return { done: true, value: undefined };
  }
}
