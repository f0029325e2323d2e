import { createExecutor, type Executor, ExecutorClosedError } from "@amorsize/executor";

/**
 * A session's one pool: started when a plan first wants it, kept while calls come, closed
 * after `idleMs` with no call in flight. Tinypool's idle workers do not hold the event
 * loop, and neither does the idle timer (unref'd), so an idle session never keeps the
 * process alive.
 */
export class WarmPool {
  #executor: Executor | null = null;
  #timer: NodeJS.Timeout | null = null;
  #active = 0;
  /** When a call last ended (`performance.now()`); never: -Infinity. */
  #lastLeftAt = Number.NEGATIVE_INFINITY;
  #closed = false;
  /** Task modules (URLs) the pool's workers have run, so have imported. */
  readonly #loaded = new Set<string>();
  /** Pools started and closed for idleness, for the session's stats. */
  starts = 0;
  idleCloses = 0;

  constructor(
    readonly size: number,
    private readonly idleMs: number,
    private readonly create: typeof createExecutor = createExecutor,
  ) {}

  /** Whether workers are up (then starting them costs nothing). */
  get warm(): boolean {
    return this.#executor !== null;
  }

  get workers(): number {
    return this.#executor?.workers ?? 0;
  }

  /** Whether the pool's workers have imported `href` already. */
  hasLoaded(href: string): boolean {
    return this.#executor !== null && this.#loaded.has(href);
  }

  /** A call begins: the pool is not closed for idleness until it ends. */
  enter(): void {
    this.#active++;
  }

  /**
   * Whether a call ended within `idleMs` (calls keep coming: a pool started now would be
   * used), or another call is in flight beside the caller's.
   */
  usedWithinIdle(): boolean {
    return this.#active > 1 || performance.now() - this.#lastLeftAt < this.idleMs;
  }

  /**
   * A call ended: the last one out (re)starts the idle timer. One timer serves every call,
   * re-armed rather than made anew (a new timer per call cost a short call 10-20 us); a
   * timer that fires while a call is in flight closes nothing.
   */
  leave(): void {
    this.#active--;
    this.#lastLeftAt = performance.now();
    if (this.#active > 0 || this.#executor === null || this.#closed) return;
    if (this.#timer !== null) {
      this.#timer.refresh();
      return;
    }
    this.#timer = setTimeout(() => {
      this.#timer = null;
      if (this.#active > 0 || this.#closed) return;
      this.idleCloses++;
      void this.#shut();
    }, this.idleMs);
    this.#timer.unref();
  }

  /** The pool, started if it is not, for a run of `href` (whose workers will have it loaded). */
  lend(href: string): Executor {
    const executor = this.prewarm();
    this.#loaded.add(href);
    return executor;
  }

  /** Starts the workers if they are not up, so that the next plan finds them warm. */
  prewarm(): Executor {
    if (this.#closed) throw new ExecutorClosedError();
    if (this.#executor === null || this.#executor.closed) {
      this.#executor = this.create({ mode: "parallel", workers: this.size });
      this.#loaded.clear();
      this.starts++;
    }
    return this.#executor;
  }

  /** Closes the pool for good: runs on it reject with `ExecutorClosedError`. Idempotent. */
  close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    return this.#shut();
  }

  async #shut(): Promise<void> {
    const executor = this.#executor;
    this.#executor = null;
    this.#loaded.clear();
    await executor?.close();
  }
}
