import { CloneError, ItemError } from "@amorsize/executor";
import { describe, expect, it } from "@jest/globals";
import { fillWhile } from "./fill.js";

/** A promise the test settles, and a task that settles it once it has run `after` items. */
function waiting(after: number) {
  let settle!: () => void;
  const pending = new Promise<void>((resolve) => {
    settle = resolve;
  });
  const ran: number[] = [];
  const fn = (x: unknown) => {
    ran.push(x as number);
    // Long enough that each stretch holds one item, and the settling is seen after it.
    const end = performance.now() + 1.2;
    while (performance.now() < end);
    if (ran.length === after) settle();
    return (x as number) * 10;
  };
  return { pending, fn, ran };
}

const data = Array.from({ length: 50 }, (_, i) => i);

describe("fillWhile(): items run in this thread while it waits", () => {
  it("runs items in input order, skipping those done, until what it waits for settles", async () => {
    const { pending, fn, ran } = waiting(4);
    const skip = (i: number) => i === 0 || i === 2;
    const filled = await fillWhile(pending, fn, data, skip, { onError: "throw" });
    expect(ran).toEqual([1, 3, 4, 5]);
    expect([...filled.results]).toEqual([
      [1, 10],
      [3, 30],
      [4, 40],
      [5, 50],
    ]);
    expect(filled.failures.size).toBe(0);
    expect(filled.workMs).toBeGreaterThan(4);
  });

  it("stops at the end of the input, and on a rejection as on a resolution", async () => {
    const few = await fillWhile(
      new Promise(() => {}),
      (x) => x,
      [7, 8],
      () => false,
      { onError: "throw" },
    );
    expect([...few.results.keys()]).toEqual([0, 1]);
    const none = await fillWhile(
      Promise.reject(new Error("probe failed")),
      (x) => x,
      data,
      () => false,
      {
        onError: "throw",
      },
    );
    expect(none.results.size).toBe(0);
  });

  it("awaits an async task's items one at a time", async () => {
    let inFlight = 0;
    let most = 0;
    const fn = async (x: unknown) => {
      most = Math.max(most, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, 1));
      inFlight--;
      return x;
    };
    const filled = await fillWhile(new Promise(() => {}), fn, [1, 2, 3], () => false, { onError: "throw" });
    expect([...filled.results.values()]).toEqual([1, 2, 3]);
    expect(most).toBe(1);
  });

  it("rejects with an ItemError naming a failing item under throw, and collects it under collect", async () => {
    const fails = (x: unknown) => {
      if (x === 3) throw new Error("three");
      return x;
    };
    const never = new Promise(() => {});
    const thrown = fillWhile(never, fails, data, () => false, { onError: "throw" });
    await expect(thrown).rejects.toBeInstanceOf(ItemError);
    await expect(thrown).rejects.toMatchObject({ index: 3 });
    const { pending, fn } = waiting(6);
    const collected = await fillWhile(
      pending,
      (x) => (x === 3 ? fails(x) : fn(x)),
      data,
      () => false,
      {
        onError: "collect",
      },
    );
    expect((collected.failures.get(3) as Error).message).toBe("three");
    expect(collected.results.has(3)).toBe(false);
    expect(collected.results.get(4)).toBe(40);
  });

  it("leaves an item that cannot be cloned to the run, and fails a result that cannot be", async () => {
    const items: unknown[] = [0, () => 1, 2, 3];
    const ran: unknown[] = [];
    const fn = (x: unknown) => {
      ran.push(x);
      return x === 2 ? { callback: () => 2 } : x;
    };
    const filled = await fillWhile(new Promise(() => {}), fn, items, () => false, { onError: "collect" });
    expect(ran).toEqual([0, 2, 3]);
    expect(filled.failures.get(2)).toBeInstanceOf(CloneError);
    expect([...filled.results.keys()]).toEqual([0, 3]);
    await expect(
      fillWhile(new Promise(() => {}), fn, items, () => false, { onError: "throw" }),
    ).rejects.toBeInstanceOf(CloneError);
  });

  it("stops when the signal aborts", async () => {
    const controller = new AbortController();
    controller.abort(new Error("stopped"));
    await expect(
      fillWhile(
        new Promise(() => {}),
        (x) => x,
        data,
        () => false,
        {
          onError: "throw",
          signal: controller.signal,
        },
      ),
    ).rejects.toThrow("stopped");
  });
});
