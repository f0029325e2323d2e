// Sampling in a worker thread: where a sampled item that exits, aborts, loops, never
// settles or runs out of memory fails as that item (or is cut off at a time bound) instead
// of taking the calling thread with it. Each block is one chunk of a one-worker executor
// run, so the executor's isolation (crashed chunks re-run in parts, time-outs, clone
// checks, unsettled promises) applies to sampled items as it does to the run's.
import { performance } from "node:perf_hooks";
import {
  ChunkTimeoutError,
  createExecutor,
  type Executor,
  type MapResult,
  type ResolvedTask,
  type RunError,
  WorkerCrashedError,
} from "@amorsize/executor";
import type { ExecutionReport, ResourceLimits } from "@amorsize/types";
import { type ItemFigures, ownMs } from "./clock-math.js";
import { nextBlockSize, sizedPositions } from "./order.js";
import { itemRecord } from "./records.js";
import { clonedBytes } from "./session.js";
import { shiftError } from "./shift.js";
import type { Block } from "./source.js";
import { SamplingState, type SessionOptions } from "./state.js";

/** What guards sampled items: the caller's protection, and the decision's time bound. */
export interface SampleGuard {
  /** The caller's `chunkTimeoutMs`: a sampled item past it fails as it would in the run. */
  chunkTimeoutMs?: number | undefined;
  /** Heap limits of the sampling worker (the caller's `resourceLimits`). */
  resourceLimits?: ResourceLimits | undefined;
  /**
   * Time after which a block is cut off (milliseconds from the start of sampling): its
   * items are not failed but taken as at least that slow, and sampling stops there. Set
   * for decisions that must answer in bounded time (optimize, explain, compare).
   */
  boundMs?: number | undefined;
  /**
   * Given: sampling hands its worker's executor here when it ends, open, instead of closing
   * it (the run's owner closes it or runs on it: see `KeptSampler`). Its worker has imported
   * the task and run it warm.
   */
  keep?: ((executor: Executor) => void) | undefined;
}

/** A block cut off at the decision's time bound: its first index, length, and the time it had. */
export interface CutOff {
  first: number;
  length: number;
  ms: number;
}

/** Blocks run shorter than this are not cut off: the bound leaves room for the pool to answer. */
const MIN_BLOCK_MS = 20;

/**
 * Per-item figures of a block that a worker ran, from the run's report: its own time is
 * its busy time less what the worker's thread waited for a core (`queuedMs`, where Linux
 * tells it), as the calling thread's own clocks leave those waits out, so a preempted
 * item reads neither slower nor as waiting. Pure.
 */
export function workerItemFigures(
  report: Pick<ExecutionReport, "busyMs" | "cpuMs" | "queuedMs">,
  length: number,
): ItemFigures {
  const wallMs = report.busyMs / length;
  const own = ownMs(report) / length;
  // Without a CPU figure the item is taken as computing, as the calling thread's clocks
  // would say of a loop: the planner's default.
  const cpu = report.cpuMs === undefined ? own : Math.min(own, report.cpuMs / length);
  return { wallMs, cpuMs: cpu, ownMs: own, idleMs: Math.max(0, own - cpu), heapGrowth: 0 };
}

/** One sampling in a worker: the items it ran, what they gave, and what was measured of them. */
export class GuardedSampleSession extends SamplingState {
  /** Set when a block was cut off at the time bound. */
  cutOff: CutOff | null = null;
  /** The task module's load in the sampling worker, milliseconds; null until measured. */
  moduleLoadMs: number | null = null;
  private executor: Executor | null = null;
  /**
   * The waits for a worker to start and import the task (the first block's, and a block's
   * after its worker was ended): not sampling, so not charged to its budget (a 130 ms
   * import would leave one item sampled). The time bound counts it: the answer must come.
   */
  private startupMs = 0;
  /** The last block's worker was ended (a time-out, a crash): the next block's starts and imports the task. */
  private workerEnded = false;

  constructor(
    private readonly task: ResolvedTask,
    options: SessionOptions,
    private readonly guard: SampleGuard,
  ) {
    super(options);
  }

  /** Time spent sampling, the worker's start-up left out, milliseconds. */
  override elapsedMs(): number {
    return performance.now() - this.started - this.startupMs;
  }

  /** Time since sampling began, the worker's start-up included: the time bound counts from there (the answer must come). */
  private sinceStartMs(): number {
    return performance.now() - this.started;
  }

  override shouldStop(): boolean {
    // The bound holds whatever the stop rules allow (a cold first unit's allowance among them).
    const { boundMs } = this.guard;
    const pastBound = boundMs !== undefined && this.sinceStartMs() >= boundMs;
    return this.cutOff !== null || pastBound || super.shouldStop();
  }

  /**
   * Blocks at most double the items run so far: a block sized from fast first items could
   * otherwise hold a run of slow ones (fib(30..39) after fib(0)). Items are awaited one at
   * a time in the worker, so an async task is sized like a synchronous one.
   */
  override blockSize(): number {
    return Math.min(
      nextBlockSize(
        false,
        this.records,
        this.ranges.some((r) => r.length > 1),
        this.shareSpent(),
      ),
      Math.max(
        1,
        this.ranges.reduce((a, r) => a + r.length, 0),
      ),
    );
  }

