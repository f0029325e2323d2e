import { type CloneError, importTask, type ResolvedTask, resolveTask } from "@amorsize/executor";
import {
  parseInput,
  SampleTaskOptionsSchema,
  type SampleTaskPlainOptions,
  type TaskRefInput,
  type WorkloadSample,
} from "@amorsize/types";
import { coldLimits, coldReading, readCold, withColdReading } from "./cold-sample.js";
import { type CutOff, GuardedSampleSession, type SampleGuard } from "./sampling/guarded.js";
import { ranIndices } from "./sampling/order.js";
import { type SampleRecord, summarise, timedRecords } from "./sampling/records.js";
import { type CloneMeters, SampleSession } from "./sampling/session.js";
import { scaledToSizes } from "./sampling/size-scale.js";
import {
  assertTaskData,
  isRandomAccess,
  sampleArray,
  sampleIterable,
  type TaskData,
} from "./sampling/source.js";
import { sampleSpread } from "./sampling/stats.js";
import { resolveLimits } from "./sampling/stop.js";
import type { TimedItem } from "./warmup.js";

export { spreadIndices } from "./sampling/order.js";
export { emptyWorkload } from "./sampling/records.js";
export type { TaskData } from "./sampling/source.js";
export { SAMPLE_DEFAULTS } from "./sampling/stop.js";

/** What sampling learned, and what it computed on the way. */
export interface SampleResult {
  workload: WorkloadSample;
  /** Results of the sampled items by input index: reused, so no item runs twice. */
  precomputed: Map<number, unknown>;
  /** Items that threw while sampled (only under `onError: "collect"`), by input index. */
  failures: Map<number, unknown>;
  /**
   * Sampled items that ran here but cannot be sent to a worker, or whose results a worker
   * could not send back: their CloneError, by input index (their results are in
   * `precomputed`). A call that runs in the calling thread keeps them; one that needs
   * workers fails them (see `unsendablePlan`). Absent: none.
   */
  unsendable?: ReadonlyMap<number, CloneError>;
  /**
   * The input to use from now on, instead of the original: the same items in the same
   * order. An iterator that sampling read from is re-joined, so nothing is lost or repeated.
   */
  data: TaskData;
  /** With `confirms`: what it last answered (true: sampling stopped there). */
  confirmed?: boolean;
  /** Guarded sampling: a block cut off at the time bound (its items taken as at least that slow). */
  cutOff?: CutOff;
  /** Guarded sampling: the task module's load in a fresh worker, milliseconds. */
  moduleLoadMs?: number;
  /**
   * Sampled items timed alone in the calling thread that gave a result, in the order they
   * ran, with their own time, milliseconds, and their input's cloned size (blocks of fast items and guarded sampling
   * give none): what a fresh worker's warm-up is measured against.
   */
  timedItems?: TimedItem[];
  /**
   * The own time of the items the time figures rest on (`timedRecords`: the first quarter
   * of the records left out), milliseconds, summed: blocks of items as well as items timed
   * alone. With `timedItems` (their `inBasis`), what a cold reading corrects.
   */
  basisMs?: number;
}

