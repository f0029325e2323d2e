// execute()'s decisions, as pure functions of plain data: every figure comes from the cost model.
import { isDeepStrictEqual } from "node:util";
import { planExecution, predict } from "@amorsize/cost-model";
import {
  type HardwareProfile,
  HardwareProfileSchema,
  isParsedFrozen,
  type Plan,
  type PlanInput,
  parseFrozen,
  type SpawnCostProfile,
  SpawnCostProfileSchema,
  type WorkloadSample,
  WorkloadSampleSchema,
  withFrozenFields,
} from "@amorsize/types";
import { emptyWorkload } from "./sample.js";

/**
 * A first sampled item at least this slow (`itemMs`), in a job at least this long
 * (`jobMs`), starts workers early where the plan is parallel with the item taken at
 * `firstShare` of its time: a first item often runs slower than the items after it (caches
 * another pool's threads had, code V8 has not optimized yet), and workers started on such
 * a reading take cores from the sampling and the serial run the plan may still choose.
 */
export const EARLY_POOL = { itemMs: 1, jobMs: 200, firstShare: 0.5 } as const;

/** A pool started while sampling: its size, and how long ago it was asked to start. */
export interface EarlyStart {
  workers: number;
  startedMsAgo: number;
}

/**
 * What the module-cost cache holds for a task module: a fresh worker's warm-up and its
 * import of the module. Either may be unknown.
 */
export interface ModuleCosts {
  warmup?: WorkloadSample["warmup"] | null;
  moduleLoadMs?: number | null;
}

/**
 * How many workers to start while sampling goes on, from the first sampled item's time:
 * the model's plan for the items left, taking items to come as `EARLY_POOL.firstShare` of
 * that item and the task as computing, with the module's cached warm-up and import when
 * known: a minifier's workers, started on its first item, imported it beside the serial run
 * they then lost to (they take the cores that run needs). After another pool's run, its
 * first item read 10-18 ms against 6-7 ms after it: the pool started, the sample read the
 * cores' sharing as item time, and calls took 537-936 ms against a 352 ms loop (one planned
 * parallel); with none started on such readings, 311-470 ms. 0 when the job looks too
 * small to be worth it, or the plan is not a pool of two workers or more.
 */
export function earlyPoolWorkers(
  itemMs: number,
  totalItems: number | null,
  machine: Omit<PlanInput, "workload">,
  cached: ModuleCosts | null = null,
): number {
  if (totalItems === null || itemMs < EARLY_POOL.itemMs || itemMs * totalItems < EARLY_POOL.jobMs) return 0;
  const typical = itemMs * EARLY_POOL.firstShare;
  const time = { mean: typical, median: typical, p90: typical, max: typical, cv: 0 };
  const provisional: WorkloadSample = {
    ...emptyWorkload(),
    sampled: 1,
    totalItems: totalItems - 1,
    itemTimeMs: time,
    source: "measured",
    ...(cached?.warmup ? { warmup: cached.warmup } : {}),
    ...(cached?.moduleLoadMs ? { moduleLoadMs: cached.moduleLoadMs } : {}),
  };
  const plan = planExecution({ ...machine, workload: provisional });
  return plan.mode === "parallel" && plan.workers >= 2 ? plan.workers : 0;
}

/**
 * The plan for what actually runs: the items sampling did not run (their results, or
 * their failures under "collect", are kept). Three 300 ms items of which sampling ran one
 * want two workers, not three. A pool started while sampling has part of its start-up
 * paid: it is kept when the model, crediting that part, finds it no slower than the plan.
 */
export function planRun(input: PlanInput, done: number, early?: EarlyStart, where = "while sampling"): Plan {
  const total = input.workload.totalItems;
  const remaining = total === null ? null : Math.max(0, total - done);
  const rest: PlanInput =
    remaining === total ? input : { ...input, workload: withTotal(input.workload, remaining) };
  let plan = planOf(rest);
  if (early && input.constraints?.workers === undefined && !usesPool(plan, early.workers)) {
    plan = cheaperWithEarlyPool(rest, plan, early);
  }
  if (total === null || remaining === null || done === 0) return plan;
  const note = {
    code: "SAMPLED_ITEMS_DONE",
    message: `${done} of ${total} items ran ${where}; this plan covers the ${remaining} that remain.`,
  };
  return { ...plan, reasons: [note, ...plan.reasons] };
}

/** `workload` for `totalItems` items; a validated frozen one stays so (see `withFrozenMachine`). */
function withTotal(workload: WorkloadSample, totalItems: number | null): WorkloadSample {
  return isParsedFrozen(WorkloadSampleSchema, workload)
    ? withFrozenFields(WorkloadSampleSchema, workload, { totalItems }, "input.workload")
    : { ...workload, totalItems };
}

/** Plans made for input objects this process still holds: the same object planned twice is planned once. */
const planned = new WeakMap<PlanInput, Plan>();

