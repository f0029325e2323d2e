/**
 * The measured part of a profile from what the measurement recorded: every
 * figure with its provenance (measured, or estimated and why) and the warnings
 * naming the figures that fell back. A pure function of plain data.
 */

import type { CloneCost, MeasuredFigure, PayloadKind, Warning } from "@amorsize/types";
import { SpawnCostWarningCode } from "./errors.js";
import { estimatedCloneCost, estimatedFigure, SPAWN_COST_ESTIMATES } from "./estimates.js";
import {
  type CloneCell,
  type CloneDrafts,
  cloneDrafts,
  type Draft,
  dispatchDraft,
  type StartupDrafts,
  type StartupPoint,
  startupDrafts,
} from "./fit.js";
import { KIND_SPECS } from "./kinds.js";
import { gapDraft, PACE_AFTER_MS, speedDraft } from "./pace.js";
import { MIN_SAMPLES } from "./rules.js";

/** A dispatch figure's samples (microseconds per task), or why they could not be taken. */
export type DispatchRecord = { samples: number[] } | { reason: string };

/** A payload kind's clone cells, or why it was not measured. */
export type CloneRecord = { cells: CloneCell[] } | { reason: string };

/** What a measurement recorded; a figure it never reached is absent. */
export interface MeasureRecord {
  budgetMs: number;
  maxWorkers: number;
  /** How many workers the pace rounds run on (the usable cores, at most maxWorkers). */
  paceWorkers: number;
  latencyUs?: DispatchRecord;
  throughputUs?: DispatchRecord;
  clone: Partial<Record<PayloadKind, CloneRecord>>;
  startup: StartupPoint[];
  /** The gaps between chunks, microseconds (see pace.ts), or why they could not be timed. */
  gap?: { gapsUs: number[] } | { reason: string };
  /** The rounds of equal work, each the workers' own times, or why they could not be timed. */
  speed?: { rounds: number[][] } | { reason: string };
  /** How long destroying each pool took, milliseconds (for the start-up rounds' time check). */
  destroyMs: number[];
  /** Why starting a pool failed, if it did. */
  startupFailure?: string;
  /** What failed, in order, each as `what: message`. */
  failures: string[];
}

/** The measured part of a profile. */
export interface MeasureOutcome {
  workerStart: { fixedMs: MeasuredFigure; perWorkerMs: MeasuredFigure };
  dispatch: { latencyUs: MeasuredFigure; throughputUs: MeasuredFigure };
  pace: { gapUs: MeasuredFigure; afterMs: number; speedCv: MeasuredFigure };
  clone: Record<PayloadKind, CloneCost>;
  warnings: Warning[];
  /** Whether at least one figure was measured rather than estimated. */
  anyMeasured: boolean;
}

const NOT_MEASURED = { reason: "not measured" } as const satisfies Draft;

/** The latency figure of a record (what the clone phase needs first). */
export function latencyDraft(record: MeasureRecord): Draft {
  return dispatchFrom(record.latencyUs, MIN_SAMPLES.latency, record.budgetMs);
}

function dispatchFrom(sampled: DispatchRecord | undefined, need: number, budgetMs: number): Draft {
  if (sampled === undefined) return NOT_MEASURED;
  return "samples" in sampled ? dispatchDraft(sampled.samples, need, budgetMs) : { reason: sampled.reason };
}

/** A draft as a profile figure; `failureReason` stands in for a figure never reached. */
export function finalFigure(draft: Draft, fallback: number, failureReason: string): MeasuredFigure {
  if ("value" in draft && Number.isFinite(draft.value) && Number.isFinite(draft.spread ?? 0)) {
    return { value: draft.value, provenance: "measured", samples: draft.samples, spread: draft.spread };
  }
  if (!("reason" in draft) || draft.reason === NOT_MEASURED.reason) {
    return estimatedFigure(fallback, failureReason);
  }
  return estimatedFigure(draft.estimate ?? fallback, draft.reason);
}

/** Every figure's draft; a clone kind never reached is absent from `clone`. */
export interface Drafts {
  latencyUs: Draft;
  throughputUs: Draft;
  /** Undefined: never reached. */
  gapUs: Draft | undefined;
  /** Undefined: never reached. */
  speedCv: Draft | undefined;
  workerStart: StartupDrafts;
  clone: Map<PayloadKind, CloneDrafts>;
}

/** The fits of every figure from the record's samples. */
export function draftsOf(record: MeasureRecord): Drafts {
  const clone = new Map<PayloadKind, CloneDrafts>();
  for (const spec of KIND_SPECS) {
    const kept = record.clone[spec.kind];
    if (kept === undefined) continue;
    clone.set(
      spec.kind,
      "cells" in kept
        ? cloneDrafts(spec, kept.cells, record.budgetMs)
        : { perItemUs: { reason: kept.reason }, perByteNs: { reason: kept.reason } },
    );
  }
  return {
    latencyUs: latencyDraft(record),
    throughputUs: dispatchFrom(record.throughputUs, MIN_SAMPLES.throughputBatches, record.budgetMs),
    gapUs: paceFrom(record.gap, (kept) => gapDraft(kept.gapsUs, record.budgetMs)),
    speedCv:
      record.paceWorkers < 2
        ? speedDraft([], record.paceWorkers, record.budgetMs)
        : paceFrom(record.speed, (kept) => speedDraft(kept.rounds, record.paceWorkers, record.budgetMs)),
    workerStart: startupDrafts(record.startup, record.maxWorkers, record.budgetMs, record.startupFailure),
    clone,
  };
}

