import { z } from "zod";
import type { RunBackend } from "./backend.js";
import { WARMUP_READINGS } from "./constants.js";
import type { Named } from "./documented.js";
import { type ResourceLimits, ResourceLimitsSchema, type RunOptions, RunOptionsSchema } from "./execution.js";
import { type ProbeOptions, ProbeOptionsSchema } from "./hardware.js";
import { type PlanConstraints, PlanConstraintsSchema, PlanSchema } from "./plan.js";
import { MachineKeySchema, type SpawnCostOptions, SpawnCostOptionsSchema } from "./spawn-cost.js";
import { type WorkloadSample, WorkloadSampleSchema } from "./workload.js";

const sampleOptionsShape = {
  /** Fewest timing units to run (an item, or a block of consecutive fast items timed together). Default 3. */
  minItems: z.number().int().positive().optional(),
  /** Most timing units to run (an item, or a block of consecutive items under 50 us each). Default 32. */
  maxItems: z.number().int().positive().optional(),
  /** Stop sampling once this much time was spent (after `minItems`, or after the first slow item), milliseconds. Default 60. */
  budgetMs: z.number().positive().optional(),
  /**
   * Run the sampled items in a worker, not in the calling thread, so that one that exits,
   * aborts, loops past `chunkTimeoutMs`, never settles or runs out of memory fails as that
   * item. Default: true in `optimize()` (whose sampling is also cut off at `budgetMs` + 800 ms,
   * see its docs) and when `isolate`, `chunkTimeoutMs` or `resourceLimits` is set; false
   * otherwise (sampling in the calling thread costs no worker start-up).
   */
  isolate: z.boolean().optional(),
};
/** The schema of {@link SampleOptions}. */
export const SampleOptionsSchema: z.ZodObject<typeof sampleOptionsShape, z.core.$strict> = z
  .object(sampleOptionsShape)
  .strict();
/** Options of `sampleTask()`. */
export interface SampleOptions extends z.input<typeof SampleOptionsSchema>, Named {}

const sampleTaskOptionsShape = {
  ...SampleOptionsSchema.shape,
  /** `throw` (default): an item that throws while sampled rejects the call. `collect`: record it and go on. */
  onError: z.enum(["throw", "collect"]).optional(),
  /** Item count when `data` is an iterable whose length is known to the caller. */
  totalItems: z.number().int().nonnegative().optional(),
  /**
   * Cores the run may use (default 1). With a known item count, sampling stops once it
   * spent 3% of the job's serial time divided by this: it runs in the calling thread
   * while the run is spread over the cores.
   */
  parallelism: z.number().min(1).finite().optional(),
};
/** The schema of {@link SampleTaskPlainOptions}. */
export const SampleTaskOptionsSchema: z.ZodObject<typeof sampleTaskOptionsShape, z.core.$strict> = z
  .object(sampleTaskOptionsShape)
  .strict();
/**
 * The plain-data options of `sampleTask()` beyond `SampleOptions` (its callback and
 * signal are checked where they are used).
 */
export interface SampleTaskPlainOptions extends z.input<typeof SampleTaskOptionsSchema>, Named {}

