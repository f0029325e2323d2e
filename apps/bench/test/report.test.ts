import { describe, expect, it } from "@jest/globals";
import { formatMs, formatRatio, renderMarkdown } from "../src/markdown.js";
import { STRATEGIES } from "../src/strategies.js";
import { chartDomain, chartTicks, niceCeil, niceFloor, renderSvg } from "../src/svg.js";
import { checkTargets } from "../src/targets.js";
import { benchResults, workloadResult } from "./fixtures/results.js";

const full = { serial: 200, "naive-pool": 4_000, "pool-map": 120, joblib: 130, amorsize: 105, oracle: 100 };
const results = () => {
  const workloads = [
    workloadResult("trivial", full, { fineGrained: true }),
    workloadResult("io-bound", { ...full, "pool-map": null, amorsize: 40 }),
  ];
  const r = benchResults(workloads, false, ["io-bound/pool-map"]);
  r.targets = checkTargets(workloads);
  return r;
};

describe("markdown report", () => {
  const md = renderMarkdown(results());
  const lines = md.split("\n");

  it("has a workload x strategy table of medians with ratios to the oracle", () => {
    const header = lines.indexOf(
      "| workload | items | serial | naive pool | Pool.map default | joblib auto | amorsize | oracle |",
    );
    expect(header).toBeGreaterThan(0);
    expect(lines[header + 1]).toBe("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    expect(lines[header + 2]).toBe(
      "| trivial | 100 | 200 ms (2.00x) | 4.00 s (40.00x) | 120 ms (1.20x) | 130 ms (1.30x) | 105 ms (1.05x) | 100 ms (1.00x) |",
    );
    expect(lines[header + 3]).toBe(
      "| io-bound | 100 | 200 ms (2.00x) | 4.00 s (40.00x) | failed | 130 ms (1.30x) | 40.0 ms (0.40x) | 100 ms (1.00x) |",
    );
  });

  it("has amorsize's plan, predicted vs measured time and speedup, and time spent deciding per workload", () => {
    expect(md).toContain(
      "| workload | plan | predicted | measured | time error | predicted speedup | measured speedup | run time error | deciding | deciding / serial |",
    );
    expect(md).toContain(
      "| trivial | 2 workers x 50 per chunk | 105 ms | 105 ms | 5.0% | 1.90x | 1.90x | 5.0% | 1.00 ms | 0.5% |",
    );
  });

  it("has each workload's module load in a fresh worker and the oracle's choice", () => {
    expect(md).toContain(
      "| trivial | 2.00 ms | 12.5 ms | 2 workers x 13 per chunk | 10 (8) | 2 workers x 64 per chunk | 2 configs, 1 measured, 1 cut |",
    );
  });

  it("flags an incomplete run and lists errors", () => {
    expect(md).toContain("**Incomplete:** no figure for io-bound/pool-map.");
    expect(md).toContain("## Errors\n\n- io-bound/pool-map: failed: boom\n");
  });

  it("has a targets section: each target, whether this run meets it, and the figure", () => {
    const header = lines.indexOf("| target | this run | measured |");
    expect(lines.slice(header - 4, header)).toEqual([
      "## Targets",
      "",
      "The targets of issue 13 (the last one: issue 8) over the 2 workloads of this run, reported, not asserted: a miss is a finding about the model or the executor.",
      "",
    ]);
    const rows = lines.slice(header + 2, lines.indexOf("", header));
    expect(rows).toHaveLength(8);
    expect(rows[0]).toBe(
      "| amorsize within 10.0% of the oracle (the best of serial and the sweep) on every workload | hit | worst 1.05x the oracle (trivial) |",
    );
    expect(rows).toContain(
      "| time spent deciding at most 5.0% of the serial time on jobs over 1 s | not judged | no job's serial loop took longer than 1 s |",
    );
    expect(md).toContain("- oracle-each: trivial: 1.05x; io-bound: 0.40x\n");
  });

  it("states the machine and the method", () => {
    expect(lines[0]).toBe("# Benchmark results (quick run)");
    expect(md).toContain("Measured 2026-11-28 on linux x64 (Test CPU <1>), 2 usable cores");
    expect(md).toContain("## How this was measured");
    expect(md).toContain("configurations slower than 2x the best so far cut off");
  });

  it("formats times and ratios", () => {
    expect(formatMs(1234.5)).toBe("1.23 s");
    expect(formatMs(123.4)).toBe("123 ms");
    expect(formatMs(12.34)).toBe("12.3 ms");
    expect(formatMs(1.234)).toBe("1.23 ms");
    expect(formatMs(null)).toBe("n/a");
    expect(formatRatio(1.005)).toBe("1.00x");
    expect(formatRatio(Number.NaN)).toBe("n/a");
  });
});

describe("SVG chart", () => {
  const svg = renderSvg(results());

  it("is one svg element with a bar per workload x strategy, and n/a where a figure is missing", () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
    expect(svg.match(/<g class="workload"/g)).toHaveLength(2);
    expect(svg.match(/<rect class="bar"/g)).toHaveLength(2 * STRATEGIES.length - 1);
    expect(svg.match(/class="missing"/g)).toHaveLength(1);
    for (const s of STRATEGIES) expect(svg).toContain(`data-strategy="${s}"`);
    expect(svg.match(/<g class="legend">/g)).toHaveLength(STRATEGIES.length);
  });

  it("escapes text and balances its tags", () => {
    expect(svg).not.toContain("<1>");
    const opened = (svg.match(/<(g|text|title|rect|svg)[\s>]/g) ?? []).length;
    const selfClosed = (svg.match(/<(rect|line)[^>]*\/>/g) ?? []).filter((t) => t.startsWith("<rect")).length;
    const closed = (svg.match(/<\/(g|text|title|rect|svg)>/g) ?? []).length;
    expect(opened - selfClosed).toBe(closed);
  });

  it("draws bars from the oracle's line: right when slower, left when faster", () => {
    const bar = (w: string, s: string) => {
      const group = svg.slice(svg.indexOf(`data-workload="${w}"`));
      const m = group.match(new RegExp(`data-strategy="${s}" x="([\\d.]+)" y="[\\d.]+" width="([\\d.]+)"`));
      return { x: Number(m![1]), width: Number(m![2]) };
    };
    const one = bar("trivial", "oracle");
    const slower = bar("trivial", "serial");
    const faster = bar("io-bound", "amorsize");
    expect(one.width).toBe(2); // exactly 1x: a thin mark
    expect(slower.x).toBe(one.x);
    expect(faster.x + faster.width).toBeCloseTo(one.x, 0);
  });

  it("scale: nice 1-2-5 bounds holding every ratio, ticks inside them", () => {
    expect(niceFloor(0.37)).toBe(0.2);
    expect(niceFloor(1)).toBe(1);
    expect(niceCeil(1.3)).toBe(2);
    expect(niceCeil(37)).toBe(50);
    expect(niceCeil(5)).toBe(5);
    expect(chartDomain([1, 1.05])).toEqual([0.5, 2]);
    expect(chartDomain([0.4, 40])).toEqual([0.2, 100]);
    expect(chartTicks([0.2, 100])).toEqual([0.2, 0.5, 1, 2, 5, 10, 20, 50, 100]);
  });
});
