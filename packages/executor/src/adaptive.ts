/** Options of {@link ChunkSizer}. */
export interface ChunkSizerOptions {
  /** Workers sharing the input. */
  workers: number;
  /** Target chunk duration window [low, high], milliseconds. */
  targetMs: readonly [number, number];
  /** Items in the input, when known. */
  total: number | null;
  /** Most items in a chunk; {@link MAX_ADAPTIVE_CHUNK} by default. */
  maxItems?: number;
  /** Most bytes of items and results in a chunk; {@link MAX_CHUNK_BYTES} by default. */
  maxBytes?: number;
  /** Size of the first chunks, before any is measured (default 1). */
  initial?: number;
}

/** Largest chunk the sizer asks for by default, in items, whatever the measurements say. */
export const MAX_ADAPTIVE_CHUNK = 1 << 16;

/**
 * Largest chunk the sizer asks for by default, in bytes of items and their results (as
 * structured clone copies them, estimated). Cloning 1 MiB takes about a millisecond, ten
 * times a dispatch, so fine items lose little to it, and a run holds about `maxInFlight`
 * MiB however long its input.
 */
export const MAX_CHUNK_BYTES = 1 << 20;

/** Smoothed bytes per item: follows a rise at once and a fall slowly, as a bound should. */
function smoothedBytes(old: number | null, sample: number): number {
  return old === null ? sample : Math.max(sample, 0.8 * old + 0.2 * sample);
}

/**
 * Chooses chunk sizes at run time from measured chunk durations, after joblib's
 * `batch_size="auto"`: start at one item (or at `initial`, a plan's size); keep a smoothed time per item
 * (`0.8 * old + 0.2 * new`); while the current size would run shorter than `low`,
 * double it; when it would run longer than `high`, cut it to the size that takes
 * `2 * low`. Smoothing is done per item rather than per chunk (joblib's) because
 * chunks of different sizes are in flight at once.
 *
 * Near the end of a known-length input no chunk takes more than
 * `remaining / (2 * workers)` items (guided scheduling), so the workers finish together;
 * it never goes below a chunk of about `low / 10` ms, where dispatch costs would show.
 *
 * Whatever the durations say, a chunk holds at most `maxItems` items and about `maxBytes`
 * of items and results, from the bytes per item the run reports ({@link recordBytes}),
 * so fine items that clone slowly and measure fast do not grow chunks without end.
 *
 * Pure: no clock, no I/O.
 */
export class ChunkSizer {
  private readonly workers: number;
  private readonly low: number;
  private readonly high: number;
  private readonly target: number;
  private readonly cap: number;
  private readonly maxBytes: number;
  private current = 1;
  private perItem: number | null = null;
  private itemBytes: number | null = null;
  private resultBytes: number | null = null;

  constructor(options: ChunkSizerOptions) {
    this.workers = options.workers;
    [this.low, this.high] = options.targetMs;
    this.target = Math.min(2 * this.low, this.high);
    const maxItems = options.maxItems ?? MAX_ADAPTIVE_CHUNK;
    this.cap =
      options.total === null
        ? maxItems
        : Math.max(1, Math.min(maxItems, Math.ceil(options.total / options.workers)));
    this.maxBytes = options.maxBytes ?? MAX_CHUNK_BYTES;
    this.current = Math.max(1, Math.min(this.cap, options.initial ?? 1));
  }

  /** The size the measurements call for, before the end-of-input rule. */
  get size(): number {
    return this.current;
  }

  /** Smoothed time per item, milliseconds; null before the first measurement. */
  get perItemMs(): number | null {
    return this.perItem;
  }

  /** Estimated bytes per item, items and results; null before any is recorded. */
  get bytesPerItem(): number | null {
    if (this.itemBytes === null && this.resultBytes === null) return null;
    return (this.itemBytes ?? 0) + (this.resultBytes ?? 0);
  }

  /** Size of the next chunk, given the items not yet read (null when unknown). */
  next(remaining: number | null): number {
    const size = Math.min(this.current, this.limit());
    if (remaining === null || remaining <= 0) return size;
    const share = Math.ceil(remaining / (2 * this.workers));
    return share < size ? Math.min(size, Math.max(share, this.floor())) : size;
  }

  /** Records that a chunk of `items` items took `durationMs` in its worker. */
  record(items: number, durationMs: number): void {
    if (items <= 0 || !(durationMs >= 0)) return;
    const sample = durationMs / items;
    const perItem = this.perItem === null ? sample : 0.8 * this.perItem + 0.2 * sample;
    this.perItem = perItem;
    const predicted = perItem * this.current;
    if (predicted < this.low) {
      const ideal = perItem > 0 ? Math.floor(this.target / perItem) : Number.POSITIVE_INFINITY;
      this.current = Math.min(this.limit(), Math.max(this.current, Math.min(2 * this.current, ideal)));
    } else if (predicted > this.high) {
      this.current = Math.max(1, Math.min(this.limit(), Math.floor(this.target / perItem)));
    }
  }

  /** Records the estimated size of an item (`kind: "items"`) or of a result, in bytes. */
  recordBytes(kind: "items" | "results", bytesPerItem: number): void {
    if (!(bytesPerItem >= 0) || bytesPerItem === Number.POSITIVE_INFINITY) return;
    if (kind === "items") this.itemBytes = smoothedBytes(this.itemBytes, bytesPerItem);
    else this.resultBytes = smoothedBytes(this.resultBytes, bytesPerItem);
  }

  /** Most items a chunk may hold now: the item cap, and the byte budget over the bytes per item. */
  private limit(): number {
    const bytes = this.bytesPerItem;
    if (bytes === null || bytes <= 0) return this.cap;
    return Math.max(1, Math.min(this.cap, Math.floor(this.maxBytes / bytes)));
  }

  private floor(): number {
    const perItem = this.perItem;
    if (perItem === null || perItem <= 0) return 1;
    return Math.max(1, Math.floor(this.low / 10 / perItem));
  }
}
