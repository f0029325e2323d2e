// Which items sampling runs, in what order and in what blocks. Pure functions of plain data.

/** Items faster than this are timed in blocks of consecutive items. */
export const FAST_ITEM_MS = 0.05;
/** Target duration of a block of fast items. */
export const BLOCK_TARGET_MS = 0.5;
export const MAX_BLOCK = 4096;
/**
 * The most items a block holds once sampling has spent its share of the job (see
 * `jobShareSpent`) with units still owed to `minItems`: those units are what the figures'
 * spread needs, not more of the job. The sampler's own work per item (keeping each result,
 * the loop) is several times a tiny item's: a cold sample of 200,000 multiplies (3.5 ms in
 * a loop) spent 0.4-0.7 us an item in blocks of 1,347-4,096. Blocks of this many tiny items
 * still take tens of microseconds: long beside the clocks, which read nanoseconds.
 */
export const SHARE_SPENT_BLOCK = 512;
/** Items of an async task sampled at once. */
export const CONCURRENT_SAMPLES = 32;

/** A run of consecutive input items: its first index and its length. */
export interface BlockRange {
  readonly first: number;
  readonly length: number;
}

/**
 * The j-th point (j >= 1) of the base-2 van der Corput sequence: 1/2, 1/4, 3/4, 1/8, ...
 * Its binary digits are j's bits in reverse order.
 */
export function spreadFraction(j: number): number {
  let f = 0;
  let denominator = 1;
  for (let k = j; k > 0; k >>= 1) {
    denominator *= 2;
    if (k & 1) f += 1 / denominator;
  }
  return f;
}

/**
 * Whether digit `k` (0-based) of a point whose earlier digits are `prefix` (an integer,
 * first digit highest) is flipped: a bit of a 32-bit integer mix (xor-shifts and odd
 * multipliers) of both, fixed and patternless. The path of the first point, 0.1000..., is
 * never flipped, so the first point stays the exact middle.
 */
function flips(k: number, prefix: number, onFirstPath: boolean): number {
  if (onFirstPath) return 0;
  let x = (prefix ^ Math.imul(Math.floor(prefix / 2 ** 32), 0x85ebca6b) ^ Math.imul(k + 1, 0x9e3779b1)) >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x & 1;
}

/**
 * The j-th point (j >= 1) of the van der Corput sequence, nested-scrambled to `digits`
 * binary digits: each digit is flipped or not by a fixed function of the digits before it.
 * Any first 2^k - 1 points still fall in distinct cells of width 2^-k (the scramble
 * permutes the cells of each level within their parent), but a point sits anywhere in its
 * cell instead of at the cell's start (see {@link spreadIndices}).
 */
export function scrambledSpread(j: number, digits: number): number {
  let x = 0;
  let scale = 0.5;
  let prefix = 0;
  let onFirstPath = true;
  let rest = j;
  for (let k = 0; k < digits; k++) {
    const digit = rest % 2;
    rest = Math.floor(rest / 2);
    x += (digit ^ flips(k, prefix, onFirstPath)) * scale;
    scale /= 2;
    onFirstPath = onFirstPath && digit === (k === 0 ? 1 : 0);
    prefix = prefix * 2 + digit;
  }
  return x;
}

/**
 * Input indices to sample from an array of length n, in the order they are run: the
 * middle first, then one index in each half, quarter, eighth, ... the van der Corput
 * sequence opens, so any prefix of the sample is spread over the whole input. The
 * sequence is scrambled ({@link scrambledSpread}): its plain points are multiples of
 * n / 2^k, and an input whose item costs repeat with a period dividing that was sampled at
 * one phase only (1,024 items cycling through fib(20..27): the indices 128, 256, 512 and
 * 768 all held fib(20), and the loop was predicted at 135 ms against 659 ms measured; the
 * same items reversed, 3,128 against 624). Deterministic: the same n, the same order.
 */