export interface SampleTaskOptions extends SampleTaskPlainOptions {
  /** Called once, with the mean item time of the first timed unit (cold, so an upper estimate), milliseconds. */
  onFirstTiming?: (itemMs: number) => void;
  /** Stops sampling: the call rejects with `signal.reason` between items. */
  signal?: AbortSignal;
  /**
   * When an iterable source fails while sampled: false (default) rejects with its
   * `SourceError`; true keeps what was read, so the returned `data` gives those items and
   * then throws the SourceError (`stream()` delivers what completed before it ends).
   */
  deferSourceError?: boolean;
  /**
   * Asked after the first timing unit (usually one item), with the figures it gave: true
   * stops sampling there. False is asked about once more, with the next unit's figures
   * alone (a pause lands in one unit). The optimizer checks cached figures this way: one
   * item that confirms them costs one item, and two that contradict them let sampling go on.
   */
  confirms?: (first: WorkloadSample) => boolean;
  /**
   * Run the sampled items in a worker under these guards instead of in this thread: an
   * item that exits, aborts, loops, never settles or runs out of memory then fails as that
   * item (or, past `boundMs`, is taken as at least that slow) instead of ending the caller.
   */
  guard?: SampleGuard;
  /**
   * This thread has not run the task before (its first call in the process, say): sample
   * with the larger cold limits where the caller set none (see `coldLimits`), and read the
   * figures as the task runs once V8 has compiled it (see `readCold`): where the first items
   * ran slower than the later ones' spread explains, the item times are scaled to the later
   * ones, and what the first ones cost beyond them is `workload.warmup`, which each fresh
   * worker pays too. A cold sample read raw prices the job by its slowest, first items: the
   * demo's skewed hashing task sampled at 8.4 ms an item against 2.9 ms in a warm loop.
   * With `guard`, the worker's items timed alone are read so (its worker is fresh), and an
   * input whose items mostly wait keeps the warm limits.
   */
  cold?: boolean;
}

/**
 * Runs the task on a few items in this thread to learn its per-item time, CPU share,
 * payload sizes and memory. Stops at `maxItems`, or once `budgetMs` is spent and either
 * `minItems` ran or items are so slow that more would cost more than they tell.
 */
export async function sampleTask(
  task: TaskRefInput | ResolvedTask,
  data: TaskData,
  options: SampleTaskOptions = {},
): Promise<SampleResult> {
  const {
    signal,
    onFirstTiming,
    deferSourceError = false,
    confirms,
    guard,
    cold = false,
    ...plainOptions
  } = options;
  signal?.throwIfAborted();
  const {
    onError = "throw",
    totalItems,
    parallelism = 1,
    ...sampleOptions
  } = parseInput(SampleTaskOptionsSchema, plainOptions, "options");
  const resolved = "href" in task ? task : resolveTask(task);
  const guarded = guard ?? (sampleOptions.isolate === true ? {} : undefined);
  // A guarded sample runs the task in a worker only: nothing of it is imported here.
  const fn = guarded === undefined ? await importTask(resolved) : null;
  assertTaskData(data);
  const random = isRandomAccess(data);
  const warmLimits = resolveLimits(sampleOptions, random ? data.length : (totalItems ?? null), parallelism);
  const limits = cold ? coldLimits(warmLimits, sampleOptions) : warmLimits;
  // A guarded sample's items are awaited one at a time: one that waits takes the cold
  // budget in waits (an I/O-bound task's call took 100 ms longer).
  const waitingLimits = cold && guarded !== undefined ? warmLimits : undefined;
  const sessionOptions = { limits, waitingLimits, onError, signal, onFirstTiming, confirms };
  const session =
    fn === null
      ? new GuardedSampleSession(resolved, sessionOptions, guarded!)
      : new SampleSession(fn, sessionOptions);
  const read = await readSample(data, session, signal, deferSourceError);
  const ran = ranIndices(session.ranges, session.precomputed);
  const workload = summarise(session.records, ran, read.length ?? totalItems ?? null, session.elapsedMs());
  const measured = withSpread(withCloneCosts(workload, session.clone), session.records, session.unitTimes);
  const sized = random ? scaledToSizes(measured, session.records, data) : measured;
  const cutOff = session instanceof GuardedSampleSession ? session.cutOff : null;
  const result: SampleResult = {
    workload: cutOff === null ? sized : { ...sized, cutOff: { items: cutOff.length, ms: cutOff.ms } },
    precomputed: session.precomputed,
    failures: session.failures,
    ...(session.unsendable.size > 0 ? { unsendable: session.unsendable } : {}),
    data: read.data,
    // An input that ended after its first unit was not asked yet.
    ...(confirms === undefined ? {} : { confirmed: session.confirm() === true }),
    ...(session instanceof GuardedSampleSession ? guardedFigures(session) : timedFigures(session)),
  };
  if (!cold) return result;
  if (!(session instanceof GuardedSampleSession)) return readCold(result);
  // A block cut off at the bound is a lower bound, no warm reference.
  if (session.cutOff !== null) return result;
  // Its items timed alone are read for this only: a worker's cold items are no warm
  // reference for a warm-up probe (see `SampleResult.timedItems`).
  const { timedItems, basisMs } = timedFigures(session);
  return withColdReading(result, coldReading(timedItems ?? [], result.workload.cpuToWall, basisMs));
}

