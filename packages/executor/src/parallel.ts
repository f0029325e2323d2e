import { setMaxListeners } from "node:events";
import type { Tinypool } from "tinypool";
import { ChunkSizer } from "./adaptive.js";
import { endProcessesOfLingering } from "./child-processes.js";
import {
  assemble,
  type Chunk,
  ChunkClock,
  ChunkDraft,
  indexAt,
  newChunk,
  precomputedIn,
  rangeOf,
  startWaitMs,
} from "./chunk.js";
import {
  ChunkTimeoutError,
  CloneError,
  ExecutorClosedError,
  type IndexRange,
  ItemError,
  ItemUnsettledError,
  messageOf,
  type RunError,
  WorkerCrashedError,
} from "./errors.js";
import type { Input } from "./input.js";
import {
  MAX_ISOLATED_CRASHES,
  MAX_NARROWED_TIMEOUTS,
  mergePart,
  partsOf,
  splitBefore,
  splitCrashed,
} from "./isolate.js";
import { RUNNING, RunLifecycle, STOPPING } from "./lifecycle.js";
import type { ResolvedRunOptions } from "./options.js";
import {
  asBuffers,
  bufferPositions,
  type CrashTag,
  crashTagOf,
  RESULT_CLONE_KEY,
  type ResultClonePayload,
  type RunRequest,
  type RunResponse,
  rebuildError,
  type SerializedError,
  UNSETTLED_NAME,
} from "./protocol.js";
import type { ReportShape } from "./report.js";
import { bytesPerValue } from "./size.js";
import { type ResolvedTask, taskLoadError } from "./task.js";
import { collectTransferables } from "./transfer.js";

