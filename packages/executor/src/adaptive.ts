/** Options of {@link ChunkSizer}. */
export interface ChunkSizerOptions {
  /** Workers sharing the input. */
  workers: number;
  /** Target chunk duration window [low, high], milliseconds. */
  targetMs: readonly [number, number];
  /** Items in the input, when known. */
  total: number | null;
}

/** Largest chunk the sizer ever asks for, whatever the measurements say. */
export const MAX_ADAPTIVE_CHUNK = 1 << 20;

/**
 * Chooses chunk sizes at run time from measured chunk durations, after joblib's
 * `batch_size="auto"`: start at one item; keep a smoothed time per item
 * (`0.8 * old + 0.2 * new`); while the current size would run shorter than `low`,
 * double it; when it would run longer than `high`, cut it to the size that takes
 * `2 * low`. Smoothing is done per item rather than per chunk (joblib's) because
 * chunks of different sizes are in flight at once.
 *
 * Near the end of a known-length input no chunk takes more than
 * `remaining / (2 * workers)` items (guided scheduling), so the workers finish together;
 * it never goes below a chunk of about `low / 10` ms, where dispatch costs would show.
 *
 * Pure: no clock, no I/O.
 */
export class ChunkSizer {
  private readonly workers: number;
  private readonly low: number;
  private readonly high: number;
  private readonly target: number;
  private readonly cap: number;
  private current = 1;
  private perItem: number | null = null;

  constructor(options: ChunkSizerOptions) {
    this.workers = options.workers;
    [this.low, this.high] = options.targetMs;
    this.target = Math.min(2 * this.low, this.high);
    this.cap =
      options.total === null
        ? MAX_ADAPTIVE_CHUNK
        : Math.max(1, Math.min(MAX_ADAPTIVE_CHUNK, Math.ceil(options.total / options.workers)));
  }

  /** The size the measurements call for, before the end-of-input rule. */
  get size(): number {
    return this.current;
  }

  /** Smoothed time per item, milliseconds; null before the first measurement. */
  get perItemMs(): number | null {
    return this.perItem;
  }

  /** Size of the next chunk, given the items not yet read (null when unknown). */
  next(remaining: number | null): number {
    const size = this.current;
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
      this.current = Math.min(this.cap, Math.max(this.current, Math.min(2 * this.current, ideal)));
    } else if (predicted > this.high) {
      this.current = Math.max(1, Math.min(this.cap, Math.floor(this.target / perItem)));
    }
  }

  private floor(): number {
    const perItem = this.perItem;
    if (perItem === null || perItem <= 0) return 1;
    return Math.max(1, Math.floor(this.low / 10 / perItem));
  }
}