/**
 * `planExecution(input)`, remembered for this input object: the model is pure, and a
 * session's call plans its input to decide whether to start the pool, then again to run
 * (each 0.4-3 ms for ten items, more than the items of a short call). The caller must not
 * change `input` afterwards; the plans built here are made from fresh inputs each call.
 */
export function planOf(input: PlanInput): Plan {
  let plan = planned.get(input);
  if (plan === undefined) {
    plan = planExecution(input);
    planned.set(input, plan);
  }
  return plan;
}

/** The plan {@link planOf} made for this input object, if it made one. */
export function plannedBefore(input: PlanInput): Plan | undefined {
  return planned.get(input);
}

function usesPool(plan: Plan, workers: number): boolean {
  return plan.mode === "parallel" && plan.workers === workers;
}

function cheaperWithEarlyPool(input: PlanInput, plan: Plan, early: EarlyStart): Plan {
  const onEarly = planExecution({ ...input, constraints: { ...input.constraints, workers: early.workers } });
  if (onEarly.mode !== "parallel") return plan;
  const paid = Math.max(0, Math.min(early.startedMsAgo, onEarly.predicted.breakdown.startupMs));
  return onEarly.predicted.wallMs - paid <= plan.predicted.wallMs ? onEarly : plan;
}

/**
 * A plan made without the item count (a stream: its figures cover a steady-state basis of
 * the cost model's, start-up and the run's end left out) predicted for the `items` that
 * ran, as the model would have predicted them had it known the count: its workers and
 * first chunk size at that count, start-up included; a serial or concurrent plan's time
 * in proportion to the items. With `wholeSerialMs`, the serial estimate for `allItems`
 * (sampled ones included). A plan for a known count is returned as it is. Measured against
 * the basis, 3,000 generated fib items run in parallel at 1.4 times a loop's speed read as
 * twice as slow as serial (`measuredSpeedup` 0.5, the run 3.7 times its prediction).
 */
export function predictionAtCount(
  input: PlanInput,
  plan: Plan,
  items: number,
  allItems = items,
): { predicted: Pick<Plan["predicted"], "wallMs" | "serialMs" | "speedup">; wholeSerialMs: number } {
  const known = (n: number): PlanInput => ({ ...input, workload: withTotal(input.workload, n) });
  if (plan.totalItems !== null) return { predicted: plan.predicted, wholeSerialMs: wholeSerialMs(input) };
  const whole = wholeSerialMs(known(allItems));
  if (plan.mode === "parallel" && items > 0) {
    return {
      predicted: predict(known(items), { workers: plan.workers, chunkSize: plan.chunkSize }),
      wholeSerialMs: whole,
    };
  }
  const basis = plan.predicted.items;
  const scale = basis !== undefined && basis > 0 ? items / basis : 0;
  const wallMs = plan.predicted.wallMs * scale;
  const serialMs = plan.predicted.serialMs * scale;
  return {
    predicted: { wallMs, serialMs, speedup: wallMs > 0 ? serialMs / wallMs : 1 },
    wholeSerialMs: whole,
  };
}

/** The model's serial estimate for every item of the input, sampled ones included. */
export function wholeSerialMs(input: PlanInput): number {
  return predict(input, { workers: 1, chunkSize: 1 }).serialMs;
}

/**
 * The model's serial time per item: the item's own and what keeping its result costs (the
 * cost model's `r`); the item's own for an input of unknown length.
 */
export function serialItemRate(input: PlanInput): number {
  const total = input.workload.totalItems;
  return total !== null && total > 0 ? wholeSerialMs(input) / total : input.workload.itemTimeMs.mean;
}

/** Frozen validated copies of machine figures, by the object they were made from. */
const frozenHardware = new WeakMap<HardwareProfile, HardwareProfile>();
const frozenSpawnCost = new WeakMap<SpawnCostProfile, SpawnCostProfile>();
/** The copies validated last: a fresh object equal to one of them takes it without validating again. */
let lastHardware: HardwareProfile | null = null;
let lastSpawnCost: SpawnCostProfile | null = null;

/**
 * The hardware and spawn-cost profiles validated and frozen once per object
 * (`parseFrozen`): the model then takes them as they are. A call plans and predicts
 * several times over the same machine figures, and validating them each time had cost
 * more than the model (2-4 ms of a trivial job's deciding); a session freezes its
 * machine's once for all its calls. Each execute() reads the machine afresh (a new object
 * with the same figures while the machine and its caches are unchanged): one equal to the
 * copy validated last takes that copy for planning (comparing costs ~15 us where
 * validating cost a trivial job 170 us a call). The profiles are the optimizer's own objects, never changed
 * once measured; the caller's copies stay unfrozen.
 */
