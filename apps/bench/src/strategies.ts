import { performance } from "node:perf_hooks";
import { Tinypool } from "tinypool";
import type { AmorsizeApi, ExecuteResult } from "./amorsize.js";
import type { BatchMessage } from "./batch-worker.js";
import { type Batch, JoblibAutoBatcher, JoblibDispatcher } from "./joblib.js";
import type { Workload } from "./workloads.js";

/** The strategies every workload is run with, in report order. */
export const STRATEGIES = ["serial", "naive-pool", "pool-map", "joblib", "amorsize", "oracle"] as const;
export type StrategyName = (typeof STRATEGIES)[number];

/**
 * The baselines that are a pool this project did not write, run as its users start it: the naive
 * pool (tinypool's defaults, one `run()` per item). One of them overrunning its time is a finding
 * about that pool, reported, while the same from any strategy with this project's code in it (its
 * executor, `execute()`, the plain loop over the workload, the joblib dispatcher) fails the run.
 */
export const BASELINES_NOT_OURS: ReadonlySet<StrategyName> = new Set(["naive-pool"]);

/**
 * What a baseline's pool was doing, read when the baseline overruns its time: which phase it was
 * in, how many of its threads were alive or had exited (a thread that exits without an error is one
 * tinypool never replaces, and a task sent to it never settles), the tasks queued, the tasks sent to
 * a thread (or waiting for one that is starting: tinypool's queue size leaves those out) and those
 * settled. One watch per run: a run abandoned at its time limit may settle later, and must not
 * write into the next run's account.
 */
export class PoolWatch {
  #pool: Tinypool | null = null;
  #phase = "";
  #tasks: number | undefined;

  /** The pool to read, and how many tasks will be sent to it where that is known up front. */
  watch(pool: Tinypool, tasks?: number): void {
    this.#pool = pool;
    this.#tasks = tasks;
    this.#phase = "running its tasks";
  }

  set phase(phase: string) {
    this.#phase = phase;
  }

  describe(): string {
    const pool = this.#pool;
    if (pool === null) return "";
    // tinypool's thread wrappers hold the Node Worker as `thread`; its threadId turns -1 once it exited.
    const ids = pool.threads.map((t) => (t as { thread?: { threadId?: number } }).thread?.threadId);
    const exited = ids.filter((id) => id === -1).length;
    const queued = pool.queueSize;
    const settled = pool.completed;
    const inFlight =
      this.#tasks === undefined
        ? ""
        : `, ${this.#tasks - settled - queued} sent to a thread or waiting for one to start`;
    return (
      `tinypool ${this.#phase}: ${ids.length} thread${ids.length === 1 ? "" : "s"} in the pool` +
      `${exited > 0 ? ` (${exited} exited)` : ""}, ${queued} task${queued === 1 ? "" : "s"} queued${inFlight},` +
      ` ${settled}${this.#tasks === undefined ? "" : ` of ${this.#tasks}`} settled`
    );
  }

  /**
   * Ends a pool its run was abandoned with (the run overran its time): its live threads are
   * terminated, its queued tasks rejected, so that it takes no core from the runs after it.
   * Nothing waits on it (tinypool's destroy() never settles for a thread that already exited).
   */
  abandon(): void {
    this.#phase = "abandoned";
    void this.#pool?.destroy().catch(() => undefined);
  }
}

/** One timed run: wall milliseconds and the results (checked against the serial loop afterwards). */
export interface RunOutcome {
  ms: number;
  results: unknown[];
}

/**
 * Fairness rule applied to every strategy that uses threads: the timed region
 * runs from creating the pool (or executor) to having every result and the pool
 * closed. `execute()` creates and closes its own executor, and a caller who
 * starts a pool for one job pays its start-up, so the baselines pay it too.
 */
async function timed(body: () => Promise<unknown[]>): Promise<RunOutcome> {
  const start = performance.now();
  const results = await body();
  return { ms: performance.now() - start, results };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as { then?: unknown }).then === "function"
  );
}

/** A plain loop in the calling thread; awaits a result only when the task returned a promise. */
export function runSerial(workload: Workload, items: readonly unknown[]): Promise<RunOutcome> {
  return timed(async () => {
    const out = new Array<unknown>(items.length);
    const fn = workload.fn;
    for (let i = 0; i < items.length; i++) {
      const r = fn(items[i]);
      out[i] = isThenable(r) ? await r : r;
    }
    return out;
  });
}

/** tinypool with its default thread count, one `run()` per item, all submitted at once. */
export function runNaivePool(
  workload: Workload,
  items: readonly unknown[],
  watch = new PoolWatch(),
): Promise<RunOutcome> {
  return timed(async () => {
    const pool = new Tinypool({ filename: workload.moduleUrl, name: workload.descriptor.export });
    watch.watch(pool, items.length);
    try {
      return await Promise.all(items.map((item) => pool.run(item)));
    } finally {
      watch.phase = "being destroyed";
      await pool.destroy();
    }
  });
}

