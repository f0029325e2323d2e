// The clocks read around each timed unit: thin I/O, the arithmetic is in clock-math.ts.
import { closeSync, openSync, readSync } from "node:fs";
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

  /** `schedstatPath`: the thread's schedstat file (another path only in tests). */
  constructor(schedstatPath = "/proc/thread-self/schedstat") {
    try {
      this.fd = openSync(schedstatPath, "r");
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
        const thread = parseSchedstat(this.buffer.toString("latin1", 0, length));
        if (thread !== null) {
          return {
            processCpuMs,
            threadCpuMs: thread.runMs,
            queuedMs: thread.queuedMs,
            loopActiveMs,
            loopIdleMs,
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
  }
}
