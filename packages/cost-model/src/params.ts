import {
  HardwareProfileSchema,
  isParsedFrozen,
  type PayloadKind,
  PlanInputSchema,
  parseInput,
  SpawnCostProfileSchema,
  WorkloadSampleSchema,
} from "@amorsize/types";
import { MODEL_CONSTANTS } from "./constants.js";

/** A validated `PlanInput`, defaults not yet applied. */
export type ParsedPlanInput = ReturnType<typeof PlanInputSchema.parse>;

/** The input's own figures, validated when its machine profiles were validated and frozen once already. */
const RestOfInputSchema = PlanInputSchema.pick({ workload: true, constraints: true, resultsKept: true });
/** The constraints (and whether results are kept) alone, when the workload was validated and frozen once too. */
const ConstraintsSchema = PlanInputSchema.pick({ constraints: true, resultsKept: true });

/**
 * Validates a plan input (`input`, as errors name it). Hardware and spawn-cost profiles
 * that `parseFrozen()` of `@amorsize/types` returned are taken as they are (they were
 * validated and cannot have changed): a session plans many calls on one machine's
 * figures, and validating them again took most of each plan's time. So is such a
 * workload beside them: a call plans and predicts several times on one sample.
 */
export function parsePlanInput(input: unknown): ParsedPlanInput {
  if (input !== null && typeof input === "object" && !Array.isArray(input)) {
    const { hardware, spawnCost, ...rest } = input as Record<string, unknown>;
    if (
      isParsedFrozen(HardwareProfileSchema, hardware) &&
      isParsedFrozen(SpawnCostProfileSchema, spawnCost)
    ) {
      const { workload, ...others } = rest;
      if (isParsedFrozen(WorkloadSampleSchema, workload)) {
        const parsed = parseInput(ConstraintsSchema, others, "input");
        return { ...parsed, hardware, spawnCost, workload } as ParsedPlanInput;
      }
      const parsed = parseInput(RestOfInputSchema, rest, "input");
      return { ...parsed, hardware, spawnCost } as ParsedPlanInput;
    }
  }
  return parseInput(PlanInputSchema, input, "input");
}

/**
 * Everything the model reads from its input, in milliseconds and bytes. Deriving it
 * once keeps the formulas free of unit conversions.
 */
