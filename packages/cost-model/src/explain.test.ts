import type { Plan } from "@amorsize/types";
import { describe, expect, it } from "@jest/globals";
import { input, unitInput } from "../test/fixtures.js";
import { AmorsizeValidationError, explain, planExecution } from "./index.js";

const handMade: Plan = {
  mode: "parallel",
  workers: 2,
  chunkSize: 25,
  maxInFlight: 4,
  adaptive: false,
  totalItems: 1000,
  predicted: {
    wallMs: 2527.5,
    serialMs: 5000,
    speedup: 5000 / 2527.5,
    items: 1000,
    breakdown: {
      startupMs: 34,
      mainThreadMs: 2,
      computeMs: 2480,
      oversubscriptionMs: 0,
      chunkOverheadMs: 1,
      dispatchWaitMs: 0.5,
      imbalanceMs: 12,
      pipelineFillMs: 0.25,
      totalMs: 2527.5,
    },
  },
  reasons: [{ code: "COMPUTE_BOUND", message: "Items take 5 ms each." }],
  warnings: [{ code: "FEW_SAMPLES", message: "Only 2 items were sampled." }],
  candidatesEvaluated: 96,
  alternatives: [
    { mode: "serial", workers: 0, chunkSize: null, wallMs: 5000, speedup: 1, label: "serial loop" },
    {
      mode: "parallel",
      workers: 2,
      chunkSize: 1,
      wallMs: 2600,
      speedup: 5000 / 2600,
      label: "one task per item",
    },
  ],
};

