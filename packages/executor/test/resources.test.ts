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
