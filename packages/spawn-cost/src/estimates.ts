import {
  AmorsizeValidationError,
  type CloneCost,
  type MachineKey,
  MachineKeySchema,
  type MeasuredFigure,
  type PayloadKind,
  parseInput,
  type SpawnCostProfile,
} from "@amorsize/types";
import { SpawnCostWarningCode } from "./errors.js";
import { PACE_AFTER_MS } from "./protocol.js";

/** A cost figure's fallback value in the unit of the figure. */
export interface CloneEstimate {
  perItemUs: number;
  perByteNs: number;
}

/**
 * The documented fallback figures, used for any figure that could not be
 * measured. Sources: the "Facts of the platform" table of the design
 * (2-core Linux, Node 20); where it has no fact, the figure measured by this
 * package on the reference machine (2-core Linux x64, Node 20.20, 2026-11-28),
 * rounded up. Clone figures are round trips (see {@link CloneCost}): twice a
 * one-way structured clone.
 */
export const SPAWN_COST_ESTIMATES = {
  workerStart: {
    /** "`new Worker()` to first reply ~40 ms" less the 30 ms one worker takes to come online: 10 ms. */
    fixedMs: 10,
    /** "`new Worker()` to `online` ~30 ms", charged in full for each worker (no overlap assumed). */
    perWorkerMs: 30,
  },
  dispatch: {
    /** Twice the in-flight figure: one at a time, the worker's wake-up and the reply no longer overlap. */
    latencyUs: 100,
    /** "tinypool `run()` of a no-op, many in flight ~50 us per task". */
    throughputUs: 50,
  },
  pace: {
    /**
     * The empty task's round trip (`dispatch.latencyUs`'s estimate): without a measurement
     * nothing says a worker waits longer between chunks than that.
     */
    gapUs: 100,
    /**
     * 5%: the allowance the cost model made for workers running apart before it was
     * measured (other processes, frequency scaling, shared caches), kept as the fallback.
     */
    speedCv: 0.05,
  },
  clone: {
    /** Not in the facts; reference-machine measurement, rounded up. A number's size is fixed, so no per-byte part. */
    number: { perItemUs: 0.1, perByteNs: 0 },
    /** Not in the facts; reference-machine measurement, rounded up. */
    "plain-array": { perItemUs: 1, perByteNs: 15 },
    /**
     * "small objects ~1.3 us per object, ~30 MB/s" one way, i.e. 2.6 us and 66 ns/byte
     * round trip for the same ~40-byte objects; split half per item, half per byte so
     * that such an object costs the 2.6 us of the fact and larger ones scale with size.
     */
    object: { perItemUs: 1.3, perByteNs: 33 },
    /** "typed array / string ~0.6-0.8 GB/s" one way: 2 / 0.7 GB/s = 2.9 ns per byte; per item from the reference machine. */
    string: { perItemUs: 0.2, perByteNs: 2.9 },
    /** As for strings, 2.9 ns per byte; per item from the reference machine, rounded up. */
    "typed-array": { perItemUs: 3, perByteNs: 2.9 },
    /** "transfer is ~free": no per-byte part; per item (detaching and re-wrapping a buffer) from the reference machine. */
    "typed-array-transfer": { perItemUs: 12, perByteNs: 0 },
  } satisfies Record<PayloadKind, CloneEstimate>,
} as const;

/** An estimated figure: the documented value, no samples, and why it was not measured. */
export function estimatedFigure(value: number, reason: string): MeasuredFigure {
  return { value, provenance: "estimated", reason, samples: 0, spread: null };
}

/** The estimated clone cost of one payload kind. */
export function estimatedCloneCost(kind: PayloadKind, reason: string): CloneCost {
  const estimate: CloneEstimate = SPAWN_COST_ESTIMATES.clone[kind];
  return {
    perItemUs: estimatedFigure(estimate.perItemUs, reason),
    perByteNs: estimatedFigure(estimate.perByteNs, reason),
  };
}

/**
 * The documented fallback profile ({@link SPAWN_COST_ESTIMATES}): every figure
 * `estimated` with `reason`, `source: "estimated"`, not cached, and one warning
 * (`AMORSIZE_SPAWN_COST_MEASUREMENT_FAILED`) carrying the reason.
 * Throws `AmorsizeValidationError` for an invalid machine key or an empty reason.
 */
export function estimatedSpawnCost(machineKey: MachineKey, reason: string): SpawnCostProfile {
  const key = parseInput(MachineKeySchema, machineKey, "machineKey");
  if (typeof reason !== "string" || reason.length === 0) {
    throw new AmorsizeValidationError([`reason: Expected a non-empty string, got ${JSON.stringify(reason)}`]);
  }
  const { workerStart, dispatch, pace } = SPAWN_COST_ESTIMATES;
  return {
    schemaVersion: 1,
    measuredAt: new Date().toISOString(),
    durationMs: 0,
    source: "estimated",
    cachePath: null,
    machineKey: key,
    workerStart: {
      fixedMs: estimatedFigure(workerStart.fixedMs, reason),
      perWorkerMs: estimatedFigure(workerStart.perWorkerMs, reason),
    },
    dispatch: {
      latencyUs: estimatedFigure(dispatch.latencyUs, reason),
      throughputUs: estimatedFigure(dispatch.throughputUs, reason),
    },
    pace: {
      gapUs: estimatedFigure(pace.gapUs, reason),
      afterMs: PACE_AFTER_MS,
      speedCv: estimatedFigure(pace.speedCv, reason),
    },
    clone: {
      number: estimatedCloneCost("number", reason),
      "plain-array": estimatedCloneCost("plain-array", reason),
      object: estimatedCloneCost("object", reason),
      string: estimatedCloneCost("string", reason),
      "typed-array": estimatedCloneCost("typed-array", reason),
      "typed-array-transfer": estimatedCloneCost("typed-array-transfer", reason),
    },
    warnings: [{ code: SpawnCostWarningCode.measurementFailed, message: reason }],
  };
}
