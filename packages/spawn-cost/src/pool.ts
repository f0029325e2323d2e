import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { messageOf } from "@amorsize/types";
import type { Tinypool, Options as TinypoolOptions } from "tinypool";
import { SpawnCostMeasurementError } from "./errors.js";
import type { MeasureTask } from "./protocol.js";

/** The built worker entry: from dist/ next to this module, or ../dist when the sources run (under Jest). */
export function defaultWorkerFile(): string {
  const url = import.meta.url.endsWith(".ts")
    ? new URL("../dist/worker.js", import.meta.url)
    : new URL("./worker.js", import.meta.url);
  return fileURLToPath(url);
}

/** What every phase works with: the clock and its deadline, the task timeout, and where pools come from. */
export interface Bench {
  /** The clock, milliseconds. */
  now: () => number;
  deadline: number;
  timeoutMs: number;
  newPool: (k: number) => MeasuringPool;
}

/** A tinypool pool whose every wait is bounded by a timeout and ends early if a worker fails. */
export class MeasuringPool {
  readonly pool: Tinypool;
  readonly #timeoutMs: number;
  readonly #failed: Promise<never>;
  readonly #threads: Worker[];

  constructor(create: (options: TinypoolOptions) => Tinypool, options: TinypoolOptions, timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
    let fail!: (error: unknown) => void;
    this.#failed = new Promise<never>((_, reject) => {
      fail = reject;
    });
    // Raced against every wait; this handler only keeps an unobserved failure from being reported as unhandled.
    this.#failed.catch(() => {});
    this.pool = create(options);
    // Workers that fail at start-up leave the pool's list at once; remember them to wait for their exit.
    this.#threads = threadsOf(this.pool);
    // tinypool emits "error" for a worker that fails with no task assigned; unheard, it would crash the process.
    this.pool.on("error", (error: unknown) => {
      fail(new SpawnCostMeasurementError(`a measuring worker failed: ${messageOf(error)}`, { cause: error }));
    });
  }

  async guard<T>(promise: Promise<T>, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new SpawnCostMeasurementError(`${what} took longer than ${this.#timeoutMs} ms`)),
        this.#timeoutMs,
      );
    });
    try {
      return await Promise.race([promise, this.#failed, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  run(task: MeasureTask, what: string, transferList?: ArrayBuffer[]): Promise<unknown> {
    return this.guard(this.pool.run(task, transferList ? { transferList } : undefined), what);
  }

  /** Submits `count` copies of `task` at once and waits for all of them. */
  runMany(task: MeasureTask, count: number, what: string): Promise<unknown[]> {
    return this.guard(Promise.all(Array.from({ length: count }, () => this.pool.run(task))), what);
  }

  /**
   * Destroys the pool and waits until every one of its threads has exited,
   * also when a worker fails while being stopped.
   */
  async destroy(): Promise<void> {
    let threads = new Set([...this.#threads, ...threadsOf(this.pool)]);
    // A worker that fails replaces itself (tinypool's error handler starts a new one, even while
    // destroy() runs), so destroy again until no thread is left; replacements that fail while
    // booting are not replaced again, so this ends after a round or two.
    for (let round = 0; round < 5 && threads.size > 0; round++) {
      for (const wrapper of this.pool.threads) lendRemoveListener(wrapper);
      try {
        await this.pool.destroy();
      } catch {
        // Only a worker's own failure rejects here, and that was reported when it happened;
        // what matters is that every thread is gone, which the next line makes sure of.
      }
      // terminate() resolves on exit, also for a thread already exiting or gone.
      await Promise.all([...threads].map((thread) => thread.terminate().catch(() => 0)));
      threads = new Set(threadsOf(this.pool));
    }
  }
}

/**
 * tinypool's destroy() waits with events.once(wrapper, "exit"), whose error path
 * calls wrapper.removeListener, which tinypool's thread wrapper lacks: a worker
 * failing during destroy() would throw a TypeError from an event handler,
 * uncaught. Lend the wrapper its thread's removeListener.
 */
function lendRemoveListener(wrapper: unknown): void {
  const patchable = wrapper as { removeListener?: unknown; thread?: unknown };
  const thread = patchable.thread;
  if (typeof patchable.removeListener !== "function" && thread instanceof Worker) {
    patchable.removeListener = (event: string, listener: (...args: unknown[]) => void) =>
      thread.removeListener(event, listener);
  }
}

/** The node:worker_threads Workers behind a pool's thread wrappers (a tinypool internal, read defensively). */
function threadsOf(pool: Tinypool): Worker[] {
  return pool.threads
    .map((wrapper) => (wrapper as unknown as { thread?: unknown }).thread)
    .filter((thread): thread is Worker => thread instanceof Worker);
}
