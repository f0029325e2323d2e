import { planExecution } from "@amorsize/cost-model";
import type { WorkloadSample } from "@amorsize/types";
import { describe, expect, it } from "@jest/globals";
import { stillAdaptiveAlike } from "../src/session.js";
import { machine, workload } from "./profiles.js";

describe("stillAdaptiveAlike(): a plan reused for a learned call chunks as the model would now", () => {
  // 200 items of 1 ms on 2 cores: parallel. A first sample of three items read its mean to ±27%.
  const uncertain: WorkloadSample = {
    ...workload(200, 1),
    spread: { relativeError: 0.272, maxOverMean: 1.1, trend: 0 },
  };
  // Runs over thousands of items since: known to well under 1%.
  const known: WorkloadSample = {
    ...uncertain,
    spread: { relativeError: 0.004, maxOverMean: 1.1, trend: 0 },
  };

  it("takes back a plan made for the same certainty, and not one made under a lifted uncertainty", () => {
    const adaptive = planExecution({ ...machine(2), workload: uncertain });
    const fixed = planExecution({ ...machine(2), workload: known });
    expect(adaptive).toMatchObject({ mode: "parallel", adaptive: true });
    expect(fixed).toMatchObject({ mode: "parallel", adaptive: false });
    expect(stillAdaptiveAlike(adaptive, uncertain)).toBe(true);
    expect(stillAdaptiveAlike(fixed, known)).toBe(true);
    expect(stillAdaptiveAlike(adaptive, known)).toBe(false);
    expect(stillAdaptiveAlike(fixed, uncertain)).toBe(false);
  });

  it("takes back a serial plan whatever the spread (the quick path's plans)", () => {
    const serial = planExecution({ ...machine(2), workload: { ...uncertain, totalItems: 2 } });
    expect(serial.mode).toBe("serial");
    expect(stillAdaptiveAlike(serial, known)).toBe(true);
    expect(stillAdaptiveAlike(serial, uncertain)).toBe(true);
  });
});
