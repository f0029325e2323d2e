/**
 * The clone phase's I/O: calibrating chunk lengths, timing chunks of each
 * payload kind against a fresh empty-task baseline, round after round until
 * each cell settles or time is up. The rules are in rules.ts and fit.ts.
 */

import v8 from "node:v8";
import { messageOf, type PayloadKind } from "@amorsize/types";
import type { MeasureRecord } from "./assemble.js";
import { SpawnCostMeasurementError } from "./errors.js";
import { clonePlausible } from "./fit.js";
import { KIND_SPECS, type KindSpec } from "./kinds.js";
import type { Bench, MeasuringPool } from "./pool.js";
import { type EchoTask, EMPTY_TASK } from "./protocol.js";
import {
  BASELINE,
  baselineWindow,
  chunkLengths,
  cloneCellWants,
  cloneChunkCap,
  cloneExtendedEnd,
  firstProbeLength,
  guessPerItemUs,
  MAX_CLONE_PROBES,
  nextProbeLength,
} from "./rules.js";
import { median } from "./stats.js";

/** One (size, chunk length) cell being measured. */
interface LiveCell {
  spec: KindSpec;
  /** Structured-clone size of one item, bytes. */
  bytes: number;
  count: number;
  /** The chunk sent; transferred buffers come back and are sent again. */
  items: unknown[];
  /** Extra microseconds per item over an empty task, one per run. */
  samples: number[];
}

/** Measures every kind's cells into `record.clone`; `recentEmptyUs` are the latest empty-task times. */
export async function measureClone(
  bench: Bench,
  pool: MeasuringPool,
  record: MeasureRecord,
  softEnd: number,
  recentEmptyUs: readonly number[],
): Promise<void> {
  const baseline = new Baseline(bench, pool, recentEmptyUs);
  const kinds = new Map<KindSpec, LiveCell[]>();
  for (const spec of KIND_SPECS) {
    try {
      kinds.set(spec, await calibrate(bench, pool, spec, await baseline.measure()));
    } catch (error) {
      failKind(record, spec.kind, error);
    }
  }
  await cloneRounds(bench, pool, kinds, baseline, softEnd, record);
  for (const [spec, cells] of kinds) {
    record.clone[spec.kind] = { cells: cells.map(({ bytes, samples }) => ({ bytes, samples })) };
  }
}

function failKind(record: MeasureRecord, kind: PayloadKind, error: unknown): void {
  record.failures.push(`clone ${kind}: ${messageOf(error)}`);
  record.clone[kind] = { reason: `measuring ${kind} clone cost failed: ${messageOf(error)}` };
}

/**
 * The empty-task time that clone runs are measured against: the median of the
 * latest empty tasks, topped up with a few fresh ones, so that the baseline
 * follows a machine whose load changes while it is measured.
 */
class Baseline {
  readonly #bench: Bench;
  readonly #pool: MeasuringPool;
  #recentUs: number[];

  constructor(bench: Bench, pool: MeasuringPool, recentUs: readonly number[]) {
    this.#bench = bench;
    this.#pool = pool;
    this.#recentUs = baselineWindow(recentUs);
  }

  async measure(): Promise<number> {
    for (let i = 0; i < BASELINE.refresh; i++) {
      const t0 = this.#bench.now();
      await this.#pool.run(EMPTY_TASK, "an empty task");
      this.#recentUs.push((this.#bench.now() - t0) * 1000);
    }
    this.#recentUs = baselineWindow(this.#recentUs);
    return median(this.#recentUs);
  }
}

function newCell(spec: KindSpec, size: number, bytes: number, count: number): LiveCell {
  return {
    spec,
    bytes,
    count,
    items: Array.from({ length: count }, (_, i) => spec.make(size, i)),
    samples: [],
  };
}

/** The cells of one kind: two chunk lengths per item size, sized by calibration runs. */
async function calibrate(
  bench: Bench,
  pool: MeasuringPool,
  spec: KindSpec,
  baselineUs: number,
): Promise<LiveCell[]> {
  const cells: LiveCell[] = [];
  for (const size of spec.sizes) {
    if (bench.now() >= bench.deadline) break;
    const bytes = v8.serialize(spec.make(size, 0)).byteLength;
    const cap = cloneChunkCap(bytes);
    // Calibration runs (also the warm-up of this shape): size the chunks to stand out of the
    // noise. A probe whose extra time is itself within the noise says little about the
    // per-item cost, so grow it until it clearly stands out (or reaches the cap).
    let n: number | undefined = firstProbeLength(cap, guessPerItemUs(spec.kind, bytes));
    let perItem = 0;
    for (let probe = 0; probe < MAX_CLONE_PROBES && n !== undefined; probe++) {
      perItem = await runChunk(bench, pool, newCell(spec, size, bytes, n), baselineUs);
      n = bench.now() >= bench.deadline ? undefined : nextProbeLength(n, perItem, cap);
    }
    for (const count of chunkLengths(perItem, cap)) cells.push(newCell(spec, size, bytes, count));
  }
  return cells;
}

/** Samples every cell that still wants one, round after round, until none does or time is up. */
async function cloneRounds(
  bench: Bench,
  pool: MeasuringPool,
  kinds: Map<KindSpec, LiveCell[]>,
  baseline: Baseline,
  softEnd: number,
  record: MeasureRecord,
): Promise<void> {
  const extendedEnd = cloneExtendedEnd(softEnd, bench.deadline);
  let ran = true;
  while (ran) {
    ran = false;
    for (const [spec, cells] of kinds) {
      const plausible = clonePlausible(spec, cells);
      let baselineUs: number | undefined;
      for (const cell of cells) {
        if (bench.now() >= bench.deadline) return;
        if (!cloneCellWants(cell.samples, plausible, bench.now(), softEnd, extendedEnd)) continue;
        try {
          baselineUs ??= await baseline.measure();
          cell.samples.push(await runChunk(bench, pool, cell, baselineUs));
          ran = true;
        } catch (error) {
          kinds.delete(spec);
          failKind(record, spec.kind, error);
          break;
        }
      }
    }
  }
}

/** Runs one chunk: extra microseconds per item over `baselineUs`. */
async function runChunk(
  bench: Bench,
  pool: MeasuringPool,
  cell: LiveCell,
  baselineUs: number,
): Promise<number> {
  const { spec } = cell;
  const task: EchoTask = { op: "echo", items: cell.items, transfer: spec.transfer };
  const transferList = spec.transfer
    ? (cell.items as Float64Array[]).map((view) => view.buffer as ArrayBuffer)
    : undefined;
  const t0 = bench.now();
  const result = await pool.run(task, `a ${spec.kind} chunk`, transferList);
  const us = (bench.now() - t0) * 1000;
  // Moved buffers came back: they are the only live copies, so they feed the next run.
  if (spec.transfer) {
    if (!Array.isArray(result) || result.length !== cell.count)
      throw new SpawnCostMeasurementError("a transferred chunk came back incomplete");
    cell.items = result;
  }
  return (us - baselineUs) / cell.count;
}
