import { CloneError, type IndexRange, ItemError, type RunError } from "@amorsize/executor";
import { AmorsizeError, messageOf } from "@amorsize/types";
import type { ClusterReport } from "./report.js";

/** Stable codes of the errors this package throws (an item's failure is the executor's `ItemError`). */
export type ClusterErrorCode =
  | "AMORSIZE_REDIS_UNREACHABLE"
  | "AMORSIZE_REDIS_LOST"
  | "AMORSIZE_CHUNK_FAILED"
  | "AMORSIZE_CLUSTER_CLOSED"
  | "AMORSIZE_CLUSTER_USAGE"
  | "AMORSIZE_NO_WORKER_HOSTS"
  | "AMORSIZE_RUN_ABORTED"
  | JobRefusalCode;

/** Codes of a chunk a worker host refused to run; each item of the chunk fails with it. */
export type JobRefusalCode =
  | "AMORSIZE_CLUSTER_TASK_NOT_ALLOWED"
  | "AMORSIZE_CLUSTER_JOB_UNSIGNED"
  | "AMORSIZE_CLUSTER_BAD_SIGNATURE"
  | "AMORSIZE_CLUSTER_JOB_TOO_LARGE";

/** Base of every error of this package: a stable `code`, and the `report` of the run it ended. */
export abstract class ClusterError extends AmorsizeError {
  abstract override readonly code: ClusterErrorCode;
  /** What the run did before it stopped; set when this error ended a run. */
  report?: ClusterReport;
}

/** `: reason`, or nothing when the cause says nothing (an empty message). */
function because(cause: unknown): string {
  const reason = cause === undefined ? "" : messageOf(cause);
  return reason ? `: ${reason}` : "";
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
    super(`Redis at ${address} is unreachable${because(cause)}`, { cause });
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
  /** Input indices whose results arrived (or were precomputed). */
  completed: number[] = [];

  constructor(address: string, cause?: unknown) {
    super(`Lost the connection to Redis at ${address} during the run${because(cause)}`, { cause });
    this.address = address;
  }
}

/**
 * A whole chunk failed on the worker hosts (its task module did not load there, or it
 * ran out of stalled-job retries). `cause` carries BullMQ's failure reason.
 */
export class ChunkFailedError extends ClusterError {
  readonly code = "AMORSIZE_CHUNK_FAILED" as const;
  override readonly name = "ChunkFailedError";
  /** Always null, as for the executor's chunk failures: the whole chunk is lost, not one item. */
  readonly index = null;
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

/** `measureClusterCost()` found no worker host on the queue: start `amorsize-worker` first. */
export class NoWorkerHostsError extends ClusterError {
  readonly code = "AMORSIZE_NO_WORKER_HOSTS" as const;
  override readonly name = "NoWorkerHostsError";
  constructor(queueName: string) {
    super(`No worker host is serving queue "${queueName}": start amorsize-worker on at least one host first`);
  }
}

/**
 * The run's `signal` was aborted: the run stopped, its jobs not yet taken were removed, and
 * hosts skip its remaining chunks. Its `name` is `"AbortError"`, as for `fetch()` and
 * `AbortSignal`, and `cause` is `signal.reason`.
 */
export class RunAbortedError extends ClusterError {
  readonly code = "AMORSIZE_RUN_ABORTED" as const;
  override readonly name = "AbortError";
  constructor(reason: unknown) {
    super(`The cluster run was aborted${because(reason)}`, { cause: reason });
  }
}

/**
 * A worker host refused a chunk's task module: it is not a file under the folders (or one
 * of the files) the host was started with (`--allow`), after resolving symbolic links, or
 * it is a `node:`, `data:`, `http(s):` or other non-file module. Nothing of it was imported.
 */
export class TaskNotAllowedError extends ClusterError {
  readonly code = "AMORSIZE_CLUSTER_TASK_NOT_ALLOWED" as const;
  override readonly name = "TaskNotAllowedError";
  /** The module as the job named it. */
  readonly module: string;

