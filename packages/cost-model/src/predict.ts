import {
  type PlanInput,
  type PredictConfig,
  PredictConfigSchema,
  type Prediction,
  parseInput,
} from "@amorsize/types";
import { type Evaluation, evaluateParallel } from "./model.js";
import { deriveParams, parsePlanInput } from "./params.js";

/** The public shape of an evaluation. */
export function toPrediction(e: Evaluation): Prediction {
  return {
    wallMs: e.wallMs,
    serialMs: e.serialMs,
    speedup: e.speedup,
    breakdown: { ...e.breakdown },
    items: e.items,
  };
}

/**
 * Predicts the wall time of running the input's workload on `config.workers` worker
 * threads with chunks of `config.chunkSize` items, term by term, whatever the plan
 * would choose. A chunk size above the item count counts as one chunk of all items.
 * For a stream (`totalItems: null`) the prediction is the steady state of 1,000 items,
 * start-up excluded (`items` says so).
 *
 * Pure: the same input gives the same prediction. Memory is not checked here.
 *
 * @throws {AmorsizeValidationError} `input.*` or `config.*` fails its schema.
 */
export function predict(input: PlanInput, config: PredictConfig): Prediction {
  const parsed = parsePlanInput(input);
  const { workers, chunkSize } = parseInput(PredictConfigSchema, config, "config");
  return toPrediction(evaluateParallel(deriveParams(parsed), workers, chunkSize));
}
