import { type Plan, PlanSchema } from "@amorsize/types";
import { describe, expect, it } from "@jest/globals";
import fc from "fast-check";
import { planExecution, predict } from "../src/index.js";
import { type CostOptions, type InputOptions, input, MACHINE_COSTS } from "./fixtures.js";

const kinds = ["number", "plain-array", "object", "string", "typed-array", "typed-array-transfer"] as const;

/** Spawn costs around the reference machine's, from a quarter to four times each figure. */
const costsArb: fc.Arbitrary<Partial<CostOptions>> = fc
  .record({
    fixed: fc.double({ min: 1, max: 200, noNaN: true }),
    perWorker: fc.double({ min: 0.1, max: 50, noNaN: true }),
    throughput: fc.double({ min: 5, max: 500, noNaN: true }),
    extraLatency: fc.double({ min: 0, max: 500, noNaN: true }),
    cloneScale: fc.double({ min: 0.25, max: 4, noNaN: true }),
  })
  .map((r) => ({
    fixedMs: r.fixed,
    perWorkerMs: r.perWorker,
    throughputUs: r.throughput,
    latencyUs: r.throughput + r.extraLatency,
    clone: Object.fromEntries(
      Object.entries(MACHINE_COSTS.clone).map(([k, [item, byte]]) => [
        k,
        [item * r.cloneScale, byte * r.cloneScale],
      ]),
    ) as CostOptions["clone"],
  }));

/** A CPU-bound workload (CPU-to-wall at least 0.5). */
const cpuWorkloadArb = fc.record({
  totalItems: fc.integer({ min: 1, max: 200_000 }),
  itemMs: fc.double({ min: 0.0001, max: 500, noNaN: true }),
  cv: fc.double({ min: 0, max: 3, noNaN: true }),
  cpuToWall: fc.double({ min: 0.5, max: 1.2, noNaN: true }),
  inputBytes: fc.integer({ min: 0, max: 1_000_000 }),
  outputBytes: fc.integer({ min: 0, max: 1_000_000 }),
  inputKind: fc.constantFrom(...kinds),
  outputKind: fc.constantFrom(...kinds),
  memoryBytesPerItem: fc.integer({ min: 0, max: 10_000_000 }),
  async: fc.boolean(),
});

const hardwareArb = fc.record({
  usableCores: fc.integer({ min: 1, max: 16 }),
  quota: fc.option(fc.double({ min: 0.5, max: 1, noNaN: true }), { nil: null }),
});

const inputArb = fc.record({ costs: costsArb, workload: cpuWorkloadArb, hw: hardwareArb }).map(
  ({ costs, workload, hw }): InputOptions => ({
    costs,
    workload,
    // A quota is a fraction of the usable cores here, so usable = ceil(quota) may be off
    // by one: the model must cope with any consistent-looking profile.
    hardware: {
      usableCores: hw.usableCores,
      quotaCpus: hw.quota === null ? null : Math.max(0.5, hw.quota * hw.usableCores),
    },
  }),
);

// How many cases each property draws. Every property keeps the 150 cases it had. A plan
// searches every worker count up to 32 against about 36 chunk sizes, and under Jest each
// evaluation costs about ten times what it does in plain Node (every `Math.*` call in Jest's
// vm context goes through the context's global interceptor: jestjs/jest#5163), so the plan
// properties that take `inputArb` alone share one seed, draw the same inputs and plan each
// input once (`planOf`). Seeds are new on every run, so CI keeps exploring; a failure
// prints the seed and path that replay it (SEED=<seed> in the environment replays it here).
const PREDICTION_RUNS = { numRuns: 150 };
const PLAN_RUNS = { numRuns: 150 };
const SHARED_PLAN_RUNS = {
  ...PLAN_RUNS,
  seed: Number(process.env.SEED ?? Date.now() ^ (Math.random() * 0x1_0000_0000)),
};
// Determinism: every shared input is planned a second time, from a fresh input object.
const DETERMINISM_RUNS = SHARED_PLAN_RUNS;

