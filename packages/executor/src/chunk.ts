import { MAX_TIMER_MS } from "@amorsize/types";
import { endProcessesOf } from "./child-processes.js";
import type { Block } from "./delivery.js";
import type { IndexRange, RunError } from "./errors.js";
import { absoluteNowMs, beginDeadline, readBegin } from "./protocol.js";

/** Items read together and sent to a worker as one tinypool task. */
export interface Chunk extends Block {
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
  values: unknown[];
  controller: AbortController | null;
  timer: NodeJS.Timeout | undefined;
  /** When its time-out clock started (`performance.now()`). */
  clockAt: number;
  /** Where its worker stamps the start of its items, counted from `epochMs` (see `ChunkClock.cell`); null: none. */
  cell: { cells: Int32Array; reached: Int32Array; threads: Int32Array; slot: number; epochMs: number } | null;
  timedOut: boolean;
  /** Timed out without its worker having begun its items. */
  notBegun: boolean;
  /** Timed out: how many of its items had ended then, as its worker told (-1: unknown). */
  reached: number;
  /** Times the chunk was sent again after tinypool lost it to a worker it was removing. */
  retries: number;
  /** Times the chunk was sent again after its worker died of another chunk's doing. */
  strays: number;
  /** On a part of a chunk run again after its worker died: that chunk; null otherwise. */
  whole: Chunk | null;
  /** On a chunk run again in parts: its results so far over its span, and the parts out. */
  rerun: { values: unknown[]; pending: number } | null;
  /**
   * Under "throw", on the items of a crashed chunk before the item its worker was running,
   * run again: the chunk's other items, run again once these are delivered.
   */
  rest: Chunk | null;
  /** On such a rest: the failure it stands for, without running again (a time-out's items). */
  fails: RunError | null;
}

const NO_VALUES: unknown[] = [];

export function newChunk(
  first: number,
  span: number,
  items: unknown[],
  indices: number[] | null,
  pre: unknown[] | null,
): Chunk {
  return {
    first,
    span,
    items,
    indices,
    pre,
    failed: null,
    values: NO_VALUES,
    controller: null,
    timer: undefined,
    clockAt: 0,
    cell: null,
    timedOut: false,
    notBegun: false,
    reached: -1,
    retries: 0,
    strays: 0,
    whole: null,
    rerun: null,
    rest: null,
    fails: null,
  };
}

/** Input index of the item at `position` in the chunk's `items`. */
export function indexAt(chunk: Chunk, position: number): number {
  return chunk.indices === null ? chunk.first + position : chunk.indices[position]!;
}

/** First and last input index of the items the chunk sends. */
export function rangeOf(chunk: Chunk): IndexRange {
  return [indexAt(chunk, 0), indexAt(chunk, chunk.items.length - 1)];
}

/** Items of the chunk that were precomputed, not sent. */
export function precomputedIn(chunk: Chunk): number {
  return chunk.pre === null ? 0 : chunk.pre.length / 2;
}

/** Results over the chunk's span: the worker's, precomputed ones, `undefined` for failures. */
export function assemble(chunk: Chunk, results: unknown[] | null): unknown[] {
  if (chunk.indices === null && results !== null) return results;
  const values = new Array(chunk.span);
  const first = chunk.first;
  const pre = chunk.pre;
  if (pre !== null) for (let p = 0; p < pre.length; p += 2) values[(pre[p] as number) - first] = pre[p + 1];
  if (results !== null) {
    for (let p = 0; p < results.length; p++) values[indexAt(chunk, p) - first] = results[p];
  }
  return values;
}

/** The items of a chunk as they are read one by one; precomputed ones are set aside, not sent. */
export class ChunkDraft {
  readonly items: unknown[] = [];
  private indices: number[] | null = null;
  private pre: unknown[] | null = null;

  constructor(
    readonly first: number,
    private readonly precomputed: ReadonlyMap<number, unknown> | undefined,
  ) {}

  add(index: number, value: unknown): void {
    if (this.precomputed?.has(index)) {
      if (this.indices === null) {
        this.indices = [];
        for (let j = this.first; j < index; j++) this.indices.push(j);
      }
      if (this.pre === null) this.pre = [];
      this.pre.push(index, this.precomputed.get(index));
    } else {
      this.items.push(value);
      if (this.indices !== null) this.indices.push(index);
    }
  }

