import { planExecution } from "@amorsize/cost-model";
import { describe, expect, it } from "@jest/globals";
import { hardware, spawnCost, workload } from "../test/profiles.js";
import { formatPlan } from "./format.js";

describe("formatPlan(): a slowdown a session learned from its parallel runs", () => {
  it("says it, with the runs it came from, beside the reason the plan gives", () => {
    const learned = {
      ...workload(400, 0.5),
      contention: { factor: 1.8, threads: 2, runs: 3 },
    };
    const plan = planExecution({ hardware: hardware(2), spawnCost: spawnCost(2), workload: learned });
    const text = formatPlan(plan, learned);
    expect(text).toContain(
      "side by side     items ran x1.80 slower in 2 workers computing at once (learned from 3 parallel runs)",
    );
    expect(text).toContain(
      "CONTENTION: 3 earlier parallel runs of this task measured its items 1.8 times slower",
    );
    // Nothing learned, nothing said.
    expect(formatPlan(plan, workload(400, 0.5))).not.toContain("side by side");
  });
});

describe("formatPlan(): a sample cut off waiting for an item", () => {
  it("gives the item time as a lower bound, and the cut-off item beside the sampled ones", () => {
    const cut = { ...workload(8, 100), sampled: 3, indices: [0, 1, 2], cutOff: { items: 1, ms: 850 } };
    const plan = planExecution({ hardware: hardware(2), spawnCost: spawnCost(2), workload: cut });
    const line = formatPlan(plan, cut)
      .split("\n")
      .find((l) => l.startsWith("  per item"))!;
    expect(line).toMatch(/^ {2}per item {9}at least 100 ms mean, /);
    expect(line).toContain("(3 sampled, and 1 cut off after 850 ms, counted at that: a lower bound)");
    const { cutOff: _, ...whole } = cut;
    expect(formatPlan(plan, whole)).toContain("  per item         100 ms mean, ");
  });
});
