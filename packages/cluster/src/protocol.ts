import type { Redis } from "ioredis";
import type { CODEC } from "./codec.js";
import type { RemoteError } from "./errors.js";

/** Name of every chunk job of a run; hosts and producers recognise runs by it. */
export const CHUNK_JOB = "amorsize-chunk";
/** Name of the measurement jobs of `measureClusterCost()`: answered in the host's main thread. */
export const PROBE_JOB = "amorsize-probe";

/** A chunk as it travels through Redis (JSON, its items encoded by `codec.ts`). */
export interface ChunkJobData {
  readonly runId: string;
  readonly chunk: number;
  /** Task module URL, as the hosts import it. */
  readonly module: string;
  readonly export: string;
  readonly codec: typeof CODEC;
  /** The chunk's items (those that could travel), `encodeAll()`'s base64. */
  readonly payload: string;
}

/** What a host returns for a chunk (JSON, its results encoded by `codec.ts`). */
export interface ChunkJobResult {
  /** `hostname:pid` of the host that ran it. */
  readonly host: string;
  /** True when the host skipped the chunk: its run was cancelled, or its caller is gone. */
  readonly cancelled?: boolean;
  /** Set when the host refused to run the chunk (not allowed, unsigned, too large): every item fails with it. */
  readonly refused?: RemoteError;
  /** Results by position in the payload sent, `encodeAll()`'s base64; `undefined` where an item failed. */
  readonly payload: string;
  /** Items that failed, by position in the payload sent (a result that cannot travel: `AMORSIZE_RESULT_NOT_CLONEABLE`). */
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

/**
 * Redis key that says a run is live: its caller sets it before adding jobs and refreshes it
 * with an expiry (`callerTimeoutMs`), and deletes it when the run ends or is cancelled. A
 * host skips the chunks of a run without it, so a killed caller's jobs never run later.
 */
export function runKey(prefix: string, queueName: string, runId: string): string {
  return `${prefix}:${queueName}:amorsize:run:${runId}`;
}

/** Whether a host should run the chunks of `runId`: its caller is alive and has not cancelled it. */
export async function runIsLive(
  client: Redis,
  prefix: string,
  queueName: string,
  runId: string,
): Promise<boolean> {
  return (await client.exists(runKey(prefix, queueName, runId))) === 1;
}

/** Redis key a live worker host refreshes, holding its concurrency. */
export function hostKey(prefix: string, queueName: string, hostId: string): string {
  return `${prefix}:${queueName}:amorsize:host:${hostId}`;
}

/** Pattern matching every `hostKey` of a queue. */
export function hostKeyPattern(prefix: string, queueName: string): string {
  return `${prefix}:${queueName}:amorsize:host:*`;
}
