import { describe, expect, it } from "@jest/globals";
import {
  WARM_RUN_ESTIMATE_MS,
  WARM_RUN_KEPT,
  WARM_RUN_MAX_MS,
  WARM_RUN_MIN_RUNS,
  WARM_RUN_MOVE_MS,
  WARM_RUN_SHORT_MS,
  WarmRunCost,
} from "./warm-run.js";

describe("WarmRunCost: what a short run on warm workers costs beyond the model", () => {
  it("is the median residual once WARM_RUN_MIN_RUNS short runs were taken in, estimated before", () => {
    const cost = new WarmRunCost();
    expect(cost).toMatchObject({ valueMs: WARM_RUN_ESTIMATE_MS, measured: false, runs: 0 });
    // Ten items of 50 us on two warm workers: predicted 0.32 ms, a first run 4.87 ms (cold code), then ~0.9.
    expect(cost.takeIn(4.87, 0.32, 0)).toBe(false);
    expect(cost.takeIn(0.94, 0.32, 0)).toBe(false);
    expect(cost).toMatchObject({ valueMs: WARM_RUN_ESTIMATE_MS, measured: false });
    expect(WARM_RUN_MIN_RUNS).toBe(3);
    expect(cost.takeIn(0.89, 0.32, 0)).toBe(true);
    expect(cost.valueMs).toBeCloseTo(0.62, 12);
    expect(cost).toMatchObject({ measured: true, runs: 3 });
  });

  it("takes the residual against the prediction without what it charged already, so it does not feed on itself", () => {
    const cost = new WarmRunCost();
    for (let k = 0; k < 3; k++) cost.takeIn(0.9, 0.3, 0);
    expect(cost.valueMs).toBeCloseTo(0.6, 12);
    // Planned with 0.6 charged (predicted 0.9), ran in 0.9: the same residual, the figure stays.
    for (let k = 0; k < 10; k++) expect(cost.takeIn(0.9, 0.9, 0.6)).toBe(false);
    expect(cost.valueMs).toBeCloseTo(0.6, 12);
  });

  it("leaves out runs predicted WARM_RUN_SHORT_MS or longer, and counts a run faster than predicted as no cost", () => {
    const cost = new WarmRunCost();
    expect(cost.takeIn(130, WARM_RUN_SHORT_MS, 0)).toBe(false);
    expect(cost.runs).toBe(0);
    for (let k = 0; k < 3; k++) cost.takeIn(5, 8, 0);
    expect(cost.runs).toBe(3);
    // Measured at none: the estimate replaced, however close it was.
    expect(cost).toMatchObject({ valueMs: 0, measured: true });
  });

  it("moves only past WARM_RUN_MOVE_MS and a quarter of itself, and keeps the newest WARM_RUN_KEPT runs", () => {
    const cost = new WarmRunCost();
    for (let k = 0; k < 3; k++) cost.takeIn(1.3, 0.3, 0);
    expect(cost.valueMs).toBeCloseTo(1, 12);
    // A median of 1.2: moved by 0.2, under a quarter of 1.
    for (let k = 0; k < 4; k++) expect(cost.takeIn(1.5, 0.3, 0)).toBe(false);
    expect(cost.valueMs).toBeCloseTo(1, 12);
    // Runs at 0.3 ms over: once they are most of the kept runs, the figure falls to them.
    let moved = 0;
    for (let k = 0; k < WARM_RUN_KEPT; k++) if (cost.takeIn(0.6, 0.3, 0)) moved++;
    expect(cost.runs).toBe(WARM_RUN_KEPT);
    expect(cost.valueMs).toBeCloseTo(0.3, 12);
    expect(moved).toBeGreaterThanOrEqual(1);
    expect(WARM_RUN_MOVE_MS).toBe(0.05);
  });

  it("counts a residual at most WARM_RUN_MAX_MS, and a run as short by its prediction without the charge", () => {
    const cost = new WarmRunCost();
    // Runs held 40 ms by something else: each counts WARM_RUN_MAX_MS, not 40.
    for (let k = 0; k < 3; k++) cost.takeIn(40.3, 0.3, 0);
    expect(cost.valueMs).toBe(WARM_RUN_MAX_MS);
    // Predicted 23 ms with 5 charged: 18 ms of its own, short; taken in.
    expect(cost.takeIn(19, 23, 5)).toBe(false);
    expect(cost.runs).toBe(4);
  });

  it("replaces the estimate with the first measurement even when it reads the same", () => {
    const cost = new WarmRunCost();
    for (let k = 0; k < 2; k++) cost.takeIn(0.3 + WARM_RUN_ESTIMATE_MS, 0.3, 0);
    expect(cost.takeIn(0.3 + WARM_RUN_ESTIMATE_MS, 0.3, 0)).toBe(true);
    expect(cost).toMatchObject({ measured: true, runs: 3 });
    expect(cost.valueMs).toBeCloseTo(WARM_RUN_ESTIMATE_MS, 12);
  });
});
