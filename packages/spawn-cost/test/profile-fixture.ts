import type { MachineKey, MeasuredFigure, SpawnCostProfile } from "@amorsize/types";
import type { MeasureOutcome } from "../src/assemble.js";
import { estimatedSpawnCost } from "../src/index.js";

function measured(figure: MeasuredFigure, index: number): MeasuredFigure {
  return { value: figure.value + index / 8, provenance: "measured", samples: 5 + index, spread: 0.25 };
}

/**
 * A schema-valid profile as a measurement would write it, with distinct
 * figure values (so a mix-up between figures shows), except the number
 * kind's per-byte figure, which a real measurement reports as estimated.
 */
export function measuredProfileFixture(
  key: MachineKey,
  measuredAt = new Date().toISOString(),
  cachePath: string | null = null,
): SpawnCostProfile {
  const base = estimatedSpawnCost(key, "fixture");
  let i = 0;
  const m = (figure: MeasuredFigure) => measured(figure, i++);
  const clone = Object.fromEntries(
    Object.entries(base.clone).map(([kind, cost]) => [
      kind,
      { perItemUs: m(cost.perItemUs), perByteNs: kind === "number" ? cost.perByteNs : m(cost.perByteNs) },
    ]),
  ) as SpawnCostProfile["clone"];
  return {
    ...base,
    source: "measured",
    measuredAt,
    durationMs: 512.5,
    cachePath,
    workerStart: { fixedMs: m(base.workerStart.fixedMs), perWorkerMs: m(base.workerStart.perWorkerMs) },
    dispatch: { latencyUs: m(base.dispatch.latencyUs), throughputUs: m(base.dispatch.throughputUs) },
    // A share of at most 1: not from the running index.
    pace: {
      gapUs: m(base.pace!.gapUs),
      afterMs: base.pace!.afterMs,
      speedCv: { ...m(base.pace!.speedCv), value: 0.03125 },
    },
    clone,
    warnings: [],
    // Between the load bands: read back whatever the load when the tests run.
    loadPerCore: 0.7,
  };
}

/** What a measurement returns, with the figures of {@link measuredProfileFixture}: a fake measurement's answer. */
export function measuredOutcomeFixture(key: MachineKey): MeasureOutcome {
  const { workerStart, dispatch, pace, clone, warnings } = measuredProfileFixture(key);
  return { workerStart, dispatch, pace: pace!, clone, warnings, anyMeasured: true };
}

/** What a measurement in which nothing could be measured returns. */
export function estimatedOutcomeFixture(key: MachineKey, reason: string): MeasureOutcome {
  const { workerStart, dispatch, pace, clone, warnings } = estimatedSpawnCost(key, reason);
  return { workerStart, dispatch, pace: pace!, clone, warnings, anyMeasured: false };
}

/** Every figure of a profile or outcome, named by its path, in a fixed order. */
export function allFigures(
  profile: Pick<SpawnCostProfile, "workerStart" | "dispatch" | "pace" | "clone">,
): [string, MeasuredFigure][] {
  return [
    ["workerStart.fixedMs", profile.workerStart.fixedMs],
    ["workerStart.perWorkerMs", profile.workerStart.perWorkerMs],
    ["dispatch.latencyUs", profile.dispatch.latencyUs],
    ["dispatch.throughputUs", profile.dispatch.throughputUs],
    ...(profile.pace === undefined
      ? []
      : ([
          ["pace.gapUs", profile.pace.gapUs],
          ["pace.speedCv", profile.pace.speedCv],
        ] as [string, MeasuredFigure][])),
    ...Object.entries(profile.clone).flatMap(([kind, cost]): [string, MeasuredFigure][] => [
      [`clone.${kind}.perItemUs`, cost.perItemUs],
      [`clone.${kind}.perByteNs`, cost.perByteNs],
    ]),
  ];
}
