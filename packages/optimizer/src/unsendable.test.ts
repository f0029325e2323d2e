import { CloneError } from "@amorsize/executor";
import { describe, expect, it } from "@jest/globals";
import { UNSENDABLE_CODE, unsendablePlan, withUnsendableReason } from "./unsendable.js";

const cloneError = (index: number) =>
  new CloneError("AMORSIZE_ITEM_NOT_CLONEABLE", index, [index, index], "() => 1 could not be cloned.");

/** Sampling's maps: items 0..3 ran, 2 and 3 cannot cross (their results kept). */
const sampled = () => ({
  precomputed: new Map<number, unknown>([
    [0, 0],
    [1, 1],
    [2, "two"],
    [3, "three"],
  ]),
  failures: new Map<number, unknown>(),
  unsendable: new Map([
    [3, cloneError(3)],
    [2, cloneError(2)],
  ]),
});

describe("unsendablePlan", () => {
  it("changes nothing when every sampled item crosses", () => {
    const none = { precomputed: new Map(), failures: new Map() };
    expect(unsendablePlan(none, {}, { workers: 4 })).toEqual({ kind: "none" });
    expect(unsendablePlan({ ...none, unsendable: new Map() }, {}, {})).toEqual({ kind: "none" });
  });

  it("keeps the call in the calling thread, its results, and names the first such item", () => {
    const s = sampled();
    const how = unsendablePlan(s, {}, { workers: 4, chunkSize: 10, maxWorkers: 8, minSpeedup: 1.5 });
    expect(how).toEqual({
      kind: "here",
      // No workers to fix or size; the caller's other limits stand.
      constraints: { maxWorkers: 1, minSpeedup: 1.5 },
      reason: {
        code: UNSENDABLE_CODE,
        message:
          "Item 2 cannot be sent to a worker: () => 1 could not be cloned (and 1 more sampled); the call runs in the calling thread, where nothing is copied.",
      },
    });
    expect(s.precomputed.get(2)).toBe("two");
    expect(s.failures.size).toBe(0);
  });

  it("fails them as a run in workers would when the caller asked for workers", () => {
    for (const options of [{ isolate: true }, { chunkTimeoutMs: 1000 }, { backend: {} }]) {
      // Under throw: the lowest index's CloneError.
      expect(() => unsendablePlan(sampled(), options, {})).toThrow(cloneError(2).message);
      // Under collect: each is a failure, its result dropped; the plan is the model's.
      const s = sampled();
      expect(unsendablePlan(s, { ...options, onError: "collect" }, {})).toEqual({ kind: "none" });
      expect([...s.failures.keys()]).toEqual([2, 3]);
      expect(s.failures.get(3)).toBeInstanceOf(CloneError);
      expect([...s.precomputed.keys()]).toEqual([0, 1]);
    }
  });
});

describe("withUnsendableReason", () => {
  it("puts the reason first when the call was kept here, and leaves other plans alone", () => {
    const plan = {
      mode: "serial",
      workers: 0,
      reasons: [{ code: "TOO_LITTLE_WORK", message: "..." }],
    } as unknown as Parameters<typeof withUnsendableReason>[0];
    const here = unsendablePlan(sampled(), {}, {});
    expect(withUnsendableReason(plan, here).reasons.map((r) => r.code)).toEqual([
      UNSENDABLE_CODE,
      "TOO_LITTLE_WORK",
    ]);
    expect(withUnsendableReason(plan, { kind: "none" })).toBe(plan);
  });
});