/** What a parallel run needs from its executor. */
export interface PoolContext {
  readonly pool: Tinypool;
  readonly workers: number;
  readonly closed: boolean;
  /**
   * Resolves once the task is known to load in a worker, with the milliseconds loading
   * took for the first run that asked (null for the others); rejects with a `TaskLoadError`.
   */
  ensureTask(task: ResolvedTask): Promise<number | null>;
  /**
   * Resolves once the task is loaded in every worker (a check each, side by side), with
   * the loads that check made (a worker that had it loaded tells none); rejects as
   * `ensureTask` does, and with a `TaskLoadError` when a worker has not loaded it within
   * `boundMs` (that worker is ended). A run with a chunk time-out asks it, with the longest
   * its clock waits for a worker to begin a chunk (see `startWaitMs`).
   */
  ensureTaskEverywhere(task: ResolvedTask, boundMs: number): Promise<number[]>;
  /** Enrolls a run, so that a crash one of its chunks causes later reaches it: its id. */
  enroll(run: ParallelRun): number;
  /** The run `id` has ended. */
  leave(id: number): void;
  /** A worker died of what a chunk left behind (`tag`): tells that chunk's run, or warns. */
  strayCrash(tag: CrashTag, error: unknown): void;
}

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
 * One `map()` or `stream()` on the pool. Reads the input a chunk at a time, keeps at
 * most `maxInFlight` chunks between reading and delivery (in flight, or done and not yet
 * read by a stream's consumer), and delivers results by input index.
 */
export class ParallelRun extends RunLifecycle {
  private readonly controller = new AbortController();
  private readonly sizer: ChunkSizer | null;
  private readonly fixedSize: number;
  private readonly clock: ChunkClock | null;
  /** Chunks in flight, tracked only with time-outs (each has its own controller). */
  private readonly live: Set<Chunk> | null;
  private pulling = false;
  private pumping = false;
  private inFlight = 0;
  /** Workers terminated by this run's stop that have not exited yet. */
  private exiting = 0;
  /** Chunks read and not yet delivered (or, for a stream, not yet read by the consumer). */
  private occupied = 0;
  private firstChunkSize: number | null = null;
  /** This run's id in its executor, once started. */
  private id = 0;
  /** Workers that died of this run's chunks while running them. */
  private crashes = 0;
  /** Timed-out chunks run again in parts (see MAX_NARROWED_TIMEOUTS). */
  private timeoutsNarrowed = 0;
  /**
   * Under throw, the time-out of a chunk whose items before it run again (see
   * `onRejected`): the run's failure once they are delivered. Meanwhile no chunk is sent,
   * and a later chunk's failure does not stop the run: the first in input order does.
   */
  private pendingFailure: RunError | null = null;

  constructor(
    private readonly ctx: PoolContext,
    private readonly task: ResolvedTask,
    input: Input,
    opts: ResolvedRunOptions,
    delivery: "map" | "stream",
  ) {
    super(opts, input, delivery, false);
    setMaxListeners(0, this.controller.signal);
    if (opts.chunkSize === "auto") {
      this.sizer = new ChunkSizer({
        workers: ctx.workers,
        targetMs: opts.targetChunkMs,
        total: this.total,
        ...(opts.firstChunkSize === undefined ? {} : { initial: opts.firstChunkSize }),
      });
      this.fixedSize = 0;
    } else {
      this.sizer = null;
      this.fixedSize = opts.chunkSize;
    }
    const timeout = opts.chunkTimeoutMs;
    this.clock = timeout === undefined ? null : new ChunkClock(ctx.workers, timeout);
    this.live = timeout === undefined ? null : new Set();
  }

  // ---------------------------------------------------------------- lifecycle

  protected async start(): Promise<void> {
    this.id = this.ctx.enroll(this);
    if (!this.listen()) return;
    if (this.ctx.closed) {
      this.stop(new ExecutorClosedError());
      return;
    }
    try {
      if (this.opts.chunkTimeoutMs === undefined) {
        const loadMs = await this.ctx.ensureTask(this.task);
        if (loadMs !== null) this.tally.taskLoaded(loadMs);
      } else {
        const boundMs = startWaitMs(this.opts.chunkTimeoutMs);
        for (const loadMs of await this.ctx.ensureTaskEverywhere(this.task, boundMs))
          this.tally.taskLoaded(loadMs);
      }
    } catch (error) {
      this.stop(error);
      return;
    }
    if (this.state === RUNNING && this.openSource()) this.pump();
  }

  /**
   * Stops the chunk clock: no time-out ends a worker from now on. When the run halts (it
   * ends its chunks itself), and when its executor closes: the pool then ends every worker,
   * and a time-out falling due meanwhile is the close's doing (the run fails as closed).
   */
  stopClock(): void {
    if (this.clock !== null) this.clock.stopped = true;
  }

  protected halt(): void {
    this.stopClock();
    if (this.inFlight > 0) this.cancelInFlight();
    this.settleIfIdle();
  }

  protected override end(wallMs?: number): void {
    super.end(wallMs);
    this.ctx.leave(this.id);
  }

  protected shape(): ReportShape {
    return {
      mode: "parallel",
      workers: this.ctx.workers,
      chunkSize: this.firstChunkSize,
      adaptive: this.sizer !== null,
      measuredCpu: this.opts.measureCpu,
    };
  }

  protected consumed(): void {
    this.occupied--;
    this.pump();
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
    const ended = before.filter((thread) => !after.has(thread));
    // A worker waiting on a child process exits once that process ends: ended after a grace period.
    endProcessesOfLingering(ended);
    for (const thread of ended) {
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

  private maybeFinish(): void {
    if (this.state === RUNNING && this.sourceDone && this.inFlight === 0 && !this.pulling && !this.pumping) {
      this.end();
    }
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
      while (
        this.state === RUNNING &&
        this.pendingFailure === null &&
        !this.sourceDone &&
        this.occupied < this.opts.maxInFlight
      ) {
        if (this.asyncIterator !== null) {
          this.pullAsync();
          break;
        }
        const chunk =
          this.array !== null && this.opts.precomputed === undefined ? this.slice() : this.readSync();
        if (chunk === null) break;
        this.launch(chunk);
      }
    } finally {
      this.pumping = false;
    }
    this.maybeFinish();
  }

  /** The hot path: a slice of the array, no per-item work. */
  private slice(): Chunk | null {
    const array = this.array!;
    const first = this.nextIndex;
    const length = array.length;
    if (first >= length) {
      this.sourceDone = true;
      return null;
    }
    const end = Math.min(length, first + this.nextSize());
    this.nextIndex = end;
    if (end >= length) this.sourceDone = true;
    return newChunk(first, end - first, array.slice(first, end), null, null);
  }

  /** Reads a chunk item by item: from a sync iterator, or from an array with precomputed items. */
  private readSync(): Chunk | null {
    const size = this.nextSize();
    const draft = new ChunkDraft(this.nextIndex, this.opts.precomputed);
    const array = this.array;
    const iterator = this.syncIterator;
    let index = draft.first;
    while (draft.items.length < size) {
      let value: unknown;
      if (array !== null) {
        if (index >= array.length) break;
        value = array[index];
      } else {
        let step: IteratorResult<unknown>;
        try {
          step = iterator!.next();
        } catch (error) {
          return this.sourceFailed(index, error);
        }
        if (step.done) {
          this.sourceDone = true;
          break;
        }
        value = step.value;
      }
      draft.add(index++, value);
    }
    this.nextIndex = index;
    if (array !== null && index >= array.length) this.sourceDone = true;
    return draft.chunk(index);
  }

  private sourceFailed(index: number, error: unknown): null {
    this.nextIndex = index;
    this.sourceDone = true;
    this.stop(error);
    return null;
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
    const draft = new ChunkDraft(this.nextIndex, this.opts.precomputed);
    const iterator = this.asyncIterator!;
    let index = draft.first;
    while (draft.items.length < size) {
      let step: IteratorResult<unknown>;
      try {
        step = await iterator.next();
      } catch (error) {
        return this.sourceFailed(index, error);
      }
      if (this.state !== RUNNING) return null;
      if (step.done) {
        this.sourceDone = true;
        break;
      }
      draft.add(index++, step.value);
    }
    this.nextIndex = index;
    return draft.chunk(index);
  }

  // ---------------------------------------------------------------- dispatch

  private launch(chunk: Chunk): void {
    this.occupied++;
    if (chunk.items.length === 0) {
      // Every item of the span was precomputed.
      this.deliver(chunk, assemble(chunk, null));
      return;
    }
    if (this.firstChunkSize === null) this.firstChunkSize = chunk.items.length;
    this.sizer?.recordBytes("items", bytesPerValue(chunk.items));
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
    const [first, last] = rangeOf(chunk);
    const request: RunRequest = {
      k: 0,
      h: this.task.href,
      e: this.task.exportName,
      x: chunk.items,
      t: this.opts.transfer,
      g: this.id,
      a: first,
      b: last,
    };
    if (this.opts.measureCpu) request.u = true;
    const buffers = bufferPositions(chunk.items);
    if (buffers !== undefined) request.n = buffers;
    if (this.clock !== null) {
      const { w, v, y, o, z } = this.clock.cell(chunk);
      request.w = w;
      request.y = y;
      request.o = o;
      request.z = z;
      // Under throw only: collect finds the item that does not end by halving (see `onRejected`).
      if (!this.opts.collect) request.v = v;
    }
    const transferList = this.opts.transfer ? collectTransferables(chunk.items) : null;
    this.ctx.pool.run(request, transferList === null ? { signal } : { signal, transferList }).then(
      (response: RunResponse) => this.settled(chunk, () => this.onResponse(chunk, response), true),
      (error: unknown) => this.settled(chunk, () => this.onRejected(chunk, error), false),
    );
    this.clock?.dispatched(chunk);
  }

  /** A chunk came back: handles it while the run is running, or lets a stopped run settle. */
  private settled(chunk: Chunk, handle: () => void, answered: boolean): void {
    this.inFlight--;
    if (this.live !== null) {
      this.live.delete(chunk);
      this.clock!.settled(chunk, answered);
    }
    if (this.state !== RUNNING) {
      this.settleIfIdle();
      return;
    }
    try {
      handle();
    } catch (internal) {
      this.stop(internal);
    }
  }

  private onResponse(chunk: Chunk, response: RunResponse): void {
    if (response.l !== undefined) {
      this.stop(taskLoadError(this.task, response.l));
      return;
    }
    this.measured(chunk, response.d);
    if (response.m !== undefined) this.tally.taskLoaded(response.m);
    this.measuredCpu(response);
    if (response.p === true) this.tally.awaited = true;
    this.sizer?.recordBytes("results", bytesPerValue(response.r));
    asBuffers(response.r, response.n);
    if (response.f !== null) {
      if (!this.opts.collect) this.deliverBeforeFailure(chunk, response.r, response.f[0] as number);
      if (!this.itemFailures(chunk, response.f)) return;
    }
    this.complete(chunk, response.r);
  }

  /**
   * Under "throw", the results of a chunk's items before its first failure (at `position`)
   * are delivered before the run stops, as a serial run delivers every item before its
   * failure: on one worker, whose chunks complete in order, a stream then reads the same
   * results either way. Not for a part of a chunk run again after a crash (its whole is
   * delivered at once).
   */
  private deliverBeforeFailure(chunk: Chunk, results: unknown[], position: number): void {
    if (chunk.whole !== null) return;
    const head = splitBefore(chunk, position);
    if (head.span === 0) return;
    const precomputed = precomputedIn(head);
    this.tally.precomputed += precomputed;
    this.tally.succeeded += head.span - precomputed;
    this.delivery.put({
      first: head.first,
      values: assemble(head, results.slice(0, position)),
      failed: null,
    });
  }

  /** A chunk's CPU and queued times, when it measured them. */
  private measuredCpu(figures: { c?: number; q?: number }): void {
    if (figures.c !== undefined) this.tally.cpuMs += figures.c;
    if (figures.q !== undefined) this.tally.queued(figures.q);
  }

  private measured(chunk: Chunk, durationMs: number): void {
    const items = chunk.items.length;
    this.tally.chunk(items, durationMs);
    // Parts of a crashed chunk are sized by the crash, not by the sizer.
    if (chunk.whole === null) this.sizer?.record(items, durationMs);
  }

  private onRejected(chunk: Chunk, error: unknown): void {
    if (chunk.timedOut) {
      const timeoutMs = this.opts.chunkTimeoutMs!;
      const notBegun = chunk.notBegun ? startWaitMs(timeoutMs) : undefined;
      // Under collect, the items that end are kept: the chunk runs again in halves until
      // the item that does not end is alone (its worker never began: no item is at fault).
      if (
        this.opts.collect &&
        !chunk.notBegun &&
        chunk.items.length > 1 &&
        this.timeoutsNarrowed < MAX_NARROWED_TIMEOUTS
      ) {
        this.timeoutsNarrowed++;
        for (const part of partsOf(chunk, splitCrashed(chunk.items.length, -1))) this.dispatch(part);
      } else if (
        !this.opts.collect &&
        chunk.reached > 0 &&
        chunk.reached < chunk.items.length &&
        chunk.whole === null &&
        chunk.rest?.fails == null
      ) {
        // Under throw, as a serial run delivers every item before a failure: the items that
        // ended before the one running at the time-out, lost with the worker, run again and
        // are delivered; then the run fails with the time-out, from that item on. Once: a
        // head that times out again fails with its own range.
        const head = splitBefore(chunk, chunk.reached);
        const fails = new ChunkTimeoutError(rangeOf(head.rest!), timeoutMs);
        head.rest!.fails = fails;
        this.pendingFailure = fails;
        this.dispatch(head);
      } else this.chunkFailed(chunk, new ChunkTimeoutError(rangeOf(chunk), timeoutMs, notBegun));
    } else if (this.ctx.closed) {
      this.stop(new ExecutorClosedError(error));
    } else if (isStrayTermination(error) && chunk.retries < MAX_RETRIES) {
      chunk.retries++;
      this.dispatch(chunk);
    } else if (isDataCloneError(error)) {
      this.itemsNotCloneable(chunk, error);
    } else {
      const payload = resultClonePayload(error);
      if (payload === null) this.workerDied(chunk, error);
      else this.resultsNotCloneable(chunk, payload, error);
    }
  }

  // ---------------------------------------------------------------- crashes

  /** The worker running `chunk` died: of the chunk's doing, or of what another chunk left behind. */
  private workerDied(chunk: Chunk, error: unknown): void {
    const tag = crashTagOf(error);
    if (tag === null || tag[0] < 0 || this.isOwn(chunk, tag)) {
      this.crashed(chunk, error, tag === null ? -1 : tag[3]);
      return;
    }
    this.ctx.strayCrash(tag, error);
    if (this.state !== RUNNING) return;
    // Not this chunk's fault: it runs again, unless crashes keep coming from elsewhere.
    if (chunk.strays < this.ctx.workers + MAX_RETRIES) {
      chunk.strays++;
      this.dispatch(chunk);
    } else {
      this.crashed(chunk, error, -1);
    }
  }

  /** Whether the worker's `tag` names this dispatch of `chunk`. */
  private isOwn(chunk: Chunk, tag: CrashTag): boolean {
    const [first, last] = rangeOf(chunk);
    return tag[0] === this.id && tag[1] === first && tag[2] === last;
  }

  /**
   * `chunk` killed its worker (`hint`: position of the item that was running, -1 when
   * unknown): its items run again in parts until the item at fault runs alone.
   */
  private crashed(chunk: Chunk, error: unknown, hint: number): void {
    this.crashes++;
    const n = chunk.items.length;
    if (n === 1) {
      const index = indexAt(chunk, 0);
      this.chunkFailed(chunk, new WorkerCrashedError([index, index], error, { index }));
    } else if (this.crashes > MAX_ISOLATED_CRASHES) {
      this.chunkFailed(chunk, new WorkerCrashedError(rangeOf(chunk), error));
    } else if (!this.opts.collect && hint > 0 && hint < n && chunk.whole === null) {
      this.dispatch(splitBefore(chunk, hint));
    } else {
      for (const part of partsOf(chunk, splitCrashed(n, hint))) this.dispatch(part);
    }
  }

  /**
   * A chunk of this run killed a worker after it had returned (a timer it left behind).
   * Its results stand; the crash is one of the run's errors. False when the run can no
   * longer report it.
   */
  crashedAfter(range: IndexRange, error: unknown): boolean {
    if (this.state !== RUNNING) return false;
    const crash = new WorkerCrashedError(range, error, { after: true });
    if (!this.opts.collect && laterThanPending(crash, this.pendingFailure)) return true;
    this.tally.errors.push(crash);
    if (!this.opts.collect) this.stop(crash);
    return true;
  }

  // ---------------------------------------------------------------- failures

  /** Records a failure; under "throw" it stops the run and returns false. */
  private recordError(error: RunError, chunk: Chunk, failedIndices: number[]): boolean {
    // A failure after a pending time-out's items, in input order, is not the run's: the
    // time-out is, once the items before it are delivered (the chunk is dropped, as the
    // stopping run drops every chunk after the failure).
    if (!this.opts.collect && laterThanPending(error, this.pendingFailure)) return false;
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
      const index = indexAt(chunk, failures[p] as number);
      const failure = failures[p + 1] as SerializedError;
      const error =
        failure.error && failure.name === UNSETTLED_NAME
          ? new ItemUnsettledError(index, "worker")
          : new ItemError(index, rebuildError(failure));
      if (!this.recordError(error, chunk, [index])) return false;
    }
    return true;
  }

  /** The whole chunk is lost: a crash or a time-out. */
  private chunkFailed(chunk: Chunk, error: RunError): void {
    const lost: number[] = [];
    for (let p = 0; p < chunk.items.length; p++) lost.push(indexAt(chunk, p));
    if (!this.recordError(error, chunk, lost)) return;
    this.complete(chunk, null);
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
      const index = indexAt(chunk, p);
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
        rangeOf(chunk),
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
    if (keepItems.length === 0) this.complete(chunk, null);
    else this.dispatch(chunk);
  }

  /** The worker computed the chunk but could not send some results back. */
  private resultsNotCloneable(chunk: Chunk, payload: ResultClonePayload, error: unknown): void {
    this.measured(chunk, payload.d);
    this.measuredCpu(payload);
    if (!this.opts.collect) {
      // Under throw, the first failure in input order stops the run, after the results before it.
      const firstBad = payload.bad[0] as number;
      const firstFailed = payload.f === null ? Number.POSITIVE_INFINITY : (payload.f[0] as number);
      this.deliverBeforeFailure(chunk, payload.r, Math.min(firstBad, firstFailed));
      if (firstFailed < firstBad) {
        this.itemFailures(chunk, payload.f!);
        return;
      }
    }
    for (let p = 0; p < payload.bad.length; p += 2) {
      const index = indexAt(chunk, payload.bad[p] as number);
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
    this.complete(chunk, payload.r);
  }

  // ---------------------------------------------------------------- delivery

  /** A chunk, or a part of one, is done: `results` by position, null when none came back. */
  private complete(chunk: Chunk, results: unknown[] | null): void {
    if (chunk.whole === null) {
      this.deliver(chunk, assemble(chunk, results));
      return;
    }
    const values = mergePart(chunk, results);
    if (values !== null) this.deliver(chunk.whole, values);
  }

  private deliver(chunk: Chunk, values: unknown[]): void {
    chunk.values = values;
    chunk.items = [];
    const precomputed = precomputedIn(chunk);
    this.tally.precomputed += precomputed;
    this.tally.succeeded += chunk.span - precomputed - (chunk.failed === null ? 0 : chunk.failed.length);
    this.delivery.put(chunk);
    // The items before a crash, run again: the chunk's slot is freed by the rest's delivery
    // (a stream's consumer frees one per block it reads: the rest takes a slot of its own).
    if (chunk.rest?.fails != null) {
      // The items before a time-out, run again: the rest is the time-out's (see `onRejected`).
      this.pendingFailure = null;
      this.chunkFailed(chunk.rest, chunk.rest.fails);
      return;
    }
    if (chunk.rest !== null) {
      if (this.delivery.holds) this.occupied++;
      this.dispatch(chunk.rest);
    } else if (!this.delivery.holds) this.occupied--;
    if (this.opts.onProgress !== undefined && !this.progress()) return;
    this.pump();
  }
}

/** Whether `error` comes after the pending failure in input order (see `ParallelRun.pendingFailure`). */
function laterThanPending(error: RunError, pending: RunError | null): boolean {
  return pending !== null && error !== pending && error.range[0] > pending.range[0];
}
