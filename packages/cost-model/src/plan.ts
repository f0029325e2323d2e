import type { Alternative, CodedMessage, Plan, PlanInput } from "@amorsize/types";
import { ALTERNATIVE_NOTES, MODEL_CONSTANTS, type ReasonCode, type WarningCode } from "./constants.js";
import { ConflictingConstraintsError } from "./errors.js";
import { formatBytes, formatFactor, formatMs, formatNumber, formatPercent, plural } from "./format.js";
import {
  chunkCostMs,
  contentionScale,
  type Evaluation,
  evaluateConcurrent,
  evaluateParallel,
  evaluateSerial,
  workerWarmupMs,
} from "./model.js";
import {
  deriveParams,
  fitsInMemory,
  type ModelParams,
  type ParsedPlanInput,
  parsePlanInput,
  workerMemoryBytes,
} from "./params.js";
import { toPrediction } from "./predict.js";
import { defaultMaxWorkers, range, type SearchResult, searchParallel } from "./search.js";
import { slowChunkMs, timeoutChunkLimit } from "./timeout.js";
import { UNCERTAIN, uncertainSample } from "./uncertain.js";

export { UNCERTAIN, uncertainSample };

interface Context {
  input: ParsedPlanInput;
  p: ModelParams;
  constraints: NonNullable<ParsedPlanInput["constraints"]>;
  /** Worker counts the search may use. */
  workerRange: number[];
  reasons: CodedMessage[];
  warnings: CodedMessage[];
  evaluated: number;
}

const reason = (ctx: Context, code: ReasonCode, message: string) => ctx.reasons.push({ code, message });

/**
 * The item time as the reasons state it: "at least" it when sampling was cut off waiting
 * for items (`workload.cutOff`), which it then counts at a lower bound.
 */
const itemTimeText = (ctx: Context) => `${atLeast(ctx)}${formatMs(ctx.p.itemMs)}`;
/** "at least " before a figure that rests on items sampling was cut off waiting for (`workload.cutOff`); "" otherwise. */
const atLeast = (ctx: Context) => (ctx.input.workload.cutOff === undefined ? "" : "at least ");
const warn = (ctx: Context, code: WarningCode, message: string) => ctx.warnings.push({ code, message });

/** What `FEW_SAMPLES` adds for items sampling was cut off waiting for (see `workload.cutOff`). */
function cutOffText(cutOff: { items: number; ms: number } | undefined): string {
  if (cutOff === undefined) return "";
  const counted = cutOff.items === 1 ? "counting it at that" : "counting them at that together";
  return `, and on ${plural(cutOff.items, "item")} cut off after ${formatMs(cutOff.ms)} (${counted}, a lower bound)`;
}

/**
 * Chooses how to run a workload: `serial` (a loop in the calling thread),
 * `concurrent` (an I/O-bound async task, several items awaiting at once), or
 * `parallel` (worker threads, chunked). It searches every worker count from 1 to
 * past the usable cores over a grid of chunk sizes, takes the fastest predicted
 * configuration (preferring fewer workers, then larger chunks, among those within 1%),
 * and keeps it only when it is at least `constraints.minSpeedup` (default 1.2) faster
 * than a plain loop. `reasons` and `warnings` say why, with stable codes.
 *
 * Pure and deterministic: no I/O, no clock; the same input gives the same plan.
 *
 * @throws {AmorsizeValidationError} `input.*` fails its schema.
 * @throws {ConflictingConstraintsError} `constraints.workers` exceeds `constraints.maxWorkers`.
 */
export function planExecution(input: PlanInput): Plan {
  const parsed = parsePlanInput(input);
  const constraints = parsed.constraints ?? {};
  if (
    constraints.workers !== undefined &&
    constraints.maxWorkers !== undefined &&
    constraints.workers > constraints.maxWorkers
  ) {
    throw new ConflictingConstraintsError(
      `input.constraints.workers (${constraints.workers}) exceeds input.constraints.maxWorkers (${constraints.maxWorkers})`,
      ["workers", "maxWorkers"],
    );
  }
  const p = deriveParams(parsed);
  const maxWorkers = constraints.workers ?? constraints.maxWorkers ?? defaultMaxWorkers(p);
  const ctx: Context = {
    input: parsed,
    p,
    constraints,
    workerRange: constraints.workers !== undefined ? [constraints.workers] : range(maxWorkers),
    reasons: [],
    warnings: [],
    evaluated: 0,
  };
  collectWarnings(ctx);
  if (p.n === 0) {
    reason(ctx, "NO_ITEMS", "The input is empty: there is nothing to run.");
    ctx.evaluated = 1;
    return finish(ctx, evaluateSerial(p), []);
  }
  // An item that takes no measurable time does not wait either: nothing to overlap.
  if (p.ioBound && p.async && p.itemMs > 0) return planConcurrent(ctx);
  return planParallelOrSerial(ctx);
}

