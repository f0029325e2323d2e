// Running again the items of a chunk whose worker died, to find the item at fault. A
// worker that dies takes every result of its chunk with it; these parts bring back all
// but those of the item that kills a worker on its own. Pure: chunks are plain data.
import { type Chunk, indexAt, newChunk } from "./chunk.js";

/**
 * Worker crashes a run looks into, item by item. Each costs a worker's start (tens of
 * milliseconds), and finding an item takes about two (its chunk's, then its own alone);
 * beyond this many, a chunk whose worker dies fails whole, so a task that kills every
 * worker does not start a worker per item.
 */
export const MAX_ISOLATED_CRASHES = 16;

/**
 * Time-outs a run under `collect` looks into, item by item: the chunk runs again in
 * halves, and the half that times out again is halved in turn, until the item that does
 * not end is alone. Each costs the time-out again and a worker's start (its worker is
 * terminated), and finding one such item in a chunk of n items takes about log2(n) + 1;
 * beyond this many, a chunk that times out fails whole.
 */
export const MAX_NARROWED_TIMEOUTS = 16;

/**
 * How to run the `n` items of a chunk whose worker died again, as `[start, end)` position
 * ranges: around the item that was running when it died (`hint`; -1 when unknown, as
 * after running out of memory), that item alone first, then the items before it and
 * those after it; without a hint, in halves.
 */
export function splitCrashed(n: number, hint: number): Array<[number, number]> {
  if (hint >= 0 && hint < n) {
    const parts: Array<[number, number]> = [[hint, hint + 1]];
    if (hint > 0) parts.push([0, hint]);
    if (hint + 1 < n) parts.push([hint + 1, n]);
    return parts;
  }
  const middle = Math.ceil(n / 2);
  return [
    [0, middle],
    [middle, n],
  ];
}

/**
 * A whole chunk's items before position `hint`, with its precomputed items among them, as
 * a chunk of their own, whose `rest` holds the others (from `hint` on). Under "throw" a
 * serial run delivers every item before a failure: the items before a failing one are
 * delivered before the run stops, and those before the item a worker died running, lost
 * with it, run again as the head, then the rest, from that item, which is the crash's only
 * if it crashes again (see `splitCrashed`).
 */
export function splitBefore(chunk: Chunk, hint: number): Chunk {
  const index = indexAt(chunk, hint);
  const end = chunk.first + chunk.span;
  const before: unknown[] = [];
  const after: unknown[] = [];
  const pre = chunk.pre ?? [];
  for (let p = 0; p < pre.length; p += 2)
    ((pre[p] as number) < index ? before : after).push(pre[p], pre[p + 1]);
  const head = newChunk(
    chunk.first,
    index - chunk.first,
    chunk.items.slice(0, hint),
    chunk.indices === null ? null : chunk.indices.slice(0, hint),
    before.length > 0 ? before : null,
  );
  head.rest = newChunk(
    index,
    end - index,
    chunk.items.slice(hint),
    chunk.indices === null ? null : chunk.indices.slice(hint),
    after.length > 0 ? after : null,
  );
  // A chunk that is itself the items before an earlier crash keeps its own rest after them.
  head.rest.rest = chunk.rest;
  return head;
}

/**
 * Starts running `chunk` (a whole chunk, or a part of one) again as the parts `ranges`:
 * returns them, each belonging to the whole chunk, which counts the parts still out.
 */
export function partsOf(chunk: Chunk, ranges: ReadonlyArray<readonly [number, number]>): Chunk[] {
  const whole = chunk.whole ?? chunk;
  if (whole.rerun === null) whole.rerun = { values: new Array(whole.span), pending: 0 };
  // A part that splits is replaced by its own parts.
  whole.rerun.pending += ranges.length - (chunk.whole === null ? 0 : 1);
  return ranges.map(([start, end]) => {
    const indices: number[] = [];
    for (let p = start; p < end; p++) indices.push(indexAt(chunk, p));
    const part = newChunk(whole.first, whole.span, chunk.items.slice(start, end), indices, null);
    part.whole = whole;
    return part;
  });
}

/**
 * Places the results (by position; null when none came back) and the failures of a part
 * in its whole chunk. Returns the whole chunk's results over its span once no part is
 * out, null before.
 */
export function mergePart(part: Chunk, results: readonly unknown[] | null): unknown[] | null {
  const whole = part.whole!;
  const rerun = whole.rerun!;
  if (results !== null) {
    for (let p = 0; p < results.length; p++) rerun.values[indexAt(part, p) - whole.first] = results[p];
  }
  if (part.failed !== null)
    whole.failed = whole.failed === null ? part.failed : whole.failed.concat(part.failed);
  if (--rerun.pending > 0) return null;
  const pre = whole.pre;
  if (pre !== null)
    for (let p = 0; p < pre.length; p += 2) rerun.values[(pre[p] as number) - whole.first] = pre[p + 1];
  return rerun.values;
}
