import { performance } from "node:perf_hooks";
import { createExecutor, type Executor } from "@amorsize/executor";
import type { Plan, ResourceLimits } from "@amorsize/types";
import { type EarlyStart, earlyPoolWorkers, type ModuleCosts } from "./decide.js";
import type { Machine } from "./prepare.js";

/**
 * Workers take tens of milliseconds to start. When the first sampled item already shows
 * work worth spreading, a pool of the size the model plans from that item starts while
 * sampling goes on, and the run takes it if the final plan does.
 */
export class EarlyPool {
  #executor: Executor | undefined;
  #startedAt = 0;
  readonly #create: typeof createExecutor;

  readonly #limits: ResourceLimits | undefined;

  /** `create` makes the pool (tests watch it); its workers get the caller's `resourceLimits`. */
  constructor(create: typeof createExecutor = createExecutor, resourceLimits?: ResourceLimits) {
    this.#create = create;
    this.#limits = resourceLimits;
  }

  /**
   * Called with the first sampled item's time (and the module's cached warm-up and import,
   * when known): starts the pool when the model wants one.
   */
  consider(
    itemMs: number,
    machine: Machine,
    totalItems: number | null,
    cached: ModuleCosts | null = null,
  ): void {
    if (this.#executor) return;
    let workers: number;
    try {
      workers = earlyPoolWorkers(itemMs, totalItems, machine, cached);
    } catch {
      // Constraints the model rejects start nothing here; the plan itself reports them.
      return;
    }
    if (workers === 0) return;
    this.#start(workers);
  }

  /**
   * The pool for a warm-up probe: this one, started now with `workers` (the plan's) when
   * sampling started none. The probe's worker is then warm for the run that takes the pool,
   * instead of being closed with a one-worker pool of the probe's own while the run starts
   * fresh ones (a hash task's 2-worker run paid two starts, imports and warm-ups after a
   * probe had paid one).
   */
  forProbe(workers: number): Executor | undefined {
    if (!this.#executor && workers >= 2) this.#start(workers);
    return this.#executor;
  }

  #start(workers: number): void {
    this.#executor = this.#create({
      mode: "parallel",
      workers,
      ...(this.#limits === undefined ? {} : { resourceLimits: this.#limits }),
    });
    this.#startedAt = performance.now();
  }

  /** The pool, while it is this one's: its workers are fresh until the run or a probe uses them. */
  current(): Executor | undefined {
    return this.#executor;
  }

  /** The pool's size and how long ago it started, for planning to credit; undefined when none started. */
  started(): EarlyStart | undefined {
    if (!this.#executor) return undefined;
    return { workers: this.#executor.workers, startedMsAgo: performance.now() - this.#startedAt };
  }

  /** The pool, when `plan` runs on a pool of its size; otherwise it is closed. */
  async take(plan: Plan): Promise<Executor | undefined> {
    const executor = this.#executor;
    this.#executor = undefined;
    if (executor && plan.mode === "parallel" && plan.workers === executor.workers) return executor;
    await executor?.close();
    return undefined;
  }

  async close(): Promise<void> {
    const executor = this.#executor;
    this.#executor = undefined;
    await executor?.close();
  }
}

/**
 * The guarded sampler's executor, kept open when sampling ends (see `SampleGuard.keep`).
 * Under isolation (`isolate`, `chunkTimeoutMs`, `resourceLimits`) a serial plan runs on
 * one worker: this one, which has imported the task and run it warm, instead of a fresh
 * one that imports it and warms up again (a parser's 1,500 items: see the optimizer's
 * README). Its workers got the caller's `resourceLimits`, as the run's would.
 */
export class KeptSampler {
  #executor: Executor | undefined;
  /** Executors kept before the last one, closing: take() and close() resolve once they are gone. */
  #closing: Promise<unknown> = Promise.resolve();

  /** Takes the sampler's executor (one kept before it, from an earlier sample, is closed). */
  keep(executor: Executor): void {
    const earlier = this.#executor;
    this.#executor = executor;
    // Closing an idle one-worker pool does not fail; if it did, nothing is left to tell.
    if (earlier !== undefined)
      this.#closing = Promise.all([this.#closing, earlier.close().catch(() => undefined)]);
  }

  /**
   * The executor, when `plan` is serial and runs on one worker (`onWorker`: under
   * isolation, or where the worker is sooner, see `serialSoonerOnSampler`); otherwise it
   * is closed.
   */
  async take(plan: Plan, onWorker: boolean): Promise<Executor | undefined> {
    await this.#closing;
    const executor = this.#executor;
    this.#executor = undefined;
    if (executor && plan.mode === "serial" && onWorker) return executor;
    await executor?.close();
    return undefined;
  }

  async close(): Promise<void> {
    const executor = this.#executor;
    this.#executor = undefined;
    await Promise.all([this.#closing, executor?.close()]);
  }
}
