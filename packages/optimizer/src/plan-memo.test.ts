import { describe, expect, it } from "@jest/globals";
import { PLAN_REUSE_DRIFT, PlanMemo, type PlanShape, planKey } from "./plan-memo.js";

const shape: PlanShape = {
  profileKey: "file:///t.mjs#f@abc",
  totalItems: 10,
  done: 0,
  warm: false,
  loaded: false,
  constraints: {},
};

describe("planKey", () => {
  it("differs whenever an input of the plan but the item time differs", () => {
    const keys = new Set([
      planKey(shape),
      planKey({ ...shape, profileKey: "file:///t.mjs#f@abd" }),
      planKey({ ...shape, totalItems: 11 }),
      planKey({ ...shape, totalItems: null }),
      planKey({ ...shape, done: 1 }),
      planKey({ ...shape, warm: true }),
      planKey({ ...shape, warm: true, loaded: true }),
      planKey({ ...shape, constraints: { maxWorkers: 1 } }),
    ]);
    expect(keys.size).toBe(8);
    expect(planKey({ ...shape })).toBe(planKey(shape));
  });
});

describe("PlanMemo", () => {
  it("gives a plan back while the item time stays within the drift, and forgets it past it", () => {
    const memo = new PlanMemo<string>(4);
    memo.set("k", 1, "plan");
    expect(memo.get("k", 1 + PLAN_REUSE_DRIFT * 0.9)).toBe("plan");
    expect(memo.get("k", 1 - PLAN_REUSE_DRIFT * 0.9)).toBe("plan");
    expect(memo.get("k", 1 + PLAN_REUSE_DRIFT * 1.1)).toBeUndefined();
    // Past the drift the entry is gone: the next call plans again and stores its own.
    expect(memo.get("k", 1)).toBeUndefined();
    expect(memo.get("other", 1)).toBeUndefined();
  });

  it("keeps at most its capacity, the least recently used dropped first", () => {
    const memo = new PlanMemo<number>(2);
    memo.set("a", 1, 1);
    memo.set("b", 1, 2);
    expect(memo.get("a", 1)).toBe(1);
    memo.set("c", 1, 3);
    expect(memo.size).toBe(2);
    expect(memo.get("b", 1)).toBeUndefined();
    expect(memo.get("a", 1)).toBe(1);
    expect(memo.get("c", 1)).toBe(3);
  });

  it("forgets every plan of one profile, and only those", () => {
    const memo = new PlanMemo<number>(8);
    memo.set(planKey(shape), 1, 1);
    memo.set(planKey({ ...shape, totalItems: 20 }), 1, 2);
    memo.set(planKey({ ...shape, profileKey: "file:///u.mjs#f@abc" }), 1, 3);
    memo.forget(shape.profileKey);
    expect(memo.size).toBe(1);
    expect(memo.get(planKey({ ...shape, profileKey: "file:///u.mjs#f@abc" }), 1)).toBe(3);
  });
});
