import { describe, expect, it } from "@jest/globals";
import { workload } from "../test/profiles.js";
import { fillsWhileProbing, knownLength, probeUnits, schedstatCountsIn } from "./prepare.js";
import { PROBE_BLOCK_MS, PROBE_WAIT_SHARES } from "./warmup.js";

describe("probeUnits(): what a warm-up probe runs at a time", () => {
  const data = Array.from({ length: 20 }, (_, i) => i * 10);
  const none = () => false;

  it("is one item from each start where the block is 1", () => {
    expect(probeUnits([3, 9], data, none, 1)).toEqual([
      { index: 3, items: [30], bytes: expect.any(Number) },
      { index: 9, items: [90], bytes: expect.any(Number) },
    ]);
  });

  it("takes up to a block of items from each start, with no gap, the input's end and another unit's items ending it", () => {
    const units = probeUnits([3, 5, 18], data, none, 4);
    expect(units.map((u) => [u.index, u.items])).toEqual([
      [3, [30, 40, 50, 60]],
      // 5 and 6 went to the first unit: the second starts after it.
      [7, [70, 80, 90, 100]],
      [18, [180, 190]],
    ]);
    // Each unit's bytes are its items' cloned sizes in all.
    expect(units[0]!.bytes).toBe(4 * probeUnits([3], data, none, 1)[0]!.bytes);
  });

  it("stops a block at an item run already, and moves a start on past one", () => {
    const done = (i: number) => i === 5 || i === 12;
    expect(probeUnits([3, 12], data, done, 4).map((u) => [u.index, u.items])).toEqual([
      [3, [30, 40]],
      [13, [130, 140, 150, 160]],
    ]);
  });

  it("makes four blocks of the four starts that follow one sampled item", () => {
    // One sampled item (2): the starts are the next four items.
    expect(probeUnits([3, 4, 5, 6], data, (i) => i === 2, 3).map((u) => u.index)).toEqual([3, 6, 9, 12]);
  });

  it("leaves an item that cannot be cloned to the run: it ends its block, and starts none", () => {
    const withFunction: unknown[] = [...data];
    withFunction[4] = () => 1;
    withFunction[10] = () => 2;
    expect(probeUnits([2, 10, 14], withFunction, none, 4).map((u) => [u.index, u.items])).toEqual([
      [2, [20, 30]],
      [14, [140, 150, 160, 170]],
    ]);
  });
});

describe("knownLength", () => {
  it("is the length of an array or a typed array, the size of a Set or a Map, else the caller's count", () => {
    expect(knownLength([1, 2, 3], 10)).toBe(3);
    expect(knownLength(new Float64Array(4), undefined)).toBe(4);
    expect(knownLength(new Set(["a", "b"]), undefined)).toBe(2);
    expect(knownLength(new Map([[1, 2]]), 5)).toBe(1);
    function* items() {
      yield 1;
    }
    expect(knownLength(items(), undefined)).toBeNull();
    expect(knownLength(items(), 7)).toBe(7);
  });
});

describe("schedstatCountsIn(): whether a worker's sample can tell its warm-up from waits for a core", () => {
  it("is so where schedstat counts a thread's runtime", () => {
    expect(schedstatCountsIn(() => "1523456789 20345678 1234\n")).toBe(true);
  });

  it("is not where it counts nothing, or cannot be read", () => {
    expect(schedstatCountsIn(() => "0 0 0\n")).toBe(false);
    expect(schedstatCountsIn(() => "")).toBe(false);
    expect(
      schedstatCountsIn(() => {
        throw new Error("ENOENT: no such file or directory, open '/proc/thread-self/schedstat'");
      }),
    ).toBe(false);
  });
});

describe("fillsWhileProbing(): whether and how this thread runs items while a probe holds the decision up", () => {
  const computing = (itemMs: number, max = itemMs) => {
    const w = workload(3, itemMs);
    return { ...w, cpuToWall: 1, itemTimeMs: { ...w.itemTimeMs, max } };
  };

  it("fills from the probe's start with items no longer than the budget", () => {
    expect(fillsWhileProbing(computing(2, 20), 20)).toBe("beside");
    expect(fillsWhileProbing(computing(0.01, 0.5), 1)).toBe("beside");
  });

  it("fills once the probe's first is sent with single probe units past the budget that fit its wait (three of 300 ms, a 121 ms budget)", () => {
    expect(fillsWhileProbing(computing(300), 121)).toBe("after-dispatch");
    // The wait is PROBE_WAIT_SHARES budgets: a mean, or a longest item, past it is not filled.
    expect(fillsWhileProbing(computing(300), 99)).toBeNull();
    expect(fillsWhileProbing(computing(PROBE_WAIT_SHARES * 77 + 1), 77)).toBeNull();
    expect(fillsWhileProbing(computing(PROBE_WAIT_SHARES * 77), 77)).toBe("after-dispatch");
    expect(fillsWhileProbing(computing(50, 2000), 20)).toBeNull();
  });

  it("does not fill with items the probe runs in blocks when one sampled past the budget (the probe's end would be seen late)", () => {
    expect(fillsWhileProbing(computing(PROBE_BLOCK_MS / 2, 50), 10)).toBeNull();
  });

  it("never fills with items that mostly wait", () => {
    expect(fillsWhileProbing({ ...computing(2), cpuToWall: 0.2 }, 100)).toBeNull();
    expect(fillsWhileProbing({ ...computing(300), cpuToWall: 0.2 }, 121)).toBeNull();
  });
});
