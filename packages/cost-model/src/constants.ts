import { type PayloadKind, RUN_CONSTANTS } from "@amorsize/types";

/**
 * The assumptions of the model that are not measured on the machine, in one place
 * so that the benchmark can see them and the README can cite them. Each is a
 * judgement, documented with its reason; none is fitted to a particular workload.
 */
export const MODEL_CONSTANTS = {
  /**
   * Share of the main thread's clone cost that the worker pays again per item: the
   * worker deserialises each input and serialises each result. Deserialising in V8
   * costs about as much as serialising, but the measured round trip also holds the
   * message-port and promise bookkeeping of the main thread, which the worker does not
   * repeat per item, so the worker is charged half.
   */
  workerCloneShare: 0.5,
  /** Heap of an idle worker thread (a V8 isolate and the executor's entry), bytes. */
  workerBaselineBytes: 10 * 1024 * 1024,
  /** Chunks in flight per worker: the executor's figure, shared through `@amorsize/types`. */
  inFlightPerWorker: RUN_CONSTANTS.inFlightPerWorker,
  /**
   * Extra compute time per extra worker per usable core when workers outnumber the
   * cores (or a fractional CPU quota): time slicing, cache refills, CFS throttling.
   */
  oversubscriptionPenalty: 0.05,
  /**
   * Workers do not run at identical speed on a real machine (other processes,
   * frequency scaling, shared caches and memory bandwidth): a chunk's duration is
   * taken to vary by this fraction of itself on top of the variation of its items.
   * This is what makes one giant chunk per worker a risk even for uniform items.
   */
  workerSpeedCv: 0.05,
  /** Below this CPU-to-wall ratio an item is taken to wait rather than compute (I/O-bound). */
  ioBoundCpuToWall: 0.5,
  /** Concurrency for I/O-bound async tasks: this factor over the CPU-to-wall ratio. */
  ioConcurrencyFactor: 2,
  /** Most items awaiting at once in concurrent mode. */
  maxConcurrency: 256,
  /** Most worker threads searched for a synchronous task that waits (threads overlap waiting). */
  maxWaitingWorkers: 64,
  /**
   * A worker holds a chunk's object graphs (items or results of the "object" kind) until the
   * chunk ends: the items as the message brought them, the results until they go back. Past
   * what its young generation keeps, V8 copies them at each collection and then promotes
   * them, so each item computes slower. Charged on the worker, per serialised byte of a
   * chunk's graphs, rising linearly from nothing at `heldGraphFromBytes` a chunk to the whole
   * `heldGraphNsPerByte` at `heldGraphFullBytes`. Measured on the reference machine (2 cores,
   * Node 20, 2026-12-07) as a worker's busy time per item, SHA-256 over records of ~730
   * serialised bytes, medians of 5 runs, each on a fresh worker (as `execute()` starts them,
   * young generation at its first size): 12.0-12.3 us in chunks of 64-256 (up to 0.19 MB),
   * +0.9 us in chunks of 512 (0.37 MB), +2.1 at 1,024, +2.3 at 2,048; two fresh workers
   * +0.6, +1.0, +2.8 over chunks of 128 at 512, 1,024, 2,048. A warm worker's young
   * generation has grown: +0.5 at 1,024, +2.7 at 4,096, +3.2 at 8,192-16,384, +4.5 at 50,000
   * (36 MB). The rise here is a fresh worker's (the earlier); the whole figure is the largest
   * chunks' (a fresh worker's +2.3 us at 1.5 MB is 3.2 ns/B). The calling thread's own time
   * did not grow with the chunk; with the young generation raised to 96 MB
   * (`resourceLimits.maxYoungGenerationSizeMb`) chunks of 1,024 cost what chunks of 64 do.
   * acorn's syntax trees (127 KB a result) cost less per byte (+0.1-0.15 ms a result past
   * chunks of 8, 1.2 ns/B): the figure is the records', the dearer shape of the two.
   */
  heldGraphFromBytes: 128 * 1024,
  heldGraphFullBytes: 1024 * 1024,
  heldGraphNsPerByte: 4.5,
  /**
   * Main-thread cost of keeping a call's results until it returns, nanoseconds per
   * serialised byte of a result, by kind. V8 copies every young object that survives a
   * collection (within the young generation, then on promotion), so a run that keeps its
   * results pays for copying them: in a plain loop, and in the calling thread that reads
   * them back from workers alike. Measured on the reference machine (2 cores, 2026-12-04)
   * as a loop keeping every result against one dropping each: arrays of 12,800 doubles
   * (115 KB serialised) 0.44-0.55 ns/B (+54-68 us a result); acorn's syntax trees of 4-16 KB
   * modules (127 KB serialised) 1.17 ns/B (+149 us a result, 18% of the loop); a synthetic
   * 1,000-node graph 2.4-2.5. Strings are not charged: from nothing for a 64-character
   * digest to 4.6 ns/B for HTML built by concatenation (every piece kept), their cost is not
   * in their size. Binary values keep their bytes outside the heap; numbers cost nothing.
   */
  retainNsPerByte: { "plain-array": 0.5, object: 1.2 } as Readonly<Partial<Record<PayloadKind, number>>>,
  /** Plans within this fraction of the fastest count as ties: fewer workers win, then larger chunks. */
  tieMargin: 0.01,
  /** Default of `constraints.minSpeedup`. */
  defaultMinSpeedup: 1.2,
  /** For a stream: the per-chunk overhead (dispatch and round trip) may cost this share of a chunk's work. */
  streamOverheadShare: 0.03,
  /**
   * For a stream: longest planned chunk, milliseconds (bounds latency and the end-of-stream
   * tail); the executor's adaptive chunking aims under the same figure.
   */
  streamMaxChunkMs: RUN_CONSTANTS.streamChunkMaxMs,
  /** For a stream: predictions cover this many items in steady state. */
  streamBasisItems: 1000,
  /**
   * Target chunk durations tried as chunk-size candidates, milliseconds. joblib aims at
   * 0.2-2 s because a Python task costs far more to dispatch; on Node dispatch is about
   * 50 us, so much shorter chunks are worth trying.
   */
  targetChunkMs: [0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000],
  /** Chunk-size candidates that give each worker exactly this many chunks (no ragged last round). */
  chunksPerWorker: [1, 2, 3, 4, 6, 8, 16, 32],
  /**
   * Under `constraints.chunkTimeoutMs`, a chunk's predicted duration may take at most this
   * share of the time-out: the prediction already holds the items' spread and the workers'
   * sharing of cores, and the rest is room for what no sample shows (a busier machine, a
   * garbage collection, the main thread answering late).
   */
  chunkTimeoutShare: 0.5,
  /**
   * Under `constraints.chunkTimeoutMs`, a chunk's duration is planned at its mean plus this
   * many standard deviations (of its items' times and of the worker's speed): about one
   * chunk in a thousand runs longer.
   */
  chunkTimeoutSds: 3,
  /**
   * How a fresh worker's warm-up grows with the items it runs: its measured excess over
   * the first k items (`WorkloadSample.warmup`) grows by this many times itself for each
   * doubling of the items after k. V8 keeps compiling as new items reach new code: in
   * fresh workers, the excess of a minifier, a parser, a Markdown renderer and a
   * highlighter grew by 0.6-1.7 times their first 1-4 items' excess per doubling, over
   * 56-2,500 items (measured on the reference machine; a judgement, not a fit to one task).
   * Where a probe read a growth of its own (`WorkloadSample.warmup.growth`: its later
   * half's excess against its first half's), the model takes halfway between the two: the
   * probe's reading runs low. Two fresh workers against two warm ones on 2 cores
   * (2026-12-07): a Markdown renderer's lost 260-320 ms each over 1,250 items, where four
   * probes read 33-45 ms over 100-170 items and a growth of 0.24-0.29 (charged on their
   * own growth: 120-170 ms a worker; halfway: 210-260); a highlighter's 200-340 ms over
   * 150 items, three probes 18-51 ms over 4-12 items at 0.1-0.4 (110-210 ms; halfway
   * 170-340); a compressor's 70-110 ms over 15 items, three probes 27-58 ms over 4 at
   * 0.27-0.67 (60-230 ms; halfway 120-300, where two workers still beat the loop).
   */
  warmupGrowthPerDoubling: 1,
  /**
   * A fresh worker's warm-up when the workers take every core, over its time with idle
   * cores beside it (as the probe measures it): V8 compiles on background threads, which
   * then take the workers' cores. Measured 1.6-2.7x for the same four libraries with two
   * workers on two cores against one; between the two, the share of the other cores taken.
   * The probe's reading is its worker's own time, its waits for a core left out, so one
   * read beside the calling thread running items (`warmup.busyThreads`) holds little of it
   * (what the compilers' delay costs the worker's own time): a Markdown renderer's fresh worker over 1,250 items lost 100-140 ms alone,
   * 160-220 ms beside the calling thread and 240-290 ms each with two (2 cores,
   * 2026-12-07), and its probe beside the calling thread waited 14-28 ms for a core in
   * 100 items, which its own time leaves out.
   */
  warmupContention: 2,
  /** Warn when the results of the whole input would take this share of the memory budget. */
  resultsMemoryWarnShare: 0.5,
  /** Warn when the CPU was at least this busy when the hardware was probed. */
  busyMachineFraction: 0.5,
} as const;

