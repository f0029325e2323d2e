// The session's pool: kept while calls come, closed after its idle time with none in flight.
import type { createExecutor, Executor } from "@amorsize/executor";
import { afterEach, beforeEach, describe, expect, it, jest } from "@jest/globals";
import { WarmPool } from "./warm-pool.js";

/** An executor stand-in that records its closing. */
function fakeCreate() {
  const made: Array<{ closed: boolean }> = [];
  const create = (() => {
    const executor = {
      closed: false,
      workers: 2,
      close: async () => {
        executor.closed = true;
      },
    };
    made.push(executor);
    return executor as unknown as Executor;
  }) as unknown as typeof createExecutor;
  return { made, create };
}

describe("WarmPool idle closing", () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it("closes after idleMs with no call in flight, counted from the last call's end", () => {
    const { made, create } = fakeCreate();
    const pool = new WarmPool(2, 100, create);
    pool.enter();
    pool.prewarm();
    pool.leave();
    jest.advanceTimersByTime(60);
    pool.enter();
    pool.leave(); // re-arms: 100 ms from here
    jest.advanceTimersByTime(60);
    expect(pool.warm).toBe(true);
    jest.advanceTimersByTime(50);
    expect(pool.warm).toBe(false);
    expect(made[0]!.closed).toBe(true);
    expect(pool.idleCloses).toBe(1);
  });

  it("closes nothing when its timer fires while a call is in flight, and re-arms when it ends", () => {
    const { made, create } = fakeCreate();
    const pool = new WarmPool(2, 100, create);
    pool.enter();
    pool.prewarm();
    pool.leave();
    pool.enter(); // a long call
    jest.advanceTimersByTime(250);
    expect(pool.warm).toBe(true);
    expect(pool.idleCloses).toBe(0);
    pool.leave();
    jest.advanceTimersByTime(99);
    expect(pool.warm).toBe(true);
    jest.advanceTimersByTime(2);
    expect(pool.warm).toBe(false);
    expect(made[0]!.closed).toBe(true);
  });
});
