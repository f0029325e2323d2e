import { describe, expect, it, jest } from "@jest/globals";
import { recordFailure, StrategyTimeout, withTimeout } from "../src/bench.js";
import { renderMarkdown } from "../src/markdown.js";
import type { BenchResults } from "../src/results.js";
import { PoolWatch } from "../src/strategies.js";
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

  it("reports the naive pool (tinypool as is) overrunning once but measured in its other repetitions", () => {
    const v = benchVerdict(withTimeouts({ "naive-pool": [overran] }));
    expect(v.failures).toEqual([]);
    expect(v.findings).toEqual([`terser-minify/naive-pool: ${overran}`]);
  });

  it("fails on the joblib baseline overrunning: its dispatcher and batch worker are this project's code", () => {
    const v = benchVerdict(withTimeouts({ joblib: [overran] }));
    expect(v.findings).toEqual([]);
    expect(v.failures).toEqual([`terser-minify/joblib: ${overran}`]);
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

describe("withTimeout", () => {
  const never = () => new Promise<never>(() => {});

  it("rejects with a StrategyTimeout naming the run and what it was doing", async () => {
    const run = withTimeout(
      never(),
      10,
      "naive-pool (tinypool defaults)",
      () => "tinypool running its tasks",
    );
    await expect(run).rejects.toThrow(StrategyTimeout);
    await expect(run).rejects.toThrow(
      "naive-pool (tinypool defaults) did not finish within 0 s (tinypool running its tasks)",
    );
  });

  it("rejects all the same when what it was doing cannot be read", async () => {
    const run = withTimeout(never(), 10, "joblib", () => {
      throw new Error("internals moved");
    });
    await expect(run).rejects.toThrow(
      "joblib did not finish within 0 s (its state unreadable: internals moved)",
    );
  });

  it("passes a result or an error through unchanged within its time", async () => {
    await expect(withTimeout(Promise.resolve(7), 1_000, "x", () => "y")).resolves.toBe(7);
    const error = new Error("wrong results");
    await expect(withTimeout(Promise.reject(error), 1_000, "x")).rejects.toBe(error);
  });
});

describe("recordFailure", () => {
  it("files a timeout apart from the errors and ends the pool it was watching", () => {
    const into = { errors: [] as string[], timeouts: [] as string[] };
    const watch = new PoolWatch();
    const abandon = jest.spyOn(watch, "abandon");
    recordFailure(into, new StrategyTimeout("naive-pool did not finish within 120 s"), watch);
    expect(into).toEqual({ errors: [], timeouts: ["naive-pool did not finish within 120 s"] });
    expect(abandon).toHaveBeenCalledTimes(1);
  });

  it("files anything else as an error, first line only, and leaves the pool alone", () => {
    const into = { errors: [] as string[], timeouts: [] as string[] };
    const watch = new PoolWatch();
    const abandon = jest.spyOn(watch, "abandon");
    recordFailure(into, new Error("amorsize returned wrong results\n  at somewhere"), watch);
    expect(into).toEqual({ errors: ["amorsize returned wrong results"], timeouts: [] });
    expect(abandon).not.toHaveBeenCalled();
  });
});
