import { setMaxListeners } from "node:events";
import type { ExecutionReport } from "@amorsize/types";
import type { Tinypool } from "tinypool";
import { ChunkSizer } from "./adaptive.js";
import {
  ChunkTimeoutError,
  CloneError,
  ExecutorClosedError,
  ExecutorError,
  type IndexRange,
  ItemError,
  messageOf,
  type RunError,
  WorkerCrashedError,
} from "./errors.js";
import { closeIterator, type Input, knownLength } from "./input.js";
import { taskLoadError } from "./load.js";
import type { ResolvedRunOptions } from "./options.js";
import {
  RESULT_CLONE_KEY,
  type ResultClonePayload,
  type RunRequest,
  type RunResponse,
  rebuildError,
  type SerializedError,
} from "./protocol.js";
import { RunTally } from "./report.js";
import type { ResolvedTask } from "./task.js";
import { collectTransferables } from "./transfer.js";

/** What a parallel run needs from its executor. */
export interface PoolContext {
  readonly pool: Tinypool;
  readonly workers: number;
  readonly closed: boolean;
  /** Resolves once the task is known to load in a worker; rejects with a `TaskLoadError`. */
  ensureTask(task: ResolvedTask): Promise<void>;
}

/** What `map()` resolves to. */
export interface MapResult<R> {
  /** Results in input order. Under `onError: "collect"`, `undefined` where an item failed. */
  results: R[];
  /** Under `onError: "collect"`: every failure, sorted by input index. Empty otherwise. */
  errors: RunError[];
  report: ExecutionReport;
}

/** One result of a stream: the item's input index and its result. */
export interface StreamItem<R> {
  index: number;
  value: R;
}

/** The engine behind a `ResultStream`. */
export interface StreamEngine {
  next(): Promise<IteratorResult<StreamItem<unknown>, undefined>>;
  return(): Promise<IteratorResult<StreamItem<unknown>, undefined>>;
  /** Null until the run has ended. */
  finalReport(): ExecutionReport | null;
  readonly errors: readonly RunError[];
}

interface Chunk {
  /** Read order; ordered streams deliver by it. */
  readonly seq: number;
  /** Input index of the first item read into this chunk. */
  readonly first: number;
  /** Items read from the input into this chunk (including precomputed ones). */
  readonly span: number;
  /** Items to send to a worker. */
  items: unknown[];
  /** Input index of each item in `items`; null when they are `first, first + 1, ...`. */
  indices: number[] | null;
  /** Precomputed results in the span, as pairs: index, value. */
  readonly pre: unknown[] | null;
  /** Input indices that failed (collect mode). */
  failed: number[] | null;
  /** Results over the span, once done. */
  values: unknown[] | null;
  controller: AbortController | null;
  timer: NodeJS.Timeout | undefined;
  timedOut: boolean;
  /** Times the chunk was sent again after tinypool lost it to a worker it was removing. */
  retries: number;
}

const RUNNING = 0;
const STOPPING = 1;
const ENDED = 2;

/** Structured clone failed in this thread (a DOMException, possibly of another realm). */
function isDataCloneError(error: unknown): boolean {
  return (
    typeof error === "object" && error !== null && (error as { name?: unknown }).name === "DataCloneError"
  );
}

/**
 * Tinypool keeps a worker it is terminating (after an abort) able to take the next
 * queued task when that worker's last answer arrives late; the task then fails with
 * this error although it never had a fair run. Such a chunk is sent again.
 */
function isStrayTermination(error: unknown): boolean {
  return messageOf(error) === "Terminating worker thread";
}

const MAX_RETRIES = 3;
/** Longest wait for a terminated worker to exit before a stopped run settles anyway. */
const EXIT_WAIT_MS = 5_000;

function resultClonePayload(error: unknown): ResultClonePayload | null {
  if (typeof error !== "object" || error === null) return null;
  const payload = (error as Record<string, unknown>)[RESULT_CLONE_KEY];
  return typeof payload === "object" && payload !== null ? (payload as ResultClonePayload) : null;
}

