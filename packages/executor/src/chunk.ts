import type { Block } from "./delivery.js";
import type { IndexRange } from "./errors.js";

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
  timedOut: boolean;
  /** Times the chunk was sent again after tinypool lost it to a worker it was removing. */
  retries: number;
  /** Times the chunk was sent again after its worker died of another chunk's doing. */
  strays: number;
  /** On a part of a chunk run again after its worker died: that chunk; null otherwise. */
  whole: Chunk | null;
  /** On a chunk run again in parts: its results so far over its span, and the parts out. */
  rerun: { values: unknown[]; pending: number } | null;
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
    timedOut: false,
    retries: 0,
    strays: 0,
    whole: null,
    rerun: null,
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
 * Starts a chunk's time-out clock when it can really start. Tinypool runs queued tasks
 * in order as workers free up, so a chunk starts when dispatched to an idle worker or
 * when an earlier chunk of the run settles.
 */
export class ChunkClock {
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
