import type { IndexRange } from "@amorsize/executor";
import { CODEC, encodeEach, type Refused } from "./codec.js";
import { CLUSTER_DEFAULTS } from "./options.js";
import { CHUNK_JOB, type ChunkJobData, chunkJobId } from "./protocol.js";

/** Input indices of each chunk of a run, in input order. */
export type ChunkIndices = readonly (readonly number[])[];

/** Jobs added to the queue in one `addBulk` call: one Redis round trip each, bounded in size. */
export const JOBS_PER_BATCH = 500;

/**
 * Items per job when the run does not say: `ceil(n / 64)`, at least 1, and no more than
 * the live hosts take in one job (`maxJobItems`, the least any states), which they would
 * refuse.
 */
export function defaultChunkSize(items: number, maxJobItems: number | null = null): number {
  const size = Math.max(1, Math.ceil(items / CLUSTER_DEFAULTS.chunksPerRun));
  return maxJobItems === null ? size : Math.min(size, maxJobItems);
}

/**
 * Splits input indices `0..items-1` into chunks of `chunkSize`, leaving out the precomputed
 * ones (their results are known, so they are not sent): the chunks hold what is left, in
 * input order, so a chunk may span a gap.
 */
export function layChunks(
  items: number,
  chunkSize: number,
  precomputed: { has(index: number): boolean },
): { chunks: number[][]; precomputed: number } {
  const chunks: number[][] = [];
  let current: number[] = [];
  let known = 0;
  for (let index = 0; index < items; index++) {
    if (precomputed.has(index)) {
      known += 1;
      continue;
    }
    current.push(index);
    if (current.length === chunkSize) {
      chunks.push(current);
      current = [];
    }
  }
  if (current.length > 0) chunks.push(current);
  return { chunks, precomputed: known };
}

/** First and last input index of a chunk. */
export function chunkRange(indices: readonly number[]): IndexRange {
  return [indices[0] as number, indices[indices.length - 1] as number];
}

/** A chunk job as `Queue.addBulk` takes it. */
export interface ChunkJob {
  readonly name: typeof CHUNK_JOB;
  readonly data: ChunkJobData;
  readonly opts: {
    readonly jobId: string;
    readonly attempts: 1;
    readonly removeOnComplete: { readonly age: number };
    readonly removeOnFail: { readonly age: number };
  };
}

/** Seconds a job may outlive its run: only jobs the run could not remove itself (Redis lost) get that old. */
const ORPHAN_JOB_AGE_S = 86_400;

/** One chunk made ready to send: its job (null when none of its items can travel), and which of its items it carries. */
export interface LaidJob {
  readonly chunk: number;
  readonly job: ChunkJob | null;
  /** Positions in the chunk of the items the job carries, in order. */
  readonly kept: readonly number[];
  /** Items that cannot travel (a function, a symbol...), by position in the chunk. */
  readonly refused: readonly Refused[];
}

/** The job of one chunk, its items encoded; the items that cannot travel are left out. */
export function chunkJob(
  run: { runId: string; module: string; exportName: string },
  chunk: number,
  items: readonly unknown[],
): LaidJob {
  const { payload, kept, refused } = encodeEach(items);
  if (kept.length === 0) return { chunk, job: null, kept, refused };
  const job: ChunkJob = {
    name: CHUNK_JOB,
    data: { runId: run.runId, chunk, module: run.module, export: run.exportName, codec: CODEC, payload },
    opts: {
      jobId: chunkJobId(run.runId, chunk),
      attempts: 1,
      removeOnComplete: { age: ORPHAN_JOB_AGE_S },
      removeOnFail: { age: ORPHAN_JOB_AGE_S },
    },
  };
  return { chunk, job, kept, refused };
}

/** The jobs of chunks `first..first+count-1` of a run, each carrying its items. */
export function chunkJobs(
  run: { runId: string; module: string; exportName: string },
  input: readonly unknown[],
  chunks: ChunkIndices,
  first: number,
  count: number,
): LaidJob[] {
  return chunks.slice(first, first + count).map((indices, offset) =>
    chunkJob(
      run,
      first + offset,
      indices.map((index) => input[index]),
    ),
  );
}
