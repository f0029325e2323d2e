// What a session learns about each task from its runs, bounded and least recently used first out.
import type { ExecutionReport, WorkloadSample } from "@amorsize/types";
import { payloadKind, serializedBytes } from "./payload.js";
import type { TaskData } from "./sample.js";
import { ownMs } from "./sampling/clock-math.js";
import { contentionHolds, type MeasuredWorkload, scaledItemTimes } from "./workload.js";

/** One task's profile: its figures as the next plan takes them, and how the model fared with them. */
export interface TaskProfile {
  /** The task's key (`href#export`) with its module's content hash. */
  readonly key: string;
  /** The figures the next plan rests on: the sample, its item time blended with what runs measured. */
  workload: WorkloadSample;
  /** Items in the input that was sampled: inputs within 4x of it are planned from the profile. */
  readonly sampledItems: number;
  /** Runs that measured the item time (and blended it in). */
  runs: number;
  /** Calls planned from the profile, without sampling. */
  learnedCalls: number;
  /** The last call's prediction error: measured wall time over predicted, minus 1. */
  lastError: number | null;
  /** Mean of the absolute prediction errors of the calls so far. */
  meanAbsError: number | null;
  errors: number;
  /** Runs in the calling thread measured since the item time last moved: each one's item time and items, and their items in all. */
  pending: { runs: PendingRun[]; ran: number };
  /** Parallel runs on warm workers measured since the workers' item time last moved (`WorkloadSample.contention`). */
  pendingWorkers: { runs: PendingRun[]; ran: number };
  /** Runs in a row that read ten times slower than the profile where a preemption could explain it (see `contradicts`). */
  suspectRuns: number;
  /**
   * When the workers' slowdown (`WorkloadSample.contention`) is next taken as stale: after
   * `every` runs in the calling thread taken in since parallel runs last measured it (see
   * {@link CONTENTION_RECHECK_RUNS}).
   */
  contentionCheck: { serialRuns: number; every: number };
  /** The figures `known()` last gave for this profile, kept while its workload and the count are the same. */
  learnedFor: { workload: WorkloadSample; totalItems: number; figures: WorkloadSample } | null;
}

/** A run taken in but not yet blended: its measured item time, over how many items (and on how many workers). */
export interface PendingRun {
  itemMs: number;
  ran: number;
  workers?: number;
}

/** What a run measured: its mode, its busy time and the items it ran. */
export interface RunFigures {
  mode: ExecutionReport["mode"];
  busyMs: number;
  /** Of `busyMs`, the workers' waits for a core (`report.queuedMs`), where the run measured them. */
  queuedMs?: number;
  ran: number;
  /** Workers of a parallel run. */
  workers?: number;
  /** The run started workers (`report.taskLoads`): their warm-up is in their time. */
  freshWorkers?: boolean;
  /** The calling thread ran other work beside a serial run's items: its busy time is no item time. */
  sharedThread?: boolean;
  /** A session's `warm()` ran beside the run: its imports, here and on the workers, are in its times. */
  besideWarm?: boolean;
  /**
   * The load other processes put on the machine as the run ended, per usable core (see
   * `currentLoadPerCore`): recorded with a slowdown the run measures, and a slowdown
   * measured in another load band (or without one) is dropped by it.
   */
  loadPerCore?: number;
}

/** How much of a run's measured item time the profile takes in: the weight of the newest run, when it is long. */
export const BLEND = 0.5;
/**
 * A run expected to take this long, milliseconds (its items at the profile's item time),
 * weighs half as much as a long one. A run's busy time carries a fixed part (timers, the
 * call, code still cold in a fresh process) and whatever preempted it: measured over 400
 * calls of ten 50 us items (0.5 ms a run) beside other work, one run's item time differed
 * from the last by a median 5%, 45% at the 90th percentile and 86x at most. Blended at
 * half weight, such runs moved the figure past the 20% within which a plan is reused on
 * one call in three, and each new plan cost more than the call's items.
 */