/**
 * Stable codes of a plan's `reasons`. A code never changes meaning; messages may.
 *
 * - `COMPUTE_BOUND`: the workers' computing sets the run time; the plan keeps the cores busy.
 * - `CLONE_BOUND`: the main thread's cloning and dispatching bounds the run (or makes
 *   parallel not worth it).
 * - `TOO_LITTLE_WORK`: the best parallel plan is not `minSpeedup` faster than a loop.
 * - `IO_BOUND`: items wait rather than compute (low CPU-to-wall ratio).
 * - `MEMORY_CAPPED`: fewer workers than the model would otherwise use, to stay in the memory budget.
 * - `IMBALANCE`: uneven items made the plan choose smaller chunks (or the end-of-run tail is large).
 * - `OVERSUBSCRIBED`: more workers than usable cores pays off (few heavy items finish together).
 * - `QUOTA_LIMITED`: a CPU quota, not the cores, bounds the parallelism.
 * - `FEW_ITEMS`: too few items to keep every core busy.
 * - `STREAM_UNKNOWN_LENGTH`: the item count is unknown; chunk size from item time, adaptive.
 * - `FIXED_BY_CONSTRAINT`: the caller fixed the worker count or the chunk size.
 * - `CHUNK_TIMEOUT_BOUND`: `constraints.chunkTimeoutMs` made the plan use smaller chunks
 *   (or no pool) than the model would otherwise.
 * - `NO_ITEMS`: the input is empty.
 * - `MODULE_LOAD`: each new worker imports the task module first; the start-up includes it.
 * - `WORKER_WARMUP`: a fresh worker runs the task's first items slowly (V8 compiles the
 *   library again in each worker); the start-up includes each worker's warm-up.
 * - `UNCERTAIN_SAMPLE`: the sample may be far off (spread, heavy tail, trend): chunks adapt during the run.
 * - `HELPER_THREADS`: the task keeps V8's helper threads (garbage collection, compiling)
 *   busy too, so each worker needs more than one core and fewer fit the machine.
 * - `CONTENTION`: the task's items ran slower in workers computing at once than alone (a
 *   session learned it from its runs), and the plan charged that slowdown.
 * - `LOWER_BOUND`: sampling was cut off waiting for items, so the item time is a lower
 *   bound: a parallel plan no slower than a loop at that bound is taken (longer items only
 *   widen its lead), and a serial plan says that longer items may pay for workers.
 */
