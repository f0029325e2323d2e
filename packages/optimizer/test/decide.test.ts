import { planExecution, predict } from "@amorsize/cost-model";
import { AmorsizeValidationError, PlanSchema } from "@amorsize/types";
import { describe, expect, it } from "@jest/globals";
import {
  EARLY_POOL,
  earlyPoolWorkers,
  planOf,
  planRun,
  predictionAtCount,
  serialItemRate,
  serialSoonerOnSampler,
  wholeSerialMs,
  withFrozenMachine,
} from "../src/decide.js";
import { constraintsOf } from "../src/prepare.js";
import { emptyWorkload } from "../src/sample.js";
import { machine, workload } from "./profiles.js";

// Three 300 ms items on four cores; sampling ran the middle one.
const threeSlow = { ...machine(4), workload: { ...workload(3, 300), sampled: 1, indices: [1] } };

describe("planRun: the plan for what actually runs", () => {
  it("plans the items sampling left, saying why", () => {
    expect(planExecution(threeSlow)).toMatchObject({ mode: "parallel", workers: 3, totalItems: 3 });
    const rest = planRun(threeSlow, 1);
    expect(rest).toMatchObject({ mode: "parallel", workers: 2, chunkSize: 1, totalItems: 2 });
    expect(rest.reasons[0]).toEqual({
      code: "SAMPLED_ITEMS_DONE",
      message: "1 of 3 items ran while sampling; this plan covers the 2 that remain.",
    });
    expect(rest.reasons.slice(1)).toEqual(
      planExecution({ ...threeSlow, workload: workload(2, 300) }).reasons,
    );
    expect(PlanSchema.parse(rest)).toBeTruthy();
  });

  it("says where the done items ran when a serial check ran some of them", () => {
    expect(planRun(threeSlow, 1, undefined, "in the serial check").reasons[0]).toEqual({
      code: "SAMPLED_ITEMS_DONE",
      message: "1 of 3 items ran in the serial check; this plan covers the 2 that remain.",
    });
  });

  it("is the model's plan for every item when sampling ran none of them", () => {
    expect(planRun(threeSlow, 0)).toEqual(planExecution(threeSlow));
  });

  it("plans an input object once: the same object planned again is the plan made before", () => {
    const input = { ...threeSlow };
    const first = planOf(input);
    expect(first).toEqual(planExecution(threeSlow));
    expect(planOf(input)).toBe(first);
    // planRun of the whole input plans that same object (a session plans it first to decide on its pool).
    expect(planRun(input, 0)).toBe(first);
    // Another object with the same content is planned afresh, to the same plan.
    const again = planOf({ ...threeSlow });
    expect(again).not.toBe(first);
    expect(again).toEqual(first);
  });

  it("runs nothing when sampling ran every item", () => {
    const none = planRun(threeSlow, 3);
    expect(none).toMatchObject({ mode: "serial", totalItems: 0 });
    expect(none.reasons.map((r) => r.code)).toEqual(["SAMPLED_ITEMS_DONE", "NO_ITEMS"]);
    expect(none.predicted.wallMs).toBe(0);
  });

  it("plans a stream of unknown length as it is", () => {
    const stream = { ...machine(4), workload: workload(null, 2) };
    expect(planRun(stream, 5)).toEqual(planExecution(stream));
  });

  it("keeps a pool started while sampling when its paid start-up makes it no slower", () => {
    // Three workers' start-up is 50 ms against two's 40: paid long ago, the third costs nothing.
    expect(planRun(threeSlow, 1, { workers: 3, startedMsAgo: 10_000 })).toMatchObject({
      mode: "parallel",
      workers: 3,
      totalItems: 2,
    });
    // Started just now: the third worker's start-up is a cost for nothing.
    expect(planRun(threeSlow, 1, { workers: 3, startedMsAgo: 0 })).toMatchObject({ workers: 2 });
    // A pool of the planned size is the plan.
    expect(planRun(threeSlow, 1, { workers: 2, startedMsAgo: 0 })).toEqual(planRun(threeSlow, 1));
  });

  it("leaves a caller's fixed worker count alone", () => {
    const fixed = { ...threeSlow, constraints: { workers: 2 } };
    expect(planRun(fixed, 1, { workers: 3, startedMsAgo: 10_000 })).toMatchObject({ workers: 2 });
  });
});

