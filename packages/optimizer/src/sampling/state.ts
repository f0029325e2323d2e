// What every sampling session keeps and how it decides to stop, wherever its items run.
import { performance } from "node:perf_hooks";
import type { CloneError } from "@amorsize/executor";
import type { WorkloadSample } from "@amorsize/types";
import { COLD_MIN_CPU_SHARE } from "../cold-sample.js";
import { CloneMeter } from "../payload.js";
import type { BlockRange } from "./order.js";
import { ownCpuRecords, type SampleRecord, summarise } from "./records.js";
import type { CloneMeters } from "./session.js";
import type { Block, BlockSink } from "./source.js";
import { cpuToWall } from "./stats.js";
import { coldStartMs, jobShareSpent, type SampleLimits, type SampleProgress, stopReason } from "./stop.js";

export interface SessionOptions {
  limits: SampleLimits;
  /**
   * The limits once the items sampled mostly wait (their CPU time under
   * COLD_MIN_CPU_SHARE of their own time), where `limits` are a cold sample's (see
   * `coldLimits`): those give V8 time to compile the task, and a task that waits compiles
   * little while its items take long. Absent: `limits` throughout.
   */
  waitingLimits?: SampleLimits | undefined;
  onError: "throw" | "collect";
  signal?: AbortSignal | undefined;
  /** Called once, with the mean item time of the first timed unit, milliseconds. */
  onFirstTiming?: ((itemMs: number) => void) | undefined;
  /** Asked once, after the first timed unit, with its figures: true stops sampling there. */
  confirms?: ((first: WorkloadSample) => boolean) | undefined;
}

/** One sampling: the items it ran, what they gave, and what was measured of them. */
export abstract class SamplingState implements BlockSink {
  readonly records: SampleRecord[] = [];
  /** Results of the sampled items by input index. */
  readonly precomputed = new Map<number, unknown>();
  /** Items that failed (under `onError: "collect"`), by input index. */
  readonly failures = new Map<number, unknown>();
  /**
   * Sampled items that ran here but that a worker could not be sent, or could not send the
   * result of (their CloneError, by input index): the call decides with its plan what they
   * mean (see `unsendablePlan`). Their results are kept with the others'.
   */
  readonly unsendable = new Map<number, CloneError>();
  /** Every block run. */
  readonly ranges: BlockRange[] = [];
  /** Per-item own time of each timed unit (an item, or a block's mean): queueing left out. */
  readonly unitTimes: number[] = [];
  /** How many items each of `unitTimes` stands for. */
  readonly unitItems: number[] = [];
  /** What cloning the sampled items and results costs, measured as they are sized. */
  readonly clone: CloneMeters = { item: new CloneMeter(), result: new CloneMeter() };
  units = 0;
  /** What `confirms` answered (see `confirm`); undefined before, or without it. */
  confirmed: boolean | undefined = undefined;
  /** Records and units when `confirms` was first asked (null before), and whether it was asked again. */
  private askedAt: { records: number; units: number } | null = null;
  private askedAgain = false;
  protected readonly started = performance.now();
  /** Time spent when the first unit ended (as first seen by shouldStop), ms. */
  private firstUnitMs: number | undefined = undefined;

  constructor(protected readonly options: SessionOptions) {}

  abstract blockSize(): number;
  abstract run(block: Block): Promise<void>;
  abstract close(): void | Promise<void>;

  /** Notes an item or a result that cannot be cloned (its first CloneError). */
  protected noteUnsendable(index: number, error: CloneError): void {
    if (!this.unsendable.has(index)) this.unsendable.set(index, error);
  }

  /** Milliseconds spent sampling. */
  elapsedMs(): number {
    return performance.now() - this.started;
  }

  /**
   * Asks `confirms` as soon as a unit ran, and once more, on the next unit alone, when it
   * disagreed: a pause that lands in one unit (a garbage collection of the caller's heap, a
   * preemption the clock did not see) must not read as a changed task, which every unit
   * shows. Under load, a cached `x + 1` task's first item once read as a contradiction and
   * the call sampled again. Its answer, or undefined before or without it.
   */
  confirm(): boolean | undefined {
    const { confirms } = this.options;
    if (confirms === undefined || this.units === 0) return this.confirmed;
    if (this.askedAt === null) {
      this.askedAt = { records: this.records.length, units: this.units };
      this.confirmed = confirms(summarise(ownCpu(this.records), [], null, this.elapsedMs()));
    } else if (this.confirmed === false && !this.askedAgain && this.units > this.askedAt.units) {
      this.askedAgain = true;
      this.confirmed = confirms(
        summarise(ownCpu(this.records.slice(this.askedAt.records)), [], null, this.elapsedMs()),
      );
    }
    return this.confirmed;
  }

  shouldStop(): boolean {
    if (this.confirm() === true) return true;
    return stopReason(this.progress(), this.limits()) !== null;
  }

  /** Budget left, ms, as the stop rules count it (a cold first unit's allowance left out). */
  budgetLeftMs(): number {
    const progress = this.progress();
    const limits = this.limits();
    return limits.budgetMs - (progress.elapsedMs - coldStartMs(progress, limits));
  }

  /** Whether sampling has spent its share of the job (see `jobShareSpent`). */
  protected shareSpent(): boolean {
    return jobShareSpent(this.progress(), this.limits());
  }

  /** The limits that apply now (see `SessionOptions.waitingLimits`). */
  private limits(): SampleLimits {
    const { limits, waitingLimits } = this.options;
    if (waitingLimits === undefined || this.records.length === 0) return limits;
    return cpuToWall(this.records) < COLD_MIN_CPU_SHARE ? waitingLimits : limits;
  }

  private progress(): SampleProgress {
    const elapsedMs = this.elapsedMs();
    if (this.units > 0) this.firstUnitMs ??= elapsedMs;
    const { units, unitTimes, unitItems, firstUnitMs } = this;
    return { units, elapsedMs, unitTimes, unitItems, firstUnitMs };
  }
}

/**
 * Records as `confirms` reads them: their own CPU time where it reads fresh (see
 * `ownCpuRecords`). A cached task whose items wait 2 ms read as computing (CPU-to-wall
 * 0.98) in two units running while another thread of the process computed (a garbage
 * collector's helper, a worker), and the call sampled again, its entry said contradicted.
 */
function ownCpu(records: readonly SampleRecord[]): readonly SampleRecord[] {
  return ownCpuRecords(records) ?? records;
}
