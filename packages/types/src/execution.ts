import { z } from "zod";
import { DurationStatsSchema, functionSchema } from "./common.js";
import type { Named } from "./documented.js";

const reportedErrorShape = {
  /** Index of the failing item in the input; null when a whole chunk failed (a crashed worker). */
  index: z.number().int().nonnegative().nullable(),
  /** Input index range [first, last] of the chunk the error belongs to. */
  range: z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]).nullable(),
  code: z.string().min(1),
  message: z.string(),
};
/** The schema of {@link ReportedError}. */
export const ReportedErrorSchema: z.ZodObject<typeof reportedErrorShape> = z.object(reportedErrorShape);
/** One failed item or chunk in a report. */
export interface ReportedError extends z.infer<typeof ReportedErrorSchema>, Named {}

const executionReportShape = {
  /** `cluster` when a run backend (e.g. `@amorsize/cluster`) ran it instead of this machine. */
  mode: z.enum(["serial", "concurrent", "parallel", "cluster"]),
  workers: z.number().int().nonnegative(),
  /** Chunk size used (the first one when adaptive); null in the calling thread. */
  chunkSize: z.number().int().positive().nullable(),
  adaptive: z.boolean(),
  /** Items read from the input. */
  items: z.number().int().nonnegative(),
  /** Items that ran and returned a result (precomputed items not included). */
  succeeded: z.number().int().nonnegative(),
  /**
   * Items whose results were given to the run already computed (by sampling) and were
   * placed, not run. `items = succeeded + failed + precomputed` once a run completes.
   */
  precomputed: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  wallMs: z.number().finite().nonnegative(),
  chunks: z.number().int().nonnegative(),
  /** Duration of each chunk inside its worker, milliseconds. */
  chunkMs: DurationStatsSchema,
  /**
   * Sum of the time workers spent running chunks, milliseconds. In the calling thread, the
   * time it spent running items, awaiting an item's own promise included (a serial run's
   * waits for a consumer, a source or a turn of the event loop left out; in a concurrent
   * run, overlapping items' awaits too).
   */
  busyMs: z.number().finite().nonnegative(),
  /** busyMs / (workers x wallMs), 0..1. */
  utilisation: z.number().finite().min(0).max(1),
  itemsPerSecond: z.number().finite().nonnegative(),
  errors: z.array(ReportedErrorSchema),
  aborted: z.boolean(),
  /**
   * Items per chunk sent to a worker: smallest, largest and mean over the run (they
   * differ when adaptive). Absent in the calling thread and when no chunk was sent.
   */
  chunkSizes: z
    .object({
      min: z.number().int().positive(),
      max: z.number().int().positive(),
      mean: z.number().finite().positive(),
    })
    .optional(),
  /**
   * The task module's loads in workers that this run waited for (a fresh worker imports it
   * before its first chunk), measured in the worker, milliseconds. Absent when none was
   * measured (the calling thread, or workers that had it loaded already).
   */
  taskLoads: z
    .object({
      count: z.number().int().positive(),
      meanMs: z.number().finite().nonnegative(),
      maxMs: z.number().finite().nonnegative(),
    })
    .optional(),
  /** CPU time of the chunks in their workers, milliseconds, when the run asked for it (`measureCpu`). */
  cpuMs: z.number().finite().nonnegative().optional(),
  /**
   * Of `busyMs`, the time the chunks' worker threads spent ready to run but waiting for a
   * core (preempted by other threads or processes), milliseconds: with `measureCpu`, on
   * Linux (each thread's schedstat), when every chunk told it. `busyMs - queuedMs` is the
   * chunks' own time: their work and their own waits (I/O, timers), without the turns
   * they waited behind other threads (what remains of a busy machine's slowing, shared
   * caches and memory bandwidth, is still in it).
   */
  queuedMs: z.number().finite().nonnegative().optional(),
  /** Present (true) when the task returned promises in a worker: an async task. */
  awaited: z.literal(true).optional(),
};
/** The schema of {@link ExecutionReport}. */
export const ExecutionReportSchema: z.ZodObject<typeof executionReportShape> = z.object(executionReportShape);
/** What really happened in a run. */
export interface ExecutionReport extends z.infer<typeof ExecutionReportSchema>, Named {}

const progressShape = {
  done: z.number().int().nonnegative(),
  total: z.number().int().nonnegative().optional(),
  failed: z.number().int().nonnegative(),
  elapsedMs: z.number().nonnegative(),
  etaMs: z.number().nonnegative().optional(),
};
/** The schema of {@link Progress}. */
export const ProgressSchema: z.ZodObject<typeof progressShape> = z.object(progressShape);
export interface Progress extends z.infer<typeof ProgressSchema>, Named {}

const resourceLimitsShape = {
  maxOldGenerationSizeMb: z.number().positive().optional(),
  maxYoungGenerationSizeMb: z.number().positive().optional(),
  codeRangeSizeMb: z.number().positive().optional(),
  stackSizeMb: z.number().positive().optional(),
};
/** Worker heap limits, as Node's `resourceLimits`. */
export const ResourceLimitsSchema: z.ZodObject<typeof resourceLimitsShape, z.core.$strict> = z
  .object(resourceLimitsShape)
  .strict();
