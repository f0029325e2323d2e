import { STRATEGY_TITLES } from "./markdown.js";
import type { BenchResults } from "./results.js";
import { STRATEGIES, type StrategyName } from "./strategies.js";

export const STRATEGY_COLOURS: Record<StrategyName, string> = {
  serial: "#6b7280",
  "naive-pool": "#dc2626",
  "pool-map": "#d97706",
  joblib: "#7c3aed",
  amorsize: "#2563eb",
  oracle: "#059669",
};

const STEPS = [1, 2, 5];

/** The largest 1/2/5 x 10^k not above x. */
export function niceFloor(x: number): number {
  const p = 10 ** Math.floor(Math.log10(x));
  let best = p;
  for (const s of STEPS) if (s * p <= x * (1 + 1e-9)) best = s * p;
  return best;
}

/** The smallest 1/2/5 x 10^k not below x. */
export function niceCeil(x: number): number {
  const p = 10 ** Math.floor(Math.log10(x));
  for (const s of STEPS) if (s * p >= x * (1 - 1e-9)) return s * p;
  return 10 * p;
}

/**
 * Log-scale domain of the chart: holds 0.5x to 2x and every ratio, with room
 * beyond the extreme bars for their labels.
 */
export function chartDomain(ratios: readonly number[]): [number, number] {
  const finite = ratios.filter((r) => Number.isFinite(r) && r > 0);
  const lo = niceFloor(Math.min(0.5, ...finite.map((r) => r / 1.5)));
  const hi = niceCeil(Math.max(2, ...finite.map((r) => r * 1.3)));
  return [lo, hi];
}

/** Tick values 1/2/5 x 10^k inside the domain. */
export function chartTicks([lo, hi]: [number, number]): number[] {
  const ticks: number[] = [];
  for (let k = Math.floor(Math.log10(lo)); k <= Math.ceil(Math.log10(hi)); k++) {
    for (const s of STEPS) {
      const v = s * 10 ** k;
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) ticks.push(Number(v.toPrecision(6)));
    }
  }
  return ticks;
}

function xml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

const num = (x: number) => Number(x.toFixed(1)).toString();

/**
 * A horizontal grouped bar chart, one group per workload and one bar per
 * strategy: its median time relative to the oracle, drawn from the oracle's
 * line (1x) on a log scale, so that a 100x naive pool and a 1.05x plan are both
 * readable. Hand-written SVG.
 */
export function renderSvg(results: BenchResults): string {
  const left = 150;
  const right = 70;
  const plotWidth = 700;
  const barHeight = 11;
  const barGap = 2;
  const groupGap = 16;
  const top = 78;
  const groupHeight = STRATEGIES.length * (barHeight + barGap) - barGap;
  const width = left + plotWidth + right;
  const plotHeight = results.workloads.length * (groupHeight + groupGap);
  const height = top + plotHeight + 40;

  const ratios = results.workloads.flatMap((w) =>
    STRATEGIES.map((s) => w.strategies[s].ratioToOracle).filter((r): r is number => r !== null),
  );
  const domain = chartDomain(ratios);
  const [lo, hi] = domain;
  const x = (v: number) => left + (plotWidth * (Math.log(v) - Math.log(lo))) / (Math.log(hi) - Math.log(lo));
  const one = x(1);

  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="11">`,
  );
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  const title = `Median wall time relative to the oracle (log scale, lower is better)${results.mode === "quick" ? ", quick run" : ""}`;
  out.push(`<text x="${left}" y="20" font-size="14" font-weight="bold">${xml(title)}</text>`);
  out.push(
    `<text x="${left}" y="36" fill="#555">${xml(`${results.startedAt.slice(0, 10)}, ${results.machine.usableCores} usable cores, Node ${results.machine.node}`)}</text>`,
  );

  let lx = left;
  for (const s of STRATEGIES) {
    out.push(
      `<g class="legend"><rect x="${lx}" y="48" width="12" height="12" fill="${STRATEGY_COLOURS[s]}"/>`,
    );
    out.push(`<text x="${lx + 16}" y="58">${xml(STRATEGY_TITLES[s])}</text></g>`);
    lx += 28 + STRATEGY_TITLES[s].length * 6.5;
  }

  const axisY = top + plotHeight;
  for (const t of chartTicks(domain)) {
    const tx = num(x(t));
    const strong = t === 1;
    out.push(
      `<line x1="${tx}" y1="${top - 6}" x2="${tx}" y2="${axisY}" stroke="${strong ? "#111" : "#ddd"}" stroke-width="${strong ? 1.5 : 1}"/>`,
    );
    out.push(`<text x="${tx}" y="${axisY + 16}" text-anchor="middle">${t}x</text>`);
  }
  out.push(
    `<text x="${num(left + plotWidth / 2)}" y="${axisY + 32}" text-anchor="middle" fill="#555">time / oracle time</text>`,
  );

  results.workloads.forEach((w, i) => {
    const gy = top + i * (groupHeight + groupGap);
    out.push(`<g class="workload" data-workload="${xml(w.name)}">`);
    out.push(
      `<text x="${left - 8}" y="${num(gy + groupHeight / 2 + 4)}" text-anchor="end" font-weight="bold">${xml(w.name)}</text>`,
    );
    STRATEGIES.forEach((s, j) => {
      const y = gy + j * (barHeight + barGap);
      const r = w.strategies[s].ratioToOracle;
      if (r === null || !Number.isFinite(r) || r <= 0) {
        out.push(
          `<text class="missing" x="${num(one + 4)}" y="${y + barHeight - 2}" fill="#b91c1c">n/a</text>`,
        );
        return;
      }
      // Bars grow from the oracle's line: right when slower, left when faster.
      const end = x(Math.min(Math.max(r, lo), hi));
      const x0 = Math.min(one, end);
      const barWidth = Math.max(2, Math.abs(end - one));
      out.push(
        `<rect class="bar" data-strategy="${s}" x="${num(x0)}" y="${y}" width="${num(barWidth)}" height="${barHeight}" fill="${STRATEGY_COLOURS[s]}"><title>${xml(`${w.name}, ${STRATEGY_TITLES[s]}: ${r.toFixed(2)}x the oracle`)}</title></rect>`,
      );
      const label = r >= 1 ? `x="${num(x0 + barWidth + 4)}"` : `x="${num(x0 - 4)}" text-anchor="end"`;
      out.push(`<text ${label} y="${y + barHeight - 2}">${r.toFixed(2)}x</text>`);
    });
    out.push("</g>");
  });
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