  constructor(module: string, reason: string) {
    super(`Task module ${JSON.stringify(module)} is not allowed on this worker host: ${reason}`);
    this.module = module;
  }
}

/**
 * A worker host that holds a secret (`--secret-file`) refused a chunk job that was not
 * signed with it: `unsigned` (`AMORSIZE_CLUSTER_JOB_UNSIGNED`), or its signature does not
 * match the job (`AMORSIZE_CLUSTER_BAD_SIGNATURE`: altered, or signed with another secret).
 */
export class JobSignatureError extends ClusterError {
  readonly code: "AMORSIZE_CLUSTER_JOB_UNSIGNED" | "AMORSIZE_CLUSTER_BAD_SIGNATURE";
  override readonly name = "JobSignatureError";

  constructor(problem: "unsigned" | "mismatch") {
    super(
      problem === "unsigned"
        ? "The chunk job carries no signature, and this worker host runs signed jobs only (--secret-file): give the caller the same secret"
        : "The chunk job's signature does not match it: the job was altered, or signed with another secret than this worker host's",
    );
    this.code = problem === "unsigned" ? "AMORSIZE_CLUSTER_JOB_UNSIGNED" : "AMORSIZE_CLUSTER_BAD_SIGNATURE";
  }
}

/** A worker host refused a chunk job over its `--max-job-bytes` or `--max-job-items`. */
export class JobTooLargeError extends ClusterError {
  readonly code = "AMORSIZE_CLUSTER_JOB_TOO_LARGE" as const;
  override readonly name = "JobTooLargeError";
  readonly limit: "bytes" | "items";
  /** The job's size, in `limit` units. */
  readonly size: number;
  readonly max: number;

  constructor(limit: "bytes" | "items", size: number, max: number) {
    const flag = limit === "bytes" ? "--max-job-bytes" : "--max-job-items";
    super(
      `The chunk job holds ${size} ${limit === "bytes" ? "bytes of data" : "items"}, over this worker host's limit of ${max} (${flag}): use a smaller chunkSize`,
    );
    this.limit = limit;
    this.size = size;
    this.max = max;
  }
}

/** An error as it travels through Redis: plain data. */
export interface RemoteError {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
}

/** A task's error as a host reported it, an `Error` again, so `ItemError` reads as it does locally. */
export function rebuildRemoteError(remote: RemoteError): Error & { code?: string } {
  const error: Error & { code?: string } = new Error(remote.message);
  // Not enumerable, as on any Error: comparisons and logs see the same shape as a local failure.
  Object.defineProperty(error, "name", { value: remote.name, writable: true, configurable: true });
  if (remote.code !== undefined) error.code = remote.code;
  // The task's stack stayed on the host; frames of this process would point at the wrong code.
  error.stack = `${remote.name}: ${remote.message}`;
  return error;
}

/** The executor's `ItemError` for an item that threw on a worker host, or its `CloneError` for a value that could not travel. */
export function remoteItemError(index: number, remote: RemoteError): ItemError | CloneError {
  if (remote.name === "CloneError" && isCloneCode(remote.code)) {
    return new CloneError(remote.code, index, [index, index], remote.message);
  }
  return new ItemError(index, rebuildRemoteError(remote));
}

function isCloneCode(
  code: string | undefined,
): code is "AMORSIZE_ITEM_NOT_CLONEABLE" | "AMORSIZE_RESULT_NOT_CLONEABLE" {
  return code === "AMORSIZE_ITEM_NOT_CLONEABLE" || code === "AMORSIZE_RESULT_NOT_CLONEABLE";
}

/**
 * An item's failure on a worker host as plain data: the task's own error (name, message,
 * code), or the executor's `CloneError` (its code and reason) for a value that could not travel.
 */
export function remoteErrorOf(error: RunError): RemoteError {
  if (error instanceof CloneError) return { name: "CloneError", message: error.reason, code: error.code };
  const cause = error.cause as { name?: unknown; code?: unknown } | undefined;
  return {
    name: typeof cause?.name === "string" ? cause.name : "Error",
    message: messageOf(error.cause ?? error),
    ...(typeof cause?.code === "string" ? { code: cause.code } : {}),
  };
}

/** A value of a chunk that could not be encoded on a host: reported as the item's `AMORSIZE_RESULT_NOT_CLONEABLE`. */
export function resultNotCloneable(reason: string): RemoteError {
  return { name: "CloneError", message: reason, code: "AMORSIZE_RESULT_NOT_CLONEABLE" };
}