export type ResourceLimits = z.infer<typeof ResourceLimitsSchema>;

const executorOptionsShape = {
  /** `parallel` holds a pool of worker threads; `serial` runs in the calling thread. Default `parallel`. */
  mode: z.enum(["parallel", "serial"]).optional(),
  /** Worker threads in the pool (parallel mode). Required for parallel mode. */
  workers: z.number().int().positive().max(1024).optional(),
  /** Items awaiting at once in serial mode (for I/O-bound async tasks). Default 1. */
  concurrency: z.number().int().positive().max(100_000).optional(),
  /** Heap limits of each worker. */
  resourceLimits: ResourceLimitsSchema.optional(),
};
/** The schema of {@link ExecutorOptions}. */
export const ExecutorOptionsSchema: z.ZodObject<typeof executorOptionsShape, z.core.$strict> = z
  .object(executorOptionsShape)
  .strict();
/** Options of `createExecutor()`. */
export interface ExecutorOptions extends z.input<typeof ExecutorOptionsSchema>, Named {}

const runOptionsShape = {
  /** Items per task, or `"auto"` to adapt during the run. Default `"auto"`. */
  chunkSize: z.union([z.number().int().positive(), z.literal("auto")]).optional(),
  /** Yield results in input order (default) or as they complete. */
  ordered: z.boolean().optional(),
  /** Chunks in flight at once. Default 2 per worker. */
  maxInFlight: z.number().int().positive().optional(),
  /** `throw` (default): stop at the first failure. `collect`: finish every other item and report failures. */
  onError: z.enum(["throw", "collect"]).optional(),
  signal: z.instanceof(AbortSignal).optional(),
  /** Fail a chunk that runs longer than this, milliseconds, from when its worker begins its items. */
  chunkTimeoutMs: z.number().int().positive().optional(),
  onProgress:
    functionSchema<(progress: z.infer<typeof ProgressSchema>) => void>("a progress callback").optional(),
  /** `auto` moves ArrayBuffers and typed arrays instead of copying them. Default `none`. */
  transfer: z.enum(["auto", "none"]).optional(),
  /**
   * Target chunk duration window [low, high] for adaptive chunking, milliseconds.
   * Default [10, 100]: chunk sizes grow while chunks run shorter than `low`,
   * shrink when they run longer than `high`, and aim at `2 x low`.
   */
  targetChunkMs: z
    .tuple([z.number().positive(), z.number().positive()])
    .refine(([low, high]) => low <= high, "Expected [low, high] with low <= high")
    .optional(),
  /** Number of items when the source's length is not known up front (helps adaptive chunking and ETA). */
  totalItems: z.number().int().nonnegative().optional(),
  /**
   * Results already computed for some input indices (for example by sampling the task in
   * the calling thread). Those items are still read from the input but are not run again:
   * their results are placed at their index and counted in the report's `precomputed`, not
   * in `succeeded`.
   */
  precomputed: z.instanceof(Map).optional(),
  /**
   * Measure the CPU time of each chunk in its worker (`report.cpuMs`) and, on Linux, the
   * time its thread waited for a core (`report.queuedMs`). Where Node has
   * `process.threadCpuUsage` (22.19+, 23.9+) it is the worker's own; before, on Linux, too
   * (its thread's runtime in /proc/thread-self/schedstat); elsewhere the process's, which
   * is the worker's only while the other threads are idle. Default false.
   */
  measureCpu: z.boolean().optional(),
  /**
   * With `chunkSize: "auto"`: the size of the first chunks, before any chunk time is
   * measured (default 1, doubling from there). A plan that knows the items' time starts at
   * its chunk size, and the run corrects it from the times the workers measure.
   */
  firstChunkSize: z.number().int().positive().optional(),
};
/** The schema of {@link RunOptions}. */
export const RunOptionsSchema: z.ZodObject<typeof runOptionsShape, z.core.$strict> = z
  .object(runOptionsShape)
  .strict();
/** Options of `map()` and `stream()`. */
export interface RunOptions extends z.input<typeof RunOptionsSchema>, Named {}

const mapNowOptionsShape = {
  /** `throw` (default): reject at the first failure. `collect`: run every other item and report failures. */
  onError: z.enum(["throw", "collect"]).optional(),
  /** Stops the run between items, and while an item's promise is awaited. */
  signal: z.instanceof(AbortSignal).optional(),
};
/** The schema of {@link MapNowOptions}. */
export const MapNowOptionsSchema: z.ZodObject<typeof mapNowOptionsShape, z.core.$strict> = z
  .object(mapNowOptionsShape)
  .strict();
/** Options of the executor's `mapNow()`: a short array run at once in the calling thread. */
export interface MapNowOptions extends z.input<typeof MapNowOptionsSchema>, Named {}