function collectWarnings(ctx: Context): void {
  const { input, p, constraints } = ctx;
  const { spawnCost, workload, hardware } = input;
  const used: [string, { provenance: string; reason?: string | undefined }][] = [
    ["workerStart.fixedMs", spawnCost.workerStart.fixedMs],
    ["workerStart.perWorkerMs", spawnCost.workerStart.perWorkerMs],
    ["dispatch.latencyUs", spawnCost.dispatch.latencyUs],
    ["dispatch.throughputUs", spawnCost.dispatch.throughputUs],
    [`clone.${workload.inputKind}.perItemUs`, spawnCost.clone[workload.inputKind].perItemUs],
    [`clone.${workload.inputKind}.perByteNs`, spawnCost.clone[workload.inputKind].perByteNs],
    [`clone.${workload.outputKind}.perItemUs`, spawnCost.clone[workload.outputKind].perItemUs],
    [`clone.${workload.outputKind}.perByteNs`, spawnCost.clone[workload.outputKind].perByteNs],
    ...(spawnCost.pace === undefined
      ? []
      : ([
          ["pace.gapUs", spawnCost.pace.gapUs],
          // One usable core has no other worker to drift from: nothing is in doubt then.
          ...(spawnCost.machineKey.usableCores > 1 ? [["pace.speedCv", spawnCost.pace.speedCv]] : []),
        ] as [string, { provenance: string; reason?: string | undefined }][])),
  ];
  const measuredPerItem = (kind: string) =>
    spawnCost.clone[kind as keyof typeof spawnCost.clone].perItemUs.provenance !== "estimated";
  // When a kind's per-item figure was measured but its per-byte one was not, the kind
  // has a fixed size (a number) and its whole cost is per item: nothing is in doubt.
  const doubtful = [...new Map(used).entries()].filter(
    ([name, f]) =>
      f.provenance === "estimated" && !(name.endsWith(".perByteNs") && measuredPerItem(name.split(".")[1]!)),
  );
  if (spawnCost.source === "estimated" || doubtful.length > 0) {
    const names = doubtful.map(([name]) => name);
    const why = doubtful[0]?.[1].reason;
    warn(
      ctx,
      "COSTS_ESTIMATED",
      `The spawn-cost figures ${names.length > 0 ? `${names.join(", ")} ` : ""}are documented estimates, not measurements${why ? ` (${why})` : ""}; the plan is only as good as they are.`,
    );
  }
  if (spawnCost.machineKey.usableCores !== p.usableCores) {
    warn(
      ctx,
      "SPAWN_COST_OTHER_MACHINE",
      `The spawn-cost profile was measured with ${spawnCost.machineKey.usableCores} usable cores, the hardware profile has ${p.usableCores}.`,
    );
  }
  if (workload.source === "measured" && workload.sampled < 3 && p.n !== 0) {
    warn(
      ctx,
      "FEW_SAMPLES",
      `Item figures rest on ${plural(workload.sampled, "sampled item")}${cutOffText(workload.cutOff)}; item time and variation may be off.`,
    );
  }
  const busy = hardware.load.busyFraction.value;
  if (busy !== null && busy >= MODEL_CONSTANTS.busyMachineFraction) {
    warn(
      ctx,
      "MACHINE_BUSY",
      `The CPU was ${formatPercent(busy)} busy when probed; the plan assumes the usable cores are free.`,
    );
  }
  if (p.memoryBudgetBytes === null) {
    warn(
      ctx,
      "MEMORY_UNKNOWN",
      `The hardware profile reports no usable memory (${p.memorySource}); the plan does not check memory. Set constraints.memoryBudgetBytes to bound it.`,
    );
  } else if (p.n !== null) {
    const resultBytes = p.n * p.outputBytes;
    if (resultBytes >= MODEL_CONSTANTS.resultsMemoryWarnShare * p.memoryBudgetBytes) {
      warn(
        ctx,
        "RESULTS_NEAR_MEMORY_BUDGET",
        `Keeping all ${p.n} results takes about ${formatBytes(resultBytes)}, ${formatPercent(resultBytes / p.memoryBudgetBytes)} of the ${formatBytes(p.memoryBudgetBytes)} memory budget; consume them as a stream instead of collecting them.`,
      );
    }
  }
  if (constraints.chunkSize !== undefined && p.n !== null && constraints.chunkSize > p.n) {
    warn(
      ctx,
      "CHUNK_SIZE_CLAMPED",
      `constraints.chunkSize (${constraints.chunkSize}) is larger than the ${plural(p.n, "item")}; chunks of ${p.n} are used.`,
    );
  }
}

function search(ctx: Context, workers: readonly number[], memory = true): SearchResult {
  const result = searchParallel(ctx.p, { workers, chunkSize: ctx.constraints.chunkSize, memory });
  ctx.evaluated += result.evaluated;
  return result;
}