export const REASON_CODES = [
  "COMPUTE_BOUND",
  "CLONE_BOUND",
  "TOO_LITTLE_WORK",
  "IO_BOUND",
  "MEMORY_CAPPED",
  "IMBALANCE",
  "OVERSUBSCRIBED",
  "QUOTA_LIMITED",
  "FEW_ITEMS",
  "STREAM_UNKNOWN_LENGTH",
  "FIXED_BY_CONSTRAINT",
  "NO_ITEMS",
  "CHUNK_TIMEOUT_BOUND",
  "MODULE_LOAD",
  "WORKER_WARMUP",
  "UNCERTAIN_SAMPLE",
  "HELPER_THREADS",
  "CONTENTION",
  "LOWER_BOUND",
] as const;
/**
 * What an alternative's label adds when the alternative breaks one of the caller's limits;
 * `explain()` gives it as the reason a faster alternative was not taken.
 */
export const ALTERNATIVE_NOTES = {
  overMemory: "exceeds the memory budget",
  tooLongForTimeout: "chunks too long for the time-out",
} as const;

/** A stable reason code; see {@link REASON_CODES}. */
export type ReasonCode = (typeof REASON_CODES)[number];

/**
 * Stable codes of a plan's `warnings`.
 *
 * - `RESULTS_NEAR_MEMORY_BUDGET`: keeping every result would take much of the memory budget.
 * - `MEMORY_UNKNOWN`: the hardware profile reports no usable memory; memory was not checked.
 * - `COSTS_ESTIMATED`: the spawn-cost figures are documented estimates, not measurements.
 * - `SPAWN_COST_OTHER_MACHINE`: the spawn-cost profile was measured with other usable cores.
 * - `FEW_SAMPLES`: the item figures rest on fewer than 3 items.
 * - `MACHINE_BUSY`: the CPU was busy when probed; the plan assumes idle cores.
 * - `CHUNK_SIZE_CLAMPED`: the fixed chunk size was larger than the input and was reduced.
 * - `ITEM_EXCEEDS_CHUNK_TIMEOUT`: even a single item is predicted to run past `constraints.chunkTimeoutMs`.
 * - `CHUNK_TIMEOUT_RISK`: the fixed chunk size is predicted to take more than the planned
 *   share of `constraints.chunkTimeoutMs`.
 */
export const WARNING_CODES = [
  "RESULTS_NEAR_MEMORY_BUDGET",
  "MEMORY_UNKNOWN",
  "COSTS_ESTIMATED",
  "SPAWN_COST_OTHER_MACHINE",
  "FEW_SAMPLES",
  "MACHINE_BUSY",
  "CHUNK_SIZE_CLAMPED",
  "ITEM_EXCEEDS_CHUNK_TIMEOUT",
  "CHUNK_TIMEOUT_RISK",
] as const;
/** A stable warning code; see {@link WARNING_CODES}. */
export type WarningCode = (typeof WARNING_CODES)[number];