const optimizeOptionsShape = {
  ...PlanConstraintsSchema.shape,
  sample: SampleOptionsSchema.optional(),
  /** Item count when `data` is an iterable whose length the caller knows. */
  totalItems: z.number().int().nonnegative().optional(),
  /** Use and write the plan cache. Default true. */
  cache: z.boolean().optional(),
  /** Cache folder (plans and spawn cost). */
  cacheDir: z.string().min(1).optional(),
  /**
   * A fresh worker's warm-up (see `WorkloadSample.warmup`). `probe` (default true): when a
   * plan would start workers and the task module's warm-up is not known (or is cached from
   * a single probe and alone keeps the plan from starting workers), run up to 4 units of items that
   * sampling left in a fresh worker to measure it (once each: their results are kept).
   * `cache` (default: `cache`): read and write the measured figure in the cache folder, per
   * module version and machine.
   */
  warmup: z.object({ probe: z.boolean().optional(), cache: z.boolean().optional() }).strict().optional(),
  hardware: ProbeOptionsSchema.optional(),
  spawnCost: SpawnCostOptionsSchema.omit({ hardware: true, cacheDir: true }).optional(),
  /**
   * Heap limits of every worker that runs the task, sampling's included (Node's
   * `resourceLimits`): an item past them fails as that item (`AMORSIZE_WORKER_CRASHED`)
   * instead of aborting the process. Implies `isolate`.
   */
  resourceLimits: ResourceLimitsSchema.optional(),
  /**
   * Never run the task in the calling thread: sampled items run in a worker, and a serial
   * plan runs in one worker. An item that exits, aborts, loops past `chunkTimeoutMs`,
   * never settles or runs out of memory then fails as that item, with every other result
   * kept. Implied by `chunkTimeoutMs` and `resourceLimits`. Default false.
   */
  isolate: z.boolean().optional(),
};
/** The schema of {@link OptimizeOptions}. */
export const OptimizeOptionsSchema: z.ZodObject<typeof optimizeOptionsShape, z.core.$strict> = z
  .object(optimizeOptionsShape)
  .strict();
/** Options of `optimize()`. */
// Members from other modules are named here: their TSDoc does not survive in an expanded type.
export interface OptimizeOptions extends PlanConstraints, z.input<typeof OptimizeOptionsSchema>, Named {
  hardware?: ProbeOptions | undefined;
  spawnCost?: Omit<SpawnCostOptions, "hardware" | "cacheDir"> | undefined;
  resourceLimits?: ResourceLimits | undefined;
}

/**
 * Somewhere other than this machine's worker threads that can run a plan: an object
 * with `plan()` (decide from the workload and the local plan) and `map()` (run chunks).
 * `cluster()` of `@amorsize/cluster` is one.
 */
export const RunBackendSchema = z.custom<RunBackend>(
  (v) =>
    typeof v === "object" &&
    v !== null &&
    typeof (v as { plan?: unknown }).plan === "function" &&
    typeof (v as { map?: unknown }).map === "function",
  {
    message:
      "Expected a run backend (an object with plan() and map(), e.g. cluster() from @amorsize/cluster)",
  },
);

const executeOptionsShape = {
  ...OptimizeOptionsSchema.shape,
  ...RunOptionsSchema.pick({
    ordered: true,
    onError: true,
    signal: true,
    onProgress: true,
    transfer: true,
  }).shape,
  /** execute(): run on this backend when its `plan()` says it beats this machine. */
  backend: RunBackendSchema.optional(),
  /**
   * execute(): most items it reads from an iterable or async iterable input, whose results
   * it collects in memory (default 2^24). Past it the run fails with `InputTooLargeError`
   * (`AMORSIZE_INPUT_TOO_LARGE`) instead of running out of memory: use `stream()` for a long
   * or endless input. At most 2^26, below the longest array V8 can hold. Arrays take no bound.
   */
  maxItems: z
    .number()
    .int()
    .positive()
    .max(2 ** 26)
    .optional(),
};
/** The schema of {@link ExecuteOptions}. */
export const ExecuteOptionsSchema: z.ZodObject<typeof executeOptionsShape, z.core.$strict> = z
  .object(executeOptionsShape)
  .strict();
/**
 * Options of `execute()` and the optimizer's `stream()`. `chunkTimeoutMs` comes with the
 * plan constraints: the plan is made to hold it, and the run enforces it.
 */
// Members from other modules are named here: their TSDoc does not survive in an expanded type.
export interface ExecuteOptions
  extends OptimizeOptions,
    Pick<RunOptions, "ordered" | "onError" | "signal" | "onProgress" | "transfer">,
    z.input<typeof ExecuteOptionsSchema>,
    Named {}

const planCacheEntryShape = {
  version: z.literal(1),
  key: z.string().min(1),
  machineKey: MachineKeySchema,
  createdAt: z.iso.datetime(),
  workload: WorkloadSampleSchema,
};
/** The schema of {@link PlanCacheEntry}. */
export const PlanCacheEntrySchema: z.ZodObject<typeof planCacheEntryShape> = z.object(planCacheEntryShape);
/**
 * An entry of the optimizer's plan cache: the per-item figures of a task, keyed by the
 * task (module URL, export, the module file's content hash) and the input size bucket,
 * valid while the machine key matches. The plan is recomputed from it for the exact item
 * count (planning is pure and cheap), so sampling is what the cache saves.
 */
