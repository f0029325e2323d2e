import type { BenchResults } from "./results.js";
import { BASELINES_NOT_OURS, STRATEGIES } from "./strategies.js";

/** What fails a bench run, and what it only reports. */
export interface BenchVerdict {
  /** Each fails the run: `workload/strategy: message`. */
  failures: string[];
  /** Reported beside the results, the run still passes: `workload/strategy: message`. */
  findings: string[];
}

/**
 * A run fails on any error (a wrong result, a strategy that threw), on any strategy with this
 * project's code in it that overran its time, and on a baseline left without a figure. A baseline
 * with none of this project's code in it ({@link BASELINES_NOT_OURS}) that overran its time in some
 * repetitions but was measured in others is a finding about that pool: reported, with what the pool
 * was doing, not a failure.
 */
export function benchVerdict(results: BenchResults): BenchVerdict {
  const failures: string[] = [];
  const findings: string[] = [];
  for (const w of results.workloads) {
    for (const s of STRATEGIES) {
      const r = w.strategies[s];
      for (const e of r.errors) failures.push(`${w.name}/${s}: ${e}`);
      const reported = BASELINES_NOT_OURS.has(s) && r.medianMs !== null;
      for (const t of r.timeouts) (reported ? findings : failures).push(`${w.name}/${s}: ${t}`);
    }
  }
  return { failures, findings };
}
