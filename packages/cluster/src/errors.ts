import { AmorsizeError, type ExecutionReport } from "@amorsize/types";

/** Stable codes of the errors this package throws. */
export type ClusterErrorCode =
  | "AMORSIZE_REDIS_UNREACHABLE"
  | "AMORSIZE_REDIS_LOST"
  | "AMORSIZE_ITEM_FAILED"
  | "AMORSIZE_CHUNK_FAILED"
  | "AMORSIZE_CLUSTER_CLOSED"
  | "AMORSIZE_CLUSTER_USAGE"
  | "AMORSIZE_NO_WORKER_HOSTS";

/** A `[first, last]` input index range (inclusive). */
export type IndexRange = readonly [first: number, last: number];

/** Base of every error of this package: a stable `code`, and the `report` of the run it ended. */
export abstract class ClusterError extends AmorsizeError {
  abstract override readonly code: ClusterErrorCode;
  /** What the run did before it stopped; set when this error ended a run. */
  report?: ExecutionReport;
}

/**
 * Redis could not be reached when a run, a worker host or a measurement started. Nothing
 * was sent. `cause` is the connection error from the Redis client.
 */
export class RedisUnreachableError extends ClusterError {
  readonly code = "AMORSIZE_REDIS_UNREACHABLE" as const;
  override readonly name = "RedisUnreachableError";
  /** The address tried, without the password. */
  readonly address: string;

  constructor(address: string, cause: unknown) {
    super(`Redis at ${address} is unreachable: ${describe(cause)}`, { cause });
    this.address = address;
  }
}

/**
 * The connection to Redis was lost during a run and did not come back within
 * `lostAfterMs`. `results` holds every result that had arrived (by input index; a slot
 * is `undefined` where its chunk had not completed) and `completed` says which did.
 */
export class RedisLostError extends ClusterError {
  readonly code = "AMORSIZE_REDIS_LOST" as const;
  override readonly name = "RedisLostError";
  readonly address: string;
  /** Results that arrived before the loss, in input order. */
  results: unknown[] = [];
  /** Input indices whose results arrived. */
  completed: number[] = [];

  constructor(address: string, cause?: unknown) {
    super(`Lost the connection to Redis at ${address} during the run${cause ? `: ${describe(cause)}` : ""}`, {
      cause,
    });
    this.address = address;
  }
}

/** The task threw for one item on a worker host. `cause` carries the remote error's name, message and code. */
export class ItemError extends ClusterError {
  readonly code = "AMORSIZE_ITEM_FAILED" as const;
  override readonly name = "ItemError";
  readonly index: number;
  readonly range: IndexRange;

  constructor(index: number, cause: RemoteError) {
    super(`Item ${index} failed: ${cause.message}`, { cause });
    this.index = index;
    this.range = [index, index];
  }
}

/**
 * A whole chunk failed on the worker hosts (its task module did not load there, or it
 * ran out of stalled-job retries). `cause` carries BullMQ's failure reason.
 */
export class ChunkFailedError extends ClusterError {
  readonly code = "AMORSIZE_CHUNK_FAILED" as const;
  override readonly name = "ChunkFailedError";
  readonly range: IndexRange;

  constructor(range: IndexRange, reason: string) {
    super(`Chunk of items ${range[0]}..${range[1]} failed on the cluster: ${reason}`, { cause: reason });
    this.range = range;
  }
}

/** The cluster backend was closed; runs in flight reject with this. */
export class ClusterClosedError extends ClusterError {
  readonly code = "AMORSIZE_CLUSTER_CLOSED" as const;
  override readonly name = "ClusterClosedError";
  constructor() {
    super("The cluster backend is closed");
  }
}

/** A bad `amorsize-worker` command line. */
export class ClusterUsageError extends ClusterError {
  readonly code = "AMORSIZE_CLUSTER_USAGE" as const;
  override readonly name = "ClusterUsageError";
}

/** An error as it travels through Redis: plain data. */
export interface RemoteError {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
}

/** Message of any thrown value. */
export function describe(cause: unknown): string {
  // Duck-typed: errors from another realm (a vm context, a worker) fail `instanceof Error`.
  if (typeof cause === "object" && cause !== null) {
    const { message, name } = cause as { message?: unknown; name?: unknown };
    if (typeof message === "string" && message) return message;
    if (typeof name === "string") return name;
  }
  return String(cause);
}

/** `measureClusterCost()` found no worker host on the queue: start `amorsize-worker` first. */
export class NoWorkerHostsError extends ClusterError {
  readonly code = "AMORSIZE_NO_WORKER_HOSTS" as const;
  override readonly name = "NoWorkerHostsError";
  constructor(queueName: string) {
    super(`No worker host is serving queue "${queueName}": start amorsize-worker on at least one host first`);
  }
}
