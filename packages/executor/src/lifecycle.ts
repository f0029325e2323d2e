import type { ExecutionReport } from "@amorsize/types";
import { type Delivery, MapDelivery, type MapResult, StreamDelivery, type StreamItem } from "./delivery.js";
import { ExecutorError, type RunError } from "./errors.js";
import { closeIterator, type Input, knownLength } from "./input.js";
import type { ResolvedRunOptions } from "./options.js";
import { type ReportShape, RunTally } from "./report.js";
import type { StreamEngine } from "./stream.js";

/** The run reads, runs and delivers. */
export const RUNNING = 0;
/** Stopped (a failure, an abort, the consumer left): waiting for what it started to end. */
export const STOPPING = 1;
/** Settled: the report is made, the map promise settled, a stream's end can be read. */
export const ENDED = 2;
export type RunState = typeof RUNNING | typeof STOPPING | typeof ENDED;

type Next = Promise<IteratorResult<StreamItem<unknown>, undefined>>;

/**
 * What every run shares, parallel or serial: the states, the input it reads, the abort
 * signal, stopping once, ending once with one report, delivering a failure once, and
 * the two ways results leave it (a `map()` promise or a stream). A run fills in how it
 * starts, how it halts what it started, and the fixed part of its report.
 */
export abstract class RunLifecycle implements StreamEngine {
  protected state: RunState = RUNNING;
  protected readonly tally = new RunTally();
  protected readonly delivery: Delivery;
  /** Items in the input when known: an array's length or `totalItems`. */
  protected readonly total: number | null;
  protected readonly array: readonly unknown[] | null;
  protected syncIterator: Iterator<unknown> | null = null;
  protected asyncIterator: AsyncIterator<unknown> | null = null;
  /** Input index of the next item to read; the items read once the run ends. */
  protected nextIndex = 0;
  protected sourceDone = false;
  /** The run was stopped: it failed, was aborted, or a stream's consumer left. */
  private stopped = false;
  /** The run failed or was aborted: `failure` is its error. */
  private failed = false;
  private failure: unknown = undefined;
  private failureDelivered = false;
  /** The stream's consumer has seen its end. */
  private consumerDone = false;
  private started = false;
  private reportValue: ExecutionReport | null = null;
  private abortListener: (() => void) | null = null;
  private readonly endWaiters: Array<() => void> = [];

  constructor(
    protected readonly opts: ResolvedRunOptions,
    private readonly input: Input,
    delivery: "map" | "stream",
    /** A serial `map()` writes results in place; a parallel one places whole blocks. */
    inPlace: boolean,
    streamHighWater?: number,
  ) {
    this.total = knownLength(input, opts.totalItems);
    this.array = input.kind === "array" ? (input.array as readonly unknown[]) : null;
    this.delivery =
      delivery === "map"
        ? new MapDelivery(this.array === null ? null : this.array.length, inPlace)
        : new StreamDelivery(opts.ordered, streamHighWater);
  }

  /** Reads, runs and delivers until the input is done or the run stops. */
  protected abstract start(): Promise<void>;
  /** Stops what the run started (called once, when the run stops). */
  protected abstract halt(): void;
  /** How the run was set up, for its report. */
  protected abstract shape(): ReportShape;
  /** A stream's consumer has read a block: its place is free. */
  protected abstract consumed(): void;

  get errors(): readonly RunError[] {
    return this.tally.sortedErrors();
  }

  /** Runs to the end and resolves with every result. */
  map(): Promise<MapResult<unknown>> {
    this.begin();
    return (this.delivery as MapDelivery).promise;
  }

  finalReport(): ExecutionReport | null {
    return this.consumerDone ? this.reportValue : null;
  }

  private begin(): void {
    if (this.started) return;
    this.started = true;
    void this.start();
  }

  /** Listens to the abort signal; false when it has fired already (the run is stopped). */
  protected listen(): boolean {
    const signal = this.opts.signal;
    if (signal === undefined) return true;
    if (signal.aborted) {
      this.stop(signal.reason, true);
      return false;
    }
    this.abortListener = () => this.stop(signal.reason, true);
    signal.addEventListener("abort", this.abortListener, { once: true });
    return true;
  }

  /** Opens the iterator of an iterable input; false when that throws (the run is stopped). */
  protected openSource(): boolean {
    const input = this.input;
    try {
      if (input.kind === "sync") this.syncIterator = input.iterable[Symbol.iterator]();
      else if (input.kind === "async") this.asyncIterator = input.iterable[Symbol.asyncIterator]();
      return true;
    } catch (error) {
      this.stop(error);
      return false;
    }
  }

