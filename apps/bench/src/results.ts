import type { OracleChoice, SweepPoint } from "./oracle.js";
import type { StrategyName } from "./strategies.js";

/** One strategy on one workload. Times in milliseconds; null where nothing was measured. */
export interface StrategyResult {
  strategy: StrategyName;
  /** Wall time of each repetition. */
  samplesMs: number[];
  medianMs: number | null;
  /** Median absolute deviation of the samples. */
  madMs: number | null;
  /** medianMs / the oracle's medianMs. */
  ratioToOracle: number | null;
  /** medianMs / serial's medianMs. */
  ratioToSerial: number | null;
  /** The configuration it ran with, in words ("2 workers x 1250 items per chunk"). */
  config: string;
  errors: string[];
  /** Repetitions that did not finish within the time limit, each with what the strategy was doing. */
  timeouts: string[];
}

/** Amorsize's own account of its runs, medians over the repetitions. */
export interface AmorsizeFigures {
  /** Each distinct plan taken, in words, with how many repetitions took it. */
  plans: { plan: string; repetitions: number }[];
  /** The end-to-end prediction made once deciding was done (time spent deciding + predicted run). */
  predictedWallMs: number | null;
  /** The model's serial estimate over `predictedWallMs`. */
  predictedSpeedup: number | null;
  /** serial median / amorsize median (end to end, optimizing included). */
  measuredSpeedup: number | null;
  /** serial median / the median of the run alone (optimizing excluded), for comparison. */
  measuredRunSpeedup: number | null;
  /** |predicted - measured| / measured speedup. */
  predictionError: number | null;
  /**
   * The time the whole call was predicted to take once deciding was done, against the time it took:
   * |predicted - measured| / measured per repetition, median over repetitions.
   */
  timeError: number | null;
  /** The run alone: |predicted - measured| / measured wall time of the executor's run (median). */
  runPredictionError: number | null;
  overheadMs: { probe: number; spawnCost: number; sample: number; plan: number; total: number } | null;
  /** Sampling + planning, milliseconds (less the items run for the run while a warm-up probe ran). */
  optimizerMs: number | null;
  /** optimizerMs / amorsize's median wall time. */
  optimizerShare: number | null;
  /**
   * The time spent deciding (probe, spawn-cost profile, sampling, planning: `overheadMs.total`,
   * less `overheadMs.filled`, the items run for the run while a warm-up probe ran), median.
   */
  decidingMs: number | null;
  /** decidingMs / serial's median wall time. */
  decidingShareOfSerial: number | null;
}

export interface OracleFigures {
  /** The fastest median among the candidates: serial, or one of the sweep's configurations. */
  best: OracleChoice | null;
  /** The sweep's fastest configurations, re-measured alongside the other strategies (serial is a candidate too). */
  candidates: { workers: number; chunkSize: number; sweepMs: number; medianMs: number | null }[];
  sweepRepetitions: number;
  sweep: SweepPoint[];
}

export interface WorkloadResult {
  name: string;
  summary: string;
  items: number;
  fineGrained: boolean;
  /** Intended mean item time, microseconds. */
  targetItemUs: number;
  /** Measured: serial median / items, microseconds. */
  serialItemUs: number | null;
  strategies: Record<StrategyName, StrategyResult>;
  amorsize: AmorsizeFigures;
  oracle: OracleFigures;
  joblib: { batches: number; finalBatchSize: number; largestBatch: number } | null;
  /** Milliseconds a fresh worker thread takes to import the task module (median of a few workers). */
  moduleLoadMs: number | null;
}

/** A target from the issue, with the figure measured against it. */
export interface TargetCheck {
  id: string;
  /** The target as the issue states it. */
  target: string;
  /** The measured figure, in words. */
  figure: string;
  /** true = hit, false = missed, null = could not be judged (nothing measured it). */
  hit: boolean | null;
  /** Per-workload figures behind the verdict. */
  details: string[];
}

export interface MachineInfo {
  platform: string;
  arch: string;
  cpuModel: string | null;
  node: string;
  availableParallelism: number;
  usableCores: number;
  loadavgStart: number[];
  loadavgEnd: number[];
}

export interface BenchSettings {
  repetitions: number;
  sweepRepetitions: number;
  sweepGridFactor: number;
  sweepMaxWorkers: number;
  sweepCutoff: number;
  oracleCandidates: number;
  seed: number;
  fairness: string;
}

export interface BenchResults {
  schemaVersion: 3;
  mode: "full" | "quick";
  startedAt: string;
  durationMs: number;
  machine: MachineInfo;
  settings: BenchSettings;
  calibration: { itersPerUs: number; spawnCostMs: number };
  workloads: WorkloadResult[];
  targets: TargetCheck[];
  /** Every workload x strategy has a median. */
  complete: boolean;
  /** "workload/strategy" pairs without a median. */
  missing: string[];
}
