import { afterEach, describe, expect, it } from "@jest/globals";
import { createExecutor } from "../src/index.js";
import { closeAll, Gate, osThreads, poolThreadIds, range, runFixture, task } from "./helpers.js";

afterEach(closeAll);

/** Message ports open in this process (Jest has timers and file requests of its own). */
function openPorts(): number {
  return process.getActiveResourcesInfo().filter((name) => name === "MessagePort").length;
}

describe("nothing is left behind", () => {
  it("no worker thread or handle after success, failure and abort, once closed", async () => {
    const threadsBefore = osThreads();
    const portsBefore = openPorts();
    const executor = createExecutor({ workers: 2 });
    await executor.map(task("tasks.mjs", "square"), range(10), { chunkSize: 2 });
    await expect(executor.map(task("tasks.mjs", "failOnMultiplesOfFive"), range(10))).rejects.toBeDefined();
    const gate = new Gate();
    const controller = new AbortController();
    const running = executor.map(task("hang.mjs", "waitAtGate"), [gate.item(0, { block: true })], {
      signal: controller.signal,
      chunkTimeoutMs: 60_000,
    });
    await gate.waitForStarted(1);
    controller.abort();
    await expect(running).rejects.toBeDefined();
    expect(poolThreadIds(executor)).toHaveLength(2);
    await executor.close();
    expect(poolThreadIds(executor)).toEqual([]);
    // OS threads are counted where /proc is there (Linux).
    expect(osThreads()).toBe(threadsBefore);
    expect(openPorts()).toBe(portsBefore);
  });

  it("close() ends when a worker exited unseen by the pool (tinypool's destroy() alone waits forever)", async () => {
    const executor = createExecutor({ workers: 2 });
    await executor.map(task("tasks.mjs", "square"), range(4), { chunkSize: 1 });
    const pool = (
      executor as unknown as { pool: { threads: Array<{ thread: { terminate(): Promise<number> } }> } }
    ).pool;
    // Terminated outside tinypool: its 'exit' event is gone before destroy() listens for it.
    await pool.threads[0]!.thread.terminate();
    const threadsBefore = osThreads();
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      executor.close().then(() => "closed"),
      new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve("still closing after 10 s"), 10_000);
      }),
    ]);
    clearTimeout(timer);
    expect(outcome).toBe("closed");
    // The other worker is gone too.
    if (threadsBefore !== null) expect(osThreads()).toBeLessThan(threadsBefore);
  });

  it("a process that used an executor exits by itself after close()", async () => {
    const { code, signal, stdout, stderr } = await runFixture("exit-by-itself.mjs");
    expect({ code, signal, stderr }).toEqual({ code: 0, signal: null, stderr: "" });
    const outcome = JSON.parse(stdout);
    expect(outcome).toMatchObject({
      ok: [1, 4, 9],
      failed: "AMORSIZE_ITEM_FAILED",
      abortReason: "stop",
      streamed: 2,
      timers: [],
    });
    expect(outcome.threadsAfter).toBe(outcome.threadsBefore);
  });
});
