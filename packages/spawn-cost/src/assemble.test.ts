import type { MeasuredFigure, PayloadKind } from "@amorsize/types";
import { describe, expect, it } from "@jest/globals";
import { assembleOutcome, type CloneRecord, finalFigure, type MeasureRecord } from "./assemble.js";
import type { CloneCell } from "./fit.js";

const measured = (value: number, samples: number, spread: number | null): MeasuredFigure => ({
  value,
  provenance: "measured",
  samples,
  spread,
});
const estimated = (value: number, reason: string): MeasuredFigure => ({
  value,
  provenance: "estimated",
  reason,
  samples: 0,
  spread: null,
});

/** Two chunk lengths per size with two samples each, on the line y = perItemUs + perByteUs x bytes. */
function line(perItemUs: number, perByteUs: number, small: number, big: number): { cells: CloneCell[] } {
  const cell = (bytes: number) => ({
    bytes,
    samples: [perItemUs + perByteUs * bytes, perItemUs + perByteUs * bytes],
  });
  return { cells: [cell(small), cell(small), cell(big), cell(big)] };
}

const MEASURED_CLONE: Record<PayloadKind, CloneRecord> = {
  number: {
    cells: [
      { bytes: 9, samples: [0.25, 0.5] },
      { bytes: 9, samples: [0.25, 0.5] },
    ],
  },
  "plain-array": line(0.5, 0.0625, 40, 520),
  object: line(1, 0.03125, 32, 288),
  string: line(0.25, 2 ** -10, 24, 4120),
  "typed-array": line(1, 2 ** -10, 64, 16448),
  "typed-array-transfer": line(8, 0, 64, 16448),
};

/** Gaps between chunks on the workers: 250, 125, 375 and 250 us. */
const GAPS_US = [250, 125, 375, 250];
/** Two workers' times for equal work: apart by 0, 0.5 and 1 ms. */
const SPEED_ROUNDS = [
  [10, 10],
  [10, 10.5],
  [10, 11],
];

/** A record in which every figure was measured. */
function measuredRecord(overrides: Partial<MeasureRecord> = {}): MeasureRecord {
  return {
    budgetMs: 600,
    maxWorkers: 3,
    paceWorkers: 2,
    latencyUs: { samples: [...Array(10).fill(60), ...Array(10).fill(80)] },
    throughputUs: { samples: [40, 50, 45] },
    clone: { ...MEASURED_CLONE },
    // 10 + 25 k
    startup: [
      { k: 2, ms: 60 },
      { k: 1, ms: 35 },
      { k: 2, ms: 60 },
      { k: 3, ms: 85 },
      { k: 1, ms: 35 },
      { k: 3, ms: 85 },
    ],
    destroyMs: [3, 4],
    gap: { gapsUs: GAPS_US },
    speed: { rounds: SPEED_ROUNDS },
    failures: [],
    ...overrides,
  };
}

/** Larger pools measured faster to start (440 - 60 k): the case a busy machine produced. */
const FALLING_STARTUP = [
  { k: 2, ms: 320 },
  { k: 1, ms: 380 },
  { k: 2, ms: 320 },
  { k: 3, ms: 260 },
  { k: 1, ms: 380 },
  { k: 3, ms: 260 },
];
const FALLING_REASON =
  "the 6 start-up samples were too noisy: larger pools measured no slower to start than smaller ones";

