import type { Plan } from "@amorsize/types";
import { describe, expect, it } from "@jest/globals";
import { PLAN_REUSE_DRIFT, PlanMemo, type PlanShape, planKey, scaleSerial } from "./plan-memo.js";

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
      planKey({ ...shape, resultsKept: false }),
      planKey({ ...shape, contention: 1.5 }),
    ]);
    expect(keys.size).toBe(10);
    // A slowdown learned within the reuse drift of none (or of another) keeps the key.
    expect(planKey({ ...shape, contention: 1.05 })).toBe(planKey(shape));
    expect(planKey({ ...shape, contention: 1.5 })).toBe(planKey({ ...shape, contention: 1.45 }));
    expect(planKey({ ...shape })).toBe(planKey(shape));
    // Kept unless said otherwise, as the model takes it.
    expect(planKey({ ...shape, resultsKept: true })).toBe(planKey(shape));
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

describe("PlanMemo: plans that hold for cheaper items", () => {
  it("gives a serial plan back for any cheaper item, and within the drift above", () => {
    const memo = new PlanMemo<string>(4);
    memo.set("serial", 1, "plan", true);
    expect(memo.entry("serial", 0.01)).toEqual({ itemMs: 1, value: "plan", cheaper: true });
    expect(memo.get("serial", 1 - PLAN_REUSE_DRIFT * 2)).toBe("plan");
    expect(memo.get("serial", 1 + PLAN_REUSE_DRIFT * 0.9)).toBe("plan");
    expect(memo.get("serial", 1 + PLAN_REUSE_DRIFT * 1.1)).toBeUndefined();
    expect(memo.get("serial", 1)).toBeUndefined();
  });

  it("does not for other plans", () => {
    const memo = new PlanMemo<string>(4);
    memo.set("parallel", 1, "plan");
    expect(memo.get("parallel", 1 - PLAN_REUSE_DRIFT * 1.1)).toBeUndefined();
  });
});

describe("scaleSerial", () => {
  const serial = {
    mode: "serial",
    predicted: {
      wallMs: 0.5,
      serialMs: 0.5,
      speedup: 1,
      items: 10,
      breakdown: { startupMs: 0, mainThreadMs: 0, computeMs: 0.5, oversubscriptionMs: 0, totalMs: 0.5 },
    },
  } as unknown as Plan;

  it("scales a serial plan's predicted times and the whole input's serial time with the item time", () => {
    const scaled = scaleSerial({ plan: serial, wholeSerialMs: 0.5 }, 0.8);
    expect(scaled.wholeSerialMs).toBeCloseTo(0.4, 12);
    expect(scaled.plan.predicted).toEqual({
      wallMs: 0.4,
      serialMs: 0.4,
      speedup: 1,
      items: 10,
      breakdown: { startupMs: 0, mainThreadMs: 0, computeMs: 0.4, oversubscriptionMs: 0, totalMs: 0.4 },
    });
    expect(serial.predicted.wallMs).toBe(0.5);
  });

  it("leaves other plans, and a ratio of 1, as they are", () => {
    const planned = { plan: { ...serial, mode: "parallel" } as Plan, wholeSerialMs: 0.5 };
    expect(scaleSerial(planned, 0.8)).toBe(planned);
    const same = { plan: serial, wholeSerialMs: 0.5 };
    expect(scaleSerial(same, 1)).toBe(same);
  });
});