export const SHORT_RUN_MS = 5;
/**
 * Runs measured together before the item time moves: it moves once their items are
 * expected to take {@link SHORT_RUN_MS} (or this many runs were measured), toward the
 * median item time over their items ({@link itemMedian}), with the weight of one run that
 * long. Ten calls of ten 50 us items move it once, not ten times: a call's plan, made for
 * the profile's figures, is then the same for the next calls (its making is not paid
 * again), and one preempted call among them does not move it (the median leaves it out).
 */
export const MAX_PENDING_RUNS = 64;
/** One run moves the profile's item time at most toward this multiple (or fraction) of it. */
export const MAX_RUN_RATIO = 2;
/**
 * A run in the calling thread whose item time is this many times the profile's (or this
 * fraction of it), over at least {@link CONTRADICTING_RUN_MS}, contradicts the profile:
 * the task's items are no longer what was sampled (numbers of the same size that now ask
 * for a thousand times the work), and the next call samples them again rather than
 * taking a run's worth of blending per halving or doubling. A run expected to be shorter
 * than that which reads slow may have been preempted (a pause of 20 ms makes ten 10 us
 * items read 200 times their time): two such runs in a row are needed.
 */
export const CONTRADICTION_RATIO = 10;
/** See {@link CONTRADICTION_RATIO}: the longer of the run's time and its expected time, milliseconds (a short run preempted reads slow). */
export const CONTRADICTING_RUN_MS = 20;
/** A run this long, milliseconds, ten times slower than expected, contradicts on its own: no preemption pauses a thread that long. */
export const DECISIVE_RUN_MS = 200;
/**
 * Short runs taken in together (see {@link MAX_PENDING_RUNS}) contradict the profile when
 * at least this many of them, and more than half of them, each read
 * {@link CONTRADICTION_RATIO} times the profile's item time or more, over
 * {@link SHORT_RUN_MS} or more of measured time in all; and when they are blended, when
 * their median item reads a tenth of it or less (no pause makes items fast). A few of
 * them preempted do not (two such runs in a row, each long enough, contradict on their
 * own: see {@link CONTRADICTION_RATIO}). Without it, figures a thousand times off (a plan
 * cache entry for the same task and count whose numbers asked for less work: 35 ns an
 * item read back for 50 us items) stayed so over every call of ten items a session made:
 * each one read 0.5 ms, under what one run needs to contradict, and the profile, expecting
 * nanoseconds, took them in at the weight of nanoseconds.
 */
export const CONTRADICTING_RUNS = 5;
/**
 * A parallel run that took at least this many times its predicted time, and longer than
 * the same figures say a plain loop takes, lost to serial by its own figures (see
 * {@link lostToSerial}).
 */
export const PARALLEL_LOSS_RATIO = 2;
/**
 * Loop runs of a task (in the calling thread) taken in after its workers' slowdown was
 * measured before that slowdown is taken as stale and halved (see `ageContention`); the
 * count doubles at each halving, up to {@link CONTENTION_RECHECK_MAX_RUNS}, so a slowdown
 * the workers keep confirming costs a parallel run ever more rarely. A parallel run that
 * measures it lower starts the count again from here.
 */
export const CONTENTION_RECHECK_RUNS = 4;
/** See {@link CONTENTION_RECHECK_RUNS}. */
export const CONTENTION_RECHECK_MAX_RUNS = 64;
/** A slowdown aged below this factor is dropped: the task is planned with none. */
export const CONTENTION_MIN_FACTOR = 1.05;
/** Inputs this many times larger or smaller than the sampled one are sampled again. */
export const ITEM_COUNT_RATIO = 4;
/** A first item this many times larger or smaller than the sampled mean is sampled again. */
export const ITEM_BYTES_RATIO = 2;
/** Below this serialised size, bytes, items count as alike whatever their sizes (a number, a short string). */
const SMALL_ITEM_BYTES = 64;

