// Where a run's results go: the array a `map()` resolves with, or the buffer a stream's
// consumer reads from. Both runs (parallel and serial) hand results over the same way,
// as blocks of consecutive input indices, so each kind of delivery is written once.
import type { ExecutionReport } from "@amorsize/types";
import type { RunError } from "./errors.js";
import { Wakeup } from "./wakeup.js";

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

/**
 * The results of consecutive input indices: `values[j]` is the result of item
 * `first + j`, `undefined` where it failed.
 */
export interface Block {
  readonly first: number;
  readonly values: readonly unknown[];
  /** Input indices of the block that failed: a stream does not yield them. */
  readonly failed: readonly number[] | null;
}

/** How a run ended, for its delivery. */
export interface Outcome {
  /** The run failed or was aborted; `failure` is what `map()` rejects with. */
  readonly failed: boolean;
  readonly failure: unknown;
  /** Items read from the input. */
  readonly items: number;
  readonly errors: RunError[];
  readonly report: ExecutionReport;
}

/** Where a run puts its results. */
export interface Delivery {
  /**
   * The array results may be written into directly, at their input index (a serial
   * `map()`, so its hot loop copies nothing); null where results go in blocks.
   */
  readonly direct: unknown[] | null;
  /** A block keeps its place among `maxInFlight` until the consumer has read it. */
  readonly holds: boolean;
  /** Results that may still be put before the consumer has to catch up. */
  readonly room: number;
  put(block: Block): void;
  /** The result of one item. */
  one(index: number, value: unknown): void;
  /** An item that failed (under `collect`): an ordered stream must step over it. */
  skip(index: number): void;
  end(outcome: Outcome): void;
}

/** Results gathered into the array a `map()` resolves with. */
export class MapDelivery implements Delivery {
  readonly holds = false;
  readonly room = Number.POSITIVE_INFINITY;
  readonly promise: Promise<MapResult<unknown>>;
  readonly direct: unknown[] | null;
  private resolve!: (result: MapResult<unknown>) => void;
  private reject!: (error: unknown) => void;
  private out: unknown[];
  /** Blocks of an input of unknown length, placed once its length is known. */
  private parts: Block[] = [];

  /**
   * @param length the input's length when it is an array (results are placed as blocks
   *   arrive), null otherwise (blocks are kept and placed at the end)
   * @param inPlace the run writes results into {@link direct} itself
   */
  constructor(
    private readonly length: number | null,
    inPlace: boolean,
  ) {
    this.promise = new Promise<MapResult<unknown>>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.out = length === null ? [] : new Array(length);
    this.direct = inPlace ? this.out : null;
  }

  put(block: Block): void {
    if (this.length === null) {
      this.parts.push(block);
      return;
    }
    const out = this.out;
    const values = block.values;
    const first = block.first;
    for (let j = 0; j < values.length; j++) out[first + j] = values[j];
  }

  one(index: number, value: unknown): void {
    this.out[index] = value;
  }

  skip(): void {}

  end(outcome: Outcome): void {
    const out = this.out;
    this.out = [];
    if (outcome.failed) {
      this.parts = [];
      this.reject(outcome.failure);
      return;
    }
    // Trailing failures of an iterable leave the array short.
    if (out.length < outcome.items) out.length = outcome.items;
    for (const block of this.parts) {
      const values = block.values;
      for (let j = 0; j < values.length; j++) out[block.first + j] = values[j];
    }
    this.parts = [];
    // A failed item's slot holds undefined, not a hole that forEach, map and filter skip.
    if (outcome.errors.length > 0) for (let i = 0; i < out.length; i++) if (!(i in out)) out[i] = undefined;
    this.resolve({ results: out, errors: outcome.errors, report: outcome.report });
  }
}

/**
 * Results buffered for a stream's consumer, by input index or in the order blocks
 * arrive (`ordered: false`). The consumer reads one block at a time; the run learns
 * when a block has been read from {@link release}.
 */
export class StreamDelivery implements Delivery {
  readonly direct = null;
  readonly holds = true;
  /** Results put and not yet released, failed ones included. */
  private backlog = 0;
  /** Blocks ready to be read, in delivery order, from `head` on. */
  private queue: Block[] = [];
  private head = 0;
  /** Ordered: blocks that arrived before their turn, by first index. */
  private readonly early = new Map<number, Block>();
  /** Ordered: the first index of the block whose turn it is. */
  private nextFirst = 0;
  private current: Block | null = null;
  private currentFailed: Set<number> | null = null;
  private position = 0;
  private readonly consumer = new Wakeup();

  /**
   * @param highWater results the run may compute ahead of the consumer (see {@link room});
   *   a parallel run bounds its blocks by `maxInFlight` instead
   */
  constructor(
    private readonly ordered: boolean,
    private readonly highWater = Number.POSITIVE_INFINITY,
  ) {}

  get room(): number {
    return this.highWater - this.backlog;
  }

  put(block: Block): void {
    this.backlog += block.values.length;
    if (!this.ordered) {
      this.queue.push(block);
    } else if (block.first === this.nextFirst) {
      this.queue.push(block);
      this.nextFirst += block.values.length;
      for (
        let next = this.early.get(this.nextFirst);
        next !== undefined;
        next = this.early.get(this.nextFirst)
      ) {
        this.early.delete(this.nextFirst);
        this.queue.push(next);
        this.nextFirst += next.values.length;
      }
    } else {
      this.early.set(block.first, block);
      return;
    }
    this.wake();
  }

  one(index: number, value: unknown): void {
    this.put({ first: index, values: [value], failed: null });
  }

  skip(index: number): void {
    this.put({ first: index, values: [undefined], failed: [index] });
  }

  end(outcome: Outcome): void {
    // A failed run's results in order up to the first gap are still read before its
    // failure; those after a gap (blocks that came early) never will be. An aborted run's
    // are dropped: its consumer asked for nothing more.
    if (outcome.report.aborted) this.clear();
    else if (outcome.failed) this.early.clear();
    this.wake();
  }

  /** The next result of the block being read; null once it is read, or when there is none. */
  take(): StreamItem<unknown> | null {
    const block = this.current;
    if (block === null) return null;
    const values = block.values;
    const failed = this.currentFailed;
    while (this.position < values.length) {
      const p = this.position++;
      const index = block.first + p;
      if (failed?.has(index)) continue;
      return { index, value: values[p] };
    }
    return null;
  }

  /** Lets go of the block that has been read; returns it, or null when none was being read. */
  release(): Block | null {
    const block = this.current;
    if (block === null) return null;
    this.current = null;
    this.currentFailed = null;
    this.backlog -= block.values.length;
    return block;
  }

  /** Starts reading the next ready block; false when none is ready. */
  advance(): boolean {
    if (this.head >= this.queue.length) return false;
    const block = this.queue[this.head++]!;
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    }
    this.current = block;
    this.currentFailed = block.failed === null ? null : new Set(block.failed);
    this.position = 0;
    return true;
  }

  /** Resolves at the next {@link put} of a ready block, or {@link wake}. */
  wait(): Promise<void> {
    return this.consumer.wait();
  }

  wake(): void {
    this.consumer.wake();
  }

  /** Drops every buffered result. */
  clear(): void {
    this.queue = [];
    this.head = 0;
    this.early.clear();
    this.current = null;
    this.currentFailed = null;
    this.backlog = 0;
  }
}