/**
 * Starts a chunk's time-out clock when it can really start. Tinypool runs queued tasks
 * in order as workers free up, so a chunk starts when dispatched to an idle worker or
 * when an earlier chunk of the run settles.
 */
class ChunkClock {
  private running = 0;
  private readonly waiting: Chunk[] = [];
  stopped = false;

  constructor(
    private readonly slots: number,
    private readonly ms: number,
  ) {}

  dispatched(chunk: Chunk): void {
    if (this.running < this.slots) this.start(chunk);
    else this.waiting.push(chunk);
  }

  settled(chunk: Chunk): void {
    if (chunk.timer !== undefined) {
      clearTimeout(chunk.timer);
      chunk.timer = undefined;
      this.running--;
    } else {
      const at = this.waiting.indexOf(chunk);
      if (at >= 0) this.waiting.splice(at, 1);
    }
    while (!this.stopped && this.running < this.slots && this.waiting.length > 0) {
      this.start(this.waiting.shift()!);
    }
  }

  private start(chunk: Chunk): void {
    this.running++;
    chunk.timer = setTimeout(() => {
      chunk.timedOut = true;
      chunk.controller?.abort();
    }, this.ms);
    chunk.timer.unref();
  }
}

/**
 * One `map()` or `stream()` on the pool. Reads the input a chunk at a time, keeps at
 * most `maxInFlight` chunks between reading and delivery (in flight, or done and not yet
 * consumed by a stream), and delivers results by input index.
 */
export class ParallelRun implements StreamEngine {
  private state = RUNNING;
  private readonly tally = new RunTally();
  private readonly controller = new AbortController();
  private readonly sizer: ChunkSizer | null;
  private readonly fixedSize: number;
  private readonly total: number | null;
  private readonly clock: ChunkClock | null;
  /** Chunks in flight, tracked only with time-outs (each has its own controller). */
  private readonly live: Set<Chunk> | null;
  private readonly array: readonly unknown[] | null;
  private iterator: Iterator<unknown> | null = null;
  private asyncIterator: AsyncIterator<unknown> | null = null;
  private nextIndex = 0;
  private sourceDone = false;
  private pulling = false;
  private pumping = false;
  private inFlight = 0;
  /** Workers terminated by this run's stop that have not exited yet. */
  private exiting = 0;
  private occupied = 0;
  private seq = 0;
  private firstChunkSize: number | null = null;
  private failure: unknown = undefined;
  private abortListener: (() => void) | null = null;
  private readonly endWaiters: Array<() => void> = [];
  private reportValue: ExecutionReport | null = null;
  // map delivery
  private out: unknown[] | null = null;
  private parts: Chunk[] | null = null;
  private resolveMap: ((result: MapResult<unknown>) => void) | null = null;
  private rejectMap: ((error: unknown) => void) | null = null;
  // stream delivery
  private started = false;
  private readonly ready = new Map<number, Chunk>();
  private readonly queue: Chunk[] = [];
  private nextSeq = 0;
  private current: Chunk | null = null;
  private currentFailed: Set<number> | null = null;
  private position = 0;
  private waiter: (() => void) | null = null;
  private failureDelivered = false;

  constructor(
    private readonly ctx: PoolContext,
    private readonly task: ResolvedTask,
    private readonly input: Input,
    private readonly opts: ResolvedRunOptions,
    private readonly delivery: "map" | "stream",
  ) {
    setMaxListeners(0, this.controller.signal);
    this.total = knownLength(input, opts.totalItems);
    this.array = input.kind === "array" ? (input.array as readonly unknown[]) : null;
    if (opts.chunkSize === "auto") {
      this.sizer = new ChunkSizer({ workers: ctx.workers, targetMs: opts.targetChunkMs, total: this.total });
      this.fixedSize = 0;
    } else {
      this.sizer = null;
      this.fixedSize = opts.chunkSize;
    }
    const timeout = opts.chunkTimeoutMs;
    this.clock = timeout === undefined ? null : new ChunkClock(ctx.workers, timeout);
    this.live = timeout === undefined ? null : new Set();
    if (delivery === "map") {
      if (this.array !== null) this.out = new Array(this.array.length);
      else this.parts = [];
    }
  }