/** The profiles of a session: at most `capacity`, the least recently used dropped first. */
export class TaskProfiles {
  // A Map iterates in insertion order: deleting and re-inserting on use keeps the oldest first.
  readonly #profiles = new Map<string, TaskProfile>();

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.#profiles.size;
  }

  all(): TaskProfile[] {
    return [...this.#profiles.values()];
  }

  /** The profile, without marking it used. */
  peek(key: string): TaskProfile | undefined {
    return this.#profiles.get(key);
  }

  get(key: string): TaskProfile | undefined {
    const profile = this.#profiles.get(key);
    if (profile !== undefined) {
      this.#profiles.delete(key);
      this.#profiles.set(key, profile);
    }
    return profile;
  }

  /**
   * The learned figures for this input when the profile holds and the input looks like the
   * sampled one: an array or typed array (the first item is read without consuming
   * anything), the same item kind, a count within 4x and a first item within 2x of the
   * sampled mean size. Null means: sample.
   */
  known(key: string, data: TaskData, totalItems: number | null): MeasuredWorkload | null {
    const profile = this.#profiles.get(key);
    if (profile === undefined || totalItems === null || !looksAlike(profile, data, totalItems)) return null;
    this.get(key);
    // This input had nothing sampled: no indices of its own (the profile keeps the sample's).
    let memo = profile.learnedFor;
    if (memo === null || memo.workload !== profile.workload || memo.totalItems !== totalItems) {
      const figures = { ...profile.workload, totalItems, sampleWallMs: 0, indices: [] };
      memo = profile.learnedFor = { workload: profile.workload, totalItems, figures };
    }
    const workload = memo.figures;
    const none = { precomputed: new Map(), failures: new Map(), warnings: [] };
    return { workload, workloadSource: "cached", data, ...none };
  }

  /** Drops the profile under `key`, if any: the next call of the task samples. */
  forget(key: string): void {
    this.#profiles.delete(key);
  }

  /**
   * After a sampled call: a fresh profile from its figures (the previous one, if any, is
   * replaced; the slowdown its parallel runs measured, `contention`, is kept).
   */
  sampled(key: string, workload: WorkloadSample): TaskProfile | null {
    if (workload.source !== "measured" || workload.totalItems === null || workload.sampled === 0) return null;
    // A sample cut off waiting for items holds a lower bound, not their time: no profile
    // (as no plan-cache entry), so the next call samples again.
    if (workload.cutOff !== undefined) return null;
    // What workers computing at once cost the task is the task's and the machine's, not the input's: kept.
    const learned = this.#profiles.get(key)?.workload.contention;
    const profile: TaskProfile = {
      key,
      // The sample as taken, its indices included (a plan-cache entry checks them against its count).
      workload:
        learned === undefined || workload.contention !== undefined
          ? workload
          : { ...workload, contention: learned },
      sampledItems: workload.totalItems,
      runs: 0,
      learnedCalls: 0,
      lastError: null,
      meanAbsError: null,
      errors: 0,
      pending: { runs: [], ran: 0 },
      pendingWorkers: { runs: [], ran: 0 },
      suspectRuns: 0,
      contentionCheck: { serialRuns: 0, every: CONTENTION_RECHECK_RUNS },
      learnedFor: null,
    };
    this.#profiles.delete(key);
    this.#profiles.set(key, profile);
    while (this.#profiles.size > this.capacity) {
      const oldest = this.#profiles.keys().next().value as string;
      this.#profiles.delete(oldest);
    }
    return profile;
  }

  /**
   * After a run: the item time it measured over the items it ran, sampled ones left out
   * (busy time; a parallel run's less its workers' waits for a core where told) taken
   * in, and the model's error recorded. A serial run moves the item time; a parallel run on warm
   * workers moves what an item takes in workers computing at once (`contention`: of the
   * item time, at least 1; a parallel run that reads items faster than the item time moves
   * the item time down instead, the sample was slow). A move of either keeps the other
   * measured figure: the item time moving leaves the workers' item time where the runs put
   * it. A run on fresh workers is left out of the workers' figure (their warm-up is in it).
   * Each moves once the runs taken in since it last moved are long enough together
   * ({@link MAX_PENDING_RUNS}); `runs` counts the runs it moved for. A concurrent run (items
   * overlapping in the calling thread), a cluster's, and a serial run whose thread did other
   * work beside it (`sharedThread`) move neither.
   */
  learn(profile: TaskProfile, run: RunFigures, predictionError: number | null): "contradicted" | null {
    if (predictionError !== null && Number.isFinite(predictionError)) {
      profile.lastError = predictionError;
      const total = (profile.meanAbsError ?? 0) * profile.errors + Math.abs(predictionError);
      profile.errors++;
      profile.meanAbsError = total / profile.errors;
    }
    if (run.loadPerCore !== undefined) dropForeignContention(profile, run.loadPerCore);
    const { ran, mode } = run;
    // A warm-up's imports ran beside it: its times are no item's, here or on the workers.
    if (run.besideWarm === true) return null;
    // Items overlap in a concurrent run and on a cluster: no one item's time is seen.
    if (ran === 0 || mode === "cluster" || mode === "concurrent") return null;
    const mean = profile.workload.itemTimeMs.mean;
    if (mean <= 0) return null;
    if (mode === "parallel") {
      const own = ownMs(run);
      if (run.freshWorkers !== true && own > 0)
        learnWorkers(profile, { itemMs: own / ran, ran, workers: run.workers ?? 1 }, run.loadPerCore);
      return null;
    }
    // The calling thread's busy time, an item's awaits included (a minifier's promise API
    // does its work there), without its waits for a stream's consumer or source.
    if (!(run.busyMs > 0) || run.sharedThread === true) return null;
    const verdict = contradicts(mean, run.busyMs, ran);
    if (verdict === "contradicts" || (verdict === "suspect" && profile.suspectRuns >= 1))
      return "contradicted";
    profile.suspectRuns = verdict === "suspect" ? profile.suspectRuns + 1 : 0;
    const { pending } = profile;
    pending.runs.push({ itemMs: run.busyMs / ran, ran });
    pending.ran += ran;
    const expectedMs = pending.ran * mean;
    const blend = expectedMs >= SHORT_RUN_MS || pending.runs.length >= MAX_PENDING_RUNS;
    if (slowTogether(pending.runs, mean)) return "contradicted";
    if (!blend) return null;
    const median = itemMedian(pending.runs);
    if (median * CONTRADICTION_RATIO <= mean) return "contradicted";
    const scale = blendScale(mean, median, expectedMs);
    const { contention } = profile.workload;
    profile.workload = knownFromRuns(
      scaledItemTimes(profile.workload, scale),
      median,
      mean * scale,
      pending.ran,
    );
    if (contention !== undefined) withContention(profile, contention.factor * mean, contention);
    profile.runs += pending.runs.length;
    ageContention(profile, pending.runs.length);
    profile.pending = { runs: [], ran: 0 };
    return null;
  }
}