// Members from other modules are named here: their TSDoc does not survive in an expanded type.
export interface PlanCacheEntry extends z.infer<typeof PlanCacheEntrySchema>, Named {
  workload: WorkloadSample;
}

/** One probe's reading of a fresh worker's warm-up, as the module-cost cache keeps it. */
const warmupReadingSchema = z.object({
  excessMs: z.number().finite().nonnegative(),
  items: z.number().int().positive(),
  settled: z.boolean(),
  busyThreads: z.number().int().positive().optional(),
  waits: z.literal(true).optional(),
  growth: z.number().finite().nonnegative().optional(),
});

const moduleCostEntryShape = {
  version: z.literal(1),
  /** The task module's URL, export and content hash. */
  key: z.string().min(1),
  machineKey: MachineKeySchema,
  createdAt: z.iso.datetime(),
  /**
   * What a fresh worker's first items cost beyond warm ones (see `WorkloadSample.warmup`):
   * of `readings`, where there are several, the middle one by excess (of two, the lesser).
   */
  warmup: warmupReadingSchema,
  /**
   * Each probe's reading, oldest first, the last {@link WARMUP_READINGS} at most: while
   * there is one and the figure alone keeps a plan from starting workers, the call probes
   * again, so that one probe a busy moment slowed does not decide every later plan of the
   * module. Absent in older entries: one reading.
   */
  readings: z.array(warmupReadingSchema).min(1).max(WARMUP_READINGS).optional(),
  /**
   * A fresh worker's import of the module, milliseconds, as the probe's worker measured it.
   * The calling thread's own import says nothing of it once the module is loaded there (a
   * minifier: 0.6 ms in the caller, 39 ms in a fresh worker). Absent in older entries.
   */
  moduleLoadMs: z.number().finite().nonnegative().optional(),
};
/** The schema of {@link ModuleCostEntry}. */
export const ModuleCostEntrySchema: z.ZodObject<typeof moduleCostEntryShape> = z.object(moduleCostEntryShape);
/**
 * An entry of the optimizer's module-cost cache: what a task module costs a fresh worker
 * beyond its items, per module version (content hash) and machine. Unlike a plan cache
 * entry it does not depend on the input.
 */
export interface ModuleCostEntry extends z.infer<typeof ModuleCostEntrySchema>, Named {}

const compareRowShape = {
  strategy: z.string().min(1),
  /** Worker threads; 0 for a run in the calling thread. */
  workers: z.number().int().nonnegative(),
  /** Items per task; null for a run in the calling thread. */
  chunkSize: z.number().int().positive().nullable(),
  /** The cost model's predicted wall time (estimated from the sample and the spawn cost), milliseconds. */
  predictedMs: z.number().finite().nonnegative(),
  /** Median measured wall time over the repetitions, pool start-up included, milliseconds. */
  measuredMs: z.number().finite().nonnegative(),
  /** The serial strategy's measured median over this one's. */
  speedup: z.number().finite().nonnegative(),
};
/** The schema of {@link CompareRow}. */
export const CompareRowSchema: z.ZodObject<typeof compareRowShape, z.core.$strict> = z
  .object(compareRowShape)
  .strict();
/** One strategy of `amorsize compare`: the model's prediction and the measured median. */
export interface CompareRow extends z.infer<typeof CompareRowSchema>, Named {}

const compareReportShape = {
  plan: PlanSchema,
  items: z.number().int().nonnegative(),
  repeat: z.number().int().positive(),
  rows: z.array(CompareRowSchema).min(1),
};
/** The schema of {@link CompareReport}. */
export const CompareReportSchema: z.ZodObject<typeof compareReportShape, z.core.$strict> = z
  .object(compareReportShape)
  .strict();
/** What `amorsize compare --json` prints. */
export interface CompareReport extends z.infer<typeof CompareReportSchema>, Named {}