/** A pace figure's draft from its record: never reached (undefined), why it failed, or `draft` of what it kept. */
function paceFrom<T extends object>(
  kept: T | { reason: string } | undefined,
  draft: (kept: T) => Draft,
): Draft | undefined {
  if (kept === undefined) return undefined;
  return "reason" in kept ? { reason: kept.reason } : draft(kept);
}

/** Assembles the outcome: every figure with its provenance, `anyMeasured`, and the warnings. */
export function assembleOutcome(record: MeasureRecord): MeasureOutcome {
  const drafts = draftsOf(record);
  const failureReason =
    record.failures.length > 0
      ? `measuring failed: ${record.failures[0]}`
      : "not measured: the budget ran out first";
  const final = (draft: Draft, fallback: number) => finalFigure(draft, fallback, failureReason);
  const est = SPAWN_COST_ESTIMATES;
  const clone = {} as Record<PayloadKind, CloneCost>;
  for (const { kind } of KIND_SPECS) {
    const kindDrafts = drafts.clone.get(kind);
    clone[kind] = kindDrafts
      ? {
          perItemUs: final(kindDrafts.perItemUs, est.clone[kind].perItemUs),
          perByteNs: final(kindDrafts.perByteNs, est.clone[kind].perByteNs),
        }
      : estimatedCloneCost(kind, failureReason);
  }
  const figures = {
    workerStart: {
      fixedMs: final(drafts.workerStart.fixedMs, est.workerStart.fixedMs),
      perWorkerMs: final(drafts.workerStart.perWorkerMs, est.workerStart.perWorkerMs),
    },
    dispatch: {
      latencyUs: final(drafts.latencyUs, est.dispatch.latencyUs),
      throughputUs: final(drafts.throughputUs, est.dispatch.throughputUs),
    },
    pace: {
      gapUs: final(drafts.gapUs ?? NOT_MEASURED, est.pace.gapUs),
      afterMs: PACE_AFTER_MS,
      speedCv: final(drafts.speedCv ?? NOT_MEASURED, est.pace.speedCv),
    },
    clone,
  };
  const all = [
    ...Object.values(figures.workerStart),
    ...Object.values(figures.dispatch),
    figures.pace.gapUs,
    figures.pace.speedCv,
    ...Object.values(clone).flatMap((cost) => [cost.perItemUs, cost.perByteNs]),
  ];
  return {
    ...figures,
    warnings: outcomeWarnings(record, drafts),
    anyMeasured: all.some((figure) => figure.provenance === "measured"),
  };
}

/** The figure groups as warnings name them, in the order they are measured; undefined drafts: never reached. */
function namedGroups(drafts: Drafts): { name: string; drafts: Draft[] | undefined }[] {
  const reached = [...drafts.clone].map(([kind, d]) => ({
    name: `clone.${kind}`,
    drafts: [d.perItemUs, d.perByteNs],
  }));
  const unreached = KIND_SPECS.filter(({ kind }) => !drafts.clone.has(kind)).map(({ kind }) => ({
    name: `clone.${kind}`,
    drafts: undefined,
  }));
  return [
    { name: "dispatch.latencyUs", drafts: [drafts.latencyUs] },
    { name: "dispatch.throughputUs", drafts: [drafts.throughputUs] },
    ...reached,
    { name: "workerStart", drafts: [drafts.workerStart.fixedMs, drafts.workerStart.perWorkerMs] },
    { name: "pace.gapUs", drafts: drafts.gapUs && [drafts.gapUs] },
    { name: "pace.speedCv", drafts: drafts.speedCv && [drafts.speedCv] },
    ...unreached,
  ];
}

/**
 * The warnings: what failed, which figures were implausible, and which ran out of
 * budget (a group never reached counts as out of budget unless something failed).
 */
function outcomeWarnings(record: MeasureRecord, drafts: Drafts): Warning[] {
  const named = namedGroups(drafts);
  const flagged = (flag: "budgetShort" | "implausible") =>
    named
      .filter(({ drafts }) => drafts?.some((d) => "reason" in d && d[flag] === true))
      .map(({ name }) => name);
  const implausible = flagged("implausible");
  const budgetShort = flagged("budgetShort");
  if (record.failures.length === 0) {
    budgetShort.push(...named.filter(({ drafts }) => drafts === undefined).map(({ name }) => name));
  }
  const warnings: Warning[] = [];
  if (record.failures.length > 0) {
    warnings.push({
      code: SpawnCostWarningCode.measurementFailed,
      message: `Measuring failed (${record.failures.join("; ")}); the figures it concerned are documented estimates.`,
    });
  }
  if (implausible.length > 0) {
    warnings.push({
      code: SpawnCostWarningCode.implausibleFit,
      message: `The samples of ${implausible.join(", ")} were too noisy to fit (a busy machine?); those figures are documented estimates.`,
    });
  }
  if (budgetShort.length > 0) {
    warnings.push({
      code: SpawnCostWarningCode.budgetExhausted,
      message: `The ${record.budgetMs} ms budget ran out before ${budgetShort.join(", ")} had enough samples; those figures are documented estimates (raise budgetMs to measure them).`,
    });
  }
  return warnings;
}
