import {
  type Alternative,
  type CodedMessage,
  CodedMessageSchema,
  type CostBreakdown,
  type Plan,
  PlanSchema,
  parseInput,
} from "@amorsize/types";
import { ALTERNATIVE_NOTES, MODEL_CONSTANTS } from "./constants.js";
import { formatFactor, formatMs, formatPercent, plural } from "./format.js";

type Term = Exclude<keyof CostBreakdown, "totalMs">;

const PARALLEL_TERMS: readonly [Term, string, string][] = [
  [
    "startupMs",
    "start-up",
    "starting the workers: a fixed cost plus their mean start (workers come online one by one)",
  ],
  [
    "mainThreadMs",
    "main thread",
    "cloning inputs out and results back, dispatching chunks: serial, overlaps the workers",
  ],
  [
    "computeMs",
    "compute",
    "the items' work (and the workers' share of cloning, and of holding object graphs) over the cores in use",
  ],
  [
    "chunkOverheadMs",
    "chunk overhead",
    "per-chunk message hops and task envelope inside each worker, and its wait for the next chunk",
  ],
  [
    "dispatchWaitMs",
    "dispatch wait",
    "workers waiting for the main thread to take their results and send the next chunk",
  ],
  [
    "oversubscriptionMs",
    "oversubscription",
    "time slicing when workers and the main thread want more CPU than there is",
  ],
  [
    "pipelineFillMs",
    "pipeline fill",
    "first chunks sent one after another; the last chunk computes after it is sent",
  ],
  ["imbalanceMs", "imbalance", "idle workers at the end of the run while the last chunks finish"],
];

const pad = (text: string, width: number) => text + " ".repeat(Math.max(1, width - text.length));
const padStart = (text: string, width: number) => " ".repeat(Math.max(0, width - text.length)) + text;

function decision(plan: Plan): string {
  switch (plan.mode) {
    case "serial":
      return "serial: a plain loop in the calling thread";
    case "concurrent":
      return `concurrent: the calling thread with ${plan.concurrency} items awaiting at once`;
    case "parallel": {
      const chunks =
        plan.totalItems !== null && plan.totalItems > 0
          ? `${plural(Math.ceil(plan.totalItems / plan.chunkSize), "chunk")}, `
          : "";
      return (
        `parallel: ${plural(plan.workers, "worker")}, chunks of ${plural(plan.chunkSize, "item")} ` +
        `(${chunks}up to ${plan.maxInFlight} in flight${plan.adaptive ? ", sizes adapt at run time" : ""})`
      );
    }
  }
}

function breakdownLines(plan: Plan): string[] {
  const b = plan.predicted.breakdown;
  const rows: [string, number, string][] = [];
  if (plan.mode === "parallel") {
    for (const [term, label, meaning] of PARALLEL_TERMS) {
      const value = b[term];
      if (value !== undefined) rows.push([label, value, meaning]);
    }
  } else if (plan.mode === "concurrent") {
    rows.push(["compute", b.computeMs, "rounds of items awaiting at once: their waits overlap"]);
    rows.push([
      "main thread",
      b.mainThreadMs,
      "the items' CPU work, one after another in the calling thread",
    ]);
  } else {
    rows.push(["compute", b.computeMs, "every item one after another in the calling thread"]);
  }
  const lines = rows.map(
    ([label, value, meaning]) => `  ${pad(label, 18)}${padStart(formatMs(value), 10)}  ${meaning}`,
  );
  let rule: string;
  if (plan.mode === "parallel") {
    const workerSide = b.computeMs + b.chunkOverheadMs + (b.dispatchWaitMs ?? 0);
    const side =
      workerSide >= b.mainThreadMs
        ? `the workers' side (${formatMs(workerSide)}) outlasts the main thread's (${formatMs(b.mainThreadMs)})`
        : `the main thread's side (${formatMs(b.mainThreadMs)}) outlasts the workers' (${formatMs(workerSide)})`;
    rule = `start-up + max(compute + chunk overhead + dispatch wait, main thread) + oversubscription + pipeline fill + imbalance; ${side}`;
  } else if (plan.mode === "concurrent") {
    rule = "max(compute, main thread)";
  } else {
    rule = "compute";
  }
  lines.push(`  ${pad("total", 18)}${padStart(formatMs(b.totalMs), 10)}  = ${rule}`);
  return lines;
}

/**
 * Why `alt`, predicted faster than the plan, was not taken: a limit it breaks, the
 * constraints, the tie-break among near-equal plans, or the minimum speedup; the codes of
 * the plan's reasons when none of these is it.
 */
