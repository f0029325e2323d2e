import { z } from "zod";
import { ReasonSchema, WarningSchema } from "./common.js";
import type { Named } from "./documented.js";
import { type HardwareProfile, HardwareProfileSchema } from "./hardware.js";
import { type SpawnCostProfile, SpawnCostProfileSchema } from "./spawn-cost.js";
import { type WorkloadSample, WorkloadSampleSchema } from "./workload.js";

const costBreakdownShape = {
  /** Worker start-up: fixed + per worker. */
  startupMs: z.number().finite().nonnegative(),
  /** Main thread's serial work: cloning inputs out and results back, dispatching each chunk. */
  mainThreadMs: z.number().finite().nonnegative(),
  /** Computation spread over the workers that really run at once. */
  computeMs: z.number().finite().nonnegative(),
  /** Extra time from more workers than usable cores (time slicing, cache thrash). */
  oversubscriptionMs: z.number().finite().nonnegative(),
  /** Per-chunk overhead inside the workers (task entry, result assembly), spread over workers. */
  chunkOverheadMs: z.number().finite().nonnegative(),
  /** Idle workers at the end of the run while the last chunks finish. */
  imbalanceMs: z.number().finite().nonnegative(),
  /**
   * Filling and draining the pipeline: the first chunks are cloned and sent one after
   * another before their workers compute, and the last chunk still computes after the
   * main thread has sent it.
   */
  pipelineFillMs: z.number().finite().nonnegative(),
  /**
   * Time each worker sits idle waiting for the main thread to take back its results
   * and clone and dispatch its next chunk (one chunk per worker at a time), spread over
   * the workers. Part of the workers' side of the run. Absent from older plans.
   */
  dispatchWaitMs: z.number().finite().nonnegative().optional(),
  /** Predicted wall time. */
  totalMs: z.number().finite().nonnegative(),
};
/** The schema of {@link CostBreakdown}. */
export const CostBreakdownSchema: z.ZodObject<typeof costBreakdownShape> = z.object(costBreakdownShape);
/**
 * The predicted wall time of a run, term by term, milliseconds. Terms that do not
 * apply to a mode are 0. `totalMs` is the predicted wall time; it is not the plain
 * sum of the terms, since main-thread work overlaps worker computation. The cost
 * model's plans satisfy `totalMs = startupMs + max(computeMs + chunkOverheadMs +
 * dispatchWaitMs, mainThreadMs) + oversubscriptionMs + pipelineFillMs + imbalanceMs`.
 */
export interface CostBreakdown extends z.infer<typeof CostBreakdownSchema>, Named {}

const predictionShape = {
  /** Predicted wall time of this plan, milliseconds. */
  wallMs: z.number().finite().nonnegative(),
  /** Predicted wall time of a plain loop in the calling thread, milliseconds. */
  serialMs: z.number().finite().nonnegative(),
  /** serialMs / wallMs. */
  speedup: z.number().finite().nonnegative(),
  breakdown: CostBreakdownSchema,
  /**
   * Items the prediction covers. For a stream of unknown length this is a steady-state
   * basis (the cost model uses 1,000 items) with the one-off start-up and end-of-run
   * terms left out. Absent from older predictions.
   */
  items: z.number().int().nonnegative().optional(),
  /**
   * Present (true) when the times are lower bounds: sampling was cut off waiting for items
   * (`workload.cutOff`), which the model counted at the time they had run so far.
   */
  lowerBound: z.literal(true).optional(),
};
/** The schema of {@link Prediction}. */
export const PredictionSchema: z.ZodObject<typeof predictionShape> = z.object(predictionShape);
export interface Prediction extends z.infer<typeof PredictionSchema>, Named {}

const alternativeShape = {
  mode: z.enum(["serial", "concurrent", "parallel"]),
  workers: z.number().int().nonnegative(),
  chunkSize: z.number().int().positive().nullable(),
  wallMs: z.number().finite().nonnegative(),
  speedup: z.number().finite().nonnegative(),
  /** What this alternative is, for people: `serial loop`, `four chunks per worker (usable cores)`, ... */
  label: z.string().min(1).optional(),
};
/** The schema of {@link Alternative}. */
export const AlternativeSchema: z.ZodObject<typeof alternativeShape> = z.object(alternativeShape);
/** The best configuration of another mode that the model weighed and did not take. */
export interface Alternative extends z.infer<typeof AlternativeSchema>, Named {}

const PlanCommon = {
  /** Items the plan is for; null when unknown (a stream). */
  totalItems: z.number().int().nonnegative().nullable(),
  predicted: PredictionSchema,
  /** Why this plan, most important first. */
  reasons: z.array(ReasonSchema),
  warnings: z.array(WarningSchema),
  /** How many configurations the search evaluated. */
  candidatesEvaluated: z.number().int().nonnegative(),
  /** Best configurations of the modes not chosen. */
  alternatives: z.array(AlternativeSchema),
};

