import { z } from "zod";
import { PayloadKindSchema } from "./common.js";
import type { Named } from "./documented.js";

const itemTimeShape = {
  mean: z.number().finite().nonnegative(),
  median: z.number().finite().nonnegative(),
  p90: z.number().finite().nonnegative(),
  max: z.number().finite().nonnegative(),
  /** Coefficient of variation (stdev / mean); 0 for uniform items. */
  cv: z.number().finite().nonnegative(),
};
const ItemTimeSchema: z.ZodObject<typeof itemTimeShape> = z.object(itemTimeShape);
const workloadSampleShape = {
  /** How many items were run. */
  sampled: z.number().int().nonnegative(),
  /** Index of each sampled item in the input. */
  indices: z.array(z.number().int().nonnegative()),
  /** Items in the whole input; null when unknown (a stream). */
  totalItems: z.number().int().nonnegative().nullable(),
  /** Wall time per item, milliseconds. */
  itemTimeMs: ItemTimeSchema,
  /**
   * How far the figures may be off: the mean item time's relative standard error, the
   * slowest sampled item over the mean (a heavy tail), and the trend of item time along the
   * input (the fitted change from the first sampled index to the last, over the mean).
   * Absent for figures given by the caller.
   */
  spread: z
    .object({
      relativeError: z.number().finite().nonnegative(),
      maxOverMean: z.number().finite().nonnegative(),
      trend: z.number().finite(),
    })
    .optional(),
  /**
   * How the item times were scaled from the sampled items' sizes to the whole input's,
   * where sizes cost nothing to read (a string's length, a binary value's byte length) and
   * the sampled times grow with them: `factor` is what the line of sampled time on size
   * gives at the input's mean size (`inputMeanSize`) over the sampled mean time (their mean
   * size: `sampledMeanSize`). Three sampled inputs of a compressor read its mean item time
   * 13% low. Absent when the times are the sample's own.
   */
  sizeScale: z
    .object({
      factor: z.number().finite().positive(),
      sampledMeanSize: z.number().finite().positive(),
      inputMeanSize: z.number().finite().positive(),
    })
    .optional(),
  /**
   * Items the calling thread ran while a warm-up probe held the decision up (see
   * `warmup`), timed alone and drawn alike with the sampled ones (their median times
   * within two standard errors), whose times joined the sampled items' in `itemTimeMs` and
   * `spread`: how many. Absent when none joined (items under 1 ms, figures scaled by size
   * or by a cold reading, no probe ran, or items that differ at the input's start).
   */
  pooledItems: z.number().int().positive().optional(),
  /** CPU time over wall time while running items: near 1 computes, near 0 waits. */
  cpuToWall: z.number().finite().nonnegative(),
  /** Structured-clone serialised size of an item, bytes. */
  inputBytes: z.object({ mean: z.number().nonnegative(), max: z.number().nonnegative() }),
  /** Structured-clone serialised size of a result, bytes. */
  outputBytes: z.object({ mean: z.number().nonnegative(), max: z.number().nonnegative() }),
  inputKind: PayloadKindSchema,
  outputKind: PayloadKindSchema,
  /** Heap growth per item while running it, bytes (a rough upper estimate). */
  memoryBytesPerItem: z.number().finite().nonnegative(),
  /** Wall time spent sampling, milliseconds. */
  sampleWallMs: z.number().finite().nonnegative(),
  /** Whether the task returned promises. */
  async: z.boolean(),
  /**
   * Time a fresh worker takes to import the task module (and its libraries) before its
   * first item, milliseconds: measured in the sampling worker, or as the module's first
   * import in the calling thread. Every worker a plan starts pays it. Absent when unknown
   * (the module was imported already and sampling ran in the calling thread).
   */
  moduleLoadMs: z.number().finite().nonnegative().optional(),
  /**
   * Items whose sampling was cut off: the sample stopped waiting for these `items` (run
   * together) after `ms` milliseconds (an item that loops, or items slower than the
   * sampling bound), and counts them at that time, a lower bound, in `itemTimeMs`;
   * `sampled` leaves them out. The item figures are then at least what they say. Absent
   * when none was.
   */
  cutOff: z.object({ items: z.number().int().positive(), ms: z.number().finite().nonnegative() }).optional(),
  /**
   * A fresh worker's warm-up: how much longer its first `items` items took than the
   * sampled items say they should take warm, milliseconds (`excessMs`). V8 runs a
   * library's code slowly until it has compiled it, and a worker compiles it again: a
   * minifier's items ran 3-6x their warm time in a fresh worker, a highlighter's 2-5x.
   * The model stretches it over each worker's share of the items and charges it for every
   * worker a plan starts (none for warm workers). `settled`: the last of those items ran
   * about as fast as expected (within 10%, or two spreads of an expectation itself within
   * 50%), so the worker had warmed up and
   * the excess is charged once, not stretched (a compressor's hot loop is compiled within
   * its first item; a parser's many functions are not). `source`: `probe` when measured
   * for this call, `cached` when read from the module-cost cache (the same module version
   * and machine), `sampled` when read from this call's own sample, taken in a thread that
   * had not run the task (its later items are the warm reference, and the item times are
   * those of the task warm). `busyThreads`: threads computing while it was measured (2 when
   * the calling thread ran items beside the probe; absent: 1). The excess is the worker's
   * own time (its waits for a core left out), and the model charges V8's background
   * compilers' share of the cores by the run's worker count alone; `waits` (true) where
   * the system could not tell the waits apart (no schedstat: the times are wall times,
   * which hold the contention of `busyThreads` threads, and the model divides it out). `growth`: how the probe's later half
   * lost against its first, per doubling of the items (where the later half lost less;
   * absent: not seen). The model stretches the excess halfway between it and
   * `warmupGrowthPerDoubling` (the probe's reading runs low), by the latter where absent. Absent
   * when not measured (the plan was not parallel, or the probe was off).
   */
  warmup: z
    .object({
      excessMs: z.number().finite().nonnegative(),
      items: z.number().int().positive(),
      settled: z.boolean(),
      busyThreads: z.number().int().positive().optional(),
      waits: z.literal(true).optional(),
      growth: z.number().finite().nonnegative().optional(),
      source: z.enum(["probe", "cached", "sampled"]),
    })
    .optional(),
  /**
   * Structured clone of the sampled values, per item, milliseconds, measured on the
   * sampling thread with `v8.serialize` and `v8.deserialize`: the calling thread pays
   * `itemSerialize` (sending an item) and `resultDeserialize` (taking its result), a
   * worker `itemDeserialize` and `resultSerialize`. Object graphs cost far more per byte
   * than flat arrays or strings, so the model prices graphs (`inputKind`/`outputKind`
   * `"object"`) by these times, not by their size; numbers, strings and arrays are priced
   * by the spawn-cost profile's chunk measurements, as one small value's time is mostly the
   * call's own. Absent when not measured.
   */
  cloneMs: z
    .object({
      itemSerialize: z.number().finite().nonnegative(),
      itemDeserialize: z.number().finite().nonnegative(),
      resultSerialize: z.number().finite().nonnegative(),
      resultDeserialize: z.number().finite().nonnegative(),
    })
    .optional(),
  /**
   * CPU time the process's other threads spent while the sampled items ran, per
   * millisecond of the items' own CPU time: V8's garbage-collector and compiler helper
   * threads work for every thread that allocates (0.74 measured for terser's `minify`,
   * 0.27 for marked, ~0 for arithmetic). Each worker then keeps 1 + this many cores busy,
   * so on a small machine two workers can be slower than one thread. Measured in the
   * calling thread on Linux (the first quarter of the sample, where the compiler works
   * hardest, left out); absent when unknown.
   */
  helperCpuShare: z.number().finite().nonnegative().optional(),
  /**
   * How much slower an item ran in workers than `itemTimeMs` says, with `threads` workers
   * computing at once: their own time per item (waits for a core left out where Linux
   * tells them) over the item time, at least 1. Threads on shared cores and caches slow
   * each other: a Markdown renderer's items ran 1.4-1.8x, a highlighter's 1.2-1.9x slower
   * beside a second thread on a 2-core machine, a hash loop's 1.02x. Learned by a session
   * (`createAmorsize()`) from its parallel runs, `runs` of them; the model charges it in
   * proportion to the other cores a plan's workers take (`threads` on `capacity` cores took
   * their share). Absent: not learned, and none charged. `loadPerCore`: the load other
   * processes put on the machine, per usable core, when the runs measured it (as
   * `SpawnCostProfile.loadPerCore`); a slowdown measured in another load band than now's,
   * or without it, is not used (a figure of 2.33 learned beside another process's work
   * kept a task serial on the quiet machine after).
   */
  contention: z
    .object({
      factor: z.number().finite().min(1),
      threads: z.number().int().positive(),
      runs: z.number().int().positive(),
      loadPerCore: z.number().finite().nonnegative().optional(),
    })
    .optional(),
  /** How the figures were obtained: `measured` by `sampleTask()`, or `given` by the caller. */
  source: z.enum(["measured", "given"]),
};
/** The schema of {@link WorkloadSample}. */
export const WorkloadSampleSchema: z.ZodObject<typeof workloadSampleShape> = z.object(workloadSampleShape);
/** Per-item figures of a task, from running it on a few items in the main thread. */
export interface WorkloadSample extends z.infer<typeof WorkloadSampleSchema>, Named {}
