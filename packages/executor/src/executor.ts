import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import {
  AmorsizeValidationError,
  type ExecutorOptions,
  ExecutorOptionsSchema,
  parseInput,
  type RunOptions,
  type TaskRefInput,
} from "@amorsize/types";
import { Tinypool } from "tinypool";
import { endProcessesOfLingering, listenForThreadIds } from "./child-processes.js";
import { BeginBound } from "./chunk.js";
import type { MapResult } from "./delivery.js";
import { ExecutorClosedError, messageOf, TaskLoadError } from "./errors.js";
import { workerExecArgv } from "./flags.js";
import { toInput } from "./input.js";
import { loadedTask } from "./load.js";
import { resolveRunOptions } from "./options.js";
import { ParallelRun, type PoolContext } from "./parallel.js";
import { type CheckRequest, type CheckResponse, type CrashTag, crashTagOf } from "./protocol.js";
import { SerialRun } from "./serial.js";
import { type ResultStream, ResultStreamImpl } from "./stream.js";
import { IMPORT_WAIT_MS, importTask, type ResolvedTask, resolveTask, taskLoadError } from "./task.js";

/** Items a run reads: an array, any iterable, or an async iterable. */
export type RunInput = Iterable<unknown> | AsyncIterable<unknown>;

/** Runs a task over items, on a pool of worker threads or in the calling thread. */
export interface Executor extends AsyncDisposable {
  /** `parallel` (a tinypool pool) or `serial` (the calling thread). */
  readonly mode: "parallel" | "serial";
  /** Worker threads in the pool; 0 in serial mode. */
  readonly workers: number;
  /** Items awaited at once in serial mode; 1 in parallel mode. */
  readonly concurrency: number;
  /** True once `close()` was called. */
  readonly closed: boolean;
  /**
   * Runs `task` over every item and resolves with the results in input order, the
   * failures (under `onError: "collect"`) and a report. Rejects with the first failure
   * under `onError: "throw"` (the default), with `signal.reason` when aborted.
   */
  map<R = unknown>(task: TaskRefInput, items: RunInput, options?: RunOptions): Promise<MapResult<R>>;
  /**
   * Runs `task` over `source` and yields `{ index, value }` as results arrive, reading
   * the source only as fast as the consumer takes results (at most `maxInFlight` chunks
   * between reading and consuming).
   */
  stream<R = unknown>(task: TaskRefInput, source: RunInput, options?: RunOptions): ResultStream<R>;
  /**
   * Imports `task` now where its items will run: in every worker (one load each, side by
   * side), or in the calling thread in serial mode, so that a run's first chunks do not
   * wait for the import. Resolves with each import's time, milliseconds (none for a
   * worker or thread that had it already); rejects with `TaskLoadError` when the module
   * or its export cannot be loaded, or its import has not ended within `IMPORT_WAIT_MS`.
   * Once per task; a worker started later (a replacement) imports it with its first chunk.
   */
  preload(task: TaskRefInput): Promise<number[]>;
  /** Terminates the workers. Runs in flight reject with `ExecutorClosedError`. Idempotent. */
  close(): Promise<void>;
  /** Same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** The worker entry: built JavaScript next to this module, or in dist/ when running from src/ (tests). */
function workerFile(): string {
  const here = import.meta.url;
  const url = here.endsWith(".ts") ? new URL("../dist/worker.js", here) : new URL("./worker.js", here);
  return fileURLToPath(url);
}

class ParallelExecutor implements Executor, PoolContext {
  readonly mode = "parallel" as const;
  readonly concurrency = 1;
  readonly pool: Tinypool;
  private isClosed = false;
  private closing: Promise<void> | null = null;
  private readonly checks = new Map<string, Promise<number>>();
  /** Tasks loaded in every worker (see `ensureTaskEverywhere`). */
  private readonly everywhere = new Map<string, Promise<number[]>>();
  /** Runs started and not ended, by id, so that a late crash reaches the run that caused it. */
  private readonly runs = new Map<number, ParallelRun>();
  private lastRunId = 0;