  /** The chunk of the items added, which end before input index `end`; null when none was. */
  chunk(end: number): Chunk | null {
    return end === this.first
      ? null
      : newChunk(this.first, end - this.first, this.items, this.indices, this.pre);
  }
}

/**
 * A chunk whose worker took it up and has not begun its items this long after (nor within
 * its time-out, when that is longer) times out: a task module whose import never ends.
 */
export const START_WAIT_MS = 10_000;

/** How long a chunk with time-out `ms` may wait for its worker to begin it, milliseconds. */
export function startWaitMs(ms: number): number {
  return Math.max(ms, START_WAIT_MS);
}

/** Cells a clock hands out at first; more are made when chunks in flight outnumber them. */
const FIRST_CELLS = 64;

/**
 * Starts a chunk's time-out clock when it can really start. Tinypool runs queued tasks
 * in order as workers free up, so a chunk starts when dispatched to an idle worker or
 * when an earlier chunk of the run settles. The time a worker spends before it begins
 * the chunk's items is not counted either: a replacement worker's start and its import
 * of the task (a library that imports in 600 ms lost every chunk after a time-out on a
 * 400 ms clock), nor a wait behind another run's chunks on the same pool. Each chunk
 * carries a cell (see {@link cell}) where its worker stamps when it takes the chunk up and
 * when it begins the items; when the clock runs out, the rule is `beginDeadline`'s: a chunk
 * that began later than its clock started runs on until the time-out after it began, one
 * taken up and not begun waits up to {@link START_WAIT_MS}, and one not taken up is looked
 * at again.
 */
export class ChunkClock {
  private running = 0;
  private readonly waiting: Chunk[] = [];
  stopped = false;
  private cells = new Int32Array(new SharedArrayBuffer(4 * FIRST_CELLS));
  /** Beside each cell, how many of its chunk's items have ended (see `RunRequest.v`). */
  private reached = new Int32Array(new SharedArrayBuffer(4 * FIRST_CELLS));
  /** Beside each cell, the thread that took its chunk up (see `RunRequest.z`). */
  private threads = new Int32Array(new SharedArrayBuffer(4 * FIRST_CELLS));
  private readonly free: number[] = [];
  private next = 0;

  constructor(
    private readonly slots: number,
    private readonly ms: number,
  ) {}

  /**
   * A cleared cell for `chunk`'s worker to stamp, for its request: `w`, `v`, `y`, `o` and
   * `z` (see `RunRequest`), the stamp counted from now (a stamp is 31 bits of milliseconds).
   */
  cell(chunk: Chunk): { w: Int32Array; v: Int32Array; y: number; o: number; z: Int32Array } {
    let slot = this.free.pop();
    if (slot === undefined) {
      if (this.next === this.cells.length) {
        // Cells still held keep the old buffers; they are not handed out again.
        this.cells = new Int32Array(new SharedArrayBuffer(this.cells.byteLength * 2));
        this.reached = new Int32Array(new SharedArrayBuffer(this.reached.byteLength * 2));
        this.threads = new Int32Array(new SharedArrayBuffer(this.threads.byteLength * 2));
        this.next = 0;
      }
      slot = this.next++;
    }
    Atomics.store(this.cells, slot, 0);
    Atomics.store(this.reached, slot, 0);
    Atomics.store(this.threads, slot, 0);
    const epochMs = absoluteNowMs();
    chunk.cell = { cells: this.cells, reached: this.reached, threads: this.threads, slot, epochMs };
    return { w: this.cells, v: this.reached, y: slot, o: epochMs, z: this.threads };
  }

  dispatched(chunk: Chunk): void {
    if (this.running < this.slots) this.start(chunk);
    else this.waiting.push(chunk);
  }