/** Parallel when it pays at least minSpeedup, serial otherwise. */
function planParallelOrSerial(ctx: Context): Plan {
  const { p } = ctx;
  const serial = evaluateSerial(p);
  ctx.evaluated += 1;
  let result = search(ctx, ctx.workerRange);
  let capped: { wanted: number; source: "constraint" | "model" } | null = null;
  if (result.skippedForMemory > 0) {
    if (ctx.constraints.workers !== undefined && result.best === null && ctx.constraints.workers > 1) {
      // The caller's worker count does not fit: fall back to the most that do.
      capped = { wanted: ctx.constraints.workers, source: "constraint" };
      result = search(ctx, range(ctx.constraints.workers - 1));
    } else {
      const free = searchParallel(p, {
        workers: ctx.workerRange,
        chunkSize: ctx.constraints.chunkSize,
        memory: false,
      });
      if (free.best !== null && (result.best === null || free.best.workers > result.best.workers)) {
        capped = { wanted: free.best.workers, source: "model" };
      }
    }
  }
  // A tie may go to fewer workers or larger chunks, but never across minSpeedup: when the
  // tie-broken pick falls short and the fastest plan meets it, the fastest is taken.
  const best =
    result.best !== null &&
    result.best.speedup < p.minSpeedup &&
    (result.fastest?.speedup ?? 0) >= p.minSpeedup
      ? result.fastest
      : result.best;
  const atBound = lowerBoundPays(ctx, best);
  const parallel = best !== null && (best.speedup >= p.minSpeedup || atBound) ? best : null;
  if (parallel === null) {
    explainSerial(ctx, serial, best, capped);
    lowerBoundReason(ctx, serial, best);
    timeoutNotes(ctx, null);
    return finish(ctx, serial, alternatives(ctx, serial, best));
  }
  explainParallel(ctx, parallel, capped);
  if (atBound && parallel.speedup < p.minSpeedup) lowerBoundReason(ctx, serial, parallel, true);
  timeoutNotes(ctx, parallel);
  return finish(ctx, parallel, alternatives(ctx, parallel, best));
}

/**
 * Whether a parallel plan short of minSpeedup is taken all the same because the item time
 * is a lower bound (`workload.cutOff`): no slower than a loop at that bound, items longer
 * than it only widen its lead (every term of a fixed configuration's time is a fixed part
 * plus a share of the item time), where a serial plan would lose more with every
 * millisecond they take. Not for items bound by the main thread's cloning or by I/O waits
 * (their time is not what decides), nor against a minSpeedup the caller set; not for a
 * stream (its steady-state speed-up leaves the start-up out), nor for chunks of several
 * items under a chunk time-out (sized for items at the bound, they would run past it).
 */
function lowerBoundPays(ctx: Context, best: Evaluation | null): boolean {
  const { p } = ctx;
  if (ctx.input.workload.cutOff === undefined || ctx.constraints.minSpeedup !== undefined) return false;
  if (best === null || best.speedup < 1 || best.bound === "main" || p.ioBound || p.n === null) return false;
  if (p.chunkTimeoutMs !== null && (best.chunkSize ?? 1) > 1) return false;
  return p.mainPerItemMs * p.minSpeedup < p.itemMs;
}

/** `LOWER_BOUND`: what the cut-off sample's lower bound means for this plan (see {@link lowerBoundPays}). */
function lowerBoundReason(ctx: Context, serial: Evaluation, best: Evaluation | null, taken = false): void {
  const { cutOff } = ctx.input.workload;
  if (cutOff === undefined) return;
  const cut = `Sampling was cut off waiting for ${plural(cutOff.items, "item")} (${formatMs(cutOff.ms)})`;
  if (best === null) {
    reason(ctx, "LOWER_BOUND", `${cut}: the times above are lower bounds.`);
  } else if (taken) {
    reason(
      ctx,
      "LOWER_BOUND",
      `${cut}: at that lower bound ${plural(best.workers, "worker")} are predicted at ${formatMs(best.wallMs)} ` +
        `against ${formatMs(serial.wallMs)} for a plain loop, short of minSpeedup, but taken: items longer than that only widen their lead.`,
    );
  } else if (best.workers >= 2 && ctx.p.capacity >= 2) {
    reason(
      ctx,
      "LOWER_BOUND",
      `${cut}: the times above are lower bounds, and items that take longer may pay for workers.`,
    );
  } else {
    // One worker, or one core: no item time makes workers pay.
    reason(ctx, "LOWER_BOUND", `${cut}: the times above are lower bounds.`);
  }
}

