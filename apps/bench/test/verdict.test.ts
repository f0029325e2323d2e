import { describe, expect, it } from "@jest/globals";
import { renderMarkdown } from "../src/markdown.js";
import type { BenchResults } from "../src/results.js";
import { benchVerdict } from "../src/verdict.js";
import { benchResults, workloadResult } from "./fixtures/results.js";

const medians = { serial: 200, "naive-pool": 400, "pool-map": 120, joblib: 130, amorsize: 105, oracle: 100 };
const overran = "did not finish within 120 s (tinypool running its tasks: 2 threads in the pool (1 exited))";

function withTimeouts(
  timeouts: Partial<Record<keyof typeof medians, string[]>>,
  missing: Partial<Record<keyof typeof medians, null>> = {},
): BenchResults {
  const w = workloadResult("terser-minify", { ...medians, ...missing });
  for (const [s, t] of Object.entries(timeouts)) {
    const r = w.strategies[s as keyof typeof medians];
    r.timeouts = t;
    r.errors = [];
  }
  return benchResults([w], true, []);
}

describe("benchVerdict", () => {
  it("passes a run with no error and no timeout", () => {
    expect(benchVerdict(withTimeouts({}))).toEqual({ failures: [], findings: [] });
  });

  it("reports a tinypool baseline that overran once but was measured in its other repetitions", () => {
    const v = benchVerdict(withTimeouts({ "naive-pool": [overran], joblib: [overran] }));
    expect(v.failures).toEqual([]);
    expect(v.findings).toEqual([`terser-minify/naive-pool: ${overran}`, `terser-minify/joblib: ${overran}`]);
  });

  it("fails on a baseline that overran every repetition: it has no figure", () => {
    const v = benchVerdict(withTimeouts({ "naive-pool": [overran, overran] }, { "naive-pool": null }));
    expect(v.findings).toEqual([]);
    expect(v.failures).toEqual([
      `terser-minify/naive-pool: ${overran}`,
      `terser-minify/naive-pool: ${overran}`,
    ]);
  });

  it("fails on this project's strategies that overran, measured or not", () => {
    const v = benchVerdict(
      withTimeouts({ serial: ["a"], "pool-map": ["b"], amorsize: ["c"], oracle: ["d"] }),
    );
    expect(v.findings).toEqual([]);
    expect(v.failures).toEqual([
      "terser-minify/serial: a",
      "terser-minify/pool-map: b",
      "terser-minify/amorsize: c",
      "terser-minify/oracle: d",
    ]);
  });

  it("fails on every error, a baseline's wrong results included", () => {
    const r = withTimeouts({});
    r.workloads[0]!.strategies["naive-pool"].errors = ["naive-pool returned wrong results"];
    expect(benchVerdict(r).failures).toEqual(["terser-minify/naive-pool: naive-pool returned wrong results"]);
  });

  it("lists reported overruns in the report apart from the errors", () => {
    const md = renderMarkdown(withTimeouts({ "naive-pool": [overran], amorsize: ["c"] }));
    const lines = md.split("\n");
    const errors = lines.indexOf("## Errors");
    const overruns = lines.indexOf("## Baselines that overran");
    expect(errors).toBeGreaterThan(0);
    expect(lines[errors + 2]).toBe("- terser-minify/amorsize: c");
    expect(overruns).toBeGreaterThan(errors);
    expect(lines.slice(overruns)).toContain(`- terser-minify/naive-pool: ${overran}`);
  });
});