describe("earlyPoolWorkers: the pool started from the first sampled item", () => {
  it("is the model's worker count for the items left", () => {
    // Two 300 ms items left: one worker each, not one per core.
    expect(earlyPoolWorkers(300, 3, machine(4))).toBe(2);
    expect(earlyPoolWorkers(10, 1000, machine(4))).toBe(4);
    // A first item of 4 ms: the items to come planned at 2 ms (see EARLY_POOL.firstShare).
    expect(earlyPoolWorkers(4, 150, machine(2))).toBe(2);
  });

  it("counts the module's cached import and warm-up: a pool they would make slower is not started", () => {
    // 150 items planned at 2 ms (a first item of 4 ms: see EARLY_POOL.firstShare; 300 ms
    // serial) on 2 cores: a pool of 2 as such; with each worker's import of the module at
    // 400 ms (cached), or 1 s of warm-up, none.
    expect(earlyPoolWorkers(4, 150, machine(2), {})).toBe(2);
    expect(earlyPoolWorkers(4, 150, machine(2), { moduleLoadMs: 400 })).toBe(0);
    const warmup = { excessMs: 1000, items: 4, settled: true, source: "cached" as const };
    expect(earlyPoolWorkers(4, 150, machine(2), { warmup, moduleLoadMs: null })).toBe(0);
  });

  it("takes the items to come at half the first item's time: a pool only where that plan is parallel too", () => {
    // 99 items left on 2 cores: at 2 ms each the plan is 2 workers, at 1 ms serial. A first
    // item of 2 ms (which may be a cold or shared core's reading of a 1 ms task) starts none;
    // one of 4 ms starts the pool.
    const left = (itemMs: number) => {
      const time = { mean: itemMs, median: itemMs, p90: itemMs, max: itemMs, cv: 0 };
      const workload = {
        ...emptyWorkload(),
        sampled: 1,
        totalItems: 99,
        itemTimeMs: time,
        source: "measured" as const,
      };
      return planExecution({ ...machine(2), workload }).mode;
    };
    expect(left(2)).toBe("parallel");
    expect(left(1)).toBe("serial");
    expect(earlyPoolWorkers(2, 100, machine(2))).toBe(0);
    expect(earlyPoolWorkers(4, 100, machine(2))).toBe(2);
  });

  it("starts nothing for a small job, fast items, a stream or a one-worker limit", () => {
    expect(EARLY_POOL).toEqual({ itemMs: 1, jobMs: 200, firstShare: 0.5 });
    expect(earlyPoolWorkers(5, 30, machine(4))).toBe(0);
    expect(earlyPoolWorkers(0.5, 10_000, machine(4))).toBe(0);
    expect(earlyPoolWorkers(10, null, machine(4))).toBe(0);
    expect(earlyPoolWorkers(10, 1000, { ...machine(4), constraints: { maxWorkers: 1 } })).toBe(0);
    expect(earlyPoolWorkers(10, 1000, { ...machine(4), constraints: { maxWorkers: 3 } })).toBe(3);
  });
});

describe("constraintsOf: the caller's plan constraints", () => {
  it("carry chunkTimeoutMs to the model, which plans for it", () => {
    const constraints = constraintsOf({ chunkTimeoutMs: 1000, maxWorkers: 2, cache: false });
    expect(constraints).toEqual({ chunkTimeoutMs: 1000, maxWorkers: 2 });
    // 20,000 items of 1 ms on 4 cores: chunks of 625 (0.6 s) without the time-out; with it
    // at most 500 ms at the slow end, 1.001 ms x 1.15 per item plus 0.06 ms: up to 434 items,
    // of which the search finds chunks of 384 fastest.
    const free = planExecution({ ...machine(4), workload: workload(20_000, 1) });
    expect(free).toMatchObject({ mode: "parallel", chunkSize: 625 });
    const bounded = { ...machine(4), workload: workload(20_000, 1), constraints: { chunkTimeoutMs: 1000 } };
    const plan = planRun(bounded, 0);
    expect(plan).toMatchObject({ mode: "parallel", workers: 4, chunkSize: 384 });
    expect(plan.reasons.map((r) => r.code)).toContain("CHUNK_TIMEOUT_BOUND");
  });
});

describe("wholeSerialMs", () => {
  it("is the model's serial estimate for every item, sampled ones included", () => {
    expect(wholeSerialMs(threeSlow)).toBe(900);
    expect(wholeSerialMs({ ...machine(2), workload: workload(0, 5) })).toBe(0);
  });
});

