import { planExecution } from "@amorsize/cost-model";
import type { WorkloadSample } from "@amorsize/types";
import { describe, expect, it } from "@jest/globals";
import { hardware, spawnCost } from "../../test/profiles.js";
import { formatPlan } from "../format.js";
import { alike, POOL_MAX_Z, POOL_MIN_ITEM_MS, pooledWorkload } from "./pool.js";
import { emptyWorkload } from "./records.js";

/** A measured workload of `mean` ms items (the rest as an empty input's). */
const workload = (mean: number, extra: Partial<WorkloadSample> = {}): WorkloadSample => ({
  ...emptyWorkload(),
  sampled: 4,
  indices: [100, 200, 300, 50],
  totalItems: 400,
  itemTimeMs: { mean, median: mean, p90: mean, max: mean, cv: 0 },
  spread: { relativeError: 0.1, maxOverMean: 1.2, trend: 0.05 },
  source: "measured",
  ...extra,
});
const placed = (ms: readonly number[], first: number, step = 1) =>
  ms.map((m, i) => ({ index: first + i * step, ms: m }));

describe("pooledWorkload", () => {
  // Heavy-tailed items: three sampled ones (1, 2 and 12 ms) and six run beside a probe.
  const basis = placed([1, 2, 12], 100, 100);
  const filled = placed([0.8, 3, 1.5, 2.5, 1.2, 2], 0);

  it("joins items run beside the probe to the sampled ones' time figures where they are alike", () => {
    const sample = workload(5, { sampled: 3 });
    const basisMs = 1 + 2 + 12;
    const pooled = pooledWorkload(sample, basis, basisMs, filled);
    expect(pooled).not.toBeNull();
    const times = [1, 2, 12, 0.8, 3, 1.5, 2.5, 1.2, 2];
    const mean = times.reduce((a, b) => a + b, 0) / times.length;
    const sd = Math.sqrt(times.reduce((a, b) => a + (b - mean) ** 2, 0) / (times.length - 1));
    expect(pooled!.itemTimeMs.mean).toBeCloseTo(mean, 12);
    expect(pooled!.itemTimeMs.max).toBe(12);
    expect(pooled!.itemTimeMs.median).toBe(2);
    expect(pooled!.itemTimeMs.cv).toBeCloseTo(sd / mean, 12);
    expect(pooled!.pooledItems).toBe(6);
    // The spread is the pooled items' (error and tail); the trend stays the sample's.
    expect(pooled!.spread!.relativeError).toBeCloseTo(sd / mean / 3, 12);
    expect(pooled!.spread!.maxOverMean).toBeCloseTo(12 / mean, 12);
    expect(pooled!.spread!.trend).toBe(0.05);
    // What was sampled stays as it was.
    expect(pooled!.sampled).toBe(3);
    expect(pooled!.indices).toEqual(sample.indices);
    // The plan's account of its figures names both.
    const plan = planExecution({ hardware: hardware(2), spawnCost: spawnCost(2), workload: pooled! });
    expect(formatPlan(plan, pooled!)).toContain(
      "(3 sampled, and 6 more run here while a fresh worker was probed)",
    );
    expect(formatPlan(plan, sample)).toContain("(3 sampled)");
  });

  it("keeps the sample's figures where the items at the input's start differ (items that grow along it)", () => {
    const growing = placed([6, 8, 9, 11], 100, 100);
    const start = placed([1, 1.1, 0.9, 1.2, 1, 1.05], 0);
    expect(pooledWorkload(workload(8.5), growing, 34, start)).toBeNull();
  });

  it("keeps the sample's figures for short items, scaled figures, blocks, and nothing to join", () => {
    const short = placed([0.9, 0.95], 100, 100);
    expect(POOL_MIN_ITEM_MS).toBe(1);
    expect(pooledWorkload(workload(0.925), short, 1.85, placed([0.9, 0.95], 0))).toBeNull();
    expect(pooledWorkload(workload(1), short, 1.85, placed([0.9, 0.95], 0))).not.toBeNull();
    const sizeScale = { factor: 1.2, sampledMeanSize: 10, inputMeanSize: 12 };
    expect(pooledWorkload(workload(5, { sizeScale }), basis, 15, filled)).toBeNull();
    const warmup = { excessMs: 10, items: 4, settled: true, source: "sampled" as const };
    expect(pooledWorkload(workload(5, { warmup }), basis, 15, filled)).toBeNull();
    // Figures that rest on blocks of items too (15 ms timed alone of 40 ms).
    expect(pooledWorkload(workload(5), basis, 40, filled)).toBeNull();
    expect(pooledWorkload(workload(5), basis, 15, [])).toBeNull();
    expect(pooledWorkload(workload(5), [], 0, filled)).toBeNull();
    expect(pooledWorkload(workload(5, { source: "given" }), basis, 15, filled)).toBeNull();
  });
});

describe("alike", () => {
  it("reads two groups alike while their median log times are within POOL_MAX_Z standard errors", () => {
    // Log times 0, +0.5 and -0.5 about each group's median: a spread of 1.4826 * 0.5.
    const e = Math.exp;
    const group = (shift: number) => placed([e(shift), e(shift + 0.5), e(shift - 0.5)], 0);
    const standardError = 1.2533 * 1.4826 * 0.5 * Math.sqrt(1 / 3 + 1 / 3);
    const at = POOL_MAX_Z * standardError;
    expect(alike(group(0), group(at - 0.01))).toBe(true);
    expect(alike(group(0), group(at + 0.01))).toBe(false);
    expect(alike(group(at + 0.01), group(0))).toBe(false);
  });

  it("reads an item the clock read as 0 ms as the fastest, not as minus infinity", () => {
    expect(alike(placed([0, 1, 1.1], 0), placed([1, 1.05, 0.95], 10))).toBe(true);
    expect(alike(placed([0, 0], 0), placed([0], 10))).toBe(true);
  });
});
