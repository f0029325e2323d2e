// The clocks read around each timed unit: thin I/O, the arithmetic is in clock-math.ts.
import { closeSync, openSync, readdirSync, readlinkSync, readSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { getHeapStatistics } from "node:v8";
import { type ClockReading, parseSchedstat } from "./clock-math.js";

/**
 * V8's used heap, as process.memoryUsage().heapUsed reports it, without the resident-set
 * read that comes with memoryUsage() (a /proc read per timed unit).
 */
export const heapUsed = (): number => getHeapStatistics().used_heap_size;

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
export class ThreadClock {
  private fd: number | null = null;
  private readonly buffer = Buffer.alloc(128);
  /** The schedstat files of the process's other threads when the clock was made; null when unreadable. */
  private others: number[] | null;

  /**
   * `schedstatPath`: the thread's schedstat file (another path only in tests); `others`:
   * whether it may read the other threads' runtimes (false: `othersCpuMs` is always null,
   * and their files are not opened).
   */
  constructor(schedstatPath = "/proc/thread-self/schedstat", others = true) {
    try {
      this.fd = openSync(schedstatPath, "r");
    } catch {
      this.fd = null;
    }
    this.others = this.fd === null || !others ? null : openOtherThreads();
  }

  /** `others`: read the other threads' runtimes too (a schedstat read per thread); else `othersCpuMs` is null. */
  read(others = true): ClockReading {
    const usage = process.cpuUsage();
    const processCpuMs = (usage.user + usage.system) / 1000;
    const loop = performance.eventLoopUtilization();
    const loopActiveMs = loop.active;
    const loopIdleMs = loop.idle;
    if (this.fd !== null) {
      try {
        const length = readSync(this.fd, this.buffer, 0, this.buffer.length, 0);
        const thread = parseSchedstat(this.buffer.toString("latin1", 0, length));
        if (thread !== null) {
          return {
            processCpuMs,
            threadCpuMs: thread.runMs,
            queuedMs: thread.queuedMs,
            loopActiveMs,
            loopIdleMs,
            othersCpuMs: others ? this.readOthers() : null,
          };
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
    // A thread that ended was closed as it was read (its slot is -1).
    for (const fd of this.others ?? []) if (fd >= 0) closeSync(fd);
    this.others = null;
  }

  /** Sum of the other threads' runtimes; a thread that has exited since counts what it ran last. */
  private readOthers(): number | null {
    if (this.others === null) return null;
    let total = 0;
    for (let k = 0; k < this.others.length; k++) {
      const fd = this.others[k]!;
      if (fd < 0) continue;
      try {
        const length = readSync(fd, this.buffer, 0, this.buffer.length, 0);
        const run = parseSchedstat(this.buffer.toString("latin1", 0, length))?.runMs;
        if (run === undefined) return null;
        total += run;
        this.lastRun[k] = run;
      } catch {
        // The thread ended: its runtime stays what it was.
        closeSync(fd);
        this.others[k] = -1;
        total += this.lastRun[k] ?? 0;
      }
    }
    return total;
  }

  private readonly lastRun: number[] = [];
}

/**
 * Opens the schedstat file of every other thread of this process (Linux): V8's helper
 * threads, the thread pool, workers that were running before. Null when /proc cannot say.
 */
function openOtherThreads(): number[] | null {
  let own: string;
  try {
    own = readlinkSync("/proc/thread-self").split("/").pop() ?? "";
  } catch {
    return null;
  }
  const fds: number[] = [];
  try {
    for (const tid of readdirSync("/proc/self/task")) {
      if (tid === own) continue;
      try {
        fds.push(openSync(`/proc/self/task/${tid}/schedstat`, "r"));
      } catch {
        // Gone already.
      }
    }
  } catch {
    for (const fd of fds) closeSync(fd);
    return null;
  }
  return fds;
}