  /** Fails the run with `error`: nothing more is read or run, what runs is stopped. */
  protected stop(error: unknown, aborted = false): void {
    if (this.state !== RUNNING) return;
    this.failed = true;
    this.failure = error;
    this.tally.aborted = aborted;
    if (!aborted && !this.tally.errors.includes(error as RunError)) this.tally.fatal = error;
    this.halted();
  }

  /** Stops the run without a failure: a stream's consumer left. */
  private leave(): void {
    if (this.state === RUNNING) this.halted();
  }

  private halted(): void {
    this.state = STOPPING;
    this.stopped = true;
    if (!this.sourceDone) closeIterator(this.syncIterator ?? this.asyncIterator);
    this.halt();
  }

  /** Settles the run once: makes the report and hands the outcome to the delivery. */
  protected end(wallMs = this.tally.elapsedMs()): void {
    if (this.state === ENDED) return;
    this.state = ENDED;
    if (this.abortListener !== null) this.opts.signal?.removeEventListener("abort", this.abortListener);
    this.tally.items = this.nextIndex;
    const report = this.tally.report(this.shape(), wallMs);
    this.reportValue = report;
    const failure = this.failure;
    if (failure instanceof ExecutorError) failure.report = report;
    this.delivery.end({
      failed: this.failed,
      failure,
      items: this.nextIndex,
      errors: this.tally.sortedErrors(),
      report,
    });
    for (const waiter of this.endWaiters.splice(0)) waiter();
  }

  /** Tells `onProgress`; false when it threw (the run is stopped with that error). */
  protected progress(): boolean {
    try {
      this.opts.onProgress!(this.tally.progress(this.total));
      return true;
    } catch (error) {
      this.stop(error);
      return false;
    }
  }

  // ---------------------------------------------------------------- the stream's side

  next(): Next {
    this.begin();
    const stream = this.delivery as StreamDelivery;
    for (;;) {
      if (this.stopped && (!this.readsAfterFailure() || this.state !== ENDED)) {
        // Stopped: nothing is read until the run has ended. Then a consumer that left or
        // aborted reads nothing more, and one whose run failed reads the results computed
        // before the failure, in order (see `StreamDelivery.end`), then the failure.
        if (!this.readsAfterFailure()) stream.clear();
        return this.state === ENDED ? this.endResult() : stream.wait().then(() => this.next());
      }
      const item = stream.take();
      if (item !== null) return Promise.resolve({ done: false, value: item });
      if (stream.release() !== null) {
        if (this.state === RUNNING) this.consumed();
        continue;
      }
      if (stream.advance()) continue;
      if (this.state === ENDED) return this.endResult();
      return stream.wait().then(() => this.next());
    }
  }

  /**
   * Results ready now, in delivery order, up to `max`, without waiting: empty when none is
   * ready, or while the run is stopping (then `next()` says how it ended). A run that
   * failed gives the results it computed before the failure once it has ended.
   */
  takeReady(max: number): StreamItem<unknown>[] {
    this.begin();
    const stream = this.delivery as StreamDelivery;
    const ready: StreamItem<unknown>[] = [];
    while (ready.length < max && (!this.stopped || (this.readsAfterFailure() && this.state === ENDED))) {
      const item = stream.take();
      if (item !== null) {
        ready.push(item);
        continue;
      }
      if (stream.release() !== null) {
        if (this.state === RUNNING) this.consumed();
        continue;
      }
      if (!stream.advance()) break;
    }
    return ready;
  }

  /** The run failed (not aborted): its consumer still reads what it computed before the failure. */
  private readsAfterFailure(): boolean {
    return this.failed && !this.tally.aborted;
  }

  private endResult(): Next {
    this.consumerDone = true;
    if (this.failed && !this.failureDelivered) {
      this.failureDelivered = true;
      return Promise.reject(this.failure);
    }
    return Promise.resolve({ done: true, value: undefined });
  }

  /** Stops the stream early: stops the run and waits until nothing of it is left. */
  async return(): Next {
    this.failureDelivered = true;
    if (!this.started) {
      this.started = true;
      this.leave();
      this.end();
    } else {
      this.leave();
    }
    if (this.state !== ENDED) await new Promise<void>((resolve) => this.endWaiters.push(resolve));
    (this.delivery as StreamDelivery).clear();
    this.consumerDone = true;
    return { done: true, value: undefined };
  }
}