export interface ModelParams {
  /** Items in the input; null for a stream. */
  n: number | null;
  /** Mean wall time of one item in the calling thread (the serial cost), ms. */
  itemMs: number;
  /** Coefficient of variation of item times. */
  cv: number;
  /** The slowest sampled item, ms. */
  maxItemMs: number;
  /** CPU-to-wall ratio, clamped to 0..1. */
  cpuToWall: number;
  /** The item waits more than it computes. */
  ioBound: boolean;
  async: boolean;
  /** Share of an item's time that needs a core: 1 unless I/O-bound. */
  cpuShare: number;
  /** Main-thread cost of cloning one input out, ms (half the round trip of its kind). */
  inCloneMs: number;
  /** Main-thread cost of cloning one result back, ms (half the round trip of its kind). */
  outCloneMs: number;
  /** inCloneMs + outCloneMs. */
  mainPerItemMs: number;
  /**
   * Main-thread cost of keeping one result until the call returns, ms (see
   * `MODEL_CONSTANTS.retainNsPerByte`): a plain loop and a parallel run both pay it; 0
   * where results are not kept (`resultsKept: false`: a stream's consumer takes each one).
   */
  retainMs: number;
  /** The worker's own share of cloning (deserialise input, serialise result), ms per item. */
  workerClonePerItemMs: number;
  /** An item's time on a worker's timeline: its wall time plus the worker's cloning, ms. */
  wallItemMs: number;
  /** The part of it that needs a core, ms. */
  cpuItemMs: number;
  /** Learned slowdown of an item in workers computing at once (`WorkloadSample.contention`); 1 when none. */
  contentionFactor: number;
  /** Workers computing at once when it was learned. */
  contentionThreads: number;
  /** Runs it was learned from. */
  contentionRuns: number;
  /** Other threads' CPU (V8's GC and compiler helpers) per ms of an item's own CPU: each busy thread keeps 1 + this many cores busy. */
  helperShare: number;
  /** Main-thread cost of dispatching one chunk (pool bookkeeping, postMessage), ms. */
  dispatchMs: number;
  /** Per-chunk time on the worker's side: message hops and the task envelope, ms. */
  chunkOverheadMs: number;
  /**
   * What a worker waits between two chunks beyond an empty task's round trip once each
   * computed for `chunkGapAfterMs` (`SpawnCostProfile.pace.gapUs` less `dispatch.latencyUs`),
   * ms; prorated for shorter chunks (see `chunkCostMs`). 0 where the profile has no pace.
   */
  chunkGapMs: number;
  chunkGapAfterMs: number;
  /**
   * How far equal work drifts apart on the workers, as a share of itself: the profile's
   * `pace.speedCv`, else `MODEL_CONSTANTS.workerSpeedCv`.
   */
  workerSpeedCv: number;
  startupFixedMs: number;
  startupPerWorkerMs: number;
  /** A fresh worker's import of the task module, ms (0 when unknown). */
  moduleLoadMs: number;
  /** A fresh worker's excess time over its first `warmupItems` items, ms (0 when unknown). */
  warmupExcessMs: number;
  warmupItems: number;
  /** The probe's last item ran as fast as a warm one: the excess is charged once, not stretched. */
  warmupSettled: boolean;
  /**
   * Threads computing while a warm-up that holds its worker's waits for a core was measured
   * (`warmup.waits`: no schedstat, wall times): its contention is divided out. 1 for one
   * read as the worker's own time.
   */
  warmupWaitedThreads: number;
  /**
   * How much the excess grows per doubling of the items past `warmupItems`, in times itself:
   * `warmupGrowthPerDoubling`, or where the probe read a growth of its own
   * (`warmupGrowthMeasured`), halfway between the two (see `warmupGrowthPerDoubling`).
   */
  warmupGrowth: number;
  warmupGrowthMeasured: boolean;
  /** How far the sample may be off; null when it does not say. */
  spread: { relativeError: number; maxOverMean: number; trend: number } | null;
  /** Usable cores (integer). */
  usableCores: number;
  /** Cores' worth of CPU time: usable cores, or a smaller fractional CPU quota. */
  capacity: number;
  quotaCpus: number | null;
  /** Memory the run may use, bytes; null when unknown. */
  memoryBudgetBytes: number | null;
  /** Where the budget came from: `constraints.memoryBudgetBytes` or the profile's source. */
  memorySource: string;
  memoryPerItemBytes: number;
  inputBytes: number;
  outputBytes: number;
  /** Serialised bytes per item of the payloads that are object graphs (items, results or both). */
  graphBytesPerItem: number;
  minSpeedup: number;
  /** The run's `chunkTimeoutMs`, or null when chunks have no time-out. */
  chunkTimeoutMs: number | null;
}

/** Main-thread cost of one direction of a payload, ms: half the measured round trip. */
function oneWayCloneMs(input: ParsedPlanInput, kind: PayloadKind, bytes: number): number {
  const cost = input.spawnCost.clone[kind];
  return (0.5 * (cost.perItemUs.value + (bytes * cost.perByteNs.value) / 1000)) / 1000;
}

/**
 * Clone costs per item: the calling thread's for an item out and its result back, and a
 * worker's own (reading the item, writing the result). From the spawn-cost profile's
 * per-kind figures and the values' sizes; where sampling timed the real values
 * (`workload.cloneMs`), an object graph's cost is what they took: a parser's AST costs
 * many times what a flat array of its size does, a record of text far less.
 */