/** Python's `multiprocessing.Pool.map` chunk size: ceil(n / (4 * workers)). */
export function poolMapChunkSize(n: number, workers: number): number {
  return Math.max(1, Math.ceil(n / (4 * workers)));
}

/** Runs a fixed configuration through `@amorsize/executor`: pool-map and every oracle candidate. */
export function runExecutor(
  api: AmorsizeApi,
  workload: Workload,
  items: readonly unknown[],
  config: { workers: number; chunkSize: number },
  signal?: AbortSignal,
): Promise<RunOutcome> {
  return timed(async () => {
    const executor = await api.createExecutor({ mode: "parallel", workers: config.workers });
    try {
      const task = { module: workload.modulePath, export: workload.descriptor.export };
      const run = await executor.map(task, items, {
        chunkSize: config.chunkSize,
        ...(signal ? { signal } : {}),
      });
      return run.results;
    } finally {
      await executor.close();
    }
  });
}

/** What the joblib baseline did, for the report. */
export interface JoblibTrace {
  batches: number;
  /** Effective batch size when the run ended. */
  finalBatchSize: number;
  /** Largest batch dispatched. */
  largestBatch: number;
}

/** The batch worker, built JavaScript; the same relative path from `src/` and `dist/`. */
export const BATCH_WORKER_URL = new URL("../dist/batch-worker.js", import.meta.url);

/**
 * joblib-style auto batching on tinypool with `nJobs` threads (joblib starts them
 * all). Batch durations are timed from dispatch to completion in this thread, as
 * joblib's completion callback does.
 */
export async function runJoblib(
  workload: Workload,
  items: readonly unknown[],
  nJobs: number,
  trace?: (t: JoblibTrace) => void,
  watch = new PoolWatch(),
): Promise<RunOutcome> {
  let batches = 0;
  let largestBatch = 0;
  const batcher = new JoblibAutoBatcher();
  const outcome = await timed(async () => {
    const pool = new Tinypool({ filename: BATCH_WORKER_URL.href, minThreads: nJobs, maxThreads: nJobs });
    watch.watch(pool);
    try {
      const dispatcher = new JoblibDispatcher(items.length, nJobs, batcher);
      const results = new Array<unknown>(items.length);
      await new Promise<void>((resolve, reject) => {
        let inFlight = 0;
        let failed = false;
        const dispatch = (batch: Batch) => {
          inFlight++;
          batches++;
          largestBatch = Math.max(largestBatch, batch.end - batch.start);
          const message: BatchMessage = {
            module: workload.moduleUrl,
            export: workload.descriptor.export,
            items: items.slice(batch.start, batch.end),
          };
          const start = performance.now();
          pool.run(message).then(
            (out: unknown[]) => {
              if (failed) return;
              batcher.batchCompleted(batch.end - batch.start, performance.now() - start);
              for (let i = 0; i < out.length; i++) results[batch.start + i] = out[i];
              inFlight--;
              const next = dispatcher.nextBatch();
              if (next) dispatch(next);
              else if (inFlight === 0) resolve();
            },
            (error: unknown) => {
              failed = true;
              reject(error);
            },
          );
        };
        const initial = dispatcher.initialBatches();
        if (initial.length === 0) resolve();
        for (const batch of initial) dispatch(batch);
      });
      return results;
    } finally {
      watch.phase = "being destroyed";
      await pool.destroy();
    }
  });
  trace?.({ batches, finalBatchSize: batcher.effectiveBatchSize, largestBatch });
  return outcome;
}

/**
 * `execute()` end to end: probe (cached per process), spawn cost (cached on disk),
 * sampling, planning, run. `cache: false` alone would also bypass the spawn-cost
 * cache (the optimizer passes it down) and the module-cost cache (a fresh worker's
 * warm-up per module version), so both are asked for explicitly: only the plan cache is
 * meant to be cold. The first repetition of a workload measures its warm-up (when its
 * plan would start workers); the others read it, as a user's later runs would, and probe
 * again only while that figure, from a single reading, alone keeps the plan serial.
 */
export async function runAmorsize(
  api: AmorsizeApi,
  workload: Workload,
  items: readonly unknown[],
): Promise<RunOutcome & { execution: ExecuteResult }> {
  const start = performance.now();
  const execution = await api.execute(
    { module: workload.modulePath, export: workload.descriptor.export },
    items,
    { cache: false, spawnCost: { cache: true }, warmup: { cache: true } },
  );
  return { ms: performance.now() - start, results: execution.results, execution };
}
