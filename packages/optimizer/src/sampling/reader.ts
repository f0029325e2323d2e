// Reading an iterable input item by item, as a run and a re-joined sample do: the source's
// failures become SourceErrors naming the item, a stop before the source ended (a bound,
// or the consumer leaving) closes it, and a failure can be kept aside instead of thrown.
import { InputTooLargeError, SourceError } from "../errors.js";
import type { TaskData } from "./source.js";

/** Where a reader keeps its source's failure instead of throwing it. */
export interface SourceFence {
  failure: SourceError | null;
}

/** How to read: stop with `InputTooLargeError` at item `limit`, and/or keep a failure in `fence`. */
export interface ReadGuard {
  limit?: number;
  fence?: SourceFence;
}

/** The guards of the readers made here, so a second guard can join a reader's own instead of wrapping it. */
const guards = new WeakMap<object, ReadGuard>();

/** A reader of `source` under `guard`: {@link guardSync} or {@link guardAsync}. */
export function reader(
  source: Iterable<unknown> | AsyncIterable<unknown>,
  guard: ReadGuard,
  isAsync: boolean,
) {
  const read = isAsync
    ? guardAsync(source as AsyncIterable<unknown>, guard)
    : guardSync(source as Iterable<unknown>, guard);
  guards.set(read, guard);
  return read;
}

/**
 * Adds `guard` to a reader made by {@link reader} that has not been read yet (its guard
 * is read at each item), and returns it; null for any other input. A run reads a
 * re-joined sample this way through one reader, not two.
 */
export function joinGuard(data: unknown, guard: ReadGuard): TaskData | null {
  const own = typeof data === "object" && data !== null ? guards.get(data) : undefined;
  if (own === undefined) return null;
  guards.delete(data as object);
  Object.assign(own, guard);
  return data as TaskData;
}

/** The source's failure at item `index`, as a SourceError (one that names its item already is kept). */
function sourceFailure(index: number, error: unknown): SourceError {
  return error instanceof SourceError ? error : new SourceError(index, error);
}

/** Reads a sync iterable under `guard` (see the module's comment), opening it on the first read. */
export function* guardSync(source: Iterable<unknown>, guard: ReadGuard): Generator<unknown> {
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
        if (guard.fence === undefined) throw sourceFailure(read, error);
        guard.fence.failure = sourceFailure(read, error);
        return;
      }
      if (next.done) return;
      open = true;
      if (read === guard.limit) throw new InputTooLargeError(read);
      yield next.value;
    }
  } finally {
    if (open) void closeQuietly(iterator);
  }
}

/** Reads an async iterable under `guard`: {@link guardSync}'s twin, awaiting each item. */
export async function* guardAsync(source: AsyncIterable<unknown>, guard: ReadGuard): AsyncGenerator<unknown> {
  const iterator = source[Symbol.asyncIterator]();
  let open = false;
  try {
    for (let read = 0; ; read++) {
      open = false;
      let next: IteratorResult<unknown>;
      try {
        next = await iterator.next();
      } catch (error) {
        if (guard.fence === undefined) throw sourceFailure(read, error);
        guard.fence.failure = sourceFailure(read, error);
        return;
      }
      if (next.done) return;
      open = true;
      if (read === guard.limit) throw new InputTooLargeError(read);
      yield next.value;
    }
  } finally {
    if (open) await closeQuietly(iterator);
  }
}

/** Closes a source; its own failure to close is not the run's (the run's ending is what the caller sees). */
async function closeQuietly(iterator: Iterator<unknown> | AsyncIterator<unknown>): Promise<void> {
  try {
    await iterator.return?.();
  } catch {
    // See above.
  }
}

const DONE: IteratorResult<unknown> = { done: true, value: undefined };

/**
 * An iterator over `head`, then the rest of `iterator` (null when the source ended or
 * failed), then `failure` if it failed: the items a sample read, put back in front of the
 * source. Its `next()` returns what the source's returns (a promise for an async one), so
 * one serves both kinds; read it through a guard, which names the source's failures.
 */
export function rejoined(
  head: readonly unknown[],
  iterator: Iterator<unknown> | AsyncIterator<unknown> | null,
  failure: SourceError | null,
): Iterable<unknown> & AsyncIterable<unknown> {
  let at = 0;
  const chained = {
    next: () => {
      if (at < head.length) return { done: false, value: head[at++] };
      if (failure !== null) throw failure;
      return iterator === null ? DONE : iterator.next();
    },
    return: () => {
      const source = iterator;
      iterator = null;
      at = head.length;
      return source?.return?.() ?? DONE;
    },
  } as Iterator<unknown> & AsyncIterator<unknown>;
  return { [Symbol.iterator]: () => chained, [Symbol.asyncIterator]: () => chained };
}