/**
 * What a calling-thread run of `ran` items in `busyMs` says of an item time of `meanMs`
 * (see {@link CONTRADICTION_RATIO}): `contradicts` on its own (a run expected to take
 * 20 ms or more that took ten times that or a tenth: a pause cannot make a run fast, nor
 * ten times a long one; or one ten times slow over {@link DECISIVE_RUN_MS}); `suspect`
 * when only a run expected shorter read ten times slow, over 20 ms (a preemption would
 * read so too); null otherwise.
 */
export function contradicts(meanMs: number, busyMs: number, ran: number): "contradicts" | "suspect" | null {
  const itemMs = busyMs / ran;
  const expectedMs = meanMs * ran;
  const slow = itemMs >= CONTRADICTION_RATIO * meanMs && busyMs >= CONTRADICTING_RUN_MS;
  const fast = itemMs * CONTRADICTION_RATIO <= meanMs;
  if ((expectedMs >= CONTRADICTING_RUN_MS && (slow || fast)) || (slow && busyMs >= DECISIVE_RUN_MS))
    return "contradicts";
  return slow ? "suspect" : null;
}

/**
 * Whether a parallel run lost to serial by the figures it was planned from: it took
 * {@link PARALLEL_LOSS_RATIO} times the predicted time or more, longer than the serial
 * time the same figures predict, and {@link CONTRADICTING_RUN_MS} or more. Figures that
 * chose workers for a job a loop does faster are wrong however far from tenfold they are
 * (`contradicts`): a compressor's items sampled 2.4 times slower than they run, cached,
 * planned every later call on two workers, 352-399 ms against 97-114 ms for a loop and
 * 95 ms predicted. A pause can make a short run read so too; what it costs is one sample.
 */