export function frozenMachine(
  hardware: HardwareProfile,
  spawnCost: SpawnCostProfile,
): { hardware: HardwareProfile; spawnCost: SpawnCostProfile } {
  const frozenHw = frozenHardwareOf(hardware);
  let frozenSc = frozenSpawnCost.get(spawnCost);
  if (frozenSc === undefined) {
    // durationMs (how long this call took to read the profile) plays no part in a plan.
    const figures =
      lastSpawnCost === null ? spawnCost : { ...spawnCost, durationMs: lastSpawnCost.durationMs };
    frozenSc =
      sameAs(lastSpawnCost, figures) ?? parseFrozen(SpawnCostProfileSchema, spawnCost, "input.spawnCost");
    frozenSpawnCost.set(spawnCost, frozenSc);
    lastSpawnCost = frozenSc;
  }
  return { hardware: frozenHw, spawnCost: frozenSc };
}

/** The hardware profile as {@link frozenMachine} gives it. */
export function frozenHardwareOf(hardware: HardwareProfile): HardwareProfile {
  let frozen = frozenHardware.get(hardware);
  if (frozen === undefined) {
    frozen = sameAs(lastHardware, hardware) ?? parseFrozen(HardwareProfileSchema, hardware, "input.hardware");
    frozenHardware.set(hardware, frozen);
    lastHardware = frozen;
  }
  return frozen;
}

/** `validated` when `value` holds exactly its figures (what validating `value` would give), else null. */
function sameAs<T>(validated: T | null, value: T): T | null {
  return validated !== null && isDeepStrictEqual(value, validated) ? validated : null;
}

/** Frozen validated copies of workload samples, by the object they were made from. */
const frozenWorkloads = new WeakMap<WorkloadSample, WorkloadSample>();

/**
 * `input` with its machine profiles as {@link frozenMachine} gives them, and its workload
 * validated and frozen once: a call plans and predicts on it several times, and the model
 * validated it each time (~70 us each for a fine-grained job). The planning copy leaves out
 * which items were sampled (`indices`), which the model never reads: a fine task samples
 * thousands, and validating them took a trivial job's call 1-2 ms of its 3 ms deciding.
 */
export function withFrozenMachine(input: PlanInput): PlanInput {
  let workload = frozenWorkloads.get(input.workload);
  if (workload === undefined) {
    workload = parseFrozen(WorkloadSampleSchema, { ...input.workload, indices: [] }, "input.workload");
    frozenWorkloads.set(input.workload, workload);
  }
  return { ...input, ...frozenMachine(input.hardware, input.spawnCost), workload };
}

/** The planning copy {@link withFrozenMachine} made of this workload, if it made one. */
export function planningCopyOf(workload: WorkloadSample): WorkloadSample | undefined {
  return frozenWorkloads.get(workload);
}

/** Chunk sizes a one-worker run is priced at (its chunks adapt as it goes): the cheapest counts. */
const ONE_WORKER_CHUNKS = [1, 4, 16, 64, 256, 1024, 4096] as const;

/**
 * Whether a serial plan's `items` run sooner on the worker that sampled the task than in a
 * calling thread that has not imported it: there they pay the module's import
 * (`moduleLoadMs`) and V8's warm-up (`warmup`) over all of them; on the worker, which ran
 * `ran` items already, each item's clone both ways, each chunk's round trip, and the
 * warm-up still ahead of it (the model's warm-up over `ran + items` less over `ran`: a
 * worker that ran one confirming item of cached figures has nearly all of it ahead). Both
 * sides are the cost model's (`predict` on one worker, its start-up terms apart). A
 * parser's 1,500 modules saved 0.1-0.2 s on the worker; 200,000 squares would cost 0.1 s
 * more there than in a loop. Pure.
 */
export function serialSoonerOnSampler(input: PlanInput, items: number, ran: number): boolean {
  if (items <= 0) return false;
  const at = (workload: WorkloadSample, count: number): PlanInput => ({
    hardware: input.hardware,
    spawnCost: input.spawnCost,
    workload: { ...workload, totalItems: count },
    ...(input.resultsKept === undefined ? {} : { resultsKept: input.resultsKept }),
  });
  const { moduleLoadMs: _load, warmup: _warmup, ...bare } = input.workload;
  const { warmup: _only, ...noWarmup } = input.workload;
  /** The start-up's import and warm-up terms of one worker over `count` items. */
  const startup = (workload: WorkloadSample, count: number) =>
    predict(at(workload, count), { workers: 1, chunkSize: count }).breakdown.startupMs;
  const warmupOver = (count: number) =>
    count <= 0 ? 0 : startup(input.workload, count) - startup(noWarmup, count);
  let onWorkerMs = Number.POSITIVE_INFINITY;
  for (const chunkSize of ONE_WORKER_CHUNKS) {
    const run = predict(at(input.workload, items), { workers: 1, chunkSize: Math.min(chunkSize, items) });
    onWorkerMs = Math.min(onWorkerMs, run.wallMs - run.breakdown.startupMs);
  }
  onWorkerMs += warmupOver(ran + items) - warmupOver(ran);
  const full = predict(at(input.workload, items), { workers: 1, chunkSize: items });
  const hereMs = full.serialMs + full.breakdown.startupMs - startup(bare, items);
  return onWorkerMs < hereMs;
}