export function* spreadIndices(n: number): Generator<number> {
  // Enough digits to tell every index apart: cells narrower than one item.
  const digits = Math.min(52, Math.ceil(Math.log2(n + 1)) + 1);
  const seen = new Set<number>();
  for (let j = 1; seen.size < n; j++) {
    const index = Math.min(n - 1, Math.floor(scrambledSpread(j, digits) * n));
    if (!seen.has(index)) {
      seen.add(index);
      yield index;
    }
    if (j > 4 * n + 64) break;
  }
  // Fill anything the sequence skipped (small n), first to last.
  for (let i = 0; i < n; i++) if (!seen.has(i)) yield i;
}

/**
 * Under this (ms) a lone item's reading cannot tell a fast item from the sampler's own
 * noise: timing one 1 us item (x * x) read 0.05-0.09 ms on a busy machine, the first code
 * run after the thread was off its core running slow (cold caches). Such items get one
 * block sized as if they were fast, whose per-item figure tells.
 */
export const LONE_NOISE_MS = 0.15;

/**
 * How many consecutive items to time together next. A single call of a function that
 * takes a microsecond is dwarfed by the timer itself, so fast items are timed in blocks
 * of about BLOCK_TARGET_MS; an async task's items are run CONCURRENT_SAMPLES at a time.
 * `records` are the per-item wall times sampled so far (the first left out once there
 * are others: it ran cold); `blockTimed`, whether a unit of several items was timed yet.
 *
 * The typical reading decides, not the mean: noise only adds to a reading (a lone unit
 * preempted for 3 ms would keep 2 us items alone for dozens of units), so the lower median
 * is taken. Items that read between FAST_ITEM_MS and LONE_NOISE_MS, timed alone only,
 * get one block sized from that reading (at most BLOCK_TARGET_MS of work, if the reading
 * was their own); after that, they run alone.
 */
export function nextBlockSize(
  asyncTask: boolean,
  records: readonly { wallMs: number }[],
  blockTimed: boolean,
  shareSpent = false,
): number {
  if (asyncTask) return CONCURRENT_SAMPLES;
  if (records.length === 0) return 1;
  const itemMs = lowerMedian((records.length > 1 ? records.slice(1) : records).map((m) => m.wallMs));
  const probe = !blockTimed && records.length > 1 && itemMs < LONE_NOISE_MS;
  if (itemMs >= FAST_ITEM_MS && !probe) return 1;
  const most = shareSpent ? SHARE_SPENT_BLOCK : MAX_BLOCK;
  return Math.min(most, Math.max(1, Math.ceil(BLOCK_TARGET_MS / Math.max(itemMs, 1e-5))));
}

/** The lower median of `values` (not empty): the smaller middle one of an even count. */
function lowerMedian(values: number[]): number {
  const sorted = values.sort((a, b) => a - b);
  return sorted[(sorted.length - 1) >> 1]!;
}

/**
 * Where a block that starts at `start` in an array of `length` items must end at the
 * latest: the first block already run after it, or the end of the array. Null when
 * `start` lies inside a block already run.
 */
export function blockLimit(start: number, ran: readonly BlockRange[], length: number): number | null {
  let end = length;
  for (const { first, length: size } of ran) {
    if (start >= first && start < first + size) return null;
    if (first > start && first < end) end = first;
  }
  return end;
}

/** Which positions of a block of `length` items get their sizes measured: at most 3, spread. */
export function sizedPositions(length: number): number[] {
  if (length <= 3) return Array.from({ length }, (_, k) => k);
  return [0, Math.floor(length / 2), length - 1];
}

/**
 * The input indices that ran and gave a result, in input order. Blocks are consecutive
 * ranges: ordering them is cheaper than sorting every index.
 */
export function ranIndices(ran: readonly BlockRange[], succeeded: { has(index: number): boolean }): number[] {
  const indices: number[] = [];
  for (const { first, length } of [...ran].sort((a, b) => a.first - b.first)) {
    for (let i = first; i < first + length; i++) if (succeeded.has(i)) indices.push(i);
  }
  return indices;
}