function memoryMessage(
  ctx: Context,
  chosenWorkers: number,
  chunkSize: number,
  capped: { wanted: number; source: string },
) {
  const { p } = ctx;
  const per = workerMemoryBytes(p, chunkSize);
  const budget = p.memoryBudgetBytes ?? 0;
  const fit = Math.floor(budget / per);
  const asked =
    capped.source === "constraint"
      ? `constraints.workers asked for ${capped.wanted}`
      : `without the budget the model would use ${capped.wanted}`;
  return (
    `Each worker needs about ${formatBytes(per)} (a ${formatBytes(MODEL_CONSTANTS.workerBaselineBytes)} isolate, ` +
    `${formatBytes(p.memoryPerItemBytes)} per item in work, and its chunks of ${chunkSize}); ` +
    `${plural(fit, "worker")} ${fit === 1 ? "fits" : "fit"} the ${formatBytes(budget)} memory budget (${p.memorySource}), so ${chosenWorkers === 0 ? "no worker is used" : `${plural(chosenWorkers, "worker")} ${chosenWorkers === 1 ? "is" : "are"} used`}; ${asked}.`
  );
}

function explainSerial(
  ctx: Context,
  serial: Evaluation,
  best: Evaluation | null,
  capped: { wanted: number; source: string } | null,
): void {
  const { p } = ctx;
  const n = p.n;
  if (n === 1) reason(ctx, "FEW_ITEMS", "A single item cannot be split across workers.");
  if (best === null) {
    const per = workerMemoryBytes(p, 1);
    reason(
      ctx,
      "MEMORY_CAPPED",
      `Not even one worker fits the ${formatBytes(p.memoryBudgetBytes ?? 0)} memory budget (${p.memorySource}): each needs about ${formatBytes(per)}.`,
    );
    return;
  }
  if (capped !== null)
    reason(ctx, "MEMORY_CAPPED", memoryMessage(ctx, best.workers, best.chunkSize ?? 1, capped));
  const pace =
    best.speedup >= 1
      ? `${formatFactor(best.speedup)} faster`
      : `${formatFactor(1 / Math.max(best.speedup, 1e-9))} slower`;
  const bestText =
    `the best parallel plan (${plural(best.workers, "worker")}, chunks of ${best.chunkSize}) is predicted at ` +
    `${formatMs(best.wallMs)} against ${formatMs(serial.wallMs)} for a plain loop, ${pace}, ` +
    `where running in parallel must be at least ${formatFactor(p.minSpeedup)} faster (minSpeedup)`;
  const cloneBound = p.mainPerItemMs * p.minSpeedup >= p.itemMs || best.bound === "main";
  if (p.itemMs === 0) {
    reason(ctx, "TOO_LITTLE_WORK", `Items take no measurable time; ${bestText}.`);
  } else if (cloneBound) {
    reason(
      ctx,
      "CLONE_BOUND",
      `Moving an item to a worker and its result back costs ${formatMs(p.mainPerItemMs)} of main-thread time per item ` +
        `(${ctx.input.workload.cutOff === undefined ? "" : "at most "}${formatFactor(p.mainPerItemMs / p.itemMs)} the item's own ${itemTimeText(ctx)}), and the main thread cannot share that work; ${bestText}.`,
    );
  } else {
    reason(
      ctx,
      "TOO_LITTLE_WORK",
      n === null
        ? `Items of ${itemTimeText(ctx)} are too little work even in steady state: ${bestText}.`
        : `${plural(n, "item")} of ${itemTimeText(ctx)} is too little work: ${bestText} (start-up alone costs ${formatMs(best.breakdown.startupMs)}).`,
    );
  }
  if (p.ioBound && !p.async) ioReason(ctx);
  if (n === null) streamReason(ctx, best);
  moduleLoadReason(ctx, best.workers);
  warmupReason(ctx, best.workers);
  helperReason(ctx, best.workers);
  contentionReason(ctx, best.workers);
  fixedReasons(ctx);
}

function ioReason(ctx: Context, concurrency?: number): void {
  const { p } = ctx;
  const time =
    ctx.input.workload.cutOff === undefined ? formatMs(p.itemMs) : `time (at least ${formatMs(p.itemMs)})`;
  const waits = `Items wait ${formatPercent(1 - p.cpuToWall)} of their ${time} (CPU-to-wall ${formatNumber(p.cpuToWall)})`;
  if (concurrency !== undefined) {
    const ideal =
      p.cpuToWall > 0
        ? Math.ceil(MODEL_CONSTANTS.ioConcurrencyFactor / p.cpuToWall)
        : Number.POSITIVE_INFINITY;
    const limits: string[] = [];
    if (concurrency < ideal) {
      if (concurrency === MODEL_CONSTANTS.maxConcurrency)
        limits.push(`capped at ${MODEL_CONSTANTS.maxConcurrency}`);
      else if (p.n !== null && concurrency === p.n) limits.push(`capped by the ${plural(p.n, "item")}`);
      else limits.push("capped by the memory budget");
    }
    reason(
      ctx,
      "IO_BOUND",
      `${waits}: more threads cannot speed up waiting. ${concurrency} items awaiting at once in the calling thread ` +
        `(${MODEL_CONSTANTS.ioConcurrencyFactor} / CPU-to-wall${limits.length > 0 ? `, ${limits.join(", ")}` : ""}) overlap the waits.`,
    );
  } else {
    reason(
      ctx,
      "IO_BOUND",
      `${waits}, but the task is synchronous, so the calling thread cannot overlap the waits; worker threads can, since a waiting thread needs no core.`,
    );
  }
}

