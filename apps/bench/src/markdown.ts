import { EVERY_WORKER_COUNT_UP_TO, workerGrid } from "./oracle.js";
import type { BenchResults, StrategyResult, WorkloadResult } from "./results.js";
import { STRATEGIES, type StrategyName } from "./strategies.js";
import { benchVerdict } from "./verdict.js";

/** Column titles of the strategies. */
export const STRATEGY_TITLES: Record<StrategyName, string> = {
  serial: "serial",
  "naive-pool": "naive pool",
  "pool-map": "Pool.map default",
  joblib: "joblib auto",
  amorsize: "amorsize",
  oracle: "oracle",
};

/** Milliseconds, with precision that suits the size. */
export function formatMs(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return "n/a";
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  return `${ms.toFixed(2)} ms`;
}

export function formatRatio(x: number | null): string {
  return x === null || !Number.isFinite(x) ? "n/a" : `${x.toFixed(2)}x`;
}

function formatPct(x: number | null): string {
  return x === null || !Number.isFinite(x) ? "n/a" : `${(x * 100).toFixed(1)}%`;
}

function cell(r: StrategyResult): string {
  if (r.medianMs === null) return r.errors.length + r.timeouts.length > 0 ? "failed" : "n/a";
  return `${formatMs(r.medianMs)} (${formatRatio(r.ratioToOracle)})`;
}

function verdict(hit: boolean | null): string {
  if (hit === null) return "not judged";
  return hit ? "hit" : "**miss**";
}