  /**
   * `chunk` came back: with its results (`answered`), or not (a time-out, a crash, an abort:
   * its worker may still be ending, and may yet stamp its cell, which is not handed out again).
   */
  settled(chunk: Chunk, answered = true): void {
    this.release(chunk, answered);
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

  private release(chunk: Chunk, reusable: boolean): void {
    if (reusable && chunk.cell !== null && chunk.cell.cells === this.cells) this.free.push(chunk.cell.slot);
    chunk.cell = null;
  }

  private start(chunk: Chunk): void {
    this.running++;
    chunk.clockAt = performance.now();
    this.arm(chunk, this.ms);
  }

  private arm(chunk: Chunk, ms: number): void {
    // Past a timer's longest delay it fires, finds the chunk not due, and is armed again.
    chunk.timer = setTimeout(() => this.due(chunk), Math.min(ms, MAX_TIMER_MS));
    chunk.timer.unref();
  }

  private due(chunk: Chunk): void {
    // A stopped clock ends no worker: its run is stopping (and ends its chunks itself), or
    // its pool is being destroyed (the run fails as closed, not as timed out).
    if (this.stopped) return;
    const now = performance.now();
    // A chunk with no cell is taken as begun when its clock started.
    const read =
      chunk.cell === null
        ? { takenAt: chunk.clockAt, beganAt: chunk.clockAt }
        : inThisThread(readBegin(chunk.cell.cells, chunk.cell.slot, chunk.cell.epochMs));
    const until = beginDeadline(now, read, chunk.clockAt, this.ms, startWaitMs(this.ms));
    if (until > now) {
      this.arm(chunk, until - now);
      return;
    }
    chunk.timedOut = true;
    chunk.notBegun = read.beganAt === null;
    // Read before its worker is ended: the items it had run by then, and its thread.
    const thread = chunk.cell === null ? 0 : Atomics.load(chunk.cell.threads, chunk.cell.slot);
    if (chunk.cell !== null) chunk.reached = Atomics.load(chunk.cell.reached, chunk.cell.slot);
    chunk.controller?.abort();
    endProcessesOf(thread);
  }
}

/** Absolute times of a cell's reading as this thread's `performance.now()` reads them. */
function inThisThread(read: ReturnType<typeof readBegin>): ReturnType<typeof readBegin> {
  const origin = performance.timeOrigin;
  return {
    takenAt: read.takenAt === null ? null : read.takenAt - origin,
    beganAt: read.beganAt === null ? null : read.beganAt - origin,
  };
}

/**
 * A load check's bound: `ms` counted from when its worker begins the check (stamped in a
 * shared cell, as a chunk's begin is), so a check queued behind other runs' chunks waits
 * without its time counting; then `signal` aborts, and tinypool ends that worker.
 */
export class BeginBound {
  readonly signal: AbortSignal;
  /** The bound ran out before the check was answered. */
  expired = false;
  readonly #controller = new AbortController();
  readonly #cells = new Int32Array(new SharedArrayBuffer(4));
  /** The thread that took the check up (see `RunRequest.z`). */
  readonly #thread = new Int32Array(new SharedArrayBuffer(4));
  readonly #epochMs = absoluteNowMs();
  #timer: NodeJS.Timeout;

  /** Bounds the check `request` (its `w`, `y`, `o` and `z` are set here) to `ms`. */
  constructor(
    request: { w?: Int32Array; y?: number; o?: number; z?: Int32Array },
    private readonly ms: number,
  ) {
    request.w = this.#cells;
    request.y = 0;
    request.o = this.#epochMs;
    request.z = this.#thread;
    this.signal = this.#controller.signal;
    this.#timer = this.#arm(ms);
  }

  /** The check was answered, or failed: the bound stops. */
  clear(): void {
    clearTimeout(this.#timer);
  }

  #arm(ms: number): NodeJS.Timeout {
    const timer = setTimeout(() => this.#due(), Math.min(ms, MAX_TIMER_MS));
    timer.unref();
    return timer;
  }

  #due(): void {
    const now = absoluteNowMs();
    // Not begun: still queued for a worker, which is no time of the load's; looked at again.
    const until = beginDeadline(now, readBegin(this.#cells, 0, this.#epochMs), -Infinity, this.ms, Infinity);
    if (until > now) {
      this.#timer = this.#arm(until - now);
      return;
    }
    this.expired = true;
    const thread = Atomics.load(this.#thread, 0);
    this.#controller.abort();
    endProcessesOf(thread);
  }
}
