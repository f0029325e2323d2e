// Clock arithmetic of sampling: what the readings taken around a timed unit say about
// the unit's items. Pure functions of plain data; the readings come from clock.ts.
import type { ExecutionReport } from "@amorsize/types";

export interface ClockReading {
  processCpuMs: number;
  threadCpuMs: number | null;
  queuedMs: number;
  /** The event loop's active and idle (waiting for I/O or timers) time so far; 0 before it starts. */
  loopActiveMs: number;
  loopIdleMs: number;
  /**
   * Runtime so far of the process's other threads that existed when sampling began (V8's
   * garbage-collector and compiler helpers among them; not the workers started since), on
   * Linux; null elsewhere.
   */
  othersCpuMs?: number | null;
}

/**
 * The kernel brings a thread's runtime in /proc/thread-self/schedstat up to date only at
 * scheduler ticks and context switches, so a reading alone lags the truth by up to one tick
 * (4 ms at HZ=250, measured here; 10 ms at HZ=100, the coarsest kernel setting in use).
 * ThreadClock reads the process's CPU time first, which brings the calling thread's
 * runtime up to date (see threadCpuBetween): cpuBetween still allows the tick.
 */
export const SCHEDSTAT_STALENESS_MS = 10;

/**
 * The thread's runtime and time queued for a core from the text of
 * /proc/thread-self/schedstat (nanoseconds: runtime, queued time, timeslices), or null
 * when it does not read as two numbers.
 */
export function parseSchedstat(text: string): { runMs: number; queuedMs: number } | null {
  const [run, queued] = text.trim().split(/\s+/).map(Number);
  if (!Number.isFinite(run) || !Number.isFinite(queued)) return null;
  return { runMs: run! / 1e6, queuedMs: queued! / 1e6 };
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

/**
 * CPU time the sampling thread itself spent between two readings, in milliseconds: its
 * schedstat runtime, without the staleness slack; null when either reading lacks it.
 * Fresh to a fraction of a millisecond, because ThreadClock.read() asks for the process's
 * CPU time (getrusage) just before it reads the file, and Linux then brings the calling
 * thread's runtime up to date (thread_group_cputime() updates the current task). Measured
 * here over 1 ms spins: runtime plus queueing matched the wall time within 0.05 ms (median
 * 0.03 ms) read that way, and was off by up to a tick (4 ms) read alone.
 */
export function threadCpuBetween(before: ClockReading, after: ClockReading): number | null {
  if (before.threadCpuMs === null || after.threadCpuMs === null) return null;
  return Math.max(0, after.threadCpuMs - before.threadCpuMs);
}

/**
 * The time a timed unit spent on a core or waiting on its own account: its wall time less
 * the time the thread spent queued for a core. The queueing delay comes from the clock
 * reads around the unit, and a thread is most often preempted at a system call, i.e. in
 * those reads: so it is taken off the wider window that includes them (`outerMs`), and
 * the result never exceeds the unit's own wall time. Measured under load here: a 1.75 ms
 * item whose reads saw 5.2 ms of queueing.
 */
export function ownTime(wallMs: number, outerMs: number, queuedMs: number): number {
  return Math.min(wallMs, Math.max(0, outerMs - queuedMs));
}

/**
 * Chunks' own time in a worker, milliseconds: their busy time less what the worker's thread
 * waited for a core (`queuedMs`, where Linux tells it: see the executor's `measureCpu`), as
 * {@link ownTime} leaves this thread's waits out. Pure.
 */
export function ownMs(report: Pick<ExecutionReport, "busyMs" | "queuedMs">): number {
  return Math.max(0, report.busyMs - (report.queuedMs ?? 0));
}

/** What one sampled item cost, in milliseconds (heap growth in bytes). */
export interface ItemFigures {
  wallMs: number;
  /** CPU time of the sampling thread, at most: allowing its reading a tick of staleness (see cpuBetween). */
  cpuMs: number;
  /**
   * CPU time of the sampling thread as read fresh, without that slack (see threadCpuBetween);
   * null (or absent) where the thread's runtime cannot be read.
   */
  threadCpuMs?: number | null;
  /**
   * The item's own time: its wall time less the time the thread was ready to run but
   * queued for a core (other processes, or the workers execute() starts while it samples).
   */
  ownMs: number;
  /** Time the event loop waited in its poll (for timers or I/O): waiting, never computing. */
  idleMs: number;
  heapGrowth: number;
  /** CPU time the process's other threads (see `ClockReading.othersCpuMs`) spent meanwhile; null when unknown. */
  otherCpuMs?: number | null;
}

/** Readings around a timed unit: the clocks before and after, and the window around them. */
export interface UnitWindow {
  before: ClockReading;
  after: ClockReading;
  /** Wall time from before the first clock read to after the last one. */
  outerMs: number;
  /** Growth of the used heap over the unit, bytes. */
  heapGrowth: number;
}

/**
 * Per-item figures of a block of `length` consecutive items run one after another and
 * timed as a whole (`wallMs` between the reads): each item gets an equal share.
 */
export function blockItemFigures(window: UnitWindow, wallMs: number, length: number): ItemFigures {
  const { before, after } = window;
  const share = 1 / length;
  const ownMs = ownTime(wallMs, window.outerMs, after.queuedMs - before.queuedMs);
  const threadCpuMs = threadCpuBetween(before, after);
  return {
    wallMs: wallMs * share,
    cpuMs: cpuBetween(before, after) * share,
    threadCpuMs: threadCpuMs === null ? null : threadCpuMs * share,
    ownMs: ownMs * share,
    idleMs: Math.max(0, after.loopIdleMs - before.loopIdleMs) * share,
    heapGrowth: window.heapGrowth * share,
    otherCpuMs: othersBetween(before, after, share),
  };
}

/** The other threads' CPU time between two readings, times `share`; null when either reading lacks it. */
export function othersBetween(before: ClockReading, after: ClockReading, share = 1): number | null {
  if (before.othersCpuMs == null || after.othersCpuMs == null) return null;
  return Math.max(0, after.othersCpuMs - before.othersCpuMs) * share;
}

/**
 * Per-item figures of items run concurrently, each timed from its call to its settling
 * (`latenciesMs`). CPU time and heap growth are shared out evenly; each item's own time
 * is its latency less the share of the window the thread spent queued for a core, and
 * its idle time the share of the window the event loop waited in its poll.
 */
export function concurrentItemFigures(window: UnitWindow, latenciesMs: readonly number[]): ItemFigures[] {
  const { before, after } = window;
  const outerMs = Math.max(window.outerMs, 1e-9);
  const busy = Math.max(0, 1 - (after.queuedMs - before.queuedMs) / outerMs);
  const idleShare = Math.min(1, Math.max(0, after.loopIdleMs - before.loopIdleMs) / outerMs);
  const cpuMs = cpuBetween(before, after) / latenciesMs.length;
  const threadCpu = threadCpuBetween(before, after);
  const threadCpuMs = threadCpu === null ? null : threadCpu / latenciesMs.length;
  const heapGrowth = window.heapGrowth / latenciesMs.length;
  return latenciesMs.map((wallMs) => ({
    wallMs,
    cpuMs,
    threadCpuMs,
    ownMs: wallMs * busy,
    idleMs: wallMs * idleShare,
    heapGrowth,
  }));
}