  constructor(
    readonly workers: number,
    resourceLimits: ExecutorOptions["resourceLimits"],
  ) {
    // Each worker tells which thread of the OS it is, for a stop or close() to end what it waits on.
    listenForThreadIds();
    this.pool = new Tinypool({
      filename: workerFile(),
      name: "runChunk",
      minThreads: workers,
      maxThreads: workers,
      execArgv: workerExecArgv(process.execArgv, process.allowedNodeEnvironmentFlags),
      ...(resourceLimits === undefined ? {} : { resourceLimits }),
    });
    // A worker that dies while idle has no chunk to fail (tinypool replaces it); what
    // killed it may be a timer a chunk left behind, which our worker entry tags. Tinypool's
    // other errors (a late answer from a worker it is removing) are its own business.
    // Without a listener the 'error' would be thrown.
    this.pool.on("error", (error: unknown) => {
      const tag = crashTagOf(error);
      if (tag !== null) this.strayCrash(tag, error);
    });
  }

  enroll(run: ParallelRun): number {
    const id = ++this.lastRunId;
    this.runs.set(id, run);
    return id;
  }

  leave(id: number): void {
    this.runs.delete(id);
  }

  /**
   * A worker died of what a chunk left behind after it returned (a timer that threw):
   * the chunk's run reports it while it runs. Once it has ended nothing can tell it, and
   * a warning says so rather than nothing.
   */
  strayCrash(tag: CrashTag, error: unknown): void {
    const [runId, first, last] = tag;
    if (this.isClosed || this.runs.get(runId)?.crashedAfter([first, last], error) === true) return;
    const what =
      runId < 0
        ? "A worker died while idle"
        : `A worker died of what items ${first}..${last} of an ended run left behind (a timer?)`;
    process.emitWarning(`${what}: ${messageOf(error)}`, {
      type: "AmorsizeWarning",
      code: "AMORSIZE_WORKER_CRASHED",
    });
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /**
   * Loads the task in one worker before the first chunk of the first run that uses it,
   * so a missing module or export fails once, with a `TaskLoadError`, and nothing is
   * dispatched. Checked in a worker rather than here because that is where the task
   * runs (same loaders, no module side effects or heap in the calling thread).
   */
  ensureTask(task: ResolvedTask): Promise<number | null> {
    const known = this.checks.get(task.key);
    if (known !== undefined) return known.then(() => null);
    const check = this.check(task, 0);
    this.checks.set(task.key, check);
    check.catch(() => this.checks.delete(task.key));
    // A worker that had the task loaded (-1) made no load.
    return check.then((ms) => (ms >= 0 ? ms : null));
  }

  preload(task: TaskRefInput): Promise<number[]> {
    if (this.isClosed) return Promise.reject(new ExecutorClosedError());
    try {
      return this.ensureTaskEverywhere(resolveTask(task), IMPORT_WAIT_MS);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Loads the task in every worker before a run with a chunk time-out dispatches: one check
   * per worker, sent side by side, so each lands on a worker still busy with none, each
   * bounded (see `check`). Chunk clocks leave imports out (see `ChunkClock`); what this
   * gives such a run is the imports side by side (a 600 ms import on two workers: 646-655
   * ms a run against 1,241-1,250 with one check) and an import that never ends failing as a
   * `TaskLoadError`. The loads the checks made, in milliseconds (a worker that had the task
   * loaded tells none); once per task. A worker started later (a replacement) imports it in
   * its first chunk.
   */
  ensureTaskEverywhere(task: ResolvedTask, boundMs: number): Promise<number[]> {
    const known = this.everywhere.get(task.key);
    if (known !== undefined) return known.then(() => []);
    const checks = Promise.all(Array.from({ length: this.workers }, () => this.check(task, 0, boundMs)));
    const loads = checks.then((all) => all.filter((ms) => ms >= 0));
    this.everywhere.set(task.key, loads);
    // Where no run has checked it yet, these checks stand for `ensureTask`'s too. A failed
    // load is forgotten (the next run checks again), and only the entries made here.
    const own = this.checks.has(task.key) ? null : checks.then((all) => Math.max(0, ...all));
    if (own !== null) this.checks.set(task.key, own);
    loads.catch(() => {
      this.everywhere.delete(task.key);
      if (own !== null && this.checks.get(task.key) === own) this.checks.delete(task.key);
    });
    // The caller handles `loads`; the entry for `ensureTask` is read only by later runs.
    own?.catch(() => {});
    return loads;
  }

  /**
   * Loads the task in a worker. `boundMs`: a worker that has not loaded it that long after
   * it began the check (a check waiting for a worker busy with other runs' chunks is not
   * counted) is ended (tinypool replaces it) and the check fails: an import that never ends
   * (a module whose top level loops) held a run with a chunk time-out for ever.
   */
  private check(task: ResolvedTask, strays: number, boundMs?: number): Promise<number> {
    const request: CheckRequest = { k: 1, h: task.href, e: task.exportName };
    const bound = boundMs === undefined ? null : new BeginBound(request, boundMs);
    return this.pool.run(request, bound === null ? {} : { signal: bound.signal }).then(
      (answer: CheckResponse) => {
        bound?.clear();
        if (typeof answer !== "number") throw taskLoadError(task, answer);
        return answer;
      },
      (error: unknown) => {
        bound?.clear();
        if (this.isClosed) throw new ExecutorClosedError(error);
        if (bound?.expired) {
          throw new TaskLoadError(
            "AMORSIZE_TASK_LOAD_FAILED",
            task.href,
            task.exportName,
            `a worker had not loaded it within ${boundMs} ms (a module whose import never ends?); the worker was ended`,
            error,
          );
        }
        // The worker died of what a chunk left behind, not of loading the task: check again.
        const tag = crashTagOf(error);
        if (tag !== null && tag[0] >= 0 && strays < this.workers) {
          this.strayCrash(tag, error);
          return this.check(task, strays + 1, boundMs);
        }
        throw new TaskLoadError(
          "AMORSIZE_TASK_LOAD_FAILED",
          task.href,
          task.exportName,
          `the worker failed while loading it: ${messageOf(error)}`,
          error,
        );
      },
    );
  }

  map<R>(task: TaskRefInput, items: RunInput, options?: RunOptions): Promise<MapResult<R>> {
    let run: ParallelRun;
    try {
      run = new ParallelRun(
        this,
        resolveTask(task),
        toInput(items, "items"),
        resolveRunOptions(options, this.workers),
        "map",
      );
    } catch (error) {
      return Promise.reject(error);
    }
    return run.map() as Promise<MapResult<R>>;
  }

  stream<R>(task: TaskRefInput, source: RunInput, options?: RunOptions): ResultStream<R> {
    const run = new ParallelRun(
      this,
      resolveTask(task),
      toInput(source, "source"),
      resolveRunOptions(options, this.workers),
      "stream",
    );
    return new ResultStreamImpl<R>(run);
  }

  close(): Promise<void> {
    if (this.closing === null) {
      this.isClosed = true;
      // Before the pool goes: no run's chunk clock ends a worker of it from now on (a
      // time-out falling due while the workers are ended would read as the run's failure).
      for (const run of this.runs.values()) run.stopClock();
      this.closing = destroyPool(this.pool).then(afterHandleCloses);
    }
    return this.closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * Destroys `pool` and resolves once every thread it held has exited. tinypool's destroy()
 * waits for each of its workers' 'exit' events, and one that exited unseen (tinypool keeps
 * no 'exit' listener: a thread terminated outside it, say) had already sent its only one:
 * destroy() then never resolves, and close() with it (a bench run here sat idle with no
 * worker left). So the wait also ends when the threads themselves have exited, which
 * `terminate()` reports for a thread already gone too.
 */
function destroyPool(pool: Tinypool): Promise<void> {
  // From now on tinypool starts no worker: it keeps its minimum when a task on a worker
  // is aborted (a run stopping as its first chunk fails) or a worker dies (a timer its
  // task left threw), and while destroy() waits for the threads' exits such fresh
  // workers were started in the pool being destroyed, where nothing ended them.
  pool.options.minThreads = 0;
  const wrappers = pool.threads as unknown as Array<{ thread?: unknown; removeListener?: unknown }>;
  const threads = wrappers.map((wrapper) => wrapper.thread).filter((thread) => thread instanceof Worker);
  // destroy() waits for each worker's 'exit' with events.once(), which on an 'error' first
  // calls removeListener, a method tinypool's worker wrapper lacks (2.2.0): the TypeError
  // was thrown out of the caller's process. The wrapper gets it, from its thread.
  for (const wrapper of wrappers) {
    const thread = wrapper.thread;
    if (typeof wrapper.removeListener !== "function" && thread instanceof Worker) {
      wrapper.removeListener = (event: string, listener: (...args: unknown[]) => void) =>
        thread.removeListener(event, listener);
    }
  }
  const exited = Promise.all(threads.map((thread) => thread.terminate().catch(() => 0))).then(() => {});
  // A thread waiting on a child process exits once that process ends: ended after a grace period.
  endProcessesOfLingering(threads);
  // destroy() rejects only with the 'error' of a worker that died during it (see above):
  // the task's doing, which its run reports, not a failure to close. The threads' exits
  // are waited for then.
  const destroyed = pool.destroy().then(
    () => {},
    () => exited,
  );
  return Promise.race([destroyed, exited]);
}

const nextCheckPhase = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Tinypool closes each worker's MessagePort as the worker exits, just before its
 * destroy() resolves; libuv releases a closed handle in the close phase of the loop's
 * next turn. Two check phases later it is gone, so nothing is left once close() resolves.
 */
async function afterHandleCloses(): Promise<void> {
  await nextCheckPhase();
  await nextCheckPhase();
}

class SerialExecutor implements Executor {
  readonly mode = "serial" as const;
  readonly workers = 0;
  private isClosed = false;

  constructor(readonly concurrency: number) {}

  get closed(): boolean {
    return this.isClosed;
  }

  map<R>(task: TaskRefInput, items: RunInput, options?: RunOptions): Promise<MapResult<R>> {
    let run: SerialRun;
    try {
      run = new SerialRun(
        resolveTask(task),
        toInput(items, "items"),
        resolveRunOptions(options, 1),
        this.concurrency,
        "map",
      );
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.isClosed) return Promise.reject(new ExecutorClosedError());
    return run.map() as Promise<MapResult<R>>;
  }

  stream<R>(task: TaskRefInput, source: RunInput, options?: RunOptions): ResultStream<R> {
    if (this.isClosed) throw new ExecutorClosedError();
    const run = new SerialRun(
      resolveTask(task),
      toInput(source, "source"),
      resolveRunOptions(options, 1),
      this.concurrency,
      "stream",
    );
    return new ResultStreamImpl<R>(run);
  }

  async preload(task: TaskRefInput): Promise<number[]> {
    const resolved = resolveTask(task);
    if (this.isClosed) throw new ExecutorClosedError();
    if (loadedTask(resolved.href, resolved.exportName) !== undefined) return [];
    const start = performance.now();
    await importTask(resolved);
    return [performance.now() - start];
  }

  close(): Promise<void> {
    this.isClosed = true;
    return Promise.resolve();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** What a parallel executor without `workers` is told: the option, and both ways to give it. */
const WORKERS_REQUIRED =
  'options.workers: Required in parallel mode: { workers: n } starts n worker threads, { mode: "serial" } runs in the calling thread';

/**
 * Creates an executor. `{ workers: n }` (parallel, the default mode) starts a tinypool
 * pool of exactly `n` worker threads, kept alive between runs until `close()`;
 * `{ mode: "serial", concurrency?: n }` runs in the calling thread and starts nothing.
 */
export function createExecutor(options: ExecutorOptions): Executor {
  // No options at all reads as `{}`: parallel mode, which then says what it needs.
  const parsed = parseInput(ExecutorOptionsSchema, options === undefined ? {} : options, "options");
  const mode = parsed.mode ?? "parallel";
  if (mode === "parallel") {
    const issues: string[] = [];
    if (parsed.workers === undefined) issues.push(WORKERS_REQUIRED);
    if (parsed.concurrency !== undefined) {
      issues.push('options.concurrency: Only used in serial mode (set mode: "serial")');
    }
    if (issues.length > 0) throw new AmorsizeValidationError(issues);
    return new ParallelExecutor(parsed.workers!, parsed.resourceLimits);
  }
  const issues: string[] = [];
  if (parsed.workers !== undefined) issues.push("options.workers: Only used in parallel mode");
  if (parsed.resourceLimits !== undefined) issues.push("options.resourceLimits: Only used in parallel mode");
  if (issues.length > 0) throw new AmorsizeValidationError(issues);
  return new SerialExecutor(parsed.concurrency ?? 1);
}