/**
 * Runs the session over the input (an array or typed array by index, anything else as it
 * iterates) and closes it: the input to use after (an iterator re-joined) and its length
 * when known. A source that failed while read throws here unless the caller defers it.
 */
async function readSample(
  data: TaskData,
  session: SampleSession | GuardedSampleSession,
  signal: AbortSignal | undefined,
  deferSourceError: boolean,
): Promise<{ data: TaskData; length: number | null }> {
  try {
    if (isRandomAccess(data)) {
      await sampleArray(data, session);
      return { data, length: data.length };
    }
    const sampled = await sampleIterable(data, signal, session);
    if (sampled.failure !== null && !deferSourceError) throw sampled.failure;
    return sampled;
  } finally {
    await session.close();
  }
}

/**
 * Items the calling thread timed alone and that gave a result, each marked when the time
 * figures rest on it, and those figures' own time (see `SampleResult.timedItems`, `basisMs`).
 */
function timedFigures(
  session: SampleSession | GuardedSampleSession,
): Pick<SampleResult, "timedItems" | "basisMs"> {
  const alone = new Set(session.ranges.filter((r) => r.length === 1).map((r) => r.first));
  const basis = new Set(timedRecords(session.records));
  let basisMs = 0;
  for (const r of basis) basisMs += r.ownMs * r.weight;
  const timedItems = session.records
    .filter((r) => alone.has(r.index) && r.weight === 1 && !session.failures.has(r.index))
    .map((r) => ({ index: r.index, ms: r.ownMs, bytes: r.inBytes, inBasis: basis.has(r) }));
  return { timedItems, basisMs };
}

function guardedFigures(session: GuardedSampleSession): Pick<SampleResult, "cutOff" | "moduleLoadMs"> {
  return {
    ...(session.cutOff === null ? {} : { cutOff: session.cutOff }),
    ...(session.moduleLoadMs === null ? {} : { moduleLoadMs: session.moduleLoadMs }),
  };
}

/**
 * The workload with what cloning its sampled items and results cost, timed only where the
 * model prices by it: when items or results are object graphs. Numbers, strings and arrays
 * are priced by the spawn-cost profile's figures, and timing their values cost 100 KB arrays
 * of doubles ~4 ms of a 10 ms decision (a megabyte serialised and read back, and the garbage
 * it left).
 */
export function withCloneCosts(workload: WorkloadSample, clone: CloneMeters): WorkloadSample {
  if (workload.source !== "measured") return workload;
  if (workload.inputKind !== "object" && workload.outputKind !== "object") return workload;
  const item = clone.item.means();
  const result = clone.result.means();
  if (item === null || result === null) return workload;
  return {
    ...workload,
    cloneMs: {
      itemSerialize: item.serializeMs,
      itemDeserialize: item.deserializeMs,
      resultSerialize: result.serializeMs,
      resultDeserialize: result.deserializeMs,
    },
  };
}

/** The workload with how far its figures may be off (the cold first calls left out, as in its times). */
function withSpread(
  workload: WorkloadSample,
  records: readonly SampleRecord[],
  unitTimes: readonly number[],
): WorkloadSample {
  if (workload.source !== "measured") return workload;
  return { ...workload, spread: sampleSpread(timedRecords(records), unitTimes) };
}