export function cloneCosts(input: ParsedPlanInput): {
  inCloneMs: number;
  outCloneMs: number;
  workerClonePerItemMs: number;
} {
  const { workload } = input;
  const inEstimate = oneWayCloneMs(input, workload.inputKind, workload.inputBytes.mean);
  const outEstimate = oneWayCloneMs(input, workload.outputKind, workload.outputBytes.mean);
  const workerEstimate = MODEL_CONSTANTS.workerCloneShare * (inEstimate + outEstimate);
  const measured = workload.cloneMs;
  // The spawn-cost profile prices numbers, strings and arrays by measured chunks, exactly;
  // an object graph's cost is not in its size, so there the values' own clone time counts,
  // timed as a chunk sends them (together, in one message). Priced by size, records of
  // ~700 bytes that are mostly text read 5.3 us each way; sent, they took 0.8-0.9 us.
  // A single value's measured time is mostly the call's own cost where the value is small
  // (a number read 4-6 us each way against 0.15 us in a chunk), so it is not used for them.
  const graphIn = workload.inputKind === "object";
  const graphOut = workload.outputKind === "object";
  if (measured === undefined || (!graphIn && !graphOut)) {
    return { inCloneMs: inEstimate, outCloneMs: outEstimate, workerClonePerItemMs: workerEstimate };
  }
  const share = MODEL_CONSTANTS.workerCloneShare;
  const workerIn = share * inEstimate;
  const workerOut = share * outEstimate;
  return {
    inCloneMs: graphIn ? measured.itemSerialize : inEstimate,
    outCloneMs: graphOut ? measured.resultDeserialize : outEstimate,
    workerClonePerItemMs:
      (graphIn ? measured.itemDeserialize : workerIn) + (graphOut ? measured.resultSerialize : workerOut),
  };
}

