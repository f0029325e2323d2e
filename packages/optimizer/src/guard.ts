// How a run reads an iterable input, past what the executor does itself. execute() collects
// every result in memory, so it reads up to a bound, past which it fails with a typed error
// instead of growing its results until V8 aborts the process ("invalid size", which no
// caller can catch). stream() keeps a source's failure aside, so the run delivers every
// item before it, and ends with the failure after them.
import { InputTooLargeError, SourceError } from "./errors.js";
import { isRandomAccess, type TaskData } from "./sampling/source.js";

/**
 * Default of `options.maxItems`: 2^24 items. The longest array V8 can hold has about 2^27
 * elements, and a results array grows by half again when full, so the bound stays well
 * below the length whose growth would abort the process.
 */
export const MAX_COLLECTED_ITEMS = 2 ** 24;

/** Where a guarded input keeps its source's failure instead of throwing it. */
export interface SourceFence {
  failure: SourceError | null;
}

/** How to read: stop with `InputTooLargeError` at item `limit`, and/or keep a failure in `fence`. */
export interface InputGuard {
  limit?: number;
  fence?: SourceFence;
}

/**
 * The input as a run reads it: an array or a typed array as it is (its length is known,
 * it cannot fail, and its results fit beside it); an iterable or async iterable through a
 * reader that applies `guard`. The source's failures become `SourceError`s naming the
 * item. Stopping before the source ended (the bound, or the consumer leaving) closes it.
 */
export function guardedInput(data: TaskData, guard: InputGuard): TaskData {
  if (isRandomAccess(data)) return data;
  if (typeof (data as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function") {
    return guardAsync(data as AsyncIterable<unknown>, guard);
  }
  return guardSync(data as Iterable<unknown>, guard);
}

/** The source's failure at item `index`, as a SourceError (one from a re-joined sample already is). */
function sourceFailure(index: number, error: unknown): SourceError {
  return error instanceof SourceError ? error : new SourceError(index, error);
}

function* guardSync(source: Iterable<unknown>, guard: InputGuard): Generator<unknown> {
  const iterator = source[Symbol.iterator]();
  // Set while the source may give more: stopping then closes it; one that ended or threw is done.
  let open = false;
  try {
    for (let read = 0; ; read++) {
      open = false;
      let next: IteratorResult<unknown>;
      try {
        next = iterator.next();
      } catch (error) {
        const failure = sourceFailure(read, error);
        if (guard.fence === undefined) throw failure;
        guard.fence.failure = failure;
        return;
      }
      if (next.done) return;
      open = true;
      if (read === guard.limit) throw new InputTooLargeError(read);
      yield next.value;
    }
  } finally {
    if (open) closeQuietly(() => iterator.return?.());
  }
}

async function* guardAsync(source: AsyncIterable<unknown>, guard: InputGuard): AsyncGenerator<unknown> {
  const iterator = source[Symbol.asyncIterator]();
  let open = false;
  try {
    for (let read = 0; ; read++) {
      open = false;
      let next: IteratorResult<unknown>;
      try {
        next = await iterator.next();
      } catch (error) {
        const failure = sourceFailure(read, error);
        if (guard.fence === undefined) throw failure;
        guard.fence.failure = failure;
        return;
      }
      if (next.done) return;
      open = true;
      if (read === guard.limit) throw new InputTooLargeError(read);
      yield next.value;
    }
  } finally {
    if (open) await closeQuietly(() => iterator.return?.());
  }
}

/** Closes a source; its own failure to close is not the run's (the run's ending is what the caller sees). */
async function closeQuietly(close: () => unknown): Promise<void> {
  try {
    await close();
  } catch {
    // See above.
  }
}