const serialPlanShape = { mode: z.literal("serial"), ...PlanCommon };
/** The schema of {@link SerialPlan}. */
export const SerialPlanSchema: z.ZodObject<typeof serialPlanShape> = z.object(serialPlanShape);
const concurrentPlanShape = {
  mode: z.literal("concurrent"),
  concurrency: z.number().int().positive(),
  ...PlanCommon,
};
/** The schema of {@link ConcurrentPlan}. */
export const ConcurrentPlanSchema: z.ZodObject<typeof concurrentPlanShape> = z.object(concurrentPlanShape);
const parallelPlanShape = {
  mode: z.literal("parallel"),
  workers: z.number().int().positive(),
  /** Items per task sent to a worker. */
  chunkSize: z.number().int().positive(),
  /** Chunks in flight at once (bounded so memory stays bounded). */
  maxInFlight: z.number().int().positive(),
  /** True when chunk sizes should adapt at run time (unknown item count or uncertain item times). */
  adaptive: z.boolean(),
  ...PlanCommon,
};
/** The schema of {@link ParallelPlan}. */
export const ParallelPlanSchema: z.ZodObject<typeof parallelPlanShape> = z.object(parallelPlanShape);

/** What to do: a discriminated union on `mode`. */
export const PlanSchema = z.discriminatedUnion("mode", [
  SerialPlanSchema,
  ConcurrentPlanSchema,
  ParallelPlanSchema,
]);
/** What to do: a discriminated union on `mode` (the schema's type, as named interfaces). */
export type Plan = SerialPlan | ConcurrentPlan | ParallelPlan;
/** Run in the calling thread, one item after another. */
export interface SerialPlan extends z.infer<typeof SerialPlanSchema>, Named {}
/** Run in the calling thread with several items awaiting at once (I/O-bound tasks). */
export interface ConcurrentPlan extends z.infer<typeof ConcurrentPlanSchema>, Named {}
/** Run on a pool of worker threads, chunked. */
export interface ParallelPlan extends z.infer<typeof ParallelPlanSchema>, Named {}
export type PlanMode = Plan["mode"];

const planConstraintsShape = {
  /** Most workers to use. Default: twice the usable cores (the search looks past them). */
  maxWorkers: z.number().int().positive().max(1024).optional(),
  /** Memory the run may use, bytes. Default: the hardware profile's usable memory. */
  memoryBudgetBytes: z.number().positive().optional(),
  /** Parallel must be at least this much faster than serial. Default 1.2. */
  minSpeedup: z.number().finite().min(1).optional(),
  /** Fix the chunk size instead of searching for it. */
  chunkSize: z.number().int().positive().optional(),
  /** Fix the worker count instead of searching for it. */
  workers: z.number().int().positive().max(1024).optional(),
  /**
   * The run fails a chunk that runs longer than this, milliseconds: the plan only uses
   * chunks predicted (with their items' spread and the workers' sharing of cores) to
   * take at most half of it, and warns when even one item is predicted to exceed it.
   */
  chunkTimeoutMs: z.number().int().positive().optional(),
};
/** The schema of {@link PlanConstraints}. */
export const PlanConstraintsSchema: z.ZodObject<typeof planConstraintsShape, z.core.$strict> = z
  .object(planConstraintsShape)
  .strict();
/** Limits the caller puts on a plan. */
export interface PlanConstraints extends z.input<typeof PlanConstraintsSchema>, Named {}

const planInputShape = {
  hardware: HardwareProfileSchema,
  spawnCost: SpawnCostProfileSchema,
  workload: WorkloadSampleSchema,
  constraints: PlanConstraintsSchema.optional(),
  /**
   * Whether the run keeps every result until it ends, as `execute()` and a loop into an
   * array do (the default): the calling thread then pays for the collector copying them.
   * false for a stream, whose consumer takes each result as it comes.
   */
  resultsKept: z.boolean().optional(),
};
/** The schema of {@link PlanInput}. */
export const PlanInputSchema: z.ZodObject<typeof planInputShape, z.core.$strict> = z
  .object(planInputShape)
  .strict();
/** Everything `planExecution()` decides from: plain data, no I/O. */
// Members from other modules are named here: their TSDoc does not survive in an expanded type.
export interface PlanInput extends z.input<typeof PlanInputSchema>, Named {
  hardware: HardwareProfile;
  spawnCost: SpawnCostProfile;
  workload: WorkloadSample;
}

const predictConfigShape = {
  workers: z.number().int().positive().max(1024),
  chunkSize: z.number().int().positive(),
};
/** The schema of {@link PredictConfig}. */
export const PredictConfigSchema: z.ZodObject<typeof predictConfigShape, z.core.$strict> = z
  .object(predictConfigShape)
  .strict();
/** One configuration for `predict()`. */
export interface PredictConfig extends z.infer<typeof PredictConfigSchema>, Named {}