/** Derives the model's parameters from a validated input. */
export function deriveParams(input: ParsedPlanInput): ModelParams {
  const { hardware, spawnCost, workload } = input;
  const constraints = input.constraints ?? {};
  const cpuToWall = Math.min(1, Math.max(0, workload.cpuToWall));
  const ioBound = cpuToWall < MODEL_CONSTANTS.ioBoundCpuToWall;
  // A CPU-bound item measured at 0.9 CPU-to-wall is noise (GC threads, timer
  // resolution), not waiting; modelling it as 10% waiting would let extra workers
  // "overlap" time that is really computing. Only I/O-bound items get a wait share.
  const cpuShare = ioBound ? cpuToWall : 1;
  const { inCloneMs, outCloneMs, workerClonePerItemMs } = cloneCosts(input);
  const mainPerItemMs = inCloneMs + outCloneMs;
  const itemMs = workload.itemTimeMs.mean;
  const usableCores = hardware.cores.usable.value;
  const quotaCpus = hardware.cores.quota.cpus;
  const capacity = quotaCpus === null ? usableCores : Math.min(usableCores, quotaCpus);
  const throughputUs = spawnCost.dispatch.throughputUs.value;
  const latencyUs = spawnCost.dispatch.latencyUs.value;
  let memoryBudgetBytes: number | null;
  let memorySource: string;
  if (constraints.memoryBudgetBytes !== undefined) {
    memoryBudgetBytes = constraints.memoryBudgetBytes;
    memorySource = "constraints.memoryBudgetBytes";
  } else if (hardware.memory.usable.value > 0) {
    memoryBudgetBytes = hardware.memory.usable.value;
    memorySource = hardware.memory.usable.source;
  } else {
    memoryBudgetBytes = null;
    memorySource = hardware.memory.usable.source;
  }
  return {
    n: workload.totalItems,
    itemMs,
    cv: workload.itemTimeMs.cv,
    maxItemMs: Math.max(itemMs, workload.itemTimeMs.max),
    cpuToWall,
    ioBound,
    async: workload.async,
    cpuShare,
    inCloneMs,
    outCloneMs,
    mainPerItemMs,
    retainMs:
      input.resultsKept === false
        ? 0
        : (workload.outputBytes.mean * (MODEL_CONSTANTS.retainNsPerByte[workload.outputKind] ?? 0)) / 1e6,
    workerClonePerItemMs,
    wallItemMs: itemMs + workerClonePerItemMs,
    cpuItemMs: itemMs * cpuShare + workerClonePerItemMs,
    helperShare: workload.helperCpuShare ?? 0,
    contentionFactor: workload.contention?.factor ?? 1,
    contentionThreads: workload.contention?.threads ?? 1,
    contentionRuns: workload.contention?.runs ?? 0,
    dispatchMs: throughputUs / 1000,
    // An empty task's round trip one at a time is the main thread's dispatch plus the
    // hops and the worker's envelope; the latter part is what a worker loses per chunk.
    chunkOverheadMs: Math.max(0, latencyUs - throughputUs) / 1000,
    // An estimated wait (not measured: the budget, a failure) says nothing beyond the round trip.
    chunkGapMs:
      spawnCost.pace === undefined || spawnCost.pace.gapUs.provenance === "estimated"
        ? 0
        : Math.max(0, spawnCost.pace.gapUs.value - latencyUs) / 1000,
    chunkGapAfterMs: spawnCost.pace?.afterMs ?? 1,
    workerSpeedCv: spawnCost.pace?.speedCv.value ?? MODEL_CONSTANTS.workerSpeedCv,
    startupFixedMs: spawnCost.workerStart.fixedMs.value,
    startupPerWorkerMs: spawnCost.workerStart.perWorkerMs.value,
    moduleLoadMs: workload.moduleLoadMs ?? 0,
    warmupExcessMs: workload.warmup?.excessMs ?? 0,
    warmupItems: workload.warmup?.items ?? 1,
    warmupSettled: workload.warmup?.settled ?? false,
    warmupWaitedThreads: workload.warmup?.waits === true ? (workload.warmup.busyThreads ?? 1) : 1,
    warmupGrowth:
      workload.warmup?.growth === undefined
        ? MODEL_CONSTANTS.warmupGrowthPerDoubling
        : (workload.warmup.growth + MODEL_CONSTANTS.warmupGrowthPerDoubling) / 2,
    warmupGrowthMeasured: workload.warmup?.growth !== undefined,
    spread: workload.spread ?? null,
    usableCores,
    capacity,
    quotaCpus,
    memoryBudgetBytes,
    memorySource,
    memoryPerItemBytes: workload.memoryBytesPerItem,
    inputBytes: workload.inputBytes.mean,
    outputBytes: workload.outputBytes.mean,
    graphBytesPerItem:
      (workload.inputKind === "object" ? workload.inputBytes.mean : 0) +
      (workload.outputKind === "object" ? workload.outputBytes.mean : 0),
    minSpeedup: constraints.minSpeedup ?? MODEL_CONSTANTS.defaultMinSpeedup,
    chunkTimeoutMs: constraints.chunkTimeoutMs ?? null,
  };
}

/**
 * Memory one worker needs with chunks of `chunkSize`, bytes: the isolate's baseline,
 * the items it works on at once (one for a synchronous task, the whole chunk for an
 * async one, whose items may all be pending), its chunk's inputs and results, and the
 * serialised chunks in flight for it on the main thread.
 */
export function workerMemoryBytes(p: ModelParams, chunkSize: number): number {
  const live = p.async ? chunkSize : 1;
  const payload = chunkSize * (p.inputBytes + p.outputBytes);
  return (
    MODEL_CONSTANTS.workerBaselineBytes +
    live * p.memoryPerItemBytes +
    (1 + MODEL_CONSTANTS.inFlightPerWorker) * payload
  );
}

/** Whether `workers` workers with chunks of `chunkSize` fit in the memory budget. */
export function fitsInMemory(p: ModelParams, workers: number, chunkSize: number): boolean {
  return p.memoryBudgetBytes === null || workers * workerMemoryBytes(p, chunkSize) <= p.memoryBudgetBytes;
}
