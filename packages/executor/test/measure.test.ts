// What a run measures in its workers besides chunk times: the task module's loads and,
// when asked, the chunks' CPU time.
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { afterEach, describe, expect, it } from "@jest/globals";
import { closeAll, range, task, track } from "./helpers.js";

afterEach(closeAll);

describe("report.taskLoads", () => {
  it("reports each load of the task module a run waited for, measured in the worker, and none once loaded", async () => {
    const executor = track({ workers: 2 });
    const first = await executor.map(task("slow-load.mjs", "double"), range(40), { chunkSize: 5 });
    expect(first.results).toEqual(range(40).map((x) => x * 2));
    // The check loads it in one worker; the other loads it before its first chunk, if it ran one.
    const loads = first.report.taskLoads!;
    expect(loads.count).toBeGreaterThanOrEqual(1);
    expect(loads.count).toBeLessThanOrEqual(2);
    // The module's top level waits 60 ms (timers fire no earlier than asked, give or take a millisecond).
    expect(loads.maxMs).toBeGreaterThanOrEqual(59);
    expect(loads.meanMs).toBeGreaterThanOrEqual(59);
    const again = await executor.map(task("slow-load.mjs", "double"), range(40), { chunkSize: 20 });
    // Each worker that ran a chunk the first time has it loaded; one that did not loads it now.
    expect((first.report.taskLoads?.count ?? 0) + (again.report.taskLoads?.count ?? 0)).toBeLessThanOrEqual(
      2,
    );
  });

  it("is absent in the calling thread", async () => {
    const serial = track({ mode: "serial" });
    const { report } = await serial.map(task("tasks.mjs", "square"), range(5));
    expect(report.taskLoads).toBeUndefined();
    expect(report.cpuMs).toBeUndefined();
  });
});

describe("measureCpu", () => {
  it("reports the chunks' CPU time only when asked, and an awaiting task's stays below its wall time", async () => {
    const executor = track({ workers: 1 });
    const plain = await executor.map(task("slow-load.mjs", "sleepThenDouble"), range(4), { chunkSize: 4 });
    expect(plain.report.cpuMs).toBeUndefined();
    const measured = await executor.map(task("slow-load.mjs", "sleepThenDouble"), range(4), {
      chunkSize: 4,
      measureCpu: true,
    });
    expect(measured.results).toEqual([0, 2, 4, 6]);
    // Four items awaited one after another: at least 80 ms in the worker, little of it computing.
    expect(measured.report.busyMs).toBeGreaterThanOrEqual(79);
    expect(measured.report.cpuMs).toBeGreaterThanOrEqual(0);
    expect(measured.report.cpuMs!).toBeLessThan(measured.report.busyMs / 2);
  });

  /** Whether this thread's schedstat can be read and counts (a kernel without scheduler statistics prints zeros). */
  const schedstatTold = (() => {
    try {
      return Number(readFileSync("/proc/thread-self/schedstat", "latin1").split(" ")[0]) > 0;
    } catch {
      return false;
    }
  })();

  /** Whether a worker's own CPU time can be told apart: Node 22.19+, or Linux's schedstat. */
  const ownCpuTold =
    schedstatTold || typeof (process as { threadCpuUsage?: unknown }).threadCpuUsage === "function";

  (ownCpuTold ? it : it.skip)(
    "reads an awaiting task's CPU time as its worker's own while the calling thread computes",
    async () => {
      const executor = track({ workers: 1 });
      // Loaded first, so that the measured run holds the awaits only.
      await executor.map(task("slow-load.mjs", "sleepThenDouble"), range(1));
      let settled = false;
      const run = executor
        .map(task("slow-load.mjs", "sleepThenDouble"), range(4), { chunkSize: 4, measureCpu: true })
        .finally(() => {
          settled = true;
        });
      // The calling thread computes throughout, yielding every 5 ms so the run's messages pass.
      while (!settled) {
        const end = performance.now() + 5;
        while (performance.now() < end);
        await new Promise((resolve) => setImmediate(resolve));
      }
      const { report } = await run;
      expect(report.busyMs).toBeGreaterThanOrEqual(79);
      // The process's CPU time, the figure before Node 22.19 where nothing else told a
      // thread's own, held the calling thread's: about the whole busy time.
      expect(report.cpuMs!).toBeLessThan(report.busyMs / 2);
    },
  );

  it("counts a computing task's CPU time", async () => {
    const executor = track({ workers: 1 });
    const { report } = await executor.map(task("tasks.mjs", "spinMicros"), [20_000, 20_000], {
      chunkSize: 2,
      measureCpu: true,
    });
    expect(report.cpuMs!).toBeGreaterThan(0);
  });

  it("reports no time waited for a core unless asked", async () => {
    const executor = track({ workers: 1 });
    const { report } = await executor.map(task("tasks.mjs", "spinMicros"), [1000, 1000], { chunkSize: 1 });
    expect(report.queuedMs).toBeUndefined();
  });

  (schedstatTold ? it : it.skip)(
    "reports, on Linux, the time the workers' threads waited for a core, within their busy time",
    async () => {
      // One more worker than cores, each spinning 300 ms at once: the threads must take turns.
      const workers = availableParallelism() + 1;
      const executor = track({ workers });
      const spins = Array.from({ length: workers }, () => 300_000);
      const { report } = await executor.map(task("tasks.mjs", "spinMicros"), spins, {
        chunkSize: 1,
        measureCpu: true,
      });
      expect(report.queuedMs).toBeDefined();
      expect(report.queuedMs!).toBeLessThanOrEqual(report.busyMs);
      expect(report.queuedMs!).toBeGreaterThan(10);
    },
  );
});