function streamReason(ctx: Context, e: Evaluation | null): void {
  const { p } = ctx;
  const basis = MODEL_CONSTANTS.streamBasisItems;
  if (e === null || e.chunkSize === null) {
    reason(
      ctx,
      "STREAM_UNKNOWN_LENGTH",
      `The item count is unknown (a stream); predictions cover ${basis} items in steady state.`,
    );
    return;
  }
  const chunkMs = e.chunkSize * p.wallItemMs;
  const fixed = ctx.constraints.chunkSize !== undefined;
  reason(
    ctx,
    "STREAM_UNKNOWN_LENGTH",
    `The item count is unknown (a stream): ${fixed ? "the fixed " : ""}chunks of ${e.chunkSize} items take about ${formatMs(chunkMs)}` +
      (fixed
        ? ""
        : `, enough to keep the per-chunk cost (${formatMs(p.dispatchMs + chunkCostMs(p, e.chunkSize))}) near ${formatPercent(MODEL_CONSTANTS.streamOverheadShare)} of the work, and at most ${formatMs(MODEL_CONSTANTS.streamMaxChunkMs)}`) +
      `; chunk sizes adapt at run time. Predictions cover ${basis} items in steady state; the one-off start-up ` +
      `(${formatMs(p.startupFixedMs + p.startupPerWorkerMs * e.workers)}) is not included.`,
  );
}

function uncertainReason(ctx: Context, chunkSize: number): void {
  const { p } = ctx;
  if (p.n === null || !uncertainSample(p)) return;
  const s = p.spread!;
  const what: string[] = [];
  if (s.relativeError > UNCERTAIN.relativeError)
    what.push(`the mean item time is known to ±${formatPercent(s.relativeError)}`);
  if (s.maxOverMean > UNCERTAIN.maxOverMean)
    what.push(`the slowest sampled item took ${formatFactor(s.maxOverMean)} the mean`);
  if (Math.abs(s.trend) > UNCERTAIN.trend)
    what.push(
      `item times ${s.trend > 0 ? "grow" : "fall"} along the input (${formatFactor(Math.abs(s.trend))} the mean from first to last)`,
    );
  reason(
    ctx,
    "UNCERTAIN_SAMPLE",
    `The sample may be off: ${what.join("; ")}. Chunks start at ${chunkSize} and adapt to the times the workers measure during the run.`,
  );
}

/** A task module that takes time to import: every worker started pays it, and the start-up includes it. */
function moduleLoadReason(ctx: Context, workers: number): void {
  const { p } = ctx;
  if (p.moduleLoadMs < MODULE_LOAD_NOTE_MS) return;
  const rounds = Math.ceil(workers / Math.max(1, p.capacity));
  reason(
    ctx,
    "MODULE_LOAD",
    `Each new worker imports the task module before its first item: ${formatMs(p.moduleLoadMs)} measured; ` +
      `start-up includes ${formatMs(p.moduleLoadMs * rounds)} for it (${plural(workers, "worker")} importing side by side).`,
  );
}

/** A task whose first items run slowly in a fresh worker: every worker started pays its warm-up. */
function warmupReason(ctx: Context, workers: number): void {
  const { p } = ctx;
  if (p.n === null || p.n === 0 || workers === 0) return;
  const active = Math.min(workers, p.n);
  const ms = workerWarmupMs(p, p.n / active, active);
  if (ms < MODULE_LOAD_NOTE_MS) return;
  reason(
    ctx,
    "WORKER_WARMUP",
    `A fresh worker ran its first ${plural(p.warmupItems, "item")} ${formatMs(p.warmupExcessMs)} slower than warm ones (V8 compiles the task's code again in each worker); ` +
      `over ${plural(Math.ceil(p.n / active), "item")} each, ${plural(active, "worker")} side by side lose about ${formatMs(ms)} each to it` +
      (p.warmupGrowthMeasured && !p.warmupSettled && p.n / active > p.warmupItems
        ? ` (the probe's later items lost less: the excess is taken to grow ${formatNumber(p.warmupGrowth, 2)} times itself per doubling of the items).`
        : "."),
  );
}

/**
 * A task that keeps V8's helper threads busy: each thread running it needs 1 + share
 * cores, which the plan charged (said when the share is worth a line).
 */
function helperReason(ctx: Context, workers: number): void {
  const { p } = ctx;
  if (p.helperShare < HELPER_NOTE_SHARE || p.n === 0) return;
  const cores = 1 + p.helperShare;
  reason(
    ctx,
    "HELPER_THREADS",
    `While the sampled items ran, V8's helper threads (garbage collection, compiling) used ${formatNumber(p.helperShare, 2)} ms of CPU per ms of the task's own: ` +
      `each thread running it keeps ${formatNumber(cores, 2)} cores busy, so ${plural(workers, "worker")} need ${formatNumber(workers * cores, 1)} of the ${formatNumber(p.capacity, 1)} cores.`,
  );
}

