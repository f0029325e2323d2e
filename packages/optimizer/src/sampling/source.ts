// Reading the input while sampling: blocks from an array in spread order, or from the
// head of an iterator, which is then re-joined so the run sees every item once.
import { DataError } from "../errors.js";
import { type BlockRange, blockLimit, spreadIndices } from "./order.js";

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

/**
 * Runs blocks from the head of an iterable until the sink says stop or it ends. Returns
 * the same items to use from now on (what was read, then the rest of the source), and
 * the item count when the source ended. On failure the source is closed so the caller's
 * generator can clean up.
 */
export async function sampleIterable(
  data: Iterable<unknown> | AsyncIterable<unknown>,
  signal: AbortSignal | undefined,
  sink: BlockSink,
): Promise<{ data: TaskData; length: number | null }> {
  const isAsync = typeof (data as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function";
  const iterator = isAsync
    ? (data as AsyncIterable<unknown>)[Symbol.asyncIterator]()
    : (data as Iterable<unknown>)[Symbol.iterator]();
  // One reading loop for both kinds; only an async source needs racing against the signal.
  const pull = isAsync
    ? () => abortable((iterator as AsyncIterator<unknown>).next(), signal)
    : () => (iterator as Iterator<unknown>).next();
  const head: unknown[] = [];
  let done = false;
  try {
    while (!done && !sink.shouldStop()) {
      const first = head.length;
      const items: unknown[] = [];
      for (let size = sink.blockSize(); items.length < size; ) {
        const next = await pull();
        if (next.done) {
          done = true;
          break;
        }
        items.push(next.value);
        head.push(next.value);
      }
      if (items.length > 0) await sink.run({ first, items });
    }
  } catch (error) {
    try {
      await iterator.return?.();
    } catch {
      // The original failure is the one to report.
    }
    throw error;
  }
  return {
    data: isAsync
      ? rejoinAsync(head, iterator as AsyncIterator<unknown>, done)
      : rejoinSync(head, iterator as Iterator<unknown>, done),
    length: done ? head.length : null,
  };
}

/** Resolves like `promise`, or rejects with `signal.reason` as soon as the signal aborts. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  signal.throwIfAborted();
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

function* rejoinSync(head: unknown[], iterator: Iterator<unknown>, done: boolean): Generator<unknown> {
  yield* head;
  if (done) return;
  try {
    for (let next = iterator.next(); !next.done; next = iterator.next()) yield next.value;
  } finally {
    // Stopped early by the consumer: let the source clean up too.
    iterator.return?.();
  }
}

async function* rejoinAsync(
  head: unknown[],
  iterator: AsyncIterator<unknown>,
  done: boolean,
): AsyncGenerator<unknown> {
  yield* head;
  if (done) return;
  let finished = false;
  try {
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
    finished = true;
  } finally {
    if (!finished) await iterator.return?.();
  }
}