const plans = new Map<string, Plan>();

/** The plan of a drawn input, computed once per input (the properties only read it). */
function planOf(o: InputOptions): Plan {
  const key = JSON.stringify(o);
  let plan = plans.get(key);
  if (plan === undefined) {
    plan = planExecution(input(o));
    plans.set(key, plan);
  }
  return plan;
}

describe("properties of planExecution() and predict()", () => {
  it("every plan is schema-valid", () => {
    fc.assert(
      fc.property(inputArb, (o) => {
        const plan = planOf(o);
        expect(PlanSchema.parse(plan)).toEqual(plan);
      }),
      SHARED_PLAN_RUNS,
    );
  });

  it("planning the same input again gives the same plan", () => {
    fc.assert(
      fc.property(inputArb, (o) => {
        // Planned again from a fresh input, not read from the memo.
        expect(planExecution(input(o))).toEqual(planOf(o));
      }),
      DETERMINISM_RUNS,
    );
  });

  it("the predicted speedup of a CPU-bound plan never exceeds the usable cores", () => {
    fc.assert(
      fc.property(inputArb, (o) => {
        const plan = planOf(o);
        expect(plan.predicted.speedup).toBeLessThanOrEqual(o.hardware!.usableCores! + 1e-9);
      }),
      SHARED_PLAN_RUNS,
    );
  });

  it("any configuration's predicted speedup stays within the usable cores", () => {
    fc.assert(
      fc.property(inputArb, fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 5000 }), (o, w, c) => {
        const p = predict(input(o), { workers: w, chunkSize: c });
        expect(p.speedup).toBeLessThanOrEqual(o.hardware!.usableCores! + 1e-9);
      }),
      PREDICTION_RUNS,
    );
  });

  it("a parallel plan's chunk size is between 1 and the item count, and it pays at least minSpeedup", () => {
    fc.assert(
      fc.property(inputArb, (o) => {
        const plan = planOf(o);
        if (plan.mode !== "parallel") return;
        expect(plan.chunkSize).toBeGreaterThanOrEqual(1);
        expect(plan.chunkSize).toBeLessThanOrEqual(o.workload!.totalItems!);
        expect(plan.predicted.speedup).toBeGreaterThanOrEqual(1.2);
        expect(plan.maxInFlight).toBe(2 * plan.workers);
      }),
      SHARED_PLAN_RUNS,
    );
  });

  it("the breakdown adds up: start-up + max(workers' side, main thread) + the rest", () => {
    fc.assert(
      fc.property(inputArb, fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 5000 }), (o, w, c) => {
        const b = predict(input(o), { workers: w, chunkSize: c }).breakdown;
        const sum =
          b.startupMs +
          Math.max(b.computeMs + b.chunkOverheadMs + (b.dispatchWaitMs ?? 0), b.mainThreadMs) +
          b.oversubscriptionMs +
          b.pipelineFillMs +
          b.imbalanceMs;
        expect(sum).toBeCloseTo(b.totalMs, 6);
      }),
      PREDICTION_RUNS,
    );
  });

  it("items that take next to no time run serially", () => {
    fc.assert(
      fc.property(inputArb, fc.double({ min: 0, max: 1e-6, noNaN: true }), (o, itemMs) => {
        const plan = planExecution(input({ ...o, workload: { ...o.workload, itemMs } }));
        expect(plan.mode).toBe("serial");
      }),
      PLAN_RUNS,
    );
  });

  it("many long items use every usable core", () => {
    fc.assert(
      fc.property(
        costsArb,
        fc.integer({ min: 1, max: 16 }),
        fc.double({ min: 50, max: 1000, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 20, max: 200 }),
        (costs, usableCores, itemMs, cv, itemsPerCore) => {
          const plan = planExecution(
            input({
              costs,
              hardware: { usableCores },
              workload: { totalItems: usableCores * itemsPerCore, itemMs, cv },
            }),
          );
          if (usableCores === 1) {
            expect(plan.mode).toBe("serial");
            return;
          }
          expect(plan.mode).toBe("parallel");
          if (plan.mode === "parallel") expect(plan.workers).toBeGreaterThanOrEqual(usableCores);
        },
      ),
      PLAN_RUNS,
    );
  });

  it("raising the clone cost never raises the chosen configuration's predicted speedup", () => {
    fc.assert(
      fc.property(inputArb, fc.double({ min: 1, max: 100, noNaN: true }), (o, factor) => {
        const plan = planOf(o);
        if (plan.mode !== "parallel") return;
        const config = { workers: plan.workers, chunkSize: plan.chunkSize };
        const clone = Object.fromEntries(
          Object.entries(o.costs!.clone!).map(([k, [item, byte]]) => [k, [item * factor, byte * factor]]),
        ) as CostOptions["clone"];
        const before = predict(input(o), config);
        const after = predict(input({ ...o, costs: { ...o.costs, clone } }), config);
        expect(after.speedup).toBeLessThanOrEqual(before.speedup * (1 + 1e-12));
      }),
      SHARED_PLAN_RUNS,
    );
  });

  it("a prediction never improves when items, start-up or dispatch get slower", () => {
    fc.assert(
      fc.property(
        inputArb,
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 5000 }),
        fc.double({ min: 1, max: 10, noNaN: true }),
        (o, workers, chunkSize, factor) => {
          const config = { workers, chunkSize };
          const base = predict(input(o), config).wallMs;
          const slowerItems = predict(
            input({ ...o, workload: { ...o.workload, itemMs: o.workload!.itemMs! * factor } }),
            config,
          );
          const slowerStart = predict(
            input({
              ...o,
              costs: {
                ...o.costs,
                fixedMs: o.costs!.fixedMs! * factor,
                perWorkerMs: o.costs!.perWorkerMs! * factor,
              },
            }),
            config,
          );
          const slowerDispatch = predict(
            input({
              ...o,
              costs: {
                ...o.costs,
                throughputUs: o.costs!.throughputUs! * factor,
                latencyUs: o.costs!.latencyUs! * factor,
              },
            }),
            config,
          );
          const tolerance = base * 1e-12;
          expect(slowerItems.wallMs).toBeGreaterThanOrEqual(base - tolerance);
          expect(slowerStart.wallMs).toBeGreaterThanOrEqual(base - tolerance);
          expect(slowerDispatch.wallMs).toBeGreaterThanOrEqual(base - tolerance);
        },
      ),
      PREDICTION_RUNS,
    );
  });

  it("a serial plan stays serial when the items get cheaper (a session reuses it so)", () => {
    fc.assert(
      fc.property(inputArb, fc.double({ min: 0.01, max: 1, noNaN: true }), (o, factor) => {
        if (planOf(o).mode !== "serial") return;
        const cheaper = { ...o, workload: { ...o.workload!, itemMs: o.workload!.itemMs! * factor } };
        expect(planExecution(input(cheaper)).mode).toBe("serial");
      }),
      // The first 40 of the shared inputs: each serial one is planned a second time.
      { ...SHARED_PLAN_RUNS, numRuns: 40 },
    );
  });

  it("the chosen plan is never predicted slower than any alternative it lists that fits the constraints", () => {
    fc.assert(
      fc.property(inputArb, (o) => {
        const plan = planOf(o);
        for (const alt of plan.alternatives) {
          if (alt.label?.includes("memory")) continue;
          if (plan.mode === "serial" && alt.mode === "parallel") {
            // Serial wins unless parallel is minSpeedup faster.
            expect(alt.speedup).toBeLessThan(1.2);
          } else {
            // Ties within 1% may go to fewer workers or larger chunks.
            expect(alt.wallMs).toBeGreaterThanOrEqual(plan.predicted.wallMs / 1.01 - 1e-9);
          }
        }
      }),
      SHARED_PLAN_RUNS,
    );
  });
});