/** Escapes the characters that would break a markdown table cell. */
function esc(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

/** The markdown report: the table, amorsize's own figures, the oracle configurations and the targets. */
export function renderMarkdown(results: BenchResults): string {
  const { machine, settings } = results;
  const lines: string[] = [];
  const title = results.mode === "quick" ? "Benchmark results (quick run)" : "Benchmark results";
  lines.push(`# ${title}`, "");
  lines.push(
    `Measured ${results.startedAt.slice(0, 10)} on ${machine.platform} ${machine.arch}` +
      `${machine.cpuModel ? ` (${machine.cpuModel})` : ""}, ${machine.usableCores} usable cores` +
      ` (availableParallelism ${machine.availableParallelism}), Node ${machine.node}.` +
      ` Load average at start ${machine.loadavgStart.map((x) => x.toFixed(2)).join(" ")},` +
      ` at end ${machine.loadavgEnd.map((x) => x.toFixed(2)).join(" ")}.` +
      ` ${settings.repetitions} repetitions per strategy, round-robin; medians. Run took ${formatMs(results.durationMs)}.`,
    "",
  );
  if (!results.complete) {
    lines.push(`**Incomplete:** no figure for ${results.missing.join(", ")}.`, "");
  }

  lines.push("## Median wall time (ratio to the oracle)", "");
  lines.push(`| workload | items | ${STRATEGIES.map((s) => STRATEGY_TITLES[s]).join(" | ")} |`);
  lines.push(`| --- | ---: | ${STRATEGIES.map(() => "---:").join(" | ")} |`);
  for (const w of results.workloads) {
    lines.push(`| ${w.name} | ${w.items} | ${STRATEGIES.map((s) => cell(w.strategies[s])).join(" | ")} |`);
  }
  lines.push("");

  lines.push("## Amorsize: plan, predicted against measured, time spent deciding", "");
  lines.push(
    "Predicted: what `execute()` expected the whole call to take once it had decided (the time spent" +
      " deciding, measured, plus the run, predicted); measured: the bench's median wall time of the call." +
      " Time error: |predicted - measured| / measured per repetition, median over repetitions. Speedups" +
      " are over serial's median: predicted is the model's serial estimate over its predicted time. Run time" +
      " error compares the model's prediction of the run alone with the executor's measured run. Deciding:" +
      " probe, spawn-cost cache read, sampling and planning (`overheadMs.total`, less `overheadMs.filled`: items" +
      " the calling thread ran for the run while a warm-up probe ran), and its share of serial's time.",
    "",
  );
  lines.push(
    "| workload | plan | predicted | measured | time error | predicted speedup | measured speedup | run time error | deciding | deciding / serial |",
  );
  lines.push("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const w of results.workloads) {
    const a = w.amorsize;
    const plans = a.plans
      .map((p) => (a.plans.length > 1 ? `${p.plan} (${p.repetitions}x)` : p.plan))
      .join("; ");
    lines.push(
      `| ${w.name} | ${esc(plans || "n/a")} | ${formatMs(a.predictedWallMs)} | ${formatMs(w.strategies.amorsize.medianMs)} |` +
        ` ${formatPct(a.timeError)} | ${formatRatio(a.predictedSpeedup)} | ${formatRatio(a.measuredSpeedup)} |` +
        ` ${formatPct(a.runPredictionError)} | ${formatMs(a.decidingMs)} | ${formatPct(a.decidingShareOfSerial)} |`,
    );
  }
  lines.push("");

  lines.push("## Configurations", "");
  lines.push(
    "Module load: the median time a fresh worker thread took to import the task module and its libraries," +
      " which every worker a run starts pays before its first item.",
    "",
  );
  lines.push(
    "| workload | measured item time | module load | Pool.map default | joblib batches (final size) | oracle best | sweep |",
  );
  lines.push("| --- | ---: | ---: | --- | --- | --- | --- |");
  for (const w of results.workloads) {
    lines.push(
      `| ${w.name} | ${itemTime(w)} | ${formatMs(w.moduleLoadMs)} | ${esc(w.strategies["pool-map"].config)} |` +
        ` ${w.joblib ? `${w.joblib.batches} (${w.joblib.finalBatchSize})` : "n/a"} |` +
        ` ${esc(w.strategies.oracle.config)} | ${sweepSummary(w)} |`,
    );
  }
  lines.push("");

  lines.push("## Targets", "");
  lines.push(
    `The targets of issue 13 (the last one: issue 8) over the ${results.workloads.length} workloads of this run,` +
      " reported, not asserted: a miss is a finding about the model or the executor.",
    "",
  );
  lines.push("| target | this run | measured |", "| --- | --- | --- |");
  for (const t of results.targets) lines.push(`| ${esc(t.target)} | ${verdict(t.hit)} | ${esc(t.figure)} |`);
  lines.push("");
  const details = results.targets.filter((t) => t.details.length > 0);
  if (details.length > 0) {
    lines.push("Per workload:", "");
    for (const t of details) lines.push(`- ${t.id}: ${t.details.join("; ")}`);
    lines.push("");
  }

  const { failures, findings } = benchVerdict(results);
  if (failures.length > 0) {
    lines.push("## Errors", "");
    for (const f of failures) lines.push(`- ${esc(f)}`);
    lines.push("");
  }
  if (findings.length > 0) {
    lines.push(
      "## Baselines that overran",
      "",
      "Repetitions of a baseline with no code of this project in it (tinypool as is) that did not finish within the time limit, with what its pool was doing; the pool was destroyed, and the baseline's figure is the median of its other repetitions (in a quick run, one).",
      "",
    );
    for (const f of findings) lines.push(`- ${esc(f)}`);
    lines.push("");
  }

  lines.push("## How this was measured", "");
  lines.push(settings.fairness, "");
  lines.push(
    `Oracle: workers ${workerCounts(settings.sweepMaxWorkers)} x chunk sizes on a geometric grid (factor ${settings.sweepGridFactor}),` +
      ` ${settings.sweepRepetitions} repetition(s) per configuration, configurations slower than` +
      ` ${settings.sweepCutoff}x the best so far cut off; the ${settings.oracleCandidates} fastest re-measured` +
      " alongside the other strategies, and the oracle is the best of those medians and serial's.",
    "",
  );
  return `${lines.join("\n")}\n`;
}

function itemTime(w: WorkloadResult): string {
  if (w.serialItemUs === null) return "n/a";
  const us = w.serialItemUs;
  return us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(us >= 10 ? 0 : 2)} us`;
}

function sweepSummary(w: WorkloadResult): string {
  const s = w.oracle.sweep;
  const measured = s.filter((p) => p.ms !== null).length;
  return `${s.length} configs, ${measured} measured, ${s.length - measured} cut`;
}

/** The sweep's worker counts in words: "1..4", or "1..8, 12, 16, 18, 27, 32". */
export function workerCounts(maxWorkers: number): string {
  const grid = workerGrid(maxWorkers);
  const every = grid.filter((w) => w <= EVERY_WORKER_COUNT_UP_TO);
  const rest = grid.filter((w) => w > EVERY_WORKER_COUNT_UP_TO);
  const first = every.length > 1 ? `1..${every.at(-1)}` : `${every[0] ?? 1}`;
  return [first, ...rest].join(", ");
}