/** A learned slowdown of workers computing at once, charged for this plan's (said when worth a line). */
function contentionReason(ctx: Context, workers: number): void {
  const { p } = ctx;
  const scale = contentionScale(p, workers);
  if (scale < 1 + CONTENTION_NOTE_SHARE || p.n === 0) return;
  reason(
    ctx,
    "CONTENTION",
    `${plural(p.contentionRuns, "earlier parallel run")} of this task measured its items ${formatNumber(p.contentionFactor, 2)} times slower in ${plural(p.contentionThreads, "worker")} computing at once than alone (threads share cores and caches); ` +
      `${plural(workers, "worker")} on ${formatNumber(p.capacity, 1)} cores are charged ${formatNumber(scale, 2)} times the sampled item time.`,
  );
}

/** Learned slowdowns under this share are not worth a line of their own. */
const CONTENTION_NOTE_SHARE = 0.05;

/** Helper-thread shares under this are not worth a line of their own. */
const HELPER_NOTE_SHARE = 0.2;

/** Module loads shorter than this are not worth a line of their own, ms. */
const MODULE_LOAD_NOTE_MS = 5;

function fixedReasons(ctx: Context): void {
  const { constraints } = ctx;
  const fixed: string[] = [];
  if (constraints.workers !== undefined)
    fixed.push(`constraints.workers fixes ${plural(constraints.workers, "worker")}`);
  if (constraints.chunkSize !== undefined)
    fixed.push(`constraints.chunkSize fixes chunks of ${constraints.chunkSize}`);
  if (fixed.length > 0)
    reason(ctx, "FIXED_BY_CONSTRAINT", `${fixed.join("; ")}; only the rest was searched.`);
}

function explainParallel(
  ctx: Context,
  e: Evaluation,
  capped: { wanted: number; source: string } | null,
): void {
  const { p } = ctx;
  const b = e.breakdown;
  const workers = e.workers;
  const c = e.chunkSize!;
  const busyCores = formatNumber(Math.min(e.activeWorkers, p.capacity));
  if (e.bound === "main") {
    reason(
      ctx,
      "CLONE_BOUND",
      `The main thread's serial work bounds the run: cloning ${formatMs(p.mainPerItemMs)} per item out and back` +
        `${p.retainMs > 0 ? `, keeping each result ${formatMs(p.retainMs)},` : ""} and ` +
        `dispatching ${plural(e.chunks, "chunk")} takes ${formatMs(b.mainThreadMs)}, more than the workers need ` +
        `(${formatMs(b.computeMs + b.chunkOverheadMs + (b.dispatchWaitMs ?? 0))}); more workers would only wait on it. ` +
        `Predicted ${formatMs(e.wallMs)}, ${formatFactor(e.speedup)} a plain loop.`,
    );
  } else if (p.ioBound) {
    ioReason(ctx);
    reason(
      ctx,
      "COMPUTE_BOUND",
      `${plural(workers, "worker")} with chunks of ${c} overlap the waits: predicted ${formatMs(e.wallMs)}, ${formatFactor(e.speedup)} a plain loop.`,
    );
  } else {
    const total = p.n === null ? "" : ` (${atLeast(ctx)}${formatMs(e.items * p.itemMs)} in all)`;
    const chunks = p.n === null ? "" : ` (${plural(e.chunks, "chunk")})`;
    reason(
      ctx,
      "COMPUTE_BOUND",
      `Items take ${itemTimeText(ctx)} each${total}; ${plural(workers, "worker")} with chunks of ${c}${chunks} ` +
        `keep ${busyCores} of ${plural(p.usableCores, "usable core")} busy: ` +
        `predicted ${formatMs(e.wallMs)}, ${formatFactor(e.speedup)} a plain loop.`,
    );
  }
  if (p.n === null) streamReason(ctx, e);
  if (p.n !== null && p.n <= 2 * p.usableCores) {
    reason(
      ctx,
      "FEW_ITEMS",
      `Only ${plural(p.n, "item")} for ${plural(p.usableCores, "usable core")}: chunks of ${c} give ${plural(e.chunks, "chunk")}, ` +
        `so how the last ones fall on the workers decides the run time.`,
    );
  }
  if (workers > p.capacity) {
    const atCores = Math.floor(p.capacity) >= 1 ? bestWith(ctx, Math.max(1, Math.floor(p.capacity))) : null;
    const compare =
      atCores !== null && atCores.wallMs > e.wallMs
        ? `, which beats ${plural(atCores.workers, "worker")} (${formatMs(atCores.wallMs)}, ${formatPercent(atCores.wallMs / e.wallMs - 1)} slower) because the last items finish together instead of one after another`
        : "";
    reason(
      ctx,
      "OVERSUBSCRIBED",
      `${plural(workers, "worker")} share ${formatNumber(p.capacity)} cores' worth of CPU: time slicing costs about ${formatMs(b.oversubscriptionMs)}${compare}.`,
    );
  }
  if (p.cv > 0 && p.n !== null && ctx.constraints.chunkSize === undefined) {
    const uniform = searchParallel(
      { ...p, cv: 0 },
      { workers: [workers], chunkSize: undefined, memory: true },
    ).best;
    if (uniform !== null && uniform.chunkSize !== null && uniform.chunkSize > c) {
      reason(
        ctx,
        "IMBALANCE",
        `Item times vary (cv ${formatNumber(p.cv)}): chunks of ${c} keep the end-of-run tail to ${formatMs(b.imbalanceMs)}; ` +
          `with uniform items chunks of ${uniform.chunkSize} would do.`,
      );
    }
  }
  if (!ctx.reasons.some((r) => r.code === "IMBALANCE") && e.wallMs > 0 && b.imbalanceMs >= 0.05 * e.wallMs) {
    reason(
      ctx,
      "IMBALANCE",
      `Workers sit idle at the end of the run for about ${formatMs(b.imbalanceMs)} (${formatPercent(b.imbalanceMs / e.wallMs)} of it) while the last chunks finish.`,
    );
  }
  if (capped !== null) reason(ctx, "MEMORY_CAPPED", memoryMessage(ctx, workers, c, capped));
  quotaReason(ctx);
  moduleLoadReason(ctx, workers);
  warmupReason(ctx, workers);
  helperReason(ctx, workers);
  contentionReason(ctx, workers);
  uncertainReason(ctx, c);
  fixedReasons(ctx);
}