describe("explain()", () => {
  it("renders the decision, every term, the reasons, the warnings and the best alternative", () => {
    expect(explain(handMade)).toBe(
      [
        "Plan: parallel: 2 workers, chunks of 25 items (40 chunks, up to 4 in flight)",
        "Predicted: 2528 ms against 5000 ms for a plain loop (1.98x faster), for 1000 items.",
        "",
        "Breakdown:",
        "  start-up             34.0 ms  starting the workers: a fixed cost plus their mean start (workers come online one by one)",
        "  main thread          2.00 ms  cloning inputs out and results back, dispatching chunks: serial, overlaps the workers",
        "  compute              2480 ms  the items' work (and the workers' share of cloning, and of holding object graphs) over the cores in use",
        "  chunk overhead       1.00 ms  per-chunk message hops and task envelope inside each worker, and its wait for the next chunk",
        "  dispatch wait         500 us  workers waiting for the main thread to take their results and send the next chunk",
        "  oversubscription        0 ms  time slicing when workers and the main thread want more CPU than there is",
        "  pipeline fill         250 us  first chunks sent one after another; the last chunk computes after it is sent",
        "  imbalance            12.0 ms  idle workers at the end of the run while the last chunks finish",
        "  total                2528 ms  = start-up + max(compute + chunk overhead + dispatch wait, main thread) + oversubscription + pipeline fill + imbalance; the workers' side (2482 ms) outlasts the main thread's (2.00 ms)",
        "",
        "Why:",
        "  - COMPUTE_BOUND: Items take 5 ms each.",
        "",
        "Warnings:",
        "  - FEW_SAMPLES: Only 2 items were sampled.",
        "",
        "Alternatives (96 configurations evaluated):",
        "  - serial loop: serial, 5000 ms (1.00x a plain loop)",
        "  - one task per item: 2 workers, chunks of 1, 2600 ms (1.92x a plain loop)",
        "Best alternative: one task per item: 2 workers, chunks of 1, lost by 72.5 ms (2.9% slower).",
      ].join("\n"),
    );
  });

  it("gives the predicted times as lower bounds where the plan says they are", () => {
    const bound = { ...handMade, predicted: { ...handMade.predicted, lowerBound: true as const } };
    expect(explain(bound).split("\n")[1]).toBe(
      "Predicted: at least 2528 ms against at least 5000 ms for a plain loop (1.98x faster at those bounds), for 1000 items.",
    );
    expect(explain(handMade).split("\n")[1]).toBe(
      "Predicted: 2528 ms against 5000 ms for a plain loop (1.98x faster), for 1000 items.",
    );
  });

  it("lists the caller's warnings after the plan's, and checks them", () => {
    const cutOff = { code: "SAMPLE_CUT_OFF", message: "Sampling stopped waiting for item 2 after 860 ms." };
    const lines = explain(handMade, [cutOff]).split("\n");
    const at = lines.indexOf("Warnings:");
    expect(lines.slice(at, at + 4)).toEqual([
      "Warnings:",
      "  - FEW_SAMPLES: Only 2 items were sampled.",
      "  - SAMPLE_CUT_OFF: Sampling stopped waiting for item 2 after 860 ms.",
      "",
    ]);
    const none = explain({ ...handMade, warnings: [] }, [cutOff]).split("\n");
    expect(none.slice(none.indexOf("Warnings:"), none.indexOf("Warnings:") + 2)).toEqual([
      "Warnings:",
      "  - SAMPLE_CUT_OFF: Sampling stopped waiting for item 2 after 860 ms.",
    ]);
    expect(() => explain(handMade, [{ code: "X" } as never])).toThrow(
      expect.objectContaining({
        code: "AMORSIZE_INVALID_INPUT",
        message: expect.stringContaining("warnings[0].message: Invalid input"),
      }),
    );
  });

  it("leaves out a term an older plan does not carry", () => {
    const { dispatchWaitMs: _, ...older } = handMade.predicted.breakdown;
    const text = explain({ ...handMade, predicted: { ...handMade.predicted, breakdown: older } });
    expect(text).not.toContain("dispatch wait      ");
    expect(text).toContain("the workers' side (2481 ms)");
  });

  it("a serial plan: the loop, why, and how far the best parallel plan fell short", () => {
    const plan = planExecution(unitInput({ workload: { totalItems: 100, itemMs: 0.1 } }));
    const text = explain(plan);
    const lines = text.split("\n");
    expect(lines[0]).toBe("Plan: serial: a plain loop in the calling thread");
    expect(lines[1]).toBe(
      "Predicted: 10.0 ms against 10.0 ms for a plain loop (the loop itself), for 100 items.",
    );
    expect(lines).toContain(
      "  compute              10.0 ms  every item one after another in the calling thread",
    );
    expect(lines).toContain("  total                10.0 ms  = compute");
    expect(text).toContain(`  - TOO_LITTLE_WORK: ${plan.reasons[0]!.message}`);
    // 2 workers x 50: start-up 13 ms + workers' side 5.25 ms + ramp 0.045 ms + tail 0.2137 ms
    // (see predict.test.ts for the terms) = 18.509 ms against the loop's 10 ms.
    expect(lines.at(-1)).toBe(
      "Best alternative: best parallel: 2 workers, chunks of 50, lost by 8.51 ms (85.1% slower).",
    );
    const huge = explain(planExecution(unitInput({ workload: { totalItems: 10, itemMs: 0.1 } })));
    // One worker, one chunk: 12 ms start-up + 10 x 0.101 + 0.06 + 0.06 = 13.13 ms against 1 ms.
    expect(huge.split("\n").at(-1)).toBe(
      "Best alternative: best parallel: 1 worker, chunks of 10, lost by 12.1 ms (13.13x as long).",
    );
  });

  it("a concurrent plan and a stream say what their prediction covers", () => {
    const concurrent = explain(
      planExecution(unitInput({ workload: { totalItems: 100, itemMs: 10, cpuToWall: 0.1, async: true } })),
    );
    expect(concurrent).toContain("Plan: concurrent: the calling thread with 20 items awaiting at once");
    expect(concurrent).toContain("= max(compute, main thread)");
    const stream = explain(planExecution(unitInput({ workload: { totalItems: null, itemMs: 1 } })));
    expect(stream).toContain(
      "Plan: parallel: 2 workers, chunks of 4 items (up to 4 in flight, sizes adapt at run time)",
    );
    expect(stream).toContain("per 1000 items of a stream of unknown length, in steady state.");
  });

  it("a plan that beat a faster alternative names the reasons it gives, when no other cause is known", () => {
    const text = explain({
      ...handMade,
      alternatives: [
        { mode: "parallel", workers: 8, chunkSize: 1, wallMs: 2000, speedup: 2.5, label: "too big" },
      ],
    });
    expect(text.split("\n").at(-1)).toBe(
      "Best alternative: too big: 8 workers, chunks of 1, predicted 528 ms faster, but ruled out by COMPUTE_BOUND above.",
    );
  });

  describe("says why the planner took a plan over a faster alternative", () => {
    const lastLine = (plan: Plan) => explain(plan).split("\n").at(-1);

    it("a tie: within 1% of the fastest, larger chunks win", () => {
      // The issue's example: the reasons above say nothing about chunks of 1.
      const plan = planExecution(unitInput({ workload: { totalItems: 100, itemMs: 9, cv: 0.5 } }));
      expect(plan).toMatchObject({ mode: "parallel", workers: 2, chunkSize: 3 });
      expect(plan.reasons.map((r) => r.code)).toEqual(["COMPUTE_BOUND"]);
      const fastest = plan.alternatives[0]!;
      expect(fastest.wallMs).toBeLessThan(plan.predicted.wallMs);
      expect(plan.predicted.wallMs).toBeLessThanOrEqual(fastest.wallMs * 1.01);
      expect(lastLine(plan)).toBe(
        "Best alternative: one task per item (usable cores): 2 workers, chunks of 1, predicted 3.11 ms faster, " +
          "within 1% of the chosen plan, a tie: larger chunks are preferred then, as they cost less when the figures are off.",
      );
    });

    it("a tie: within 1% of the fastest, fewer workers win", () => {
      const plan = planExecution(
        input({
          hardware: { usableCores: 8 },
          costs: { usableCores: 8 },
          workload: { totalItems: 1000, itemMs: 0.2, cv: 0.5 },
        }),
      );
      expect(plan).toMatchObject({ mode: "parallel", workers: 7, chunkSize: 24 });
      expect(lastLine(plan)).toMatch(
        /^Best alternative: .*: 8 workers, chunks of 32, predicted 233 us faster, within 1% of the chosen plan, a tie: fewer workers are preferred then, leaving cores to the rest of the machine\.$/,
      );
    });

    it("a serial plan: the faster parallel plan falls short of minSpeedup", () => {
      const plan = planExecution(input({ workload: { totalItems: 100, itemMs: 1 } }));
      expect(plan.mode).toBe("serial");
      expect(lastLine(plan)).toBe(
        "Best alternative: best parallel: 2 workers, chunks of 25, predicted 11.6 ms faster, " +
          "but 1.13x a plain loop is less than the minimum speedup asked for (minSpeedup).",
      );
    });

    it("the memory budget, the chunk time-out and fixed constraints", () => {
      const memory = planExecution(
        unitInput({
          hardware: { usableCores: 8 },
          costs: { usableCores: 8 },
          workload: { totalItems: 100, itemMs: 1, memoryBytesPerItem: 2 * 1024 ** 2 },
          constraints: { memoryBudgetBytes: 60 * 1024 ** 2 },
        }),
      );
      expect(lastLine(memory)).toMatch(
        /, exceeds the memory budget: 8 workers, chunks of 1, predicted 7\.57 ms faster, but it exceeds the memory budget\.$/,
      );
      const timeout = planExecution(
        unitInput({ workload: { totalItems: 400, itemMs: 0.2 }, constraints: { chunkTimeoutMs: 20 } }),
      );
      expect(lastLine(timeout)).toMatch(
        /, chunks too long for the time-out: 2 workers, chunks of 50, predicted 171 us faster, but its chunks would run too long for the chunk time-out\.$/,
      );
      const fixed = planExecution(
        unitInput({ workload: { totalItems: 100, itemMs: 1 }, constraints: { workers: 1 } }),
      );
      expect(lastLine(fixed)).toMatch(
        /: 2 workers, chunks of 13, predicted 33\.9 ms faster, but the constraints fix the worker count \(FIXED_BY_CONSTRAINT above\)\.$/,
      );
    });
  });

  it("validates the plan", () => {
    for (const [bad, issues] of [
      [{}, ["plan.mode: Invalid discriminator value. Expected 'serial' | 'concurrent' | 'parallel'"]],
      [null, ["plan: Invalid input: expected object, received null, got null"]],
      [{ ...handMade, workers: 0 }, ["plan.workers: Too small: expected number to be >0, got 0"]],
    ] as const) {
      let caught: unknown;
      try {
        explain(bad as never);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(AmorsizeValidationError);
      expect((caught as AmorsizeValidationError).issues).toEqual(issues);
    }
  });
});
