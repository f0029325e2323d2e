// From sampled records to the WorkloadSample that the planner reads. Pure functions of plain data.
import type { PayloadKind, WorkloadSample } from "@amorsize/types";
import { dominantKind, payloadKind } from "../payload.js";
import type { ItemFigures } from "./clock-math.js";
import { cpuToWall, itemTimeFigures, quantile, type TimedFigures, weightedMean } from "./stats.js";

/** What sampling measured of one item (or of its share of a block). */
export interface SampleRecord extends ItemFigures, TimedFigures {
  index: number;
  inBytes: number;
  outBytes: number;
  inKind: PayloadKind;
  outKind: PayloadKind;
  async: boolean;
  /** How many items this record stands for (a sized item of a block stands for its share). */
  weight: number;
  /**
   * Whether the event loop turned while the item's unit had promises pending (see
   * LoopProbe): false when they all settled through microtasks; absent where not watched.
   */
  loopTurned?: boolean;
}

/** One sampled item, its structured-clone sizes, and whether it gave a result (`ok`) or threw. */
export interface SizedItem {
  index: number;
  item: unknown;
  result: unknown;
  ok: boolean;
  inBytes: number;
  /** 0 for an item that threw. */
  outBytes: number;
}

/**
 * The record of a sampled item. Items that threw still took their time: they count in
 * the time figures (under "collect" the executor runs the rest, and a failing item costs
 * what it costs); their output kind is their input's.
 */
export function itemRecord(
  sized: SizedItem,
  figures: ItemFigures,
  async: boolean,
  weight: number,
  loopTurned?: boolean,
): SampleRecord {
  return {
    index: sized.index,
    ...figures,
    inBytes: sized.inBytes,
    outBytes: sized.outBytes,
    inKind: payloadKind(sized.item),
    outKind: sized.ok ? payloadKind(sized.result) : payloadKind(sized.item),
    async,
    weight,
    ...(loopTurned === undefined ? {} : { loopTurned }),
  };
}

/** The workload of an empty input: nothing sampled, nothing to run. */
export function emptyWorkload(sampleWallMs = 0): WorkloadSample {
  return {
    sampled: 0,
    indices: [],
    totalItems: 0,
    itemTimeMs: { mean: 0, median: 0, p90: 0, max: 0, cv: 0 },
    cpuToWall: 1,
    inputBytes: { mean: 0, max: 0 },
    outputBytes: { mean: 0, max: 0 },
    inputKind: "number",
    outputKind: "number",
    memoryBytesPerItem: 0,
    sampleWallMs,
    async: false,
    source: "given",
  };
}

/**
 * The records the time figures rest on. The first calls run while V8 still interprets and
 * then compiles the function, which can make them several times slower than the rest;
 * workers warm up once each, not once per item, so with enough samples (4) the first
 * quarter is left out.
 */
export function timedRecords<T>(records: readonly T[]): readonly T[] {
  return records.length >= 4 ? records.slice(Math.ceil(records.length / 4)) : records;
}

/**
 * `records` with each one's CPU time the thread's own, read fresh (its runtime read just
 * after the process's CPU time, without a scheduler tick's slack), where every record has
 * it; null where one lacks it. The other bounds allow a tick or count every thread of the
 * process, so items that wait can read as computing beside another thread that computes.
 */
export function ownCpuRecords(records: readonly SampleRecord[]): SampleRecord[] | null {
  if (!records.every((m) => m.threadCpuMs != null)) return null;
  return records.map((m) => ({ ...m, cpuMs: m.threadCpuMs! }));
}

/**
 * The workload the records describe. `ran` are the input indices that gave a result, in
 * input order; `totalItems` the input's length when known. No records: an empty input.
 */
export function summarise(
  records: readonly SampleRecord[],
  ran: readonly number[],
  totalItems: number | null,
  sampleWallMs: number,
): WorkloadSample {
  if (records.length === 0) return emptyWorkload(sampleWallMs);
  const timed = timedRecords(records);
  const growth = records.map((m) => Math.max(0, m.heapGrowth)).sort((a, b) => a - b);
  const inMean = weightedMean(records, (m) => m.inBytes);
  const outMean = weightedMean(records, (m) => m.outBytes);
  // Heap growth per item is noisy (a GC can land anywhere); the median is robust, and an
  // item can never need less than its own input and result.
  const memory = Math.max(quantile(growth, 0.5), inMean + outMean);
  return {
    sampled: ran.length,
    indices: [...ran],
    totalItems,
    itemTimeMs: itemTimeFigures(timed),
    cpuToWall: cpuToWall(timed),
    inputBytes: { mean: inMean, max: Math.max(...records.map((m) => m.inBytes)) },
    outputBytes: { mean: outMean, max: Math.max(...records.map((m) => m.outBytes)) },
    inputKind: dominantKind(records.map((m) => m.inKind)),
    outputKind: dominantKind(records.map((m) => m.outKind)),
    memoryBytesPerItem: memory,
    sampleWallMs,
    async: records.some((m) => m.async),
    ...helperShareOf(timed),
    source: "measured",
  };
}

/** A timed unit shorter than this, CPU ms, says nothing of the helper threads (one compile job is as long). */
export const HELPER_MIN_UNIT_MS = 2;

/**
 * Whether a block of `length` items should read the other threads' clocks: only a unit of
 * HELPER_MIN_UNIT_MS or more counts towards the helper share, and reading them costs a
 * schedstat read per thread (about 5 us each, 11 threads in a plain Node process: 55-140 us
 * a reading, two a block). A block expected under half that (`lastItemMs`: the item time
 * the last block measured; null before any) skips them; the first one reads them.
 */
export function readsOtherThreads(lastItemMs: number | null, length: number): boolean {
  return lastItemMs === null || lastItemMs * length >= HELPER_MIN_UNIT_MS / 2;
}

/**
 * Fewest units of at least HELPER_MIN_UNIT_MS a helper share rests on. One unit is no
 * "least": the demo's hashing task (no allocation, its items warm) had one such item in its
 * sample (28 ms, beside items under 1 ms), which ran while the process's helper threads
 * worked on something else (4.6-9.3 ms of their CPU), and read a share of 0.29-0.47 that
 * the model charged every worker: 1055-1175 ms predicted for runs of 547-574 ms, against
 * 594-614 ms predicted where no such unit was sampled.
 */
export const HELPER_MIN_UNITS = 2;

/**
 * The other threads' CPU time per millisecond of the items' own CPU time: the least any
 * unit of at least HELPER_MIN_UNIT_MS showed, over at least HELPER_MIN_UNITS of them (else
 * absent). The least, because what else the process's helper threads do meanwhile comes and
 * goes (compiling the sampler's own code, sweeping an earlier job's garbage) while the work
 * the task gives them does not.
 * Pure.
 */
export function helperShareOf(timed: readonly SampleRecord[]): { helperCpuShare?: number } {
  let least = Number.POSITIVE_INFINITY;
  let units = 0;
  for (const m of timed) {
    if (m.otherCpuMs == null || m.cpuMs * m.weight < HELPER_MIN_UNIT_MS) continue;
    units += 1;
    least = Math.min(least, m.otherCpuMs / m.cpuMs);
  }
  return units >= HELPER_MIN_UNITS ? { helperCpuShare: least } : {};
}