  override async run(block: Block): Promise<void> {
    this.options.signal?.throwIfAborted();
    this.ranges.push({ first: block.first, length: block.items.length });
    const sized = sizedPositions(block.items.length);
    const inBytes = sized.map((k) => this.itemBytes(block.first + k, block.items[k]));
    const timeoutMs = this.blockTimeoutMs();
    const fresh = this.executor === null || this.workerEnded;
    const t0 = performance.now();
    const outcome = await this.pool().map(
      { module: this.task.href, export: this.task.exportName },
      block.items,
      {
        chunkSize: block.items.length,
        onError: "collect",
        measureCpu: true,
        ...(timeoutMs === undefined ? {} : { chunkTimeoutMs: timeoutMs }),
        ...(this.options.signal ? { signal: this.options.signal } : {}),
      },
    );
    // A fresh worker's start and import are no sampling: the first one's, and a replacement's.
    if (fresh) this.startupMs += Math.max(0, performance.now() - t0 - outcome.report.busyMs);
    this.workerEnded = outcome.errors.some(
      (e) => e instanceof ChunkTimeoutError || e instanceof WorkerCrashedError,
    );
    if (outcome.report.taskLoads !== undefined && this.moduleLoadMs === null) {
      this.moduleLoadMs = outcome.report.taskLoads.maxMs;
    }
    const timedOut = outcome.errors.find((e): e is ChunkTimeoutError => e instanceof ChunkTimeoutError);
    if (timedOut !== undefined && this.isCutOff(timedOut, block.items.length)) {
      this.cutOff = { first: block.first, length: block.items.length, ms: timedOut.timeoutMs };
      this.recordCutOff(block, timedOut.timeoutMs);
      return;
    }
    this.keep(block, outcome, sized, inBytes);
  }

  /**
   * An item's structured-clone size. One that cannot be cloned rejects under "throw"; under
   * "collect" it reads 0 and is sent with its block, where the executor fails it alone
   * (`AMORSIZE_ITEM_NOT_CLONEABLE`), as at an index sampling did not run.
   */
  private itemBytes(index: number, item: unknown): number {
    try {
      return clonedBytes("item", index, item, this.clone);
    } catch (error) {
      if (this.options.onError === "throw") throw error;
      return 0;
    }
  }

  override async close(): Promise<void> {
    const { executor } = this;
    this.executor = null;
    if (executor === null) return;
    if (this.guard.keep) this.guard.keep(executor);
    else await executor.close();
  }

  private pool(): Executor {
    this.executor ??= createExecutor({
      workers: 1,
      ...(this.guard.resourceLimits ? { resourceLimits: this.guard.resourceLimits } : {}),
    });
    return this.executor;
  }

  /**
   * The chunk time-out of the next block: the caller's, or what is left of the time bound
   * (at least MIN_BLOCK_MS), whichever is shorter; none without either.
   */
  private blockTimeoutMs(): number | undefined {
    const { chunkTimeoutMs, boundMs } = this.guard;
    const sinceStart = this.sinceStartMs();
    const left = boundMs === undefined ? undefined : Math.max(MIN_BLOCK_MS, Math.ceil(boundMs - sinceStart));
    if (left === undefined) return chunkTimeoutMs;
    return chunkTimeoutMs === undefined ? left : Math.min(chunkTimeoutMs, left);
  }

  /**
   * A time-out is the bound's (the block is cut off) when the caller set none, or set a
   * longer one; a multi-item block past the caller's own is cut off too: its items are
   * left to the run, which times them out one chunk at a time, and not failed together.
   */
  private isCutOff(error: ChunkTimeoutError, length: number): boolean {
    const own = this.guard.chunkTimeoutMs;
    return own === undefined || error.timeoutMs < own || length > 1;
  }

  /** A cut-off block is at least as slow as the time it had: a lower bound, and no result. */
  private recordCutOff(block: Block, ms: number): void {
    const length = block.items.length;
    const figures = workerItemFigures({ busyMs: ms }, length);
    this.units++;
    this.unitTimes.push(figures.ownMs);
    this.unitItems.push(length);
    const item = {
      index: block.first,
      item: block.items[0],
      result: undefined,
      ok: false,
      inBytes: 0,
      outBytes: 0,
    };
    this.records.push(itemRecord(item, figures, false, length));
  }

  /** Keeps a block's results, failures and figures. */
  private keep(block: Block, outcome: MapResult<unknown>, sized: number[], inBytes: number[]): void {
    const failed = new Set<number>();
    for (const raw of outcome.errors) {
      const error = shiftError(raw as RunError, block.first);
      const [a, b] = error.range;
      if (this.options.onError === "throw") throw error;
      for (let index = a; index <= b; index++) {
        failed.add(index);
        this.failures.set(index, error);
      }
    }
    const { results, report } = outcome;
    const length = block.items.length;
    const figures = workerItemFigures(report, length);
    this.units++;
    if (this.units === 1) this.options.onFirstTiming?.(figures.wallMs);
    this.unitTimes.push(figures.ownMs);
    this.unitItems.push(length);
    for (let k = 0; k < length; k++) {
      if (!failed.has(block.first + k)) this.precomputed.set(block.first + k, results[k]);
    }
    const weight = length / sized.length;
    for (let s = 0; s < sized.length; s++) {
      const k = sized[s]!;
      const index = block.first + k;
      const ok = !failed.has(index);
      const outBytes = ok ? clonedBytes("result", index, results[k], this.clone) : 0;
      const item = { index, item: block.items[k], result: results[k], ok, inBytes: inBytes[s]!, outBytes };
      this.records.push(itemRecord(item, figures, report.awaited === true, weight));
    }
  }
}
