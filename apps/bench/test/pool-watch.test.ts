import { once } from "node:events";
import { describe, expect, it } from "@jest/globals";
import { Tinypool } from "tinypool";
import { PoolWatch } from "../src/strategies.js";

const TASK = new URL("./fixtures/exit-task.mjs", import.meta.url).href;

describe("PoolWatch", () => {
  it("says nothing before it watches a pool", () => {
    expect(new PoolWatch().describe()).toBe("");
  });

  it("reads a pool's threads, queue and completed tasks", async () => {
    const pool = new Tinypool({ filename: TASK, name: "exitOrEcho", minThreads: 1, maxThreads: 1 });
    const watch = new PoolWatch();
    watch.watch(pool, 3);
    try {
      await Promise.all([pool.run(1), pool.run(2)]);
      expect(watch.describe()).toBe(
        "tinypool running its tasks: 1 thread in the pool, 0 tasks queued, 1 sent to a thread or waiting for one to start, 2 of 3 settled",
      );
      watch.phase = "being destroyed";
      expect(watch.describe()).toMatch(/^tinypool being destroyed: /);
    } finally {
      await pool.destroy();
    }
  });

  it("tells a thread that exited without an error, its task left unanswered", async () => {
    const pool = new Tinypool({ filename: TASK, name: "exitOrEcho", minThreads: 1, maxThreads: 1 });
    const watch = new PoolWatch();
    watch.watch(pool);
    const [thread] = pool.threads as unknown as { thread: NodeJS.EventEmitter }[];
    const exited = once(thread!.thread, "exit");
    let settled = false;
    const task = pool.run("exit");
    void task.then(
      () => (settled = true),
      () => (settled = true),
    );
    await exited;
    // tinypool never answers a task whose thread exited cleanly: the hang the watch is there to explain.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(settled).toBe(false);
    expect(watch.describe()).toBe(
      "tinypool running its tasks: 1 thread in the pool (1 exited), 0 tasks queued, 0 settled",
    );
    // Abandoned: the unanswered task is rejected; nothing waits on the pool's destroy(), which
    // would wait for an exit that already happened.
    watch.abandon();
    expect(watch.describe()).toMatch(/^tinypool abandoned: 0 threads in the pool, /);
    await expect(task).rejects.toThrow(/Terminating worker thread/);
  });

  it("abandons a pool whose thread still computes: the thread is terminated, its task rejected", async () => {
    const pool = new Tinypool({ filename: TASK, name: "exitOrEcho", minThreads: 1, maxThreads: 1 });
    const watch = new PoolWatch();
    watch.watch(pool, 1);
    const [thread] = pool.threads as unknown as { thread: NodeJS.EventEmitter }[];
    const exited = once(thread!.thread, "exit");
    const task = pool.run("loop");
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(watch.describe()).toBe(
      "tinypool running its tasks: 1 thread in the pool, 0 tasks queued, 1 sent to a thread or waiting for one to start, 0 of 1 settled",
    );
    watch.abandon();
    await exited;
    await expect(task).rejects.toThrow(/Terminating worker thread/);
  });
});
