import { describe, expect, it } from "@jest/globals";
import { checkTargets, missingCells } from "../src/targets.js";
import { workloadResult } from "./fixtures/results.js";

const byId = (checks: ReturnType<typeof checkTargets>) => Object.fromEntries(checks.map((c) => [c.id, c]));

describe("checkTargets", () => {
  it("states the issue's targets, in order", () => {
    expect(checkTargets([]).map((c) => [c.id, c.target])).toEqual([
      [
        "oracle-each",
        "amorsize within 10.0% of the oracle (the best of serial and the sweep) on every workload",
      ],
      ["oracle-median", "amorsize within 5.0% of the oracle on the median workload"],
      ["no-negative-scaling", "amorsize never more than 5.0% slower than serial"],
      [
        "prediction-worst",
        "predicted against measured wall time (end to end) off by at most 50.0% on every workload",
      ],
      [
        "prediction-median",
        "predicted against measured wall time off by at most 15.0% on the median workload",
      ],
      ["deciding-long", "time spent deciding at most 5.0% of the serial time on jobs over 1 s"],
      ["deciding-short", "time spent deciding at most 5 ms on jobs a plain loop finishes within 100 ms"],
      [
        "fine-grained-vs-naive",
        "amorsize at least 5x faster than the naive pool on each fine-grained workload (issue 8)",
      ],
    ]);
  });

  it("reports hits with the figures behind them", () => {
    const checks = byId(
      checkTargets([
        workloadResult(
          "fine",
          { serial: 100, "naive-pool": 1_000, amorsize: 50, oracle: 50 },
          { fineGrained: true, timeError: 0.1, decidingMs: 5 },
        ),
        workloadResult(
          "long",
          { serial: 4_000, "naive-pool": 2_100, amorsize: 2_080, oracle: 2_000 },
          { timeError: 0.5, decidingMs: 200 },
        ),
        workloadResult(
          "mid",
          { serial: 500, amorsize: 300, oracle: 300 },
          { timeError: 0.12, decidingMs: 50 },
        ),
      ]),
    );
    expect(checks["oracle-each"]).toMatchObject({
      hit: true,
      figure: "worst 1.04x the oracle (long)",
      details: ["fine: 1.00x", "long: 1.04x", "mid: 1.00x"],
    });
    expect(checks["oracle-median"]).toMatchObject({ hit: true, figure: "median 1.00x the oracle" });
    expect(checks["no-negative-scaling"]).toMatchObject({
      hit: true,
      figure: "worst 0.60x serial's time (mid)",
    });
    expect(checks["fine-grained-vs-naive"]).toMatchObject({
      hit: true,
      figure: "least 20.00x faster (fine)",
      details: ["fine: 20.00x"],
    });
    // Errors 10%, 50%, 12%: the worst is exactly at its bound, the median (12%) under 15%.
    expect(checks["prediction-worst"]).toMatchObject({
      hit: true,
      figure: "worst 50.0% (long)",
      details: ["fine: 10.0%", "long: 50.0%", "mid: 12.0%"],
    });
    expect(checks["prediction-median"]).toMatchObject({ hit: true, figure: "median 12.0%" });
    // Only "long" has a serial loop over 1 s: 200 ms of 4000 is exactly 5%.
    expect(checks["deciding-long"]).toMatchObject({
      hit: true,
      figure: "worst 5.0% (long)",
      details: ["long: 5.0%"],
    });
    // Only "fine" has a serial loop within 100 ms: 5 ms is at the bound; "mid" (500 ms) is in neither.
    expect(checks["deciding-short"]).toMatchObject({
      hit: true,
      figure: "worst 5.00 ms (fine)",
      details: ["fine: 5.00 ms"],
    });
  });

  it("reports misses, naming the workloads", () => {
    const checks = byId(
      checkTargets([
        workloadResult(
          "a",
          { serial: 100, "naive-pool": 300, amorsize: 120, oracle: 100 },
          { fineGrained: true, timeError: 0.6, decidingMs: 5.01 },
        ),
        workloadResult(
          "b",
          { serial: 3_000, amorsize: 2_000, oracle: 1_000 },
          { timeError: 0.2, decidingMs: 151 },
        ),
        workloadResult("c", { serial: 500, amorsize: 500, oracle: 500 }, { timeError: 0 }),
      ]),
    );
    expect(checks["oracle-each"]).toMatchObject({
      hit: false,
      figure: "worst 2.00x the oracle (b)",
      details: ["a: 1.20x (miss)", "b: 2.00x (miss)", "c: 1.00x"],
    });
    expect(checks["oracle-median"]).toMatchObject({ hit: false, figure: "median 1.20x the oracle" });
    expect(checks["no-negative-scaling"]).toMatchObject({
      hit: false,
      figure: "worst 1.20x serial's time (a)",
      details: ["a: 1.20x (miss)", "b: 0.67x", "c: 1.00x"],
    });
    expect(checks["fine-grained-vs-naive"]).toMatchObject({ hit: false, figure: "least 2.50x faster (a)" });
    expect(checks["prediction-worst"]).toMatchObject({
      hit: false,
      figure: "worst 60.0% (a)",
      details: ["a: 60.0% (miss)", "b: 20.0%", "c: 0.0%"],
    });
    expect(checks["prediction-median"]).toMatchObject({ hit: false, figure: "median 20.0%" });
    // 151 ms of 3000 ms serial: 5.03%.
    expect(checks["deciding-long"]).toMatchObject({ hit: false, figure: "worst 5.0% (b)" });
    expect(checks["deciding-long"]!.details).toEqual(["b: 5.0% (miss)"]);
    expect(checks["deciding-short"]).toMatchObject({
      hit: false,
      figure: "worst 5.01 ms (a)",
      details: ["a: 5.01 ms (miss)"],
    });
  });

  it("says when a target could not be judged", () => {
    const checks = byId(checkTargets([workloadResult("mid", { serial: 500, amorsize: 400, oracle: 400 })]));
    expect(checks["fine-grained-vs-naive"]).toMatchObject({
      hit: null,
      figure: "no fine-grained workload measured",
    });
    expect(checks["deciding-long"]).toMatchObject({
      hit: null,
      figure: "no job's serial loop took longer than 1 s",
    });
    expect(checks["deciding-short"]).toMatchObject({
      hit: null,
      figure: "no job's serial loop finished within 100 ms",
    });
    const none = byId(checkTargets([workloadResult("x", { serial: 10 }, { timeError: null })]));
    expect(none["oracle-each"]).toMatchObject({ hit: null, figure: "not measured" });
    expect(none["oracle-median"]).toMatchObject({ hit: null, figure: "not measured" });
    expect(none["prediction-worst"]).toMatchObject({ hit: null, figure: "not measured" });
    expect(none["prediction-median"]).toMatchObject({ hit: null, figure: "not measured" });
  });
});

describe("missingCells", () => {
  it("lists every workload/strategy without a median, and missing amorsize figures", () => {
    expect(
      missingCells([
        workloadResult("full", {
          serial: 1,
          "naive-pool": 1,
          "pool-map": 1,
          joblib: 1,
          amorsize: 1,
          oracle: 1,
        }),
      ]),
    ).toEqual([]);
    expect(
      missingCells([
        workloadResult(
          "gaps",
          { serial: 1, "naive-pool": 1, "pool-map": null, joblib: 1, amorsize: 1, oracle: null },
          { predictedSpeedup: null, optimizerMs: null, timeError: null },
        ),
      ]),
    ).toEqual([
      "gaps/pool-map",
      "gaps/oracle",
      "gaps/amorsize.predictedSpeedup",
      "gaps/amorsize.optimizerMs",
      "gaps/amorsize.timeError",
    ]);
  });
});
