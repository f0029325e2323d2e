import type { RemoteError } from "./errors.js";

/** Name of every chunk job of a run; hosts and producers recognise runs by it. */
export const CHUNK_JOB = "amorsize-chunk";
/** Name of the measurement jobs of `measureClusterCost()`: answered in the host's main thread. */
export const PROBE_JOB = "amorsize-probe";

/** A chunk as it travels through Redis (JSON). */
export interface ChunkJobData {
  readonly runId: string;
  readonly chunk: number;
  /** Task module URL, as the hosts import it. */
  readonly module: string;
  readonly export: string;
  readonly items: unknown[];
}

/** What a host returns for a chunk (JSON). */
export interface ChunkJobResult {
  /** `hostname:pid` of the host that ran it. */
  readonly host: string;
  /** True when the host skipped the chunk because its run had already been cancelled. */
  readonly cancelled?: boolean;
  /** Set when the host refused to run the chunk (not allowed, unsigned, too large): every item fails with it. */
  readonly refused?: RemoteError;
  /** Results by position in the chunk; `null` where an item failed. */
  readonly results: unknown[];
  readonly errors: ReadonlyArray<{ readonly position: number } & RemoteError>;
  /** Wall time of the chunk on the host, milliseconds. */
  readonly ms: number;
}

/** A measurement job: its payload comes back as it went. */
export interface ProbeJobData {
  readonly runId: string;
  readonly payload: string;
}

/** Job id of one chunk: unique per run, so adding the same chunk twice is a no-op. */
export function chunkJobId(runId: string, chunk: number): string {
  // BullMQ refuses custom ids containing ":".
  return `${runId}-${chunk}`;
}

/** The run id and chunk number of a job id made by `chunkJobId`, or null for someone else's job. */
export function parseChunkJobId(jobId: string): { runId: string; chunk: number } | null {
  const match = /^(.+)-(\d+)$/.exec(jobId);
  return match ? { runId: match[1] as string, chunk: Number(match[2]) } : null;
}

/** Redis key that marks a run cancelled, so hosts skip its remaining chunks. */
export function cancelKey(prefix: string, queueName: string, runId: string): string {
  return `${prefix}:${queueName}:amorsize:cancelled:${runId}`;
}

/** Redis key a live worker host refreshes, holding its concurrency. */
export function hostKey(prefix: string, queueName: string, hostId: string): string {
  return `${prefix}:${queueName}:amorsize:host:${hostId}`;
}

/** Pattern matching every `hostKey` of a queue. */
export function hostKeyPattern(prefix: string, queueName: string): string {
  return `${prefix}:${queueName}:amorsize:host:*`;
}