export function lostToSerial(
  predictedWallMs: number,
  predictedSerialMs: number,
  measuredWallMs: number,
): boolean {
  return (
    measuredWallMs >= CONTRADICTING_RUN_MS &&
    measuredWallMs >= PARALLEL_LOSS_RATIO * predictedWallMs &&
    measuredWallMs > predictedSerialMs
  );
}

/** A run's time against what the figures it was planned from predicted. */
export interface RunMeasured {
  measuredWallMs: number;
  predictedWallMs: number;
  /** What the same figures predict for a plain loop over the items the run ran. */
  predictedSerialMs: number;
  /** The run was on workers. */
  parallel: boolean;
}

/**
 * Whether one run contradicts the figures it was planned from: it took ten times what they
 * predicted over 200 ms or more, or a tenth or ten times of 20 ms or more predicted (see
 * {@link contradicts}), or it ran on workers and lost to the loop those figures predict
 * (see {@link lostToSerial}). Pure.
 */
export function runContradicts(run: RunMeasured): boolean {
  const { measuredWallMs, predictedWallMs } = run;
  if (!(predictedWallMs > 0)) return false;
  // One run: only what no pause explains.
  if (contradicts(predictedWallMs, measuredWallMs, 1) === "contradicts") return true;
  return run.parallel && lostToSerial(predictedWallMs, run.predictedSerialMs, measuredWallMs);
}

/**
 * A parallel run on warm workers taken in: the workers' item time moved once the runs add
 * up, with the load (`loadPerCore`) of the run that moved it.
 */
function learnWorkers(profile: TaskProfile, run: PendingRun, loadPerCore: number | undefined): void {
  const pending = profile.pendingWorkers;
  pending.runs.push(run);
  pending.ran += run.ran;
  const mean = profile.workload.itemTimeMs.mean;
  const { contention } = profile.workload;
  const workerMs = mean * (contention?.factor ?? 1);
  const expectedMs = pending.ran * workerMs;
  if (expectedMs < SHORT_RUN_MS && pending.runs.length < MAX_PENDING_RUNS) return;
  const measuredMs = itemMedian(pending.runs);
  const movedMs = workerMs * blendScale(workerMs, measuredMs, expectedMs);
  const threads = Math.max(...pending.runs.map((r) => r.workers ?? 1));
  const runs = (contention?.runs ?? 0) + pending.runs.length;
  // Fresh evidence: the slowdown is stale again only after as many loop runs as before, or,
  // when the workers ran faster than it said (the load that slowed them went), after the first count.
  profile.contentionCheck.serialRuns = 0;
  if (movedMs < workerMs) profile.contentionCheck.every = CONTENTION_RECHECK_RUNS;
  if (movedMs < mean) {
    // The workers ran items faster than the sample said: the sample was slow, not the workers.
    const { contention: _dropped, ...rest } = scaledItemTimes(profile.workload, movedMs / mean);
    profile.workload = rest;
  } else
    withContention(profile, movedMs, {
      threads,
      runs,
      ...(loadPerCore === undefined ? {} : { loadPerCore }),
    });
  profile.workload = knownFromRuns(profile.workload, measuredMs, movedMs, pending.ran);
  profile.runs += pending.runs.length;
  profile.pendingWorkers = { runs: [], ran: 0 };
}