  get errors(): readonly RunError[] {
    return this.tally.sortedErrors();
  }

  /** Runs to the end and resolves with every result. */
  map(): Promise<MapResult<unknown>> {
    const promise = new Promise<MapResult<unknown>>((resolve, reject) => {
      this.resolveMap = resolve;
      this.rejectMap = reject;
    });
    void this.start();
    return promise;
  }

  finalReport(): ExecutionReport | null {
    return this.reportValue;
  }

  // ---------------------------------------------------------------- start and end

  private async start(): Promise<void> {
    const signal = this.opts.signal;
    if (signal?.aborted) {
      this.stop(signal.reason, true);
      return;
    }
    if (this.ctx.closed) {
      this.stop(new ExecutorClosedError());
      return;
    }
    if (signal !== undefined) {
      this.abortListener = () => this.stop(signal.reason, true);
      signal.addEventListener("abort", this.abortListener, { once: true });
    }
    try {
      await this.ctx.ensureTask(this.task);
    } catch (error) {
      this.stop(error);
      return;
    }
    if (this.state !== RUNNING) return;
    try {
      if (this.input.kind === "sync") this.iterator = this.input.iterable[Symbol.iterator]();
      else if (this.input.kind === "async") this.asyncIterator = this.input.iterable[Symbol.asyncIterator]();
    } catch (error) {
      this.stop(error);
      return;
    }
    this.pump();
  }

  /** Stops the run: nothing more is read or sent, chunks in flight are cancelled. */
  private stop(error: unknown, aborted = false): void {
    if (this.state !== RUNNING) return;
    this.state = STOPPING;
    this.failure = error;
    this.tally.aborted = aborted;
    if (error !== undefined && !aborted && !this.tally.errors.includes(error as RunError)) {
      this.tally.fatal = error;
    }
    if (this.clock !== null) this.clock.stopped = true;
    if (this.inFlight > 0) this.cancelInFlight();
    if (!this.sourceDone) closeIterator(this.iterator ?? this.asyncIterator);
    this.settleIfIdle();
  }