/**
 * What `constraints.chunkTimeoutMs` did to the plan: CHUNK_TIMEOUT_BOUND when the model
 * would have chosen otherwise without it, and a warning when a chunk of the plan (a fixed
 * size) or even a single item is predicted to run past it. `chosen` is null for a serial plan.
 */
function timeoutNotes(ctx: Context, chosen: Evaluation | null): void {
  const { p, constraints } = ctx;
  const timeoutMs = p.chunkTimeoutMs;
  if (timeoutMs === null) return;
  const named = `constraints.chunkTimeoutMs (${formatMs(timeoutMs)})`;
  if (constraints.chunkSize === undefined) {
    const free = searchParallel(
      { ...p, chunkTimeoutMs: null },
      { workers: ctx.workerRange, chunkSize: undefined, memory: true },
    ).best;
    const freeFits = free === null || (free.chunkSize ?? 1) <= timeoutChunkLimit(p, free.workers);
    if (!freeFits && (chosen !== null || free!.speedup >= p.minSpeedup)) {
      const share = formatPercent(MODEL_CONSTANTS.chunkTimeoutShare);
      const held =
        chosen === null
          ? `with chunks that short no parallel plan is ${formatFactor(p.minSpeedup)} faster than a loop, where chunks of ${free!.chunkSize} would be`
          : `chunks of ${plural(chosen.chunkSize!, "item")} (up to ${formatMs(slowChunkMs(p, chosen.workers, chosen.chunkSize!))}) are used, not the chunks of ${free!.chunkSize} the model would use otherwise`;
      reason(
        ctx,
        "CHUNK_TIMEOUT_BOUND",
        `${named} bounds the chunks: they are planned to take at most ${share} of it at the slow end (their items' spread, ` +
          `workers sharing cores); ${held}.`,
      );
    }
  }
  if (chosen === null) return;
  const oneMs = slowChunkMs(p, chosen.workers, 1);
  const chunkMs = slowChunkMs(p, chosen.workers, chosen.chunkSize!);
  if (oneMs > timeoutMs) {
    warn(
      ctx,
      "ITEM_EXCEEDS_CHUNK_TIMEOUT",
      `A single item is predicted to take up to ${formatMs(oneMs)} on a worker (items of ${itemTimeText(ctx)}, the slowest sampled ` +
        `${atLeast(ctx)}${formatMs(p.maxItemMs)}), more than ${named}: items may time out even one to a chunk.`,
    );
  } else if (chunkMs > MODEL_CONSTANTS.chunkTimeoutShare * timeoutMs) {
    warn(
      ctx,
      "CHUNK_TIMEOUT_RISK",
      `constraints.chunkSize fixes chunks of ${chosen.chunkSize}, predicted to take up to ${formatMs(chunkMs)}, ` +
        `more than ${formatPercent(MODEL_CONSTANTS.chunkTimeoutShare)} of ${named}: chunks may time out.`,
    );
  }
}

