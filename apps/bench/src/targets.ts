import type { TargetCheck, WorkloadResult } from "./results.js";
import { median } from "./stats.js";
import { STRATEGIES } from "./strategies.js";

/**
 * The targets of issue 13 (and issue 8's fine-grained one), as numbers. They are
 * reported, never asserted: a miss is a finding about the model or the executor.
 */
export const TARGETS = {
  /** amorsize / oracle on every workload, and on the median workload. */
  oracleEach: 1.1,
  oracleMedian: 1.05,
  /** amorsize / serial on every workload. */
  vsSerial: 1.05,
  /** naive pool / amorsize on each fine-grained workload (issue 8). */
  vsNaiveFineGrained: 5,
  /** |predicted - measured| / measured wall time of the whole call: median and worst over workloads. */
  timeErrorMedian: 0.15,
  timeErrorWorst: 0.5,
  /** Time spent deciding / serial time, on jobs whose plain loop takes longer than `longJobMs`. */
  decidingShare: 0.05,
  longJobMs: 1_000,
  /** Time spent deciding, on jobs whose plain loop takes at most `shortJobMs`. */
  decidingShortMs: 5,
  shortJobMs: 100,
} as const;

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const times = (x: number) => `${x.toFixed(2)}x`;
const millis = (x: number) => `${x.toFixed(2)} ms`;

function ms(w: WorkloadResult, s: keyof WorkloadResult["strategies"]): number | null {
  return w.strategies[s].medianMs;
}

interface Figure {
  name: string;
  value: number;
}

/** Pairs (workload, value) where the value could be computed. */
function figures(
  workloads: readonly WorkloadResult[],
  value: (w: WorkloadResult) => number | null,
): Figure[] {
  const out: Figure[] = [];
  for (const w of workloads) {
    const v = value(w);
    if (v !== null && Number.isFinite(v)) out.push({ name: w.name, value: v });
  }
  return out;
}

function ratio(a: number | null, b: number | null): number | null {
  return a !== null && b !== null && b > 0 ? a / b : null;
}

/**
 * A target every workload must meet: `value <= limit` ("at most"), or
 * `value >= limit` ("at least"). The figure names the worst workload.
 */
function eachWithin(
  id: string,
  target: string,
  figs: readonly Figure[],
  bound: {
    limit: number;
    kind: "at most" | "at least";
    format: (x: number) => string;
    /** How the figure names the worst workload ("worst", "least"), and what follows its value. */
    worst: string;
    unit?: string;
  },
  none = "not measured",
): TargetCheck {
  const ok = (x: number) => (bound.kind === "at most" ? x <= bound.limit : x >= bound.limit);
  const worse = (a: Figure, b: Figure) => (bound.kind === "at most" ? b.value > a.value : b.value < a.value);
  const worst = figs.reduce<Figure | null>((a, b) => (a === null || worse(a, b) ? b : a), null);
  return {
    id,
    target,
    figure: worst ? `${bound.worst} ${bound.format(worst.value)}${bound.unit ?? ""} (${worst.name})` : none,
    hit: worst ? figs.every((f) => ok(f.value)) : null,
    details: figs.map((f) => `${f.name}: ${bound.format(f.value)}${ok(f.value) ? "" : " (miss)"}`),
  };
}

/** A target on the median over workloads. */
function medianWithin(
  id: string,
  target: string,
  figs: readonly Figure[],
  limit: number,
  format: (x: number) => string,
): TargetCheck {
  const m = median(figs.map((f) => f.value));
  return {
    id,
    target,
    figure: figs.length ? `median ${format(m)}` : "not measured",
    hit: figs.length ? m <= limit : null,
    details: [],
  };
}

