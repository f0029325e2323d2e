// Reading the input while sampling: blocks from an array in spread order, or from the
// head of an iterator, which is then re-joined so the run sees every item once.
import { DataError, SourceError } from "../errors.js";
import { type BlockRange, blockLimit, spreadIndices } from "./order.js";
import { reader, rejoined } from "./reader.js";

/** The input of a run: an array (random access), an iterable or an async iterable. */
export type TaskData<T = unknown> = readonly T[] | Iterable<T> | AsyncIterable<T>;

/**
 * Consecutive input items, `first` the index of the first: blocks are index ranges, not
 * lists of index/item pairs, so building one allocates nothing per item (for items of a
 * few nanoseconds, pairs and a set of taken indices cost more than running the items).
 */
export interface Block {
  readonly first: number;
  readonly items: readonly unknown[];
}

/** What reads the input hands its blocks to: the sampling session and its stop rule. */
export interface BlockSink {
  shouldStop(): boolean;
  blockSize(): number;
  run(block: Block): Promise<void>;
  /** Every block run so far. */
  readonly ranges: readonly BlockRange[];
}

export function isRandomAccess(data: unknown): data is ArrayLike<unknown> {
  return Array.isArray(data) || (ArrayBuffer.isView(data) && !(data instanceof DataView));
}

/**
 * How many items a Set or a Map gives, read from its `size`: the item count of an input
 * that is not an array but says it exactly (each entry once, in insertion order, as the
 * run reads it). Null for anything else, a subclass that iterates its own way included.
 */
export function sizedLength(data: unknown): number | null {
  if (data instanceof Set && (data as Set<unknown>)[Symbol.iterator] === Set.prototype[Symbol.iterator])
    return data.size;
  if (
    data instanceof Map &&
    (data as Map<unknown, unknown>)[Symbol.iterator] === Map.prototype[Symbol.iterator]
  )
    return data.size;
  return null;
}

/** Throws a DataError unless `data` is an array, an iterable or an async iterable (a string is none). */
export function assertTaskData(data: unknown): asserts data is TaskData {
  if (typeof data === "string" || data == null || !isIterableInput(data)) {
    throw new DataError(`data: Expected an array, an iterable or an async iterable, got ${describe(data)}`);
  }
}

function isIterableInput(data: unknown): boolean {
  return (
    typeof (data as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function" ||
    typeof (data as Iterable<unknown>)[Symbol.iterator] === "function"
  );
}

function describe(value: unknown): string {
  if (value === null) return "null";
  return typeof value === "object" ? Object.prototype.toString.call(value) : typeof value;
}

/**
 * Runs blocks of an array in spread order until the sink says stop. A block runs from its
 * start up to the next block already run, or its size.
 */
export async function sampleArray(data: ArrayLike<unknown>, sink: BlockSink): Promise<void> {
  for (const start of spreadIndices(data.length)) {
    if (sink.shouldStop()) break;
    const limit = blockLimit(start, sink.ranges, data.length);
    if (limit === null) continue;
    const end = Math.min(limit, start + sink.blockSize());
    const items: unknown[] = new Array(end - start);
    for (let i = start; i < end; i++) items[i - start] = data[i];
    await sink.run({ first: start, items });
  }
}

/** What sampling read of an iterable: the input to use from now on, and its length when it ended. */
export interface IterableRead {
  data: TaskData;
  length: number | null;
  /** Set when the source failed while sampled: `data` gives the items read, then throws it. */
  failure: SourceError | null;
}

/**
 * Runs blocks from the head of an iterable until the sink says stop or it ends. Returns
 * the same items to use from now on (what was read, then the rest of the source), and
 * the item count when the source ended. A source that fails while read ends the sampling
 * with the items read so far (run too), and the returned data ends with the failure as a
 * `SourceError`. When running a block fails the source is closed so the caller's
 * generator can clean up.
 */
export async function sampleIterable(
  data: Iterable<unknown> | AsyncIterable<unknown>,
  signal: AbortSignal | undefined,
  sink: BlockSink,
): Promise<IterableRead> {
  const isAsync = typeof (data as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function";
  const iterator = isAsync
    ? (data as AsyncIterable<unknown>)[Symbol.asyncIterator]()
    : (data as Iterable<unknown>)[Symbol.iterator]();
  // One reading loop for both kinds; only an async source needs racing against the signal.
  const next = isAsync
    ? () => (iterator as AsyncIterator<unknown>).next()
    : () => (iterator as Iterator<unknown>).next();
  const head: unknown[] = [];
  let done = false;
  let failure: SourceError | null = null;
  /** The failure of the item read ahead (see below): the data's, not sampling's. */
  let ahead: SourceError | null = null;
  try {
    while (!done && !sink.shouldStop()) {
      const first = head.length;
      const items: unknown[] = [];
      for (let size = sink.blockSize(); items.length < size; ) {
        const read = await pull(next, isAsync, signal, head.length);
        if (read instanceof SourceError) failure = read;
        if (read instanceof SourceError || read.done) {
          done = true;
          break;
        }
        items.push(read.value);
        head.push(read.value);
      }
      if (items.length > 0) await sink.run({ first, items });
    }
    // Stopped before the end: the next item of a synchronous source is read now, unrun (the
    // run gets it first), so that a source which ended there is known to have ended. A
    // Set of one item, whose cached figures sampling confirmed on that item, was planned as
    // a stream of unknown length and ran on a pool started for it: 50-190 ms against 5-8.
    // An async source's next item may be a wait for I/O: not read ahead. A source that
    // fails there fails where the run reads it, as it would have (sampling needed nothing of it).
    if (!done && failure === null && !isAsync) {
      const read = await pull(next, isAsync, signal, head.length);
      if (read instanceof SourceError) ahead = read;
      if (read instanceof SourceError || read.done) done = true;
      else head.push(read.value);
    }
  } catch (error) {
    try {
      await iterator.return?.();
    } catch {
      // The original failure is the one to report.
    }
    throw error;
  }
  // The items read, put back in front of the rest: a consumer that stops early, even
  // within them, closes the source; its later failures name their item.
  const rest = rejoined(head, failure === null && !done ? iterator : null, failure ?? ahead);
  return {
    data: reader(rest, {}, isAsync),
    // A source that failed ended there too: what runs is the items read (its failure after them).
    length: done ? head.length : null,
    failure,
  };
}

/**
 * The source's next item, or a SourceError for item `index` when the source throws or
 * rejects. An abort is not the source's failure: it rejects with `signal.reason`.
 */
async function pull(
  next: () => IteratorResult<unknown> | Promise<IteratorResult<unknown>>,
  isAsync: boolean,
  signal: AbortSignal | undefined,
  index: number,
): Promise<IteratorResult<unknown> | SourceError> {
  let pending: IteratorResult<unknown> | Promise<IteratorResult<unknown>>;
  try {
    pending = next();
  } catch (error) {
    return new SourceError(index, error);
  }
  if (!isAsync) return pending as IteratorResult<unknown>;
  const settled = Promise.resolve(pending).then(
    (read) => read,
    (error: unknown) => new SourceError(index, error),
  );
  return abortable(settled, signal);
}

/**
 * Resolves like `promise`, or rejects with `signal.reason` as soon as the signal aborts
 * (throws it at once when it has: `promise` is then left to itself, its failure ignored).
 */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) {
    promise.catch(() => undefined);
    signal.throwIfAborted();
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
