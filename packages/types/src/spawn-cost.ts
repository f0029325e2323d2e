import { z } from "zod";
import {
  type MeasuredFigure,
  MeasuredFigureSchema,
  PayloadKindSchema,
  TimestampSchema,
  WarningSchema,
} from "./common.js";
import type { Named } from "./documented.js";
import { type HardwareProfile, HardwareProfileSchema } from "./hardware.js";

const cloneCostShape = {
  /** Fixed cost per item, microseconds (round trip, both directions). */
  perItemUs: MeasuredFigureSchema,
  /** Cost per byte of structured-clone serialised size, nanoseconds (round trip). */
  perByteNs: MeasuredFigureSchema,
};
/** The schema of {@link CloneCost}. */
export const CloneCostSchema: z.ZodObject<typeof cloneCostShape> = z.object(cloneCostShape);
/**
 * Cost of moving one item of a payload kind to a worker and its result back:
 * `perItemUs + perByteNs * bytes / 1000` microseconds for an item of `bytes`
 * serialised size (`v8.serialize(item).byteLength`) is the extra wall time the
 * main thread sees, with one worker, for ONE ROUND TRIP (the item sent in a
 * chunk and an equally sized result of the same kind sent back). A cost model
 * charges half of it per direction.
 */
// Members from other modules are named here: their TSDoc does not survive in an expanded type.
export interface CloneCost extends z.infer<typeof CloneCostSchema>, Named {
  perItemUs: MeasuredFigure;
  perByteNs: MeasuredFigure;
}

const machineKeyShape = {
  cpuModel: z.string().nullable(),
  logicalCores: z.number().int().positive(),
  usableCores: z.number().int().positive(),
  quotaCpus: z.number().positive().nullable(),
  platform: z.string().min(1),
  arch: z.string().min(1),
  node: z.string().min(1),
  tinypool: z.string().min(1),
};
/** The schema of {@link MachineKey}. */
export const MachineKeySchema: z.ZodObject<typeof machineKeyShape> = z.object(machineKeyShape);
/** What the figures are valid for: a cached profile is reused only when every field matches. */
export interface MachineKey extends z.infer<typeof MachineKeySchema>, Named {}

