import type { TargetCheck, WorkloadResult } from "./results.js";
import { median } from "./stats.js";
import { STRATEGIES } from "./strategies.js";

/** The targets, as numbers. They are reported, never asserted. */
export const TARGETS = {
  oracleEach: 1.1,
  oracleMedian: 1.05,
  vsSerial: 1.05,
  vsNaiveFineGrained: 5,
  predictionError: 0.2,
  overheadShare: 0.05,
  overheadMinRunMs: 1_000,
} as const;

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const times = (x: number) => `${x.toFixed(2)}x`;

function ms(w: WorkloadResult, s: keyof WorkloadResult["strategies"]): number | null {
  return w.strategies[s].medianMs;
}

/** Pairs (workload, value) where the value could be computed. */
function figures(
  workloads: readonly WorkloadResult[],
  value: (w: WorkloadResult) => number | null,
): { name: string; value: number }[] {
  const out: { name: string; value: number }[] = [];
  for (const w of workloads) {
    const v = value(w);
    if (v !== null && Number.isFinite(v)) out.push({ name: w.name, value: v });
  }
  return out;
}

function ratio(a: number | null, b: number | null): number | null {
  return a !== null && b !== null && b > 0 ? a / b : null;
}

/** Judges the measured workloads against each target. */
export function checkTargets(workloads: readonly WorkloadResult[]): TargetCheck[] {
  const checks: TargetCheck[] = [];

  const vsOracle = figures(workloads, (w) => ratio(ms(w, "amorsize"), ms(w, "oracle")));
  const worstOracle = vsOracle.reduce<{ name: string; value: number } | null>(
    (a, b) => (a === null || b.value > a.value ? b : a),
    null,
  );
  checks.push({
    id: "oracle-each",
    target: `amorsize within ${pct(TARGETS.oracleEach - 1)} of the oracle on every workload`,
    figure: worstOracle
      ? `worst ${times(worstOracle.value)} the oracle (${worstOracle.name})`
      : "not measured",
    hit: worstOracle ? vsOracle.every((f) => f.value <= TARGETS.oracleEach) : null,
    details: vsOracle.map(
      (f) => `${f.name}: ${times(f.value)}${f.value <= TARGETS.oracleEach ? "" : " (miss)"}`,
    ),
  });

  const medianOracle = median(vsOracle.map((f) => f.value));
  checks.push({
    id: "oracle-median",
    target: `amorsize within ${pct(TARGETS.oracleMedian - 1)} of the oracle on the median workload`,
    figure: vsOracle.length ? `median ${times(medianOracle)} the oracle` : "not measured",
    hit: vsOracle.length ? medianOracle <= TARGETS.oracleMedian : null,
    details: [],
  });

  const vsSerial = figures(workloads, (w) => ratio(ms(w, "amorsize"), ms(w, "serial")));
  const worstSerial = vsSerial.reduce<{ name: string; value: number } | null>(
    (a, b) => (a === null || b.value > a.value ? b : a),
    null,
  );
  checks.push({
    id: "no-negative-scaling",
    target: `amorsize never more than ${pct(TARGETS.vsSerial - 1)} slower than serial`,
    figure: worstSerial
      ? `worst ${times(worstSerial.value)} serial's time (${worstSerial.name})`
      : "not measured",
    hit: worstSerial ? vsSerial.every((f) => f.value <= TARGETS.vsSerial) : null,
    details: vsSerial.map(
      (f) => `${f.name}: ${times(f.value)}${f.value <= TARGETS.vsSerial ? "" : " (miss)"}`,
    ),
  });

  const vsNaive = figures(
    workloads.filter((w) => w.fineGrained),
    (w) => ratio(ms(w, "naive-pool"), ms(w, "amorsize")),
  );
  const worstNaive = vsNaive.reduce<{ name: string; value: number } | null>(
    (a, b) => (a === null || b.value < a.value ? b : a),
    null,
  );
  checks.push({
    id: "fine-grained-vs-naive",
    target: `amorsize at least ${TARGETS.vsNaiveFineGrained}x faster than the naive pool on each fine-grained workload`,
    figure: worstNaive
      ? `least ${times(worstNaive.value)} faster (${worstNaive.name})`
      : "no fine-grained workload measured",
    hit: worstNaive ? vsNaive.every((f) => f.value >= TARGETS.vsNaiveFineGrained) : null,
    details: vsNaive.map(
      (f) => `${f.name}: ${times(f.value)}${f.value >= TARGETS.vsNaiveFineGrained ? "" : " (miss)"}`,
    ),
  });

  const errors = figures(workloads, (w) => w.amorsize.predictionError);
  const medianError = median(errors.map((f) => f.value));
  checks.push({
    id: "prediction",
    target: `predicted speedup within ${pct(TARGETS.predictionError)} of the measured one (median over workloads)`,
    figure: errors.length ? `median error ${pct(medianError)}` : "not measured",
    hit: errors.length ? medianError <= TARGETS.predictionError : null,
    details: errors.map((f) => `${f.name}: ${pct(f.value)}`),
  });

  const long = workloads.filter((w) => (ms(w, "amorsize") ?? 0) > TARGETS.overheadMinRunMs);
  const shares = figures(long, (w) => w.amorsize.optimizerShare);
  const worstShare = shares.reduce<{ name: string; value: number } | null>(
    (a, b) => (a === null || b.value > a.value ? b : a),
    null,
  );
  checks.push({
    id: "overhead",
    target: `sampling + planning under ${pct(TARGETS.overheadShare)} of the wall time on runs longer than ${TARGETS.overheadMinRunMs / 1000} s`,
    figure: worstShare
      ? `worst ${pct(worstShare.value)} (${worstShare.name})`
      : `no amorsize run took longer than ${TARGETS.overheadMinRunMs / 1000} s`,
    hit: worstShare ? shares.every((f) => f.value < TARGETS.overheadShare) : null,
    details: shares.map(
      (f) => `${f.name}: ${pct(f.value)}${f.value < TARGETS.overheadShare ? "" : " (miss)"}`,
    ),
  });

  return checks;
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
  }
  return missing;
}