describe("assembleOutcome", () => {
  it("reports every figure measured, with its samples and spread, and no warning", () => {
    expect(assembleOutcome(measuredRecord())).toEqual({
      workerStart: { fixedMs: measured(10, 6, 0), perWorkerMs: measured(25, 6, 0) },
      dispatch: { latencyUs: measured(70, 20, 10), throughputUs: measured(45, 3, 5) },
      // Spreads of 0, 0.5/sqrt(2)/10.25 and 1/sqrt(2)/10.5.
      pace: {
        gapUs: measured(250, 4, 62.5),
        afterMs: 10,
        speedCv: {
          ...measured(Math.SQRT1_2 * (0.5 / 10.25), 3, 0),
          spread: expect.closeTo(Math.SQRT1_2 * (1 / 10.5 - 0.5 / 10.25), 12),
        },
      },
      clone: {
        number: {
          perItemUs: measured(0.375, 4, 0.125),
          perByteNs: estimated(
            0,
            "a number always serialises to the same 9 bytes, so its whole cost is in perItemUs",
          ),
        },
        "plain-array": { perItemUs: measured(0.5, 8, 0), perByteNs: measured(62.5, 8, 0) },
        object: { perItemUs: measured(1, 8, 0), perByteNs: measured(31.25, 8, 0) },
        string: { perItemUs: measured(0.25, 8, 0), perByteNs: measured(0.9765625, 8, 0) },
        "typed-array": { perItemUs: measured(1, 8, 0), perByteNs: measured(0.9765625, 8, 0) },
        "typed-array-transfer": { perItemUs: measured(8, 8, 0), perByteNs: measured(0, 8, 0) },
      },
      warnings: [],
      anyMeasured: true,
    });
  });

  it("takes the per-worker estimate and the mean start's fixed part for a falling start-up line, and warns", () => {
    const outcome = assembleOutcome(measuredRecord({ startup: FALLING_STARTUP }));
    expect(outcome.workerStart).toEqual({
      // mean start 320 ms at a mean k of 2, less 2 x the 30 ms per-worker estimate
      fixedMs: estimated(260, `${FALLING_REASON}; fixed part derived from their mean start`),
      perWorkerMs: estimated(30, FALLING_REASON),
    });
    expect(outcome.warnings).toEqual([
      {
        code: "AMORSIZE_SPAWN_COST_IMPLAUSIBLE_FIT",
        message:
          "The samples of workerStart were too noisy to fit (a busy machine?); those figures are documented estimates.",
      },
    ]);
    expect(outcome.dispatch.latencyUs).toEqual(measured(70, 20, 10));
    expect(outcome.anyMeasured).toBe(true);
  });

  it("names implausible clone kinds before the start-up line in one warning", () => {
    const inverted = line(4, -0.00625, 40, 520);
    const outcome = assembleOutcome(
      measuredRecord({ clone: { ...MEASURED_CLONE, "plain-array": inverted }, startup: FALLING_STARTUP }),
    );
    const reason =
      "the 8 samples were too noisy: 64-element items measured no dearer per byte than 4-element ones";
    expect(outcome.clone["plain-array"]).toEqual({
      perItemUs: estimated(1, reason),
      perByteNs: estimated(15, reason),
    });
    expect(outcome.warnings).toEqual([
      {
        code: "AMORSIZE_SPAWN_COST_IMPLAUSIBLE_FIT",
        message:
          "The samples of clone.plain-array, workerStart were too noisy to fit (a busy machine?); those figures are documented estimates.",
      },
    ]);
  });

  it("estimates every figure, saying why, when the first pool could not start", () => {
    const failure = "starting a pool of 2 workers took longer than 300 ms";
    const outcome = assembleOutcome({
      budgetMs: 600,
      maxWorkers: 3,
      paceWorkers: 2,
      clone: {},
      startup: [],
      destroyMs: [5],
      startupFailure: failure,
      failures: [failure],
    });
    const why = `measuring failed: ${failure}`;
    expect(outcome.workerStart).toEqual({
      fixedMs: estimated(10, `measuring worker start-up failed: ${failure}`),
      perWorkerMs: estimated(30, `measuring worker start-up failed: ${failure}`),
    });
    expect(outcome.dispatch).toEqual({ latencyUs: estimated(100, why), throughputUs: estimated(50, why) });
    expect(outcome.clone.object).toEqual({ perItemUs: estimated(1.3, why), perByteNs: estimated(33, why) });
    expect(outcome.warnings).toEqual([
      {
        code: "AMORSIZE_SPAWN_COST_MEASUREMENT_FAILED",
        message: `Measuring failed (${failure}); the figures it concerned are documented estimates.`,
      },
    ]);
    expect(outcome.anyMeasured).toBe(false);
  });

  it("names every figure short of samples when the budget ran out before the first empty task", () => {
    const latencyReason = "the 1 ms budget ran out after 0 samples (needs 20)";
    const cloneReason = `clone figures need the empty-task latency, which was not measured (${latencyReason})`;
    const outcome = assembleOutcome({
      budgetMs: 1,
      maxWorkers: 3,
      paceWorkers: 2,
      latencyUs: { samples: [] },
      throughputUs: { samples: [] },
      clone: Object.fromEntries(Object.keys(MEASURED_CLONE).map((kind) => [kind, { reason: cloneReason }])),
      startup: [{ k: 2, ms: 30 }],
      destroyMs: [4],
      failures: [],
    });
    expect(outcome.dispatch).toEqual({
      latencyUs: estimated(100, latencyReason),
      throughputUs: estimated(50, "the 1 ms budget ran out after 0 samples (needs 3)"),
    });
    expect(outcome.clone.string).toEqual({
      perItemUs: estimated(0.2, cloneReason),
      perByteNs: estimated(2.9, cloneReason),
    });
    expect(outcome.workerStart.fixedMs).toEqual(
      estimated(10, "the 1 ms budget ran out after 1 sample (needs 3)"),
    );
    expect(outcome.warnings).toEqual([
      {
        code: "AMORSIZE_SPAWN_COST_BUDGET_EXHAUSTED",
        message:
          "The 1 ms budget ran out before dispatch.latencyUs, dispatch.throughputUs, workerStart, pace.gapUs, pace.speedCv had enough samples; those figures are documented estimates (raise budgetMs to measure them).",
      },
    ]);
    expect(outcome.anyMeasured).toBe(false);
  });

  it("names clone kinds short of samples in measuring order, kinds never reached after the start-up line", () => {
    const outcome = assembleOutcome(
      measuredRecord({
        clone: { string: { cells: [{ bytes: 24, samples: [1] }] } },
        startup: [{ k: 2, ms: 60 }],
      }),
    );
    expect(outcome.clone.number.perItemUs).toEqual(estimated(0.1, "not measured: the budget ran out first"));
    expect(outcome.clone.string.perItemUs).toEqual(
      estimated(0.2, "the 600 ms budget ran out after 1 sample (needs 8)"),
    );
    expect(outcome.warnings).toEqual([
      {
        code: "AMORSIZE_SPAWN_COST_BUDGET_EXHAUSTED",
        message:
          "The 600 ms budget ran out before clone.string, workerStart, clone.number, clone.plain-array, clone.object, clone.typed-array, clone.typed-array-transfer had enough samples; those figures are documented estimates (raise budgetMs to measure them).",
      },
    ]);
  });

  it("estimates the kind whose chunk failed and keeps the others measured", () => {
    const failed =
      "measuring typed-array-transfer clone cost failed: a transferred chunk came back incomplete";
    const outcome = assembleOutcome(
      measuredRecord({
        clone: { ...MEASURED_CLONE, "typed-array-transfer": { reason: failed } },
        failures: ["clone typed-array-transfer: a transferred chunk came back incomplete"],
      }),
    );
    expect(outcome.clone["typed-array-transfer"]).toEqual({
      perItemUs: estimated(12, failed),
      perByteNs: estimated(0, failed),
    });
    expect(outcome.clone["typed-array"].perItemUs).toEqual(measured(1, 8, 0));
    expect(outcome.warnings).toEqual([
      {
        code: "AMORSIZE_SPAWN_COST_MEASUREMENT_FAILED",
        message:
          "Measuring failed (clone typed-array-transfer: a transferred chunk came back incomplete); the figures it concerned are documented estimates.",
      },
    ]);
  });

  it("names the failed start-up rounds after a measured first pool", () => {
    const failure = "worker start-up: a measuring worker failed: out of memory";
    const outcome = assembleOutcome(
      measuredRecord({
        startup: [{ k: 2, ms: 60 }],
        startupFailure: "a measuring worker failed: out of memory",
        failures: [failure],
      }),
    );
    expect(outcome.workerStart.perWorkerMs).toEqual(
      estimated(30, "measuring worker start-up failed: a measuring worker failed: out of memory"),
    );
    expect(outcome.warnings.map((w) => w.code)).toEqual(["AMORSIZE_SPAWN_COST_MEASUREMENT_FAILED"]);
  });
});

describe("finalFigure", () => {
  it("falls back to the estimate for a measured value that is not finite", () => {
    expect(finalFigure({ value: Number.NaN, samples: 3, spread: 1 }, 100, "why")).toEqual(
      estimated(100, "why"),
    );
    expect(finalFigure({ value: 5, samples: 3, spread: Number.POSITIVE_INFINITY }, 100, "why")).toEqual(
      estimated(100, "why"),
    );
  });

  it("takes a draft's own estimate over the documented one", () => {
    expect(finalFigure({ reason: "because", estimate: 7 }, 100, "why")).toEqual(estimated(7, "because"));
    expect(finalFigure({ value: 5, samples: 3, spread: null }, 100, "why")).toEqual(measured(5, 3, null));
  });
});
