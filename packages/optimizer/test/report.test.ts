import { ItemError } from "@amorsize/executor";
import { type ExecutionReport, ExecutionReportSchema } from "@amorsize/types";
import { describe, expect, it } from "@jest/globals";
import { backendPrediction, backendReport, mergeSampled, planCheck } from "../src/report.js";

/** A completed run of 10 items on 2 workers, as the executor reports it. */
function runReport(counts: Pick<ExecutionReport, "succeeded" | "precomputed" | "failed">): ExecutionReport {
  return {
    mode: "parallel",
    workers: 2,
    chunkSize: 4,
    adaptive: false,
    items: 10,
    ...counts,
    wallMs: 50,
    chunks: 2,
    chunkMs: { count: 2, min: 20, mean: 20, median: 20, p90: 20, max: 20 },
    busyMs: 40,
    utilisation: 0.4,
    itemsPerSecond: 200,
    errors: [],
    aborted: false,
  };
}

describe("mergeSampled", () => {
  it("counts each sampled item once, as succeeded or failed, and none as precomputed", () => {
    // Sampling ran items 0, 3 and 5: 5 threw. The run was given all three as precomputed
    // and ran the other 7, of which item 8 failed.
    const runError = new ItemError(8, new Error("eight"));
    const run = {
      report: {
        ...runReport({ succeeded: 6, precomputed: 3, failed: 1 }),
        errors: [
          { index: 8, range: [8, 9] as [number, number], code: "AMORSIZE_ITEM_FAILED", message: "eight" },
        ],
      },
      errors: [runError],
    };
    const cause = new Error("five");
    const sampled = {
      precomputed: new Map<number, unknown>([
        [0, "a"],
        [3, "b"],
      ]),
      failures: new Map([[5, cause]]),
    };
    const { report, errors } = mergeSampled(run, sampled);
    expect(report).toMatchObject({ items: 10, succeeded: 8, failed: 2, precomputed: 0 });
    expect(report.items).toBe(report.succeeded + report.failed + report.precomputed);
    expect(errors.map((e) => (e as ItemError).index)).toEqual([5, 8]);
    expect(errors[0]).toBeInstanceOf(ItemError);
    expect((errors[0] as ItemError).cause).toBe(cause);
    expect(errors[1]).toBe(runError);
    expect(report.errors).toEqual([
      { index: 5, range: null, code: "AMORSIZE_ITEM_FAILED", message: (errors[0] as Error).message },
      { index: 8, range: [8, 9], code: "AMORSIZE_ITEM_FAILED", message: "eight" },
    ]);
    expect(ExecutionReportSchema.parse(report)).toEqual(report);
  });

  it("leaves a run without sampled items as it was, precomputed 0", () => {
    const run = { report: runReport({ succeeded: 10, precomputed: 0, failed: 0 }), errors: [] };
    expect(mergeSampled(run, { precomputed: new Map(), failures: new Map() })).toEqual(run);
  });

  it("orders a whole chunk's failure by the first item of its chunk", () => {
    const chunk = Object.assign(new Error("crashed"), {
      index: null,
      range: [4, 7],
      code: "AMORSIZE_WORKER_CRASHED",
    });
    const run = {
      report: {
        ...runReport({ succeeded: 4, precomputed: 2, failed: 4 }),
        errors: [
          {
            index: null,
            range: [4, 7] as [number, number],
            code: "AMORSIZE_WORKER_CRASHED",
            message: "crashed",
          },
        ],
      },
      errors: [chunk],
    };
    const sampled = { precomputed: new Map<number, unknown>([[1, 1]]), failures: new Map([[9, "nine"]]) };
    const { report, errors } = mergeSampled(run, sampled);
    expect(errors[0]).toBe(chunk);
    expect((errors[1] as ItemError).index).toBe(9);
    expect(report.errors.map((e) => e.index)).toEqual([null, 9]);
    expect(report).toMatchObject({ succeeded: 5, failed: 5, precomputed: 0 });
  });
});

describe("backendReport", () => {
  it("is the backend's report in the executor's shape, with the decision's workers and chunk size", () => {
    const decision = { use: true, workers: 4, chunkSize: 10, predictedWallMs: 12, reasons: [] };
    const error = Object.assign(new Error("bad"), { index: 3, range: [0, 9], code: "AMORSIZE_ITEM_FAILED" });
    const report = backendReport(
      { items: 40, succeeded: 35, precomputed: 4, failed: 1, wallMs: 20, chunks: 4, busyMs: 40 },
      decision,
      [error],
    );
    expect(report).toEqual({
      mode: "cluster",
      workers: 4,
      chunkSize: 10,
      adaptive: false,
      items: 40,
      succeeded: 35,
      precomputed: 4,
      failed: 1,
      wallMs: 20,
      chunks: 4,
      chunkMs: { count: 4, min: 10, mean: 10, median: 10, p90: 10, max: 10 },
      busyMs: 40,
      utilisation: 0.5,
      itemsPerSecond: 2000,
      errors: [{ index: 3, range: [0, 9], code: "AMORSIZE_ITEM_FAILED", message: "bad" }],
      aborted: false,
    });
    expect(ExecutionReportSchema.parse(report)).toEqual(report);
  });

  it("says 0 rather than dividing by nothing", () => {
    const decision = { use: true, workers: 0, chunkSize: 1, predictedWallMs: 0, reasons: [] };
    const empty = { items: 0, succeeded: 0, precomputed: 0, failed: 0, wallMs: 0, chunks: 0, busyMs: 0 };
    expect(backendReport(empty, decision, [])).toMatchObject({
      utilisation: 0,
      itemsPerSecond: 0,
      chunkMs: { mean: 0 },
    });
  });
});

describe("planCheck", () => {
  it("puts the predicted run beside the measured one, and the whole call beside the decision", () => {
    const check = planCheck({ wallMs: 200, serialMs: 800, speedup: 4 }, 1000, {
      start: 0,
      runStart: 100,
      runEnd: 350,
    });
    expect(check).toEqual({
      predictedWallMs: 200,
      measuredWallMs: 250,
      predictedSpeedup: 4,
      measuredSpeedup: 3.2,
      ratio: 1.25,
      endToEnd: {
        decidedMs: 100,
        predictedMs: 300,
        measuredMs: 350,
        serialMs: 1000,
        predictedSpeedup: 1000 / 300,
        measuredSpeedup: 1000 / 350,
      },
    });
  });

  it("says 0 for ratios over nothing", () => {
    const check = planCheck({ wallMs: 0, serialMs: 0, speedup: 1 }, 0, { start: 5, runStart: 5, runEnd: 5 });
    expect(check).toMatchObject({
      measuredSpeedup: 0,
      ratio: 0,
      endToEnd: { predictedSpeedup: 0, measuredSpeedup: 0 },
    });
  });

  it("measures a backend's prediction against the local serial estimate", () => {
    const decision = { use: true, workers: 8, chunkSize: 10, predictedWallMs: 50, reasons: [] };
    expect(backendPrediction(decision, 400)).toEqual({ wallMs: 50, serialMs: 400, speedup: 8 });
    expect(backendPrediction({ ...decision, predictedWallMs: 0 }, 400).speedup).toBe(0);
  });
});
