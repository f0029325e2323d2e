import type { BackendDecision, Plan, RunBackend, TaskRefInput, WorkloadSample } from "@amorsize/types";
import { NoWorkerHostsError } from "./errors.js";
import { mapOnCluster } from "./map.js";
import { type ClusterCostProfile, measureClusterCost } from "./measure.js";
import {
  type ClusterOptions,
  type ClusterRunOptions,
  type ClusterSettings,
  type ClusterStreamOptions,
  resolveClusterOptions,
} from "./options.js";
import { decideOnCluster } from "./plan.js";
import type { ClusterMapResult } from "./report.js";
import { ClusterSession } from "./session.js";
import { type ClusterStream, StreamRun } from "./stream.js";

/**
 * A cluster backend: chunks of a run become BullMQ jobs on one queue, worker hosts
 * (`amorsize-worker`) run them on their own worker threads, and results come back
 * through the queue's event stream, reassembled in input order. A `RunBackend` of
 * `@amorsize/types`, so `execute(task, data, { backend })` of `@amorsize/optimizer` takes it.
 */
export interface ClusterBackend extends RunBackend {
  readonly kind: "cluster";
  readonly queueName: string;
  /**
   * Connects to Redis now (otherwise the first `map()` does).
   * @throws {RedisUnreachableError} Redis did not answer within `connectTimeoutMs`.
   */
  connect(): Promise<void>;
  /**
   * Runs `task` over `items` on the cluster's worker hosts. Items and results travel as
   * structured clone keeps them (V8 serialisation): BigInt, `undefined`, NaN, Map, Date,
   * typed arrays come back as they went; a value that cannot travel fails as its item's
   * `CloneError`.
   *
   * @throws {AmorsizeValidationError} a bad task or option.
   * @throws {RedisUnreachableError} Redis cannot be reached; nothing was sent.
   * @throws {NoWorkerHostsError} no worker host serves the queue; nothing was sent.
   * @throws {RunAbortedError} `signal` was aborted (its `name` is `"AbortError"`).
   * @throws {ItemError} under `throw`, the first item that failed (the executor's class).
   * @throws {CloneError} under `throw`, the first item that (or whose result) could not travel.
   * @throws {ChunkFailedError} under `throw`, a chunk failed on the hosts.
   * @throws {RedisLostError} under `throw`, Redis was lost; it carries the results that had arrived.
   */
  map<R = unknown>(
    task: TaskRefInput,
    items: Iterable<unknown>,
    options?: ClusterRunOptions,
  ): Promise<ClusterMapResult<R>>;
  /**
   * Runs `task` over `items` and yields `{ index, value }` in input order as results arrive,
   * reading `items` (an iterable or async iterable) only as fast as the consumer takes
   * results: at most `maxInFlight` chunks between reading and yielding. Connects on the
   * first `next()`; the errors `map()` rejects with, `next()` rejects with.
   *
   * @throws {AmorsizeValidationError} a bad task or option (at once).
   */
  stream<R = unknown>(
    task: TaskRefInput,
    items: Iterable<unknown> | AsyncIterable<unknown>,
    options?: ClusterStreamOptions,
  ): ClusterStream<R>;
  /**
   * Decides whether a run beats the local plan here: measures the cluster once (round
   * trip, per-chunk and per-byte costs, live hosts) and plans chunk size and workers with
   * `planCluster()`. No live host: declines (`NO_WORKER_HOSTS`).
   * @throws {RedisUnreachableError} Redis cannot be reached.
   */
  plan(input: { workload: WorkloadSample; localPlan: Plan }): Promise<BackendDecision>;
  /** Fails runs in flight with `ClusterClosedError` and closes the Redis connections. */
  close(): Promise<void>;
}

/**
 * Creates a cluster backend on one BullMQ queue. Nothing connects until `connect()` or the
 * first `map()`. Every option is validated.
 *
 * @throws {AmorsizeValidationError} a bad option.
 */
export function cluster(options: ClusterOptions): ClusterBackend {
  const settings = resolveClusterOptions(options);
  const session = new ClusterSession(settings);
  const measure = memoizedCost(settings);
  return {
    kind: "cluster",
    queueName: settings.queueName,
    async connect() {
      await session.link();
    },
    map<R>(task: TaskRefInput, items: Iterable<unknown>, runOptions: ClusterRunOptions = {}) {
      return mapOnCluster<R>(session, settings, task, items, runOptions);
    },
    stream<R>(
      task: TaskRefInput,
      items: Iterable<unknown> | AsyncIterable<unknown>,
      options: ClusterStreamOptions = {},
    ) {
      return new StreamRun<R>(session, settings, task, items, options);
    },
    async plan(input) {
      return decideOnCluster((await measure())?.figures ?? null, input, settings.queueName);
    },
    close: () => session.close(),
  };
}

/** The cluster measured once per backend (again after a failure); null when no host serves the queue. */
function memoizedCost(settings: ClusterSettings): () => Promise<ClusterCostProfile | null> {
  let cost: Promise<ClusterCostProfile> | undefined;
  return async () => {
    const { connection, queueName, prefix, connectTimeoutMs } = settings;
    cost ??= measureClusterCost({ connection, queueName, prefix, connectTimeoutMs });
    try {
      return await cost;
    } catch (error) {
      cost = undefined;
      if (error instanceof NoWorkerHostsError) return null;
      throw error;
    }
  };
}

/**
 * Runs one task over `data` on the cluster and closes the connection afterwards:
 * `cluster(options).map(task, data, options)` in one call.
 *
 * @throws {RedisUnreachableError} Redis cannot be reached; nothing was sent.
 * @throws {NoWorkerHostsError} no worker host serves the queue; nothing was sent.
 */
export async function executeOnCluster<R = unknown>(
  task: TaskRefInput,
  data: Iterable<unknown>,
  options: ClusterOptions & ClusterRunOptions,
): Promise<ClusterMapResult<R>> {
  const { chunkSize, onError, precomputed, signal, onProgress, ...backendOptions } = options;
  const backend = cluster(backendOptions);
  try {
    return await backend.map<R>(task, data, {
      ...(chunkSize !== undefined ? { chunkSize } : {}),
      ...(onError !== undefined ? { onError } : {}),
      ...(precomputed !== undefined ? { precomputed } : {}),
      ...(signal !== undefined ? { signal } : {}),
      ...(onProgress !== undefined ? { onProgress } : {}),
    });
  } finally {
    await backend.close();
  }
}
