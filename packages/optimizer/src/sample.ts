import { closeSync, openSync, readSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { getHeapStatistics } from "node:v8";
import { CloneError, ItemError } from "@amorsize/executor";
import {
  type PayloadKind,
  parseInput,
  SampleTaskOptionsSchema,
  type SampleTaskPlainOptions,
  type TaskRefInput,
  type WorkloadSample,
} from "@amorsize/types";
import { DataError, messageOf } from "./errors.js";
import { dominantKind, payloadKind, serializedBytes } from "./payload.js";
import { loadTask, type ResolvedTask, resolveTask } from "./task.js";

/** The input of a run: an array (random access), an iterable or an async iterable. */
export type TaskData<T = unknown> = readonly T[] | Iterable<T> | AsyncIterable<T>;

export const SAMPLE_DEFAULTS = { minItems: 3, maxItems: 32, budgetMs: 60 } as const;

/** Items faster than this are timed in blocks of consecutive items. */
const FAST_ITEM_MS = 0.05;
/** Target duration of a block of fast items. */
const BLOCK_TARGET_MS = 0.5;
const MAX_BLOCK = 4096;
/** Items of an async task sampled at once. */
const CONCURRENT_SAMPLES = 32;
/**
 * At most this share of the job's estimated time goes to sampling (known item count). The
 * job's time is its serial time spread over the cores it may use: sampling runs in this
 * thread while the run will not, so on 16 cores a share of the serial time would be 16
 * times that share of the run.
 */
const SAMPLE_SHARE = 0.03;
/** Stop once this many units give a mean with a relative standard error under PRECISE_ERROR. */
const PRECISE_UNITS = 8;
const PRECISE_ERROR = 0.05;

/** Which positions of a block of `length` items get their sizes measured: at most 3, spread. */
function sizedPositions(length: number): number[] {
  if (length <= 3) return Array.from({ length }, (_, k) => k);
  return [0, Math.floor(length / 2), length - 1];
}
const FAILED = Symbol("failed");

/**
 * The time a timed unit spent on a core or waiting on its own account: its wall time less
 * the time the thread spent queued for a core. The queueing delay comes from the clock
 * reads around the unit, and a thread is most often preempted at a system call, i.e. in
 * those reads: so it is taken off the wider window that includes them (`outerMs`), and
 * the result never exceeds the unit's own wall time. Measured under load here: a 1.75 ms
 * item whose reads saw 5.2 ms of queueing.
 */
function ownTime(wallMs: number, outerMs: number, queuedMs: number): number {
  return Math.min(wallMs, Math.max(0, outerMs - queuedMs));
}

/**
 * V8's used heap, as process.memoryUsage().heapUsed reports it, without the resident-set
 * read that comes with memoryUsage() (a /proc read per timed unit).
 */
const heapUsed = (): number => getHeapStatistics().used_heap_size;

// runStretch holds no try/catch and allocates nothing: it reports through these.
/** Position in the block of the item being run. */
let stretchAt = 0;
/** Set when a stretch stopped at an item that returned a promise (at `stretchAt`). */
let stretchStop: PromiseLike<unknown> | null = null;

/**
 * Consecutive input items, `first` the index of the first: blocks are index ranges, not
 * lists of index/item pairs, so building one allocates nothing per item (for items of a
 * few nanoseconds, pairs and a set of taken indices cost more than running the items).
 */
interface Block {
  readonly first: number;
  readonly items: readonly unknown[];
}

/** Runs the items of a block from position `from` into `results`; stops early at a promise. */
function runStretch(
  fn: (item: unknown) => unknown,
  items: readonly unknown[],
  results: unknown[],
  from: number,
): number {
  for (let k = from; k < items.length; k++) {
    stretchAt = k;
    const value = fn(items[k]);
    if (value !== null && typeof (value as PromiseLike<unknown>)?.then === "function") {
      stretchStop = value as PromiseLike<unknown>;
      return k;
    }
    results[k] = value;
  }
  return items.length;
}

export interface ClockReading {
  processCpuMs: number;
  threadCpuMs: number | null;
  queuedMs: number;
  /** The event loop's active and idle (waiting for I/O or timers) time so far; 0 before it starts. */
  loopActiveMs: number;
  loopIdleMs: number;
}

/**
 * The kernel brings a thread's runtime in /proc/thread-self/schedstat up to date only at
 * scheduler ticks and context switches, so a reading lags the truth by up to one tick
 * (4 ms at HZ=250, measured here; 10 ms at HZ=100, the coarsest kernel setting in use).
 */
const SCHEDSTAT_STALENESS_MS = 10;

/**
 * Readings for the CPU time of the sampling thread, and the time it spent ready but
 * queued for a core.
 *
 * process.cpuUsage() is precise but counts every thread of the process: V8's GC and
 * compiler helpers, and workers (the optimizer starts its pool while it samples, and
 * the caller may run workers of its own). Alone it made a task that only waits look
 * CPU-bound whenever another thread was busy. Two bounds keep it to this thread (see
 * cpuBetween): the event loop's active time (performance.eventLoopUtilization), and on
 * Linux the thread's own runtime from /proc/thread-self/schedstat plus the staleness of
 * that figure. The same file gives the queueing delay, which tells a task that waits
 * (I/O, sleeps) from one that was only preempted. Elsewhere the queueing delay is 0.
 */
class ThreadClock {
  private fd: number | null = null;
  private readonly buffer = Buffer.alloc(128);

  constructor() {
    try {
      this.fd = openSync("/proc/thread-self/schedstat", "r");
    } catch {
      this.fd = null;
    }
  }

  read(): ClockReading {
    const usage = process.cpuUsage();
    const processCpuMs = (usage.user + usage.system) / 1000;
    const loop = performance.eventLoopUtilization();
    const loopActiveMs = loop.active;
    const loopIdleMs = loop.idle;
    if (this.fd !== null) {
      try {
        const length = readSync(this.fd, this.buffer, 0, this.buffer.length, 0);
        const [run, queued] = this.buffer.toString("latin1", 0, length).trim().split(/\s+/).map(Number);
        if (Number.isFinite(run) && Number.isFinite(queued)) {
          return { processCpuMs, threadCpuMs: run! / 1e6, queuedMs: queued! / 1e6, loopActiveMs, loopIdleMs };
        }
      } catch {
        // Fall through: the process figure alone.
      }
      this.close();
    }
    return { processCpuMs, threadCpuMs: null, queuedMs: 0, loopActiveMs, loopIdleMs };
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/** CPU time the sampling thread spent between two readings, in milliseconds. */
export function cpuBetween(before: ClockReading, after: ClockReading): number {
  let cpuMs = after.processCpuMs - before.processCpuMs;
  if (before.threadCpuMs !== null && after.threadCpuMs !== null) {
    cpuMs = Math.min(cpuMs, after.threadCpuMs - before.threadCpuMs + SCHEDSTAT_STALENESS_MS);
  }
  // The thread computes only while its event loop is active, never while it waits in
  // the poll for I/O or timers: a precise bound on every platform, which keeps short
  // waits from looking CPU-bound when the schedstat slack would not (it is 0 before the
  // loop has started, e.g. at a CommonJS module's top level: then it is not used).
  const loopMs = after.loopActiveMs + after.loopIdleMs - (before.loopActiveMs + before.loopIdleMs);
  if (loopMs > 0) cpuMs = Math.min(cpuMs, after.loopActiveMs - before.loopActiveMs);
  return Math.max(0, cpuMs);
}

/** What sampling learned, and what it computed on the way. */
export interface SampleResult {
  workload: WorkloadSample;
  /** Results of the sampled items by input index: reused, so no item runs twice. */
  precomputed: Map<number, unknown>;
  /** Items that threw while sampled (only under `onError: "collect"`), by input index. */
  failures: Map<number, unknown>;
  /**
   * The input to use from now on, instead of the original: the same items in the same
   * order. An iterator that sampling read from is re-joined, so nothing is lost or repeated.
   */
  data: TaskData;
}

export interface SampleTaskOptions extends SampleTaskPlainOptions {
  /** Called once, with the mean item time of the first timed unit (cold, so an upper estimate), milliseconds. */
  onFirstTiming?: (itemMs: number) => void;
  /** Stops sampling: the call rejects with `signal.reason` between items. */
  signal?: AbortSignal;
}

interface Measured {
  index: number;
  wallMs: number;
  cpuMs: number;
  /**
   * The item's own time: its wall time less the time the thread was ready to run but
   * queued for a core (other processes, or the workers execute() starts while it samples).
   */
  ownMs: number;
  /** Time the event loop waited in its poll (for timers or I/O): waiting, never computing. */
  idleMs: number;
  inBytes: number;
  outBytes: number;
  inKind: PayloadKind;
  outKind: PayloadKind;
  heapGrowth: number;
  async: boolean;
  /** How many items this record stands for (a sized item of a block stands for its share). */
  weight: number;
}

function isRandomAccess(data: unknown): data is ArrayLike<unknown> {
  return Array.isArray(data) || (ArrayBuffer.isView(data) && !(data instanceof DataView));
}

/**
 * The j-th point (j >= 1) of the base-2 van der Corput sequence: 1/2, 1/4, 3/4, 1/8, ...
 * Sampling indices in this order spreads any prefix of the sample over the whole input.
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

/** Input indices to sample from an array of length n, in the order they are run. */
export function* spreadIndices(n: number): Generator<number> {
  const seen = new Set<number>();
  for (let j = 1; seen.size < n; j++) {
    const index = Math.min(n - 1, Math.floor(spreadFraction(j) * n));
    if (!seen.has(index)) {
      seen.add(index);
      yield index;
    }
    if (j > 4 * n + 64) break;
  }
  // Fill anything the sequence skipped (small n), first to last.
  for (let i = 0; i < n; i++) if (!seen.has(i)) yield i;
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (position - low);
}

/**
 * Runs the task on a few items in this thread to learn its per-item time, CPU share,
 * payload sizes and memory. Stops at `maxItems`, or once `budgetMs` is spent and either
 * `minItems` ran or items are so slow that more would cost more than they tell.
 */
export async function sampleTask(
  task: TaskRefInput | ResolvedTask,
  data: TaskData,
  options: SampleTaskOptions = {},
): Promise<SampleResult> {
  const { signal, onFirstTiming, ...plainOptions } = options;
  signal?.throwIfAborted();
  const {
    onError = "throw",
    totalItems,
    parallelism = 1,
    ...sampleOptions
  } = parseInput(SampleTaskOptionsSchema, plainOptions, "options");
  const limits = { ...SAMPLE_DEFAULTS, ...sampleOptions };
  if (limits.maxItems < limits.minItems) limits.minItems = limits.maxItems;
  const resolved = "url" in task ? task : resolveTask(task);
  const fn = await loadTask(resolved);

  const measured: Measured[] = [];
  const precomputed = new Map<number, unknown>();
  const failures = new Map<number, unknown>();
  const clock = new ThreadClock();
  const started = performance.now();
  let units = 0;
  /** Every block run, as its first index and length. */
  const ranges: { first: number; length: number }[] = [];
  /** Per-item own time of each timed unit (an item, or a block's mean): queueing left out. */
  const unitTimes: number[] = [];
  const expectedTotal = isRandomAccess(data) ? data.length : (totalItems ?? null);

  const shouldStop = (): boolean => {
    if (units >= limits.maxItems) return true;
    if (units < limits.minItems) {
      // Slow items: one more would cost more than the budget that sampling is allowed.
      const elapsed = performance.now() - started;
      return units > 0 && elapsed >= limits.budgetMs && elapsed / units > limits.budgetMs / limits.minItems;
    }
    const elapsed = performance.now() - started;
    if (elapsed >= limits.budgetMs) return true;
    const stats = unitStats();
    // Sampling runs items one after another in this thread: keep it a small share of the
    // job's time on the cores it may use, when the item count is known.
    if (
      expectedTotal !== null &&
      elapsed >= (SAMPLE_SHARE * expectedTotal * stats.meanItemMs) / parallelism
    ) {
      return true;
    }
    // Uniform items: the mean is already known well enough.
    return units >= PRECISE_UNITS && stats.relativeError < PRECISE_ERROR;
  };

  /** Mean item time, and the relative standard error of the mean over the units timed so far. */
  const unitStats = (): { meanItemMs: number; relativeError: number } => {
    const timed = unitTimes.length > 1 ? unitTimes.slice(1) : unitTimes;
    const mean = timed.reduce((a, b) => a + b, 0) / Math.max(timed.length, 1);
    const variance =
      timed.length > 1
        ? timed.reduce((a, b) => a + (b - mean) ** 2, 0) / (timed.length - 1)
        : Number.POSITIVE_INFINITY;
    return { meanItemMs: mean, relativeError: mean > 0 ? Math.sqrt(variance / timed.length) / mean : 0 };
  };

  /**
   * How many consecutive items to time together next. A single call of a function that
   * takes a microsecond is dwarfed by the timer itself, so fast items are timed in
   * blocks of about BLOCK_TARGET_MS.
   */
  const blockSize = (): number => {
    if (asyncTask) return CONCURRENT_SAMPLES;
    const timed = measured.length > 1 ? measured.slice(1) : measured;
    if (timed.length === 0) return 1;
    const mean = timed.reduce((a, m) => a + m.wallMs, 0) / timed.length;
    if (mean >= FAST_ITEM_MS) return 1;
    return Math.min(MAX_BLOCK, Math.max(1, Math.ceil(BLOCK_TARGET_MS / Math.max(mean, 1e-5))));
  };

  /** Set once an item returned a promise: later items are sampled several at a time. */
  let asyncTask = false;

  /**
   * Runs the items of a block concurrently (an async task waits, so awaiting sampled
   * items one after another would cost their whole wait each), timing each item from
   * its call to its settling. CPU and queueing time are shared out evenly.
   */
  const runConcurrent = async ({ first, items }: Block): Promise<void> => {
    const inBytes: number[] = [];
    for (let k = 0; k < items.length; k++) {
      inBytes.push(clonedBytes("item", first + k, items[k]));
    }
    signal?.throwIfAborted();
    const heapBefore = heapUsed();
    const outer0 = performance.now();
    const before = clock.read();
    const settled = await Promise.all(
      items.map(async (item, k) => {
        const index = first + k;
        const t0 = performance.now();
        try {
          const result = await fn(item);
          return { index, item, result, ok: true as const, wallMs: performance.now() - t0 };
        } catch (error) {
          if (onError === "throw") throw new ItemError(index, error);
          failures.set(index, error);
          return { index, item, result: undefined, ok: false as const, wallMs: performance.now() - t0 };
        }
      }),
    );
    const after = clock.read();
    // The share of the window this thread spent queued for a core; each item's own time
    // is its latency less that share of it (see ownTime for why the window is wider).
    const outerMs = Math.max(performance.now() - outer0, 1e-9);
    const busy = Math.max(0, 1 - (after.queuedMs - before.queuedMs) / outerMs);
    const idleShare = Math.min(1, Math.max(0, after.loopIdleMs - before.loopIdleMs) / outerMs);
    const heapGrowth = (heapUsed() - heapBefore) / items.length;
    units += items.length;
    for (let k = 0; k < settled.length; k++) {
      const { index, item, result, ok, wallMs } = settled[k]!;
      unitTimes.push(wallMs * busy);
      let outBytes = 0;
      if (ok) {
        precomputed.set(index, result);
        outBytes = clonedBytes("result", index, result);
      }
      measured.push({
        index,
        wallMs,
        cpuMs: cpuBetween(before, after) / items.length,
        ownMs: wallMs * busy,
        idleMs: wallMs * idleShare,
        inBytes: inBytes[k]!,
        outBytes,
        inKind: payloadKind(item),
        outKind: ok ? payloadKind(result) : payloadKind(item),
        heapGrowth,
        async: true,
        weight: 1,
      });
    }
  };

  /** Runs a block of consecutive items, timing the block as a whole. */
  const runBlock = async (block: Block): Promise<void> => {
    ranges.push({ first: block.first, length: block.items.length });
    if (asyncTask) return runConcurrent(block);
    const { first, items } = block;
    // Serialising every item of a block of tiny items would cost more than running them:
    // sizes come from a few items spread over the block (the executor checks the rest).
    const sized = sizedPositions(items.length);
    const inBytes = new Map<number, number>();
    for (const k of sized) {
      inBytes.set(k, clonedBytes("item", first + k, items[k]));
    }
    const heapBefore = heapUsed();
    const outer0 = performance.now();
    const before = clock.read();
    const t0 = performance.now();
    const results: unknown[] = [];
    let isAsync = false;
    // Checked once per block: a check per item would weigh on items of a few nanoseconds.
    signal?.throwIfAborted();
    // Items run in try-free stretches, as the executor's workers run them: V8 runs a
    // function inlined into a loop inside a try block measurably slower (10-15% on a 1 us
    // item here), which would make sampled items look slower than the run's.
    let k = 0;
    while (k < items.length) {
      // Where an awaited item stands: after an await, the shared stretchAt may belong to
      // another sampling in this thread.
      let awaited = -1;
      try {
        k = runStretch(fn, items, results, k);
        if (stretchStop !== null) {
          const pending = stretchStop;
          stretchStop = null;
          isAsync = true;
          awaited = k;
          results[k] = await pending;
          k++;
        }
      } catch (error) {
        const at = awaited >= 0 ? awaited : stretchAt;
        if (onError === "throw") throw new ItemError(first + at, error);
        failures.set(first + at, error);
        results[at] = FAILED;
        k = at + 1;
      }
    }
    const wallMs = performance.now() - t0;
    const after = clock.read();
    const ownMs = ownTime(wallMs, performance.now() - outer0, after.queuedMs - before.queuedMs);
    const heapGrowth = heapUsed() - heapBefore;
    units++;
    if (isAsync) asyncTask = true;
    if (units === 1) onFirstTiming?.(wallMs / items.length);
    // Items that threw still took their time: they count in the time figures (under
    // "collect" the executor runs the rest, and a failing item costs what it costs).
    const share = 1 / items.length;
    unitTimes.push(ownMs * share);
    for (let k = 0; k < items.length; k++) {
      const index = first + k;
      const item = items[k];
      const result = results[k];
      if (result !== FAILED) precomputed.set(index, result);
      if (!sized.includes(k)) continue;
      let outBytes = 0;
      if (result !== FAILED) {
        outBytes = clonedBytes("result", index, result);
      }
      measured.push({
        index,
        wallMs: wallMs * share,
        cpuMs: cpuBetween(before, after) * share,
        ownMs: ownMs * share,
        idleMs: Math.max(0, after.loopIdleMs - before.loopIdleMs) * share,
        inBytes: inBytes.get(k)!,
        outBytes,
        inKind: payloadKind(item),
        outKind: result === FAILED ? payloadKind(item) : payloadKind(result),
        heapGrowth: heapGrowth * share,
        async: isAsync,
        weight: items.length / sized.length,
      });
    }
  };

  if (typeof data === "string" || data == null || !isIterableInput(data)) {
    clock.close();
    throw new DataError(`data: Expected an array, an iterable or an async iterable, got ${describe(data)}`);
  }
  let rejoined: TaskData;
  let knownTotal: number | null;
  // The source iterator while sampling reads it: handed over (re-joined) on success,
  // closed on failure so the caller's generator can clean up.
  let open: { return?: () => unknown } | null = null;
  try {
    if (isRandomAccess(data)) {
      knownTotal = data.length;
      for (const start of spreadIndices(data.length)) {
        if (shouldStop()) break;
        // A block runs from `start` up to the next block already run (`ranges`), or its size.
        let end = data.length;
        let inside = false;
        for (const { first, length } of ranges) {
          if (start >= first && start < first + length) {
            inside = true;
            break;
          }
          if (first > start && first < end) end = first;
        }
        if (inside) continue;
        end = Math.min(end, start + blockSize());
        const items: unknown[] = new Array(end - start);
        for (let i = start; i < end; i++) items[i - start] = data[i];
        await runBlock({ first: start, items });
      }
      rejoined = data as TaskData;
    } else {
      knownTotal = totalItems ?? null;
      const isAsync = typeof (data as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function";
      const iterator = isAsync
        ? (data as AsyncIterable<unknown>)[Symbol.asyncIterator]()
        : (data as Iterable<unknown>)[Symbol.iterator]();
      open = iterator;
      // One reading loop for both kinds; only an async source needs racing against the signal.
      const pull = isAsync
        ? () => abortable((iterator as AsyncIterator<unknown>).next(), signal)
        : () => (iterator as Iterator<unknown>).next();
      const head: unknown[] = [];
      let done = false;
      while (!done && !shouldStop()) {
        const first = head.length;
        const items: unknown[] = [];
        for (let size = blockSize(); items.length < size; ) {
          const next = await pull();
          if (next.done) {
            done = true;
            break;
          }
          items.push(next.value);
          head.push(next.value);
        }
        if (items.length > 0) await runBlock({ first, items });
      }
      rejoined = isAsync
        ? rejoinAsync(head, iterator as AsyncIterator<unknown>, done)
        : rejoinSync(head, iterator as Iterator<unknown>, done);
      open = null;
      if (done) knownTotal = head.length;
    }
  } catch (error) {
    try {
      await open?.return?.();
    } catch {
      // The original failure is the one to report.
    }
    throw error;
  } finally {
    clock.close();
  }

  // Blocks are consecutive ranges: ordering them is cheaper than sorting every index.
  const ran: number[] = [];
  for (const { first, length } of ranges.sort((a, b) => a.first - b.first)) {
    for (let i = first; i < first + length; i++) if (precomputed.has(i)) ran.push(i);
  }
  return {
    // Nothing to read: an empty input, which runs nothing.
    workload:
      measured.length === 0
        ? emptyWorkload(performance.now() - started)
        : summarise(measured, ran, knownTotal, performance.now() - started),
    precomputed,
    failures,
    data: rejoined,
  };
}

/** Structured-clone size of an item or a result, or a CloneError naming the item. */
function clonedBytes(what: "item" | "result", index: number, value: unknown): number {
  try {
    return serializedBytes(value);
  } catch (error) {
    const code = what === "item" ? "AMORSIZE_ITEM_NOT_CLONEABLE" : "AMORSIZE_RESULT_NOT_CLONEABLE";
    throw new CloneError(code, index, [index, index], messageOf(error), error);
  }
}

function isIterableInput(data: unknown): boolean {
  return (
    typeof (data as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function" ||
    typeof (data as Iterable<unknown>)[Symbol.iterator] === "function"
  );
}

/** Resolves like `promise`, or rejects with `signal.reason` as soon as the signal aborts. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  signal.throwIfAborted();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/** The workload of an empty input: nothing sampled, nothing to run. */
export function emptyWorkload(sampleWallMs = 0): WorkloadSample {
  return {
    sampled: 0,
    indices: [],
    totalItems: 0,
    itemTimeMs: { mean: 0, median: 0, p90: 0, max: 0, cv: 0 },
    cpuToWall: 1,
    inputBytes: { mean: 0, max: 0 },
    outputBytes: { mean: 0, max: 0 },
    inputKind: "number",
    outputKind: "number",
    memoryBytesPerItem: 0,
    sampleWallMs,
    async: false,
    source: "given",
  };
}

function describe(value: unknown): string {
  if (value === null) return "null";
  return typeof value === "object" ? Object.prototype.toString.call(value) : typeof value;
}

function* rejoinSync(head: unknown[], iterator: Iterator<unknown>, done: boolean): Generator<unknown> {
  yield* head;
  if (done) return;
  try {
    for (let next = iterator.next(); !next.done; next = iterator.next()) yield next.value;
  } finally {
    // Stopped early by the consumer: let the source clean up too.
    iterator.return?.();
  }
}

async function* rejoinAsync(
  head: unknown[],
  iterator: AsyncIterator<unknown>,
  done: boolean,
): AsyncGenerator<unknown> {
  yield* head;
  if (done) return;
  let finished = false;
  try {
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
    finished = true;
  } finally {
    if (!finished) await iterator.return?.();
  }
}

function summarise(
  measured: readonly Measured[],
  ran: readonly number[],
  totalItems: number | null,
  sampleWallMs: number,
): WorkloadSample {
  // The first calls run while V8 still interprets and then compiles the function, which
  // can make them several times slower than the rest; workers warm up once each, not
  // once per item, so with enough samples the first quarter is left out of the time figures.
  const timed = measured.length >= 4 ? measured.slice(Math.ceil(measured.length / 4)) : measured;
  const weightOf = (xs: readonly Measured[]) => xs.reduce((a, m) => a + m.weight, 0);
  const weighted = (xs: readonly Measured[], f: (m: Measured) => number) =>
    xs.reduce((a, m) => a + f(m) * m.weight, 0) / Math.max(weightOf(xs), 1e-12);
  // Time spent queued for a core is neither the item's work nor its waiting: item times
  // are the items' own times.
  const own = (m: Measured) => m.ownMs;
  const mean = weighted(timed, own);
  const totalWeight = weightOf(timed);
  const variance =
    timed.length > 1 && totalWeight > 1
      ? (weighted(timed, (m) => (own(m) - mean) ** 2) * totalWeight) / (totalWeight - 1)
      : 0;
  const sorted = timed.map(own).sort((a, b) => a - b);
  const totalOwn = timed.reduce((a, m) => a + own(m) * m.weight, 0);
  const totalWall = timed.reduce((a, m) => a + m.wallMs * m.weight, 0);
  const totalCpu = timed.reduce((a, m) => a + m.cpuMs * m.weight, 0);
  // Time the event loop waited in its poll is waiting whatever the queueing figures say
  // (they come from the scheduler's clocks and can overstate on a crowded machine), so a
  // task that waits for timers or I/O is told by it even when its own time reads short.
  const totalIdle = timed.reduce((a, m) => a + m.idleMs * m.weight, 0);
  const ranOrWaited = Math.max(totalOwn, totalCpu + totalIdle, 1e-9);
  const growth = measured.map((m) => Math.max(0, m.heapGrowth)).sort((a, b) => a - b);
  const inMean = weighted(measured, (m) => m.inBytes);
  const outMean = weighted(measured, (m) => m.outBytes);
  // Heap growth per item is noisy (a GC can land anywhere); the median is robust, and an
  // item can never need less than its own input and result.
  const memory = Math.max(quantile(growth, 0.5), inMean + outMean);
  return {
    sampled: ran.length,
    indices: [...ran],
    totalItems,
    itemTimeMs: {
      mean,
      median: quantile(sorted, 0.5),
      p90: quantile(sorted, 0.9),
      max: sorted[sorted.length - 1] ?? 0,
      cv: mean > 0 ? Math.sqrt(variance) / mean : 0,
    },
    cpuToWall: totalWall > 0 ? Math.min(totalCpu / ranOrWaited, 1) : 1,
    inputBytes: { mean: inMean, max: Math.max(...measured.map((m) => m.inBytes)) },
    outputBytes: { mean: outMean, max: Math.max(...measured.map((m) => m.outBytes)) },
    inputKind: dominantKind(measured.map((m) => m.inKind)),
    outputKind: dominantKind(measured.map((m) => m.outKind)),
    memoryBytesPerItem: memory,
    sampleWallMs,
    async: measured.some((m) => m.async),
    source: "measured",
  };
}