describe("serialItemRate", () => {
  it("is the item's time and what keeping its result costs, per item", () => {
    // Results of 100,000 bytes of numbers kept: 0.5 ns a byte, 0.05 ms each.
    const arrays = { ...workload(400, 0.1), outputBytes: { mean: 100_000, max: 100_000 } };
    expect(serialItemRate({ ...machine(2), workload: { ...arrays, outputKind: "plain-array" } })).toBeCloseTo(
      0.15,
      12,
    );
    expect(serialItemRate({ ...machine(2), workload: { ...arrays, outputKind: "typed-array" } })).toBeCloseTo(
      0.1,
      12,
    );
    // An input of unknown length: the item's own time.
    expect(serialItemRate({ ...machine(2), workload: workload(null, 0.1) })).toBe(0.1);
  });
});

describe("withFrozenMachine", () => {
  it("validates and freezes each machine profile once, leaving the caller's objects as they were", () => {
    const input = { ...machine(4), workload: workload(10, 1) };
    const once = withFrozenMachine(input);
    expect(Object.isFrozen(once.hardware)).toBe(true);
    expect(Object.isFrozen(once.spawnCost)).toBe(true);
    expect(Object.isFrozen(input.hardware)).toBe(false);
    expect(once.hardware).toEqual(input.hardware);
    // Which items were sampled is left out: the model never reads it.
    expect(once.workload).toEqual({ ...input.workload, indices: [] });
    expect(Object.isFrozen(once.workload)).toBe(true);
    expect(Object.isFrozen(input.workload)).toBe(false);
    // The same objects again: the same frozen copies, validated once.
    const twice = withFrozenMachine({ ...input });
    expect(twice.hardware).toBe(once.hardware);
    expect(twice.spawnCost).toBe(once.spawnCost);
    expect(twice.workload).toBe(once.workload);
    expect(planExecution(twice)).toEqual(planExecution(input));
  });

  it("gives fresh objects holding the same figures the copies validated last, and validates changed ones", () => {
    const first = withFrozenMachine({ ...machine(4), workload: workload(10, 1) });
    // What each execute() reads afresh: equal figures, and the time the read took.
    const again = machine(4);
    again.spawnCost.durationMs = first.spawnCost.durationMs + 3;
    const second = withFrozenMachine({ ...again, workload: workload(10, 1) });
    expect(second.hardware).toBe(first.hardware);
    expect(second.spawnCost).toBe(first.spawnCost);
    // A changed figure is a new profile, validated: a bad one is rejected.
    const changed = machine(4);
    changed.spawnCost.workerStart.fixedMs.value += 1;
    const third = withFrozenMachine({ ...changed, workload: workload(10, 1) });
    expect(third.spawnCost).not.toBe(first.spawnCost);
    expect(third.spawnCost.workerStart.fixedMs.value).toBe(changed.spawnCost.workerStart.fixedMs.value);
    const bad = machine(4);
    (bad.hardware.cores.usable as { value: number }).value = -1;
    expect(() => withFrozenMachine({ ...bad, workload: workload(10, 1) })).toThrow(AmorsizeValidationError);
  });

  it("keeps a workload it froze frozen when planRun plans the items sampling left", () => {
    const frozen = withFrozenMachine(threeSlow);
    const rest = planRun(frozen, 1);
    expect(rest).toEqual(planRun(threeSlow, 1));
  });

  it("rejects an invalid profile as the model would, naming it", () => {
    const input = { ...machine(4), workload: workload(10, 1) };
    const bad = { ...input, hardware: { ...input.hardware, cores: null } } as never;
    const error = (() => {
      try {
        withFrozenMachine(bad);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(AmorsizeValidationError);
    expect((error as AmorsizeValidationError).issues.join("\n")).toMatch(/^input\.hardware\.cores/m);
  });
});

describe("what a plan does not read", () => {
  // A session plans a learned call from its profile: the sample's figures, with no sampled
  // indices and no sampling time. Its first call's plan for all the items stands for it.
  it.each([
    ["ten 50 us items on 2 cores", machine(2), workload(10, 0.05)],
    ["three 300 ms items on 4 cores", machine(4), { ...workload(3, 300), sampled: 1, indices: [1] }],
    ["400 items of 2 ms on 8 cores", machine(8), workload(400, 2)],
  ])("plans %s the same whatever items were sampled and however long sampling took", (_, m, w) => {
    const sampled = { ...m, workload: { ...w, sampleWallMs: 37.5 } };
    const learned = { ...m, workload: { ...w, sampleWallMs: 0, indices: [] } };
    expect(planExecution(learned)).toEqual(planExecution(sampled));
    expect(wholeSerialMs(learned)).toBe(wholeSerialMs(sampled));
  });
});

describe("predictionAtCount: a plan made without the item count, checked against the count that ran", () => {
  it("predicts a parallel stream plan at the count, start-up included, as the model would have", () => {
    const stream = { ...machine(4), workload: workload(null, 2) };
    const plan = planExecution(stream);
    expect(plan).toMatchObject({ mode: "parallel", totalItems: null });
    if (plan.mode !== "parallel") throw new Error("parallel expected");
    // The plan's own figures cover the model's steady-state basis, start-up left out.
    expect(plan.predicted.items).toBe(1000);
    const at3000 = predictionAtCount(stream, plan, 3000);
    const known = { ...stream, workload: workload(3000, 2) };
    expect(at3000.predicted).toEqual(predict(known, { workers: plan.workers, chunkSize: plan.chunkSize }));
    expect(at3000.predicted.wallMs).toBeGreaterThan(3 * plan.predicted.wallMs);
    expect(at3000.wholeSerialMs).toBeCloseTo(wholeSerialMs(known), 9);
    // Sampled items count in the serial estimate, not in the run.
    expect(predictionAtCount(stream, plan, 2950, 3000).wholeSerialMs).toBeCloseTo(wholeSerialMs(known), 9);
  });

  it("scales a serial stream plan with the items, and leaves a plan for a known count as it is", () => {
    const stream = { ...machine(1), workload: workload(null, 2) };
    const plan = planExecution(stream);
    expect(plan).toMatchObject({ mode: "serial", totalItems: null });
    const at = predictionAtCount(stream, plan, 250);
    expect(at.predicted.wallMs).toBeCloseTo(plan.predicted.wallMs / 4, 9);
    expect(at.predicted.serialMs).toBeCloseTo(plan.predicted.serialMs / 4, 9);
    expect(predictionAtCount(stream, plan, 0).predicted.wallMs).toBe(0);
    const known = { ...machine(4), workload: workload(500, 2) };
    const knownPlan = planExecution(known);
    expect(predictionAtCount(known, knownPlan, 123)).toEqual({
      predicted: knownPlan.predicted,
      wholeSerialMs: wholeSerialMs(known),
    });
  });
});

describe("serialSoonerOnSampler: a serial plan on the warm sampling worker, or in a thread without the task", () => {
  const parser = {
    ...machine(2),
    workload: {
      ...workload(1500, 0.3),
      moduleLoadMs: 50,
      warmup: { excessMs: 100, items: 20, settled: true, source: "sampled" as const },
    },
  };
  const { warmup: _w, ...importOnly } = parser.workload;
  const { moduleLoadMs: _m, ...warmupOnly } = parser.workload;

  it("takes the worker where this thread would import the task and warm up again", () => {
    // The worker sampled 100 items: warm, the task imported.
    expect(serialSoonerOnSampler(parser, 1400, 100)).toBe(true);
    // The same sooner by the import alone, or by the warm-up alone.
    expect(serialSoonerOnSampler({ ...parser, workload: importOnly }, 1400, 100)).toBe(true);
    expect(serialSoonerOnSampler({ ...parser, workload: warmupOnly }, 1400, 100)).toBe(true);
  });

  it("charges the worker the warm-up still ahead of it: one that has not warmed up saves only the import", () => {
    // Figures read from the cache, the worker having run none of the items: the warm-up is
    // ahead of it as of this thread, and the clones make it the slower.
    expect(serialSoonerOnSampler({ ...parser, workload: warmupOnly }, 1500, 0)).toBe(false);
    expect(serialSoonerOnSampler({ ...parser, workload: importOnly }, 1500, 0)).toBe(true);
  });

  it("keeps the loop here where the items' clones and round trips cost more than a cheap import", () => {
    // Nothing to pay again here: the worker only adds each item's clone (2 us both ways here).
    const { moduleLoadMs: _l, warmup: _u, ...plain } = parser.workload;
    expect(serialSoonerOnSampler({ ...parser, workload: plain }, 1400, 100)).toBe(false);
    // 200,000 items of half a microsecond: a 2 ms import is less than their clones.
    const squares = { ...machine(2), workload: { ...workload(200_000, 0.0005), moduleLoadMs: 2 } };
    expect(serialSoonerOnSampler(squares, 200_000, 30)).toBe(false);
    expect(serialSoonerOnSampler(parser, 0, 100)).toBe(false);
  });
});
