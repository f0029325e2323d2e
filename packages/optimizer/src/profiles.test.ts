import { describe, expect, it } from "@jest/globals";
import { BLEND, blendScale, MAX_RUN_RATIO, SHORT_RUN_MS } from "./profiles.js";

describe("blendScale(): how far one run moves a task's item time", () => {
  it("a long run moves it nearly half way to what it measured", () => {
    // 50 items of 2 ms against a profile of 1 ms: expected 50 ms of work.
    expect(blendScale(1, 2, 50)).toBeCloseTo(1 + BLEND * (50 / 55), 12);
    expect(blendScale(1, 1.5, 50)).toBeCloseTo(1 + 0.5 * BLEND * (50 / 55), 12);
    expect(blendScale(1, 1, 50)).toBe(1);
  });

  it("a short run moves it a little: ten items of 50 us weigh a tenth of what a long run does", () => {
    const weight = (BLEND * 0.5) / (0.5 + SHORT_RUN_MS);
    expect(weight).toBeCloseTo(0.04545, 5);
    expect(blendScale(0.05, 0.06, 0.5)).toBeCloseTo(1 + weight * 0.2, 12);
  });

  it("one run moves it at most toward twice or half of it, however far off it measured", () => {
    const weight = (BLEND * 0.5) / (0.5 + SHORT_RUN_MS);
    // A preempted run of ten 50 us items that read 1.27 ms an item.
    expect(blendScale(0.05, 1.27, 0.5)).toBeCloseTo(1 + weight * (MAX_RUN_RATIO - 1), 12);
    expect(blendScale(1, 0.01, 50)).toBeCloseTo(1 - BLEND * (50 / 55) * (1 - 1 / MAX_RUN_RATIO), 12);
  });
});
