import { describe, expect, it } from "@jest/globals";
import { checkTargets, missingCells } from "../src/targets.js";
import { workloadResult } from "./fixtures/results.js";

const byId = (checks: ReturnType<typeof checkTargets>) => Object.fromEntries(checks.map((c) => [c.id, c]));

describe("checkTargets", () => {
  it("reports hits with the figures behind them", () => {
    const checks = byId(
      checkTargets([
        workloadResult(
          "fine",
          { serial: 100, "naive-pool": 1_000, amorsize: 50, oracle: 50 },
          { fineGrained: true },
        ),
        workloadResult("long", { serial: 4_000, "naive-pool": 2_100, amorsize: 2_080, oracle: 2_000 }),
      ]),
    );
    expect(checks["oracle-each"]).toMatchObject({
      hit: true,
      figure: "worst 1.04x the oracle (long)",
      details: ["fine: 1.00x", "long: 1.04x"],
    });
    expect(checks["oracle-median"]).toMatchObject({ hit: true, figure: "median 1.02x the oracle" });
    expect(checks["no-negative-scaling"]).toMatchObject({
      hit: true,
      figure: "worst 0.52x serial's time (long)",
    });
    expect(checks["fine-grained-vs-naive"]).toMatchObject({
      hit: true,
      figure: "least 20.00x faster (fine)",
      details: ["fine: 20.00x"],
    });
    expect(checks.prediction).toMatchObject({ hit: true, figure: "median error 0.0%" });
    // Only "long" ran longer than 1 s: 1 ms of 2080.
    expect(checks.overhead).toMatchObject({
      hit: true,
      figure: "worst 0.0% (long)",
      details: ["long: 0.0%"],
    });
  });

  it("reports misses, naming the workloads", () => {
    const checks = byId(
      checkTargets([
        workloadResult(
          "a",
          { serial: 100, "naive-pool": 300, amorsize: 120, oracle: 100 },
          { fineGrained: true, predictedSpeedup: 2 },
        ),
        workloadResult(
          "b",
          { serial: 3_000, amorsize: 2_000, oracle: 1_000 },
          { predictedSpeedup: 3, optimizerMs: 150 },
        ),
        workloadResult("c", { serial: 500, amorsize: 500, oracle: 500 }, { predictedSpeedup: 1 }),
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
    });
    expect(checks["fine-grained-vs-naive"]).toMatchObject({ hit: false, figure: "least 2.50x faster (a)" });
    // a: predicted 2 vs measured 0.833 -> 140%; b: 3 vs 1.5 -> 100%; c: 1 vs 1 -> 0%.
    expect(checks.prediction).toMatchObject({
      hit: false,
      figure: "median error 100.0%",
      details: ["a: 140.0%", "b: 100.0%", "c: 0.0%"],
    });
    expect(checks.overhead).toMatchObject({ hit: false, figure: "worst 7.5% (b)" });
  });

  it("says when a target could not be judged", () => {
    const checks = byId(checkTargets([workloadResult("short", { serial: 10, amorsize: 9, oracle: 9 })]));
    expect(checks["fine-grained-vs-naive"]).toMatchObject({
      hit: null,
      figure: "no fine-grained workload measured",
    });
    expect(checks.overhead).toMatchObject({ hit: null, figure: "no amorsize run took longer than 1 s" });
    const none = byId(checkTargets([workloadResult("x", { serial: 10 })]));
    expect(none["oracle-each"]).toMatchObject({ hit: null, figure: "not measured" });
    expect(none.prediction).toMatchObject({ hit: null, figure: "not measured" });
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
          { predictedSpeedup: null, optimizerMs: null },
        ),
      ]),
    ).toEqual([
      "gaps/pool-map",
      "gaps/oracle",
      "gaps/amorsize.predictedSpeedup",
      "gaps/amorsize.optimizerMs",
    ]);
  });
});
