import { describe, expect, it } from "@jest/globals";
import { type ColdRun, coldFigures, renderCold } from "../src/cold.js";

const loop = (wallMs: number, checksum = "c"): ColdRun => ({
  strategy: "loop",
  wallMs,
  callMs: wallMs,
  checksum,
});
const amorsize = (wallMs: number, plan: string, checksum = "c"): ColdRun => ({
  strategy: "amorsize",
  wallMs,
  callMs: wallMs - 40,
  checksum,
  plan,
  predictedMs: 1000,
  decidingMs: 90,
  sampled: 7,
  sampledItemMs: 1.5,
});

describe("cold scenario figures", () => {
  it("takes each strategy's median, the ratio of amorsize to the loop, and the loop's time per item", () => {
    const runs = [
      loop(2000),
      amorsize(1500, "2 x 100"),
      amorsize(1300, "2 x 90"),
      loop(2200),
      loop(2100),
      amorsize(1400, "serial"),
    ];
    const figures = coldFigures("marked-render", 2500, runs);
    expect(figures).toMatchObject({
      loopMs: 2100,
      amorsizeMs: 1400,
      amorsizeCallMs: 1360,
      plans: ["2 x 100", "2 x 90", "serial"],
      predictedMs: 1000,
      decidingMs: 90,
      sampled: 7,
      sampledItemMs: 1.5,
      loopItemMs: 2100 / 2500,
    });
    expect(figures.ratio).toBeCloseTo(1400 / 2100, 12);
  });

  it("refuses results unlike the loop's, and a workload missing a strategy", () => {
    expect(() => coldFigures("acorn-parse", 10, [loop(10), amorsize(9, "serial", "other")])).toThrow(
      "acorn-parse: amorsize gave results unlike the loop's",
    );
    expect(() => coldFigures("acorn-parse", 10, [loop(10)])).toThrow("acorn-parse: a strategy has no run");
  });

  it("renders one row per workload", () => {
    const figures = coldFigures("medium", 5000, [loop(1000), amorsize(700, "2 x 500")]);
    const md = renderCold({ itersPerUs: 100, repetitions: 1, workloads: [figures] });
    expect(md).toContain(
      "| medium | 5000 | 1.00 s | 700 ms | 0.70x | 660 ms | 2 x 500 | 1.00 s | 90 ms | 7 | 1.50 ms | 0.20 ms |",
    );
  });
});
