// How a run reads an iterable input. execute() collects every result in memory, so it
// reads up to a bound, past which it fails with a typed error instead of growing its
// results until V8 aborts the process ("invalid size", which no caller can catch).
// stream() keeps a source's failure aside, so the run delivers every item before it and
// ends with the failure after them.
import { joinGuard, type ReadGuard, reader } from "./sampling/reader.js";
import { isRandomAccess, type TaskData } from "./sampling/source.js";

export type { SourceFence } from "./sampling/reader.js";

/**
 * Default of `options.maxItems`: 2^24 items. The longest array V8 can hold has about 2^27
 * elements, and a results array grows by half again when full, so the bound stays well
 * below the length whose growth would abort the process.
 */
export const MAX_COLLECTED_ITEMS = 2 ** 24;

/**
 * The input as a run reads it: an array or a typed array as it is (its length is known,
 * it cannot fail, and its results fit beside it); an iterable or async iterable through a
 * reader that applies `guard` (a re-joined sample's own reader, which takes it). The
 * source's failures become `SourceError`s naming the item. Stopping before the source
 * ended (the bound, or the consumer leaving) closes it.
 */
export function guardedInput(data: TaskData, guard: ReadGuard): TaskData {
  if (isRandomAccess(data)) return data;
  const isAsync = typeof (data as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function";
  // A re-joined sample is read through a guarded reader already: it takes this guard too.
  return joinGuard(data, guard) ?? reader(data, guard, isAsync);
}
