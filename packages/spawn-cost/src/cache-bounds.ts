// What a cached figure may plausibly be. The schema accepts any finite non-negative number,
// so a file can hold 1e300 ms or 0 and still parse: such a figure was not measured on any
// machine (a hand edit, a bug, another tool), and a plan built on it is absurd. Pure data
// and functions; readCache() ignores a file with a figure outside its range.
import type { PayloadKind, SpawnCostProfile } from "@amorsize/types";
import { unsteadyGap } from "./pace.js";

/** A figure's plausible range in its unit: `min` excluded when `open`, included otherwise; `max` included. */
export interface PlausibleRange {
  min: number;
  max: number;
  unit: "ms" | "us" | "ns/B" | "(a share)";
  open?: true;
}

/**
 * The ranges. Each lower bound is below anything a machine measures (or the documented
 * estimate, when that is lower); each upper bound is far above a slow, busy machine's
 * figure (this package measured 28 ms + 6 ms per worker, 90 us latency, 50 us dispatch,
 * 0.4-6 us and 0-20 ns/B of cloning on a 2-core machine). A pool's fixed start-up can be
 * 0 (one pool size measured, or a fit held at zero), and so can a per-byte figure (a kind
 * of fixed size, a transfer); a worker's start-up and a clone's fixed part cannot, and the
 * fits never give them 0 (they fall back to estimates), so a measurement is never refused.
 */
export const PLAUSIBLE_FIGURES = {
  fixedMs: { min: 0, max: 10_000, unit: "ms" },
  perWorkerMs: { min: 0, max: 10_000, unit: "ms", open: true },
  latencyUs: { min: 1, max: 1_000_000, unit: "us" },
  throughputUs: { min: 0.1, max: 1_000_000, unit: "us" },
  clonePerItemUs: { min: 0, max: 1_000_000, unit: "us", open: true },
  clonePerByteNs: { min: 0, max: 10_000, unit: "ns/B" },
  gapUs: { min: 0, max: 1_000_000, unit: "us" },
  speedCv: { min: 0, max: 1, unit: "(a share)" },
} as const satisfies Record<string, PlausibleRange>;

/** Why `value` is not plausible for the figure named `name`, or null when it is. */
export function outsideRange(name: string, value: number, range: PlausibleRange): string | null {
  const aboveMin = range.open ? value > range.min : value >= range.min;
  if (aboveMin && value <= range.max) return null;
  const shown = `${range.open ? "(" : "["}${range.min}, ${range.max}]`;
  return `${name} is ${value} ${range.unit}, outside ${shown} ${range.unit}`;
}

/** Every figure of a profile with its name and range, in a fixed order. */
function namedFigures(profile: SpawnCostProfile): [string, number, PlausibleRange][] {
  const r = PLAUSIBLE_FIGURES;
  const figures: [string, number, PlausibleRange][] = [
    ["workerStart.fixedMs", profile.workerStart.fixedMs.value, r.fixedMs],
    ["workerStart.perWorkerMs", profile.workerStart.perWorkerMs.value, r.perWorkerMs],
    ["dispatch.latencyUs", profile.dispatch.latencyUs.value, r.latencyUs],
    ["dispatch.throughputUs", profile.dispatch.throughputUs.value, r.throughputUs],
  ];
  if (profile.pace !== undefined) {
    figures.push(["pace.gapUs", profile.pace.gapUs.value, r.gapUs]);
    figures.push(["pace.speedCv", profile.pace.speedCv.value, r.speedCv]);
  }
  for (const [kind, cost] of Object.entries(profile.clone) as [
    PayloadKind,
    (typeof profile.clone)[PayloadKind],
  ][]) {
    figures.push([`clone.${kind}.perItemUs`, cost.perItemUs.value, r.clonePerItemUs]);
    figures.push([`clone.${kind}.perByteNs`, cost.perByteNs.value, r.clonePerByteNs]);
  }
  return figures;
}

/**
 * The first figure of `profile` outside its plausible range, said in words; null when all are
 * plausible. A measured pace gap that a measurement would now refuse as a busy machine's
 * (see `unsteadyGap`) counts too: caches written before the rule would keep it.
 */
export function implausibleFigure(profile: SpawnCostProfile): string | null {
  for (const [name, value, range] of namedFigures(profile)) {
    const problem = outsideRange(name, value, range);
    if (problem !== null) return problem;
  }
  const gap = profile.pace?.gapUs;
  if (gap !== undefined && gap.provenance === "measured" && unsteadyGap(gap.value, gap.spread ?? 0)) {
    return `pace.gapUs is ${gap.value} us deviating by ${gap.spread} us: a busy machine's`;
  }
  return null;
}
