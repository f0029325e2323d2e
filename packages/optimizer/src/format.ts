import type { Plan, WorkloadSample } from "@amorsize/types";
import type { OptimizerOverhead } from "./optimize.js";

/** A plain-text table with left-aligned first column and right-aligned numbers. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

export function formatMs(ms: number): string {
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 1) return `${ms.toFixed(1)} ms`;
  return `${(ms * 1000).toFixed(1)} us`;
}

/** One line that says what the plan is. */
export function planSummary(plan: Plan): string {
  switch (plan.mode) {
    case "serial":
      return "serial (in the calling thread)";
    case "concurrent":
      return `concurrent (calling thread, ${plan.concurrency} items awaiting at once)`;
    case "parallel":
      return `parallel: ${plan.workers} worker${plan.workers > 1 ? "s" : ""}, chunks of ${plan.chunkSize}${plan.adaptive ? " (adaptive)" : ""}`;
  }
}

/** How many items the time figures rest on: the sampled ones, and those run beside a warm-up probe. */
function sampledWords(workload: WorkloadSample): string {
  const { pooledItems, cutOff } = workload;
  const pooled =
    pooledItems === undefined ? "" : `, and ${pooledItems} more run here while a fresh worker was probed`;
  const cut =
    cutOff === undefined
      ? ""
      : `, and ${cutOff.items} cut off after ${formatMs(cutOff.ms)}, counted at that${cutOff.items > 1 ? " together" : ""}: a lower bound`;
  return `${workload.sampled} sampled${pooled}${cut}`;
}

/** The plan, what it rested on and why, for people. */
export function formatPlan(plan: Plan, workload: WorkloadSample, overhead?: OptimizerOverhead): string {
  const lines = [
    `Plan: ${planSummary(plan)}`,
    `  items            ${plan.totalItems ?? "unknown (stream)"}`,
    `  per item         ${workload.cutOff === undefined ? "" : "at least "}${formatMs(workload.itemTimeMs.mean)} mean, cv ${workload.itemTimeMs.cv.toFixed(2)}, cpu/wall ${workload.cpuToWall.toFixed(2)} (${sampledWords(workload)})`,
    `  payload          ${workload.inputBytes.mean.toFixed(0)} B in (${workload.inputKind}), ${workload.outputBytes.mean.toFixed(0)} B out (${workload.outputKind})`,
    `  predicted        ${formatMs(plan.predicted.wallMs)} vs ${formatMs(plan.predicted.serialMs)} serial (${plan.predicted.speedup.toFixed(2)}x)`,
  ];
  const { sizeScale } = workload;
  if (sizeScale !== undefined)
    lines.push(
      `  item sizes       times scaled x${sizeScale.factor.toFixed(2)} to the input's mean size (${sizeScale.inputMeanSize.toFixed(0)} against ${sizeScale.sampledMeanSize.toFixed(0)} sampled): they follow size`,
    );
  const fresh = freshWorkerLine(workload);
  if (fresh !== null) lines.push(`  fresh worker     ${fresh}`);
  const { contention } = workload;
  // A slowdown that reads x1.00 says nothing.
  if (contention !== undefined && contention.factor.toFixed(2) !== "1.00")
    lines.push(
      `  side by side     items ran x${contention.factor.toFixed(2)} slower in ${contention.threads} worker${contention.threads > 1 ? "s" : ""} computing at once (learned from ${contention.runs} parallel run${contention.runs > 1 ? "s" : ""})`,
    );
  if (overhead)
    lines.push(
      `  optimizing took  ${formatMs(overhead.total)} (sampling ${formatMs(overhead.sample)}${
        overhead.filled === undefined
          ? ""
          : `, of which ${formatMs(overhead.filled)} ran items of the run while the probe ran`
      })`,
    );
  for (const r of plan.reasons) lines.push(`  why  ${r.code}: ${r.message}`);
  for (const w of plan.warnings) lines.push(`  warn ${w.code}: ${w.message}`);
  return lines.join("\n");
}

/** What a fresh worker pays before its items run at full speed, and where each figure came from. */
function freshWorkerLine(workload: WorkloadSample): string | null {
  const parts: string[] = [];
  if (workload.moduleLoadMs !== undefined)
    parts.push(`imports the task in ${formatMs(workload.moduleLoadMs)}`);
  const { warmup } = workload;
  if (warmup !== undefined) {
    const where = {
      probe: "measured now",
      cached: "cached",
      sampled: "measured in the sample's cold start",
    }[warmup.source];
    const beside = (warmup.busyThreads ?? 1) > 1 ? ", beside the calling thread running items" : "";
    parts.push(
      `runs its first ${warmup.items} item${warmup.items > 1 ? "s" : ""} ${formatMs(warmup.excessMs)} slower than warm ones (${where}${beside})`,
    );
  }
  return parts.length === 0 ? null : parts.join("; ");
}