/** Judges the measured workloads against each target. */
export function checkTargets(workloads: readonly WorkloadResult[]): TargetCheck[] {
  const T = TARGETS;
  const vsOracle = figures(workloads, (w) => ratio(ms(w, "amorsize"), ms(w, "oracle")));
  const vsSerial = figures(workloads, (w) => ratio(ms(w, "amorsize"), ms(w, "serial")));
  const vsNaive = figures(
    workloads.filter((w) => w.fineGrained),
    (w) => ratio(ms(w, "naive-pool"), ms(w, "amorsize")),
  );
  const timeErrors = figures(workloads, (w) => w.amorsize.timeError);
  const serial = (w: WorkloadResult) => ms(w, "serial");
  const long = workloads.filter((w) => (serial(w) ?? 0) > T.longJobMs);
  const short = workloads.filter((w) => serial(w) !== null && serial(w)! <= T.shortJobMs);
  return [
    eachWithin(
      "oracle-each",
      `amorsize within ${pct(T.oracleEach - 1)} of the oracle (the best of serial and the sweep) on every workload`,
      vsOracle,
      { limit: T.oracleEach, kind: "at most", format: times, worst: "worst", unit: " the oracle" },
    ),
    medianWithin(
      "oracle-median",
      `amorsize within ${pct(T.oracleMedian - 1)} of the oracle on the median workload`,
      vsOracle,
      T.oracleMedian,
      (x) => `${times(x)} the oracle`,
    ),
    eachWithin(
      "no-negative-scaling",
      `amorsize never more than ${pct(T.vsSerial - 1)} slower than serial`,
      vsSerial,
      { limit: T.vsSerial, kind: "at most", format: times, worst: "worst", unit: " serial's time" },
    ),
    eachWithin(
      "prediction-worst",
      `predicted against measured wall time (end to end) off by at most ${pct(T.timeErrorWorst)} on every workload`,
      timeErrors,
      { limit: T.timeErrorWorst, kind: "at most", format: pct, worst: "worst" },
    ),
    medianWithin(
      "prediction-median",
      `predicted against measured wall time off by at most ${pct(T.timeErrorMedian)} on the median workload`,
      timeErrors,
      T.timeErrorMedian,
      pct,
    ),
    eachWithin(
      "deciding-long",
      `time spent deciding at most ${pct(T.decidingShare)} of the serial time on jobs over ${T.longJobMs / 1000} s`,
      figures(long, (w) => w.amorsize.decidingShareOfSerial),
      { limit: T.decidingShare, kind: "at most", format: pct, worst: "worst" },
      `no job's serial loop took longer than ${T.longJobMs / 1000} s`,
    ),
    eachWithin(
      "deciding-short",
      `time spent deciding at most ${T.decidingShortMs} ms on jobs a plain loop finishes within ${T.shortJobMs} ms`,
      figures(short, (w) => w.amorsize.decidingMs),
      { limit: T.decidingShortMs, kind: "at most", format: millis, worst: "worst" },
      `no job's serial loop finished within ${T.shortJobMs} ms`,
    ),
    eachWithin(
      "fine-grained-vs-naive",
      `amorsize at least ${T.vsNaiveFineGrained}x faster than the naive pool on each fine-grained workload (issue 8)`,
      vsNaive,
      { limit: T.vsNaiveFineGrained, kind: "at least", format: times, worst: "least", unit: " faster" },
      "no fine-grained workload measured",
    ),
  ];
}

/** "workload/strategy" for every pair without a median: an incomplete benchmark. */
export function missingCells(workloads: readonly WorkloadResult[]): string[] {
  const missing: string[] = [];
  for (const w of workloads) {
    for (const s of STRATEGIES) {
      const m = w.strategies[s]?.medianMs;
      if (m === null || m === undefined || !Number.isFinite(m)) missing.push(`${w.name}/${s}`);
    }
    // The per-workload amorsize line is part of the output too.
    if (w.amorsize.predictedSpeedup === null) missing.push(`${w.name}/amorsize.predictedSpeedup`);
    if (w.amorsize.optimizerMs === null) missing.push(`${w.name}/amorsize.optimizerMs`);
    if (w.amorsize.timeError === null) missing.push(`${w.name}/amorsize.timeError`);
  }
  return missing;
}