/**
 * The figures once runs over `ran` items measured an item at `measuredMs` and moved the
 * figure to `movedMs`: the mean is known as closely as those items' own spread over the
 * root of their count says (a run's busy time sums them), or as far as the runs still
 * read from it, whichever is more, where that is closer than the sample said. The tail and
 * the trend stay the sample's (runs see no single item). A session's medium calls kept
 * the ±27% of a first sample of three items over 29 runs of 200 items that read their
 * mean within 1%, and every plan kept the smaller chunks of an uncertain sample (4 a
 * worker: 109 ms a call against 103 for 2 chunks of 100).
 */
function knownFromRuns(
  workload: WorkloadSample,
  measuredMs: number,
  movedMs: number,
  ran: number,
): WorkloadSample {
  const { spread } = workload;
  if (spread === undefined || !(ran > 0) || !(movedMs > 0)) return workload;
  const error = Math.max(workload.itemTimeMs.cv / Math.sqrt(ran), Math.abs(measuredMs - movedMs) / movedMs);
  if (!(error < spread.relativeError)) return workload;
  return { ...workload, spread: { ...spread, relativeError: error } };
}

/**
 * Loop runs taken in since the workers' slowdown was last measured: once they reach the
 * profile's count, the slowdown's excess over 1 is halved (dropped below
 * {@link CONTENTION_MIN_FACTOR}), and the count doubles (up to
 * {@link CONTENTION_RECHECK_MAX_RUNS}). A slowdown measured while other processes loaded the
 * machine can make every plan of the task serial, and serial runs never measure workers:
 * without aging, it held for the session's life and for the plan cache's. Aged, the task
 * runs on workers again when the halved figure says so, and those runs measure it afresh.
 */
function ageContention(profile: TaskProfile, runs: number): void {
  const check = profile.contentionCheck;
  const { contention, ...rest } = profile.workload;
  if (contention === undefined) {
    check.serialRuns = 0;
    return;
  }
  check.serialRuns += runs;
  if (check.serialRuns < check.every) return;
  check.serialRuns = 0;
  const factor = 1 + (contention.factor - 1) / 2;
  if (factor < CONTENTION_MIN_FACTOR) {
    // Gone: a slowdown learned again later ages from the first count.
    profile.workload = rest;
    check.every = CONTENTION_RECHECK_RUNS;
    return;
  }
  check.every = Math.min(CONTENTION_RECHECK_MAX_RUNS, 2 * check.every);
  profile.workload = { ...rest, contention: { ...contention, factor } };
}

/** The profile's workers' item time set to `workerMs` (no contention where it is not above the item time). */
function withContention(
  profile: TaskProfile,
  workerMs: number,
  learned: { threads: number; runs: number; loadPerCore?: number | undefined },
): void {
  const { contention: _old, ...rest } = profile.workload;
  const factor = workerMs / rest.itemTimeMs.mean;
  const { threads, runs, loadPerCore } = learned;
  const at = loadPerCore === undefined ? {} : { loadPerCore };
  profile.workload = factor > 1 ? { ...rest, contention: { factor, threads, runs, ...at } } : rest;
}

/** The profile's workers' slowdown dropped where it does not hold at `loadNow` (see {@link contentionHolds}). */
function dropForeignContention(profile: TaskProfile, loadNow: number): void {
  const { contention, ...rest } = profile.workload;
  if (contention === undefined || contentionHolds(contention, loadNow)) return;
  profile.workload = rest;
  profile.contentionCheck = { serialRuns: 0, every: CONTENTION_RECHECK_RUNS };
}