function quotaReason(ctx: Context): void {
  const { p, input } = ctx;
  const quota = p.quotaCpus;
  const cores = input.hardware.cores;
  const machine = cores.affinity.value ?? cores.logical.value;
  if (quota !== null && machine !== null && quota < machine) {
    reason(
      ctx,
      "QUOTA_LIMITED",
      `A CPU quota of ${formatNumber(quota)} CPUs (${cores.quota.source}) bounds the run to ${formatNumber(p.capacity)} cores' worth of CPU time on a machine with ${plural(machine, "core")}.`,
    );
  }
}

/** The best plan with exactly `workers` workers, or null. */
function bestWith(ctx: Context, workers: number): Evaluation | null {
  return searchParallel(ctx.p, { workers: [workers], chunkSize: ctx.constraints.chunkSize, memory: true })
    .best;
}

function planConcurrent(ctx: Context): Plan {
  const { p } = ctx;
  const ideal =
    p.cpuToWall > 0 ? Math.ceil(MODEL_CONSTANTS.ioConcurrencyFactor / p.cpuToWall) : Number.POSITIVE_INFINITY;
  let concurrency = Math.min(ideal, MODEL_CONSTANTS.maxConcurrency, p.n ?? Number.POSITIVE_INFINITY);
  if (p.memoryBudgetBytes !== null) {
    const perItem = p.memoryPerItemBytes + p.inputBytes + p.outputBytes;
    if (perItem > 0) concurrency = Math.min(concurrency, Math.floor(p.memoryBudgetBytes / perItem));
  }
  concurrency = Math.max(1, concurrency);
  const serial = evaluateSerial(p);
  const parallelBest = search(ctx, ctx.workerRange).best;
  ctx.evaluated += 2;
  if (concurrency === 1) {
    ioReason(ctx, 1);
    if (p.n === null) streamReason(ctx, null);
    return finish(ctx, serial, alternatives(ctx, serial, parallelBest));
  }
  const chosen = evaluateConcurrent(p, concurrency);
  ioReason(ctx, concurrency);
  if (p.n === null) streamReason(ctx, null);
  return finish(ctx, chosen, alternatives(ctx, chosen, parallelBest));
}

function toAlternative(e: Evaluation, label: string): Alternative {
  return {
    mode: e.mode,
    workers: e.workers,
    chunkSize: e.chunkSize,
    wallMs: e.wallMs,
    speedup: e.speedup,
    label,
  };
}

/** The configurations weighed and not taken, fastest first. */
function alternatives(ctx: Context, chosen: Evaluation, bestParallel: Evaluation | null): Alternative[] {
  const { p } = ctx;
  const out: Alternative[] = [];
  const seen = new Set<string>([key(chosen)]);
  const add = (e: Evaluation | null, label: string) => {
    if (e === null || seen.has(key(e))) return;
    seen.add(key(e));
    const parallel = e.mode === "parallel";
    const over = parallel && !fitsInMemory(p, e.workers, e.chunkSize ?? 1);
    const late = parallel && (e.chunkSize ?? 1) > timeoutChunkLimit(p, e.workers);
    const notes = [
      over ? `, ${ALTERNATIVE_NOTES.overMemory}` : "",
      late ? `, ${ALTERNATIVE_NOTES.tooLongForTimeout}` : "",
    ];
    out.push(toAlternative(e, `${label}${notes.join("")}`));
  };
  add(evaluateSerial(p), "serial loop");
  if (chosen.mode !== "parallel") add(bestParallel, "best parallel");
  const cores = p.usableCores;
  if (cores <= Math.max(...ctx.workerRange))
    add(bestWith(ctx, cores), `best with ${plural(cores, "worker")} (usable cores)`);
  if (p.n !== null && ctx.constraints.chunkSize === undefined) {
    add(evaluateParallel(p, cores, Math.ceil(p.n / (4 * cores))), "four chunks per worker (usable cores)");
    add(evaluateParallel(p, cores, 1), "one task per item (usable cores)");
  }
  return out.sort((a, b) => a.wallMs - b.wallMs);
}

function key(e: Evaluation): string {
  return `${e.mode}/${e.workers}/${e.chunkSize}/${e.concurrency}`;
}

function finish(ctx: Context, e: Evaluation, alts: Alternative[]): Plan {
  const common = {
    totalItems: ctx.p.n,
    predicted:
      ctx.input.workload.cutOff === undefined
        ? toPrediction(e)
        : { ...toPrediction(e), lowerBound: true as const },
    reasons: ctx.reasons,
    warnings: ctx.warnings,
    candidatesEvaluated: ctx.evaluated,
    alternatives: alts,
  };
  if (e.mode === "parallel") {
    return {
      mode: "parallel",
      workers: e.workers,
      chunkSize: e.chunkSize!,
      maxInFlight: MODEL_CONSTANTS.inFlightPerWorker * e.workers,
      adaptive: ctx.p.n === null || uncertainSample(ctx.p),
      ...common,
    };
  }
  if (e.mode === "concurrent") return { mode: "concurrent", concurrency: e.concurrency!, ...common };
  return { mode: "serial", ...common };
}