const workerStartShape = {
  /**
   * Pool creation to the workers answering, fixed part, milliseconds. A pool of k
   * workers is up and has answered after `fixedMs + perWorkerMs * k`.
   */
  fixedMs: MeasuredFigureSchema,
  /** Each worker started alongside, milliseconds. */
  perWorkerMs: MeasuredFigureSchema,
};
const WorkerStartSchema: z.ZodObject<typeof workerStartShape> = z.object(workerStartShape);
/** What starting a pool costs: `fixedMs + perWorkerMs * k` for k workers. */
export interface WorkerStartCost extends z.infer<typeof WorkerStartSchema>, Named {
  fixedMs: MeasuredFigure;
  perWorkerMs: MeasuredFigure;
}
const dispatchShape = {
  /** One empty task at a time through the pool: submit to resolve, microseconds. */
  latencyUs: MeasuredFigureSchema,
  /** Empty tasks with many in flight: main-thread cost per task, microseconds. */
  throughputUs: MeasuredFigureSchema,
};
const DispatchSchema: z.ZodObject<typeof dispatchShape> = z.object(dispatchShape);
/** What sending a task through the pool costs. */
export interface DispatchCost extends z.infer<typeof DispatchSchema>, Named {
  latencyUs: MeasuredFigure;
  throughputUs: MeasuredFigure;
}
const paceShape = {
  /**
   * A worker's idle time between two chunks, microseconds: as many workers as usable cores
   * each run chunks of `afterMs` one after another, and each worker's next chunk starts this
   * long after its last one ended (the median). Its answer must wake the main thread, which
   * slept, and which may have to wait for a core the workers hold; then the next chunk must
   * wake the worker. On a virtual machine's idle cores this is several times an empty
   * task's round trip (`dispatch.latencyUs`), which is measured with the threads awake.
   */
  gapUs: MeasuredFigureSchema,
  /** How long each chunk behind `gapUs` computed, milliseconds. */
  afterMs: z.number().finite().positive(),
  /**
   * Equal work started at once on every worker of a pool (as many as usable cores): the
   * spread of the workers' times as a share of their mean (standard deviation over mean,
   * the median of several rounds). What makes the last chunks of a run end apart even for
   * items that all take the same time: other processes, frequency scaling, cores of
   * different speeds.
   */
  speedCv: MeasuredFigureSchema,
};
const PaceSchema: z.ZodObject<typeof paceShape> = z.object(paceShape);
/** How workers keep pace: the wait between chunks, and how far equal work on each drifts apart. */
export interface PaceCost extends z.infer<typeof PaceSchema>, Named {
  gapUs: MeasuredFigure;
  speedCv: MeasuredFigure;
}
const spawnCostProfileShape = {
  schemaVersion: z.literal(1),
  /** When the figures were measured (kept when read back from the cache). */
  measuredAt: TimestampSchema,
  /**
   * The load other processes put on the machine when the figures were measured, per usable
   * core: the 1-minute load average less the measuring process's own CPU over the last
   * minute or more, in cores (`(os.loadavg()[0] - own) / usableCores`, at least 0; 0 where
   * the OS gives no load average). Start-up figures taken on
   * a busy machine run 2-4x those of a quiet one, so a cached profile measured under a
   * different load is measured again (see `measureSpawnCost`). Absent in older caches.
   */
  loadPerCore: z.number().finite().nonnegative().optional(),
  /** Wall time of the measurement, or of the cache read when `source` is `cached`, in milliseconds. */
  durationMs: z.number().finite().nonnegative(),
  /** `measured` (fresh), `cached` (read from `cachePath`) or `estimated` (measuring failed; documented defaults). */
  source: z.enum(["measured", "cached", "estimated"]),
  cachePath: z.string().nullable(),
  machineKey: MachineKeySchema,
  workerStart: WorkerStartSchema,
  dispatch: DispatchSchema,
  /** How workers keep pace (see {@link PaceCost}). Absent in caches written before it was measured. */
  pace: PaceSchema.optional(),
  /** Structured-clone cost for each payload kind. */
  clone: z.record(PayloadKindSchema, CloneCostSchema),
  warnings: z.array(WarningSchema),
};
/** The schema of {@link SpawnCostProfile}. */
export const SpawnCostProfileSchema: z.ZodObject<typeof spawnCostProfileShape> =
  z.object(spawnCostProfileShape);
/** What parallelism costs on this machine. Produced by `measureSpawnCost()`. */
// Members from other modules are named here: their TSDoc does not survive in an expanded type.
export interface SpawnCostProfile extends z.infer<typeof SpawnCostProfileSchema>, Named {
  workerStart: WorkerStartCost;
  dispatch: DispatchCost;
  pace?: PaceCost | undefined;
}

const spawnCostOptionsShape = {
  /** Time budget for a cold measurement, milliseconds. Default 600. */
  budgetMs: z.number().int().positive().max(600_000).optional(),
  /** Read and write the on-disk cache. Default true. */
  cache: z.boolean().optional(),
  /** Ignore a cached profile and measure again (the cache is still written). */
  refresh: z.boolean().optional(),
  /** Cache folder; default `$AMORSIZE_CACHE_DIR`, else the system's cache folder (`~/.cache/amorsize` on Linux, `~/Library/Caches/amorsize` on macOS, `%LOCALAPPDATA%\amorsize\Cache` on Windows). */
  cacheDir: z.string().min(1).optional(),
  /** How long a cached profile stays valid, milliseconds. Default 7 days. */
  ttlMs: z.number().int().positive().optional(),
  /** Largest pool size to time for start-up; default usable cores + 1 (at least 3). */
  maxWorkers: z.number().int().positive().max(256).optional(),
  /**
   * A hardware profile to key the cache with (the optimizer passes `probeHardware()`'s).
   * When absent, the key is built from `node:os`: CPU model, `os.cpus().length`,
   * `os.availableParallelism()`, and no CPU quota.
   */
  hardware: HardwareProfileSchema.optional(),
};
/** The schema of {@link SpawnCostOptions}. */
export const SpawnCostOptionsSchema: z.ZodObject<typeof spawnCostOptionsShape, z.core.$strict> = z
  .object(spawnCostOptionsShape)
  .strict();
/** Options of `measureSpawnCost()`. */
// Members from other modules are named here: their TSDoc does not survive in an expanded type.
export interface SpawnCostOptions extends z.input<typeof SpawnCostOptionsSchema>, Named {
  hardware?: HardwareProfile | undefined;
}