/**
 * The factor a run moves the profile's mean item time by: toward the run's measured item
 * time, at most {@link MAX_RUN_RATIO} of it either way, with a weight of {@link BLEND}
 * for a long run and less for a short one (`expectedMs`: what the run takes at the
 * profile's figure, so that a preempted run does not weigh more for having been slow).
 */
export function blendScale(meanMs: number, measuredMs: number, expectedMs: number): number {
  const ratio = Math.min(MAX_RUN_RATIO, Math.max(1 / MAX_RUN_RATIO, measuredMs / meanMs));
  const weight = (BLEND * expectedMs) / (expectedMs + SHORT_RUN_MS);
  return 1 + weight * (ratio - 1);
}

/**
 * Whether runs not yet blended already read ten times slower than `meanMs` together (see
 * {@link CONTRADICTING_RUNS}): enough of them each ten times slow, and more than half of
 * the runs, long enough in all, to say so where preemptions cannot. Counted by runs, not
 * items: one large run paused is one run.
 */
function slowTogether(runs: readonly PendingRun[], meanMs: number): boolean {
  if (runs.length < CONTRADICTING_RUNS) return false;
  let measuredMs = 0;
  let slow = 0;
  for (const run of runs) {
    measuredMs += run.itemMs * run.ran;
    if (run.itemMs >= CONTRADICTION_RATIO * meanMs) slow++;
  }
  return measuredMs >= SHORT_RUN_MS && slow >= CONTRADICTING_RUNS && 2 * slow > runs.length;
}

/**
 * The median item time over the items of `runs`, each run's items at its own measured
 * time: one preempted short run among ten is left out, and a long run outweighs short ones.
 */
export function itemMedian(runs: readonly PendingRun[]): number {
  const sorted = [...runs].sort((a, b) => a.itemMs - b.itemMs);
  const half = sorted.reduce((sum, run) => sum + run.ran, 0) / 2;
  let seen = 0;
  for (const run of sorted) {
    seen += run.ran;
    if (seen >= half) return run.itemMs;
  }
  return sorted[sorted.length - 1]!.itemMs;
}

function looksAlike(profile: TaskProfile, data: TaskData, totalItems: number): boolean {
  const ratio = totalItems / Math.max(1, profile.sampledItems);
  if (ratio > ITEM_COUNT_RATIO || ratio < 1 / ITEM_COUNT_RATIO) return false;
  const first = firstItem(data);
  if (first === NOT_READ) return false;
  if (payloadKind(first.value) !== profile.workload.inputKind) return false;
  let bytes: number;
  try {
    // A number, boolean, null or undefined serialises to at most 11 bytes: no need to ask.
    bytes = isSmallPrimitive(first.value) ? 0 : serializedBytes(first.value);
  } catch {
    return false;
  }
  const mean = profile.workload.inputBytes.mean;
  if (bytes <= SMALL_ITEM_BYTES && mean <= SMALL_ITEM_BYTES) return true;
  return bytes <= mean * ITEM_BYTES_RATIO && bytes * ITEM_BYTES_RATIO >= mean;
}

const NOT_READ = Symbol("not read");

function isSmallPrimitive(value: unknown): boolean {
  return value === null || value === undefined || typeof value === "number" || typeof value === "boolean";
}

/** The first item of an array or typed array; an iterable is not read (that would consume it). */
function firstItem(data: TaskData): { value: unknown } | typeof NOT_READ {
  if (Array.isArray(data)) return data.length > 0 ? { value: data[0] } : NOT_READ;
  if (ArrayBuffer.isView(data) && !(data instanceof DataView)) {
    const array = data as unknown as ArrayLike<unknown>;
    return array.length > 0 ? { value: array[0] } : NOT_READ;
  }
  return NOT_READ;
}