function whyNotTaken(plan: Plan, alt: Alternative): string {
  const label = alt.label ?? "";
  if (label.includes(ALTERNATIVE_NOTES.overMemory)) return "but it exceeds the memory budget";
  if (label.includes(ALTERNATIVE_NOTES.tooLongForTimeout))
    return "but its chunks would run too long for the chunk time-out";
  const codes = plan.reasons.map((r) => r.code);
  const fixed = plan.reasons.find((r) => r.code === "FIXED_BY_CONSTRAINT")?.message ?? "";
  const [workers, chunkSize] = plan.mode === "parallel" ? [plan.workers, plan.chunkSize] : [0, null];
  if (fixed.includes("constraints.workers") && alt.workers !== workers)
    return "but the constraints fix the worker count (FIXED_BY_CONSTRAINT above)";
  if (fixed.includes("constraints.chunkSize") && alt.chunkSize !== chunkSize)
    return "but the constraints fix the chunk size (FIXED_BY_CONSTRAINT above)";
  const tie = plan.predicted.wallMs <= alt.wallMs * (1 + MODEL_CONSTANTS.tieMargin);
  if (tie && plan.mode === "parallel" && alt.mode === "parallel") {
    const within = `within ${MODEL_CONSTANTS.tieMargin * 100}% of the chosen plan, a tie`;
    if (alt.workers > plan.workers)
      return `${within}: fewer workers are preferred then, leaving cores to the rest of the machine`;
    if (alt.workers === plan.workers && (alt.chunkSize ?? 0) < plan.chunkSize)
      return `${within}: larger chunks are preferred then, as they cost less when the figures are off`;
  }
  if (plan.mode === "serial" && (codes.includes("TOO_LITTLE_WORK") || codes.includes("CLONE_BOUND")))
    return `but ${formatFactor(alt.speedup)} a plain loop is less than the minimum speedup asked for (minSpeedup)`;
  return codes.length > 0 ? `but ruled out by ${codes.join(", ")} above` : "but not taken";
}

/**
 * Renders a plan as text a person can follow: the decision, the predicted and serial
 * times, each term of the breakdown with what it means, the reasons and warnings
 * with their codes, and the alternatives weighed, with how much the best of them
 * lost by. `warnings`: the caller's own beside the plan's (an optimizer's, about how it
 * got its figures), listed with them after the plan's.
 *
 * @throws {AmorsizeValidationError} `plan.*` fails the plan schema, or `warnings.*` that
 *   of coded messages.
 */
export function explain(plan: Plan, warnings: readonly CodedMessage[] = []): string {
  const checked = parseInput(PlanSchema, plan, "plan");
  const also = parseInput(CodedMessageSchema.array(), warnings, "warnings");
  const p = checked.predicted;
  const lines: string[] = [];
  lines.push(`Plan: ${decision(checked)}`);
  const items =
    checked.totalItems === null
      ? `per ${plural(p.items ?? 0, "item")} of a stream of unknown length, in steady state`
      : `for ${plural(checked.totalItems, "item")}`;
  const faster =
    p.speedup >= 1
      ? `${formatFactor(p.speedup)} faster`
      : `${formatFactor(1 / Math.max(p.speedup, 1e-9))} slower`;
  // Lower bounds (sampling cut off waiting for items): the times, and the speed-up they give, are not settled.
  const least = p.lowerBound === true ? "at least " : "";
  const pace =
    checked.mode === "serial"
      ? "the loop itself"
      : p.lowerBound === true
        ? `${faster} at those bounds`
        : faster;
  lines.push(
    `Predicted: ${least}${formatMs(p.wallMs)} against ${least}${formatMs(p.serialMs)} for a plain loop (${pace}), ${items}.`,
  );
  lines.push("");
  lines.push("Breakdown:");
  lines.push(...breakdownLines(checked));
  lines.push("");
  lines.push("Why:");
  if (checked.reasons.length === 0) lines.push("  (no reasons given)");
  for (const r of checked.reasons) lines.push(`  - ${r.code}: ${r.message}`);
  lines.push("");
  lines.push("Warnings:");
  const allWarnings = [...checked.warnings, ...also];
  if (allWarnings.length === 0) lines.push("  none");
  for (const w of allWarnings) lines.push(`  - ${w.code}: ${w.message}`);
  lines.push("");
  lines.push(`Alternatives (${plural(checked.candidatesEvaluated, "configuration")} evaluated):`);
  if (checked.alternatives.length === 0) lines.push("  none");
  const describe = (a: Plan["alternatives"][number]) =>
    a.mode === "parallel" ? `${plural(a.workers, "worker")}, chunks of ${a.chunkSize}` : a.mode;
  for (const a of checked.alternatives) {
    lines.push(
      `  - ${a.label ?? a.mode}: ${describe(a)}, ${formatMs(a.wallMs)} (${formatFactor(a.speedup)} a plain loop)`,
    );
  }
  const best = [...checked.alternatives].sort((a, b) => a.wallMs - b.wallMs)[0];
  if (best !== undefined) {
    const lost = best.wallMs - p.wallMs;
    let verdict: string;
    if (lost < 0) verdict = `predicted ${formatMs(-lost)} faster, ${whyNotTaken(checked, best)}`;
    else if (p.wallMs === 0) verdict = `lost by ${formatMs(lost)}`;
    else if (lost >= p.wallMs)
      verdict = `lost by ${formatMs(lost)} (${formatFactor(best.wallMs / p.wallMs)} as long)`;
    else verdict = `lost by ${formatMs(lost)} (${formatPercent(lost / p.wallMs)} slower)`;
    lines.push(`Best alternative: ${best.label ?? best.mode}: ${describe(best)}, ${verdict}.`);
  }
  return lines.join("\n");
}