  /**
   * Tinypool answers an abort at once: a queued chunk leaves the queue, a running one
   * has its worker terminated (the pool starts a fresh one). The run settles only once
   * those workers have exited, so nothing of it is left running.
   */
  private cancelInFlight(): void {
    const before = this.ctx.pool.threads;
    this.controller.abort();
    if (this.live !== null) for (const chunk of this.live) chunk.controller?.abort();
    const after = new Set(this.ctx.pool.threads);
    for (const thread of before) {
      if (after.has(thread)) continue;
      this.exiting++;
      let done = false;
      const exited = () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.exiting--;
        this.settleIfIdle();
      };
      const timer = setTimeout(exited, EXIT_WAIT_MS);
      timer.unref();
      thread.once("exit", exited);
    }
  }

  private settleIfIdle(): void {
    if (this.state === STOPPING && this.inFlight === 0 && this.exiting === 0) this.end();
  }

  private end(): void {
    if (this.state === ENDED) return;
    this.state = ENDED;
    if (this.abortListener !== null) this.opts.signal?.removeEventListener("abort", this.abortListener);
    this.tally.items = this.nextIndex;
    const report = this.tally.report({
      mode: "parallel",
      workers: this.ctx.workers,
      chunkSize: this.firstChunkSize,
      adaptive: this.sizer !== null,
    });
    this.reportValue = report;
    const failure = this.failure;
    if (failure instanceof ExecutorError) failure.report = report;
    if (this.delivery === "map") {
      if (failure !== undefined) this.rejectMap!(failure);
      else this.resolveMap!({ results: this.assembleResults(), errors: this.tally.sortedErrors(), report });
      this.out = null;
      this.parts = null;
    } else {
      this.ready.clear();
      this.queue.length = 0;
    }
    this.wake();
    for (const waiter of this.endWaiters.splice(0)) waiter();
  }

  private maybeFinish(): void {
    if (this.state !== RUNNING || !this.sourceDone || this.inFlight !== 0 || this.pulling || this.pumping) {
      return;
    }
    if (this.delivery === "map") this.end();
    else this.wake();
  }

  private assembleResults(): unknown[] {
    if (this.out !== null) return this.out;
    const out = new Array(this.nextIndex);
    for (const chunk of this.parts!) {
      const values = chunk.values!;
      const first = chunk.first;
      for (let j = 0; j < values.length; j++) out[first + j] = values[j];
    }
    return out;
  }

  // ---------------------------------------------------------------- reading

  private nextSize(): number {
    if (this.sizer === null) return this.fixedSize;
    return this.sizer.next(this.total === null ? null : this.total - this.nextIndex);
  }

  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.state === RUNNING && !this.sourceDone && this.occupied < this.opts.maxInFlight) {
        if (this.asyncIterator !== null) {
          this.pullAsync();
          break;
        }
        const chunk = this.readSync();
        if (chunk === null) break;
        this.launch(chunk);
      }
    } finally {
      this.pumping = false;
    }
    this.maybeFinish();
  }

  private newChunk(
    first: number,
    span: number,
    items: unknown[],
    indices: number[] | null,
    pre: unknown[] | null,
  ) {
    const chunk: Chunk = {
      seq: this.seq++,
      first,
      span,
      items,
      indices,
      pre,
      failed: null,
      values: null,
      controller: null,
      timer: undefined,
      timedOut: false,
      retries: 0,
    };
    return chunk;
  }

  private readSync(): Chunk | null {
    const size = this.nextSize();
    const first = this.nextIndex;
    const array = this.array;
    const precomputed = this.opts.precomputed;
    if (array !== null && precomputed === undefined) {
      // Hot path: a slice of the array, no per-item work.
      const length = array.length;
      if (first >= length) {
        this.sourceDone = true;
        return null;
      }
      const end = Math.min(length, first + size);
      this.nextIndex = end;
      if (end >= length) this.sourceDone = true;
      return this.newChunk(first, end - first, array.slice(first, end), null, null);
    }
    const items: unknown[] = [];
    let indices: number[] | null = null;
    let pre: unknown[] | null = null;
    let index = first;
    const iterator = this.iterator;
    while (items.length < size) {
      let value: unknown;
      if (array !== null) {
        if (index >= array.length) {
          this.sourceDone = true;
          break;
        }
        value = array[index];
      } else {
        let step: IteratorResult<unknown>;
        try {
          step = iterator!.next();
        } catch (error) {
          this.nextIndex = index;
          this.sourceDone = true;
          this.stop(error);
          return null;
        }
        if (step.done) {
          this.sourceDone = true;
          break;
        }
        value = step.value;
      }
      if (precomputed?.has(index)) {
        if (indices === null) {
          indices = [];
          for (let j = first; j < index; j++) indices.push(j);
        }
        if (pre === null) pre = [];
        pre.push(index, precomputed.get(index));
      } else {
        items.push(value);
        if (indices !== null) indices.push(index);
      }
      index++;
    }
    this.nextIndex = index;
    if (array !== null && index >= array.length) this.sourceDone = true;
    return index === first ? null : this.newChunk(first, index - first, items, indices, pre);
  }

  private pullAsync(): void {
    if (this.pulling) return;
    this.pulling = true;
    void this.pullLoop();
  }

  private async pullLoop(): Promise<void> {
    try {
      while (this.state === RUNNING && !this.sourceDone && this.occupied < this.opts.maxInFlight) {
        const chunk = await this.readAsync();
        if (chunk === null || this.state !== RUNNING) break;
        this.launch(chunk);
      }
    } finally {
      this.pulling = false;
    }
    this.maybeFinish();
  }

  private async readAsync(): Promise<Chunk | null> {
    const size = this.nextSize();
    const first = this.nextIndex;
    const precomputed = this.opts.precomputed;
    const iterator = this.asyncIterator!;
    const items: unknown[] = [];
    let indices: number[] | null = null;
    let pre: unknown[] | null = null;
    let index = first;
    while (items.length < size) {
      let step: IteratorResult<unknown>;
      try {
        step = await iterator.next();
      } catch (error) {
        this.nextIndex = index;
        this.sourceDone = true;
        this.stop(error);
        return null;
      }
      if (this.state !== RUNNING) return null;
      if (step.done) {
        this.sourceDone = true;
        break;
      }
      if (precomputed?.has(index)) {
        if (indices === null) {
          indices = [];
          for (let j = first; j < index; j++) indices.push(j);
        }
        if (pre === null) pre = [];
        pre.push(index, precomputed.get(index));
      } else {
        items.push(step.value);
        if (indices !== null) indices.push(index);
      }
      index++;
    }
    this.nextIndex = index;
    return index === first ? null : this.newChunk(first, index - first, items, indices, pre);
  }

  // ---------------------------------------------------------------- dispatch

  private launch(chunk: Chunk): void {
    this.occupied++;
    if (chunk.items.length === 0) {
      // Every item of the span was precomputed.
      this.deliver(chunk, this.assemble(chunk, null));
      return;
    }
    if (this.firstChunkSize === null) this.firstChunkSize = chunk.items.length;
    this.dispatch(chunk);
  }

  private dispatch(chunk: Chunk): void {
    if (this.ctx.closed) {
      this.stop(new ExecutorClosedError());
      return;
    }
    this.inFlight++;
    let signal = this.controller.signal;
    if (this.live !== null) {
      chunk.controller = new AbortController();
      signal = chunk.controller.signal;
      this.live.add(chunk);
    }
    const request: RunRequest = {
      k: 0,
      h: this.task.href,
      e: this.task.exportName,
      x: chunk.items,
      t: this.opts.transfer,
    };
    const transferList = this.opts.transfer ? collectTransferables(chunk.items) : null;
    this.ctx.pool.run(request, transferList === null ? { signal } : { signal, transferList }).then(
      (response: RunResponse) => {
        try {
          this.onResponse(chunk, response);
        } catch (error) {
          this.stop(error);
        }
      },
      (error: unknown) => {
        try {
          this.onRejected(chunk, error);
        } catch (internal) {
          this.stop(internal);
        }
      },
    );
    this.clock?.dispatched(chunk);
  }

  private settleChunk(chunk: Chunk): void {
    this.inFlight--;
    if (this.live !== null) {
      this.live.delete(chunk);
      this.clock!.settled(chunk);
    }
  }

  private onResponse(chunk: Chunk, response: RunResponse): void {
    this.settleChunk(chunk);
    if (this.state !== RUNNING) {
      this.settleIfIdle();
      return;
    }
    if (response.l !== undefined) {
      this.stop(taskLoadError(this.task, response.l));
      return;
    }
    const items = chunk.items.length;
    this.tally.chunk(items, response.d);
    this.sizer?.record(items, response.d);
    if (response.f !== null && !this.itemFailures(chunk, response.f)) return;
    this.deliver(chunk, this.assemble(chunk, response.r));
  }

  private onRejected(chunk: Chunk, error: unknown): void {
    this.settleChunk(chunk);
    if (this.state !== RUNNING) {
      this.settleIfIdle();
      return;
    }
    if (chunk.timedOut) {
      this.chunkFailed(chunk, new ChunkTimeoutError(this.range(chunk), this.opts.chunkTimeoutMs!));
    } else if (this.ctx.closed) {
      this.stop(new ExecutorClosedError(error));
    } else if (isStrayTermination(error) && chunk.retries < MAX_RETRIES) {
      chunk.retries++;
      this.dispatch(chunk);
    } else if (isDataCloneError(error)) {
      this.itemsNotCloneable(chunk, error);
    } else {
      const payload = resultClonePayload(error);
      if (payload === null) this.chunkFailed(chunk, new WorkerCrashedError(this.range(chunk), error));
      else this.resultsNotCloneable(chunk, payload, error);
    }
  }

  // ---------------------------------------------------------------- failures

  private indexAt(chunk: Chunk, position: number): number {
    return chunk.indices === null ? chunk.first + position : chunk.indices[position]!;
  }

  private range(chunk: Chunk): IndexRange {
    return [this.indexAt(chunk, 0), this.indexAt(chunk, chunk.items.length - 1)];
  }

  /** Records a failure; under "throw" it stops the run and returns false. */
  private recordError(error: RunError, chunk: Chunk, failedIndices: number[]): boolean {
    this.tally.errors.push(error);
    this.tally.failed += failedIndices.length;
    if (!this.opts.collect) {
      this.stop(error);
      return false;
    }
    if (chunk.failed === null) chunk.failed = failedIndices;
    else for (const index of failedIndices) chunk.failed.push(index);
    return true;
  }

  private itemFailures(chunk: Chunk, failures: Array<number | SerializedError>): boolean {
    for (let p = 0; p < failures.length; p += 2) {
      const index = this.indexAt(chunk, failures[p] as number);
      const error = new ItemError(index, rebuildError(failures[p + 1] as SerializedError));
      if (!this.recordError(error, chunk, [index])) return false;
    }
    return true;
  }

  /** The whole chunk is lost: a crash or a time-out. */
  private chunkFailed(chunk: Chunk, error: RunError): void {
    const lost: number[] = [];
    for (let p = 0; p < chunk.items.length; p++) lost.push(this.indexAt(chunk, p));
    if (!this.recordError(error, chunk, lost)) return;
    this.deliver(chunk, this.assemble(chunk, null));
  }

  /**
   * Posting the chunk failed in this thread. Find the items at fault by cloning each;
   * under "collect" send the others again.
   */
  private itemsNotCloneable(chunk: Chunk, error: unknown): void {
    const keepItems: unknown[] = [];
    const keepIndices: number[] = [];
    const bad: Array<[number, string, unknown]> = [];
    for (let p = 0; p < chunk.items.length; p++) {
      const index = this.indexAt(chunk, p);
      try {
        structuredClone(chunk.items[p]);
        keepItems.push(chunk.items[p]);
        keepIndices.push(index);
      } catch (cloneError) {
        bad.push([index, messageOf(cloneError), cloneError]);
      }
    }
    if (bad.length === 0) {
      const whole = new CloneError(
        "AMORSIZE_ITEM_NOT_CLONEABLE",
        null,
        this.range(chunk),
        messageOf(error),
        error,
      );
      this.chunkFailed(chunk, whole);
      return;
    }
    for (const [index, reason, cause] of bad) {
      const cloneError = new CloneError("AMORSIZE_ITEM_NOT_CLONEABLE", index, [index, index], reason, cause);
      if (!this.recordError(cloneError, chunk, [index])) return;
    }
    chunk.items = keepItems;
    chunk.indices = keepIndices;
    if (keepItems.length === 0) this.deliver(chunk, this.assemble(chunk, null));
    else this.dispatch(chunk);
  }

  /** The worker computed the chunk but could not send some results back. */
  private resultsNotCloneable(chunk: Chunk, payload: ResultClonePayload, error: unknown): void {
    const items = chunk.items.length;
    this.tally.chunk(items, payload.d);
    this.sizer?.record(items, payload.d);
    for (let p = 0; p < payload.bad.length; p += 2) {
      const index = this.indexAt(chunk, payload.bad[p] as number);
      const reason = payload.bad[p + 1] as string;
      const cloneError = new CloneError(
        "AMORSIZE_RESULT_NOT_CLONEABLE",
        index,
        [index, index],
        reason,
        error,
      );
      if (!this.recordError(cloneError, chunk, [index])) return;
    }
    if (payload.f !== null && !this.itemFailures(chunk, payload.f)) return;
    this.deliver(chunk, this.assemble(chunk, payload.r));
  }

  // ---------------------------------------------------------------- delivery

  /** Results over the chunk's span: the worker's, precomputed ones, `undefined` for failures. */
  private assemble(chunk: Chunk, results: unknown[] | null): unknown[] {
    if (chunk.indices === null && results !== null) return results;
    const values = new Array(chunk.span);
    const first = chunk.first;
    const pre = chunk.pre;
    if (pre !== null) for (let p = 0; p < pre.length; p += 2) values[(pre[p] as number) - first] = pre[p + 1];
    if (results !== null) {
      for (let p = 0; p < results.length; p++) values[this.indexAt(chunk, p) - first] = results[p];
    }
    return values;
  }

  private deliver(chunk: Chunk, values: unknown[]): void {
    chunk.values = values;
    chunk.items = [];
    this.tally.succeeded += chunk.span - (chunk.failed === null ? 0 : chunk.failed.length);
    if (this.delivery === "map") {
      const out = this.out;
      if (out !== null) {
        const first = chunk.first;
        for (let j = 0; j < values.length; j++) out[first + j] = values[j];
      } else {
        this.parts!.push(chunk);
      }
      this.occupied--;
    } else if (this.opts.ordered) {
      this.ready.set(chunk.seq, chunk);
      if (chunk.seq === this.nextSeq) this.wake();
    } else {
      this.queue.push(chunk);
      this.wake();
    }
    if (this.opts.onProgress !== undefined && !this.progress()) return;
    this.pump();
  }

  private progress(): boolean {
    const progress = this.tally.progress(this.total);
    try {
      this.opts.onProgress!(progress);
      return true;
    } catch (error) {
      this.stop(error);
      return false;
    }
  }

  // ---------------------------------------------------------------- stream side

  private wake(): void {
    const waiter = this.waiter;
    if (waiter !== null) {
      this.waiter = null;
      waiter();
    }
  }

  private takeReady(): Chunk | null {
    if (this.opts.ordered) {
      const chunk = this.ready.get(this.nextSeq);
      if (chunk === undefined) return null;
      this.ready.delete(this.nextSeq);
      this.nextSeq++;
      return chunk;
    }
    return this.queue.shift() ?? null;
  }

  private waitThenNext(): Promise<IteratorResult<StreamItem<unknown>, undefined>> {
    return new Promise<void>((resolve) => {
      this.waiter = resolve;
    }).then(() => this.next());
  }

  private endResult(): Promise<IteratorResult<StreamItem<unknown>, undefined>> {
    if (this.failure !== undefined && !this.failureDelivered) {
      this.failureDelivered = true;
      return Promise.reject(this.failure);
    }
    return Promise.resolve({ done: true, value: undefined });
  }

  next(): Promise<IteratorResult<StreamItem<unknown>, undefined>> {
    if (!this.started) {
      this.started = true;
      void this.start();
    }
    for (;;) {
      if (this.state !== RUNNING) {
        // Results still buffered are dropped once the run has failed or been stopped.
        this.current = null;
        this.currentFailed = null;
        return this.state === ENDED ? this.endResult() : this.waitThenNext();
      }
      const chunk = this.current;
      if (chunk !== null) {
        const values = chunk.values!;
        const failed = this.currentFailed;
        while (this.position < chunk.span) {
          const p = this.position++;
          const index = chunk.first + p;
          if (failed?.has(index)) continue;
          return Promise.resolve({ done: false, value: { index, value: values[p] } });
        }
        this.current = null;
        this.currentFailed = null;
        this.occupied--;
        this.pump();
      }
      if (this.state !== RUNNING) continue;
      const ready = this.takeReady();
      if (ready !== null) {
        this.current = ready;
        this.currentFailed = ready.failed === null ? null : new Set(ready.failed);
        this.position = 0;
        continue;
      }
      if (this.sourceDone && this.inFlight === 0 && !this.pulling) {
        this.end();
        return this.endResult();
      }
      return this.waitThenNext();
    }
  }

  /** Stops the stream early: cancels chunks in flight and waits until none is left. */
  async return(): Promise<IteratorResult<StreamItem<unknown>, undefined>> {
    this.started = true;
    this.failureDelivered = true;
    if (this.state === RUNNING) this.stop(undefined);
    if (this.state !== ENDED) {
      await new Promise<void>((resolve) => this.endWaiters.push(resolve));
    }
    this.current = null;
    return { done: true, value: undefined };
  }
}
