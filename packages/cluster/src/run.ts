import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { resolveTask } from "@amorsize/executor";
import { type Plan, parseInput, type TaskRefInput, type WorkloadSample } from "@amorsize/types";
import { Queue, QueueEvents } from "bullmq";
import { closeRedis, connectRedis, type LiveRedis } from "./connection.js";
import {
  ChunkFailedError,
  ClusterClosedError,
  type IndexRange,
  ItemError,
  NoWorkerHostsError,
  RedisLostError,
  type RemoteError,
} from "./errors.js";
import { type ClusterCostProfile, measureClusterCost } from "./measure.js";
import {
  CLUSTER_DEFAULTS,
  type ClusterOptions,
  ClusterOptionsSchema,
  type ClusterRunOptions,
  ClusterRunOptionsSchema,
} from "./options.js";
import { planCluster } from "./plan.js";
import {
  CHUNK_JOB,
  type ChunkJobData,
  type ChunkJobResult,
  cancelKey,
  chunkJobId,
  parseChunkJobId,
} from "./protocol.js";

/** A failure in a cluster run's `errors`. */
export type ClusterRunError = ItemError | ChunkFailedError | RedisLostError;

/** What really happened in a cluster run. */
export interface ClusterReport {
  /** Tags every job of the run (job ids are `<runId>-<chunk>`). */
  readonly runId: string;
  readonly queueName: string;
  /** Items read from the input. */
  readonly items: number;
  /** Items whose results were given in `precomputed` (not sent). */
  readonly precomputed: number;
  readonly chunks: number;
  readonly chunkSize: number;
  /** Items that ran on the hosts and returned a result (precomputed ones not included). */
  readonly succeeded: number;
  /** Items whose task threw. */
  readonly failed: number;
  /** Items with neither a result nor an item error: their chunk failed, was cancelled, or Redis was lost. */
  readonly missing: number;
  readonly wallMs: number;
  /** Sum of chunk wall times on the hosts, milliseconds. */
  readonly busyMs: number;
  /** Worker hosts (`hostname:pid`) that returned chunks, sorted. */
  readonly hosts: string[];
  /** True when the connection to Redis was lost during the run. */
  readonly lost: boolean;
}

/** Result of a cluster run. */
export interface ClusterMapResult<R> {
  /** Results in input order; `undefined` where an item failed or its chunk did not complete (under `collect`). */
  results: R[];
  /** Under `onError: "collect"`: every failure, sorted by input index (a lost connection last). */
  errors: ClusterRunError[];
  report: ClusterReport;
}

/**
 * A cluster backend: chunks of a run become BullMQ jobs on one queue, worker hosts
 * (`amorsize-worker`) run them on their own worker threads, and results come back
 * through the queue's event stream, reassembled in input order.
 */
export interface ClusterBackend {
  readonly kind: "cluster";
  readonly queueName: string;
  /**
   * Connects to Redis now (otherwise the first `map()` does).
   * @throws {RedisUnreachableError} Redis did not answer within `connectTimeoutMs`.
   */
  connect(): Promise<void>;
  /**
   * Runs `task` over `items` on the cluster's worker hosts. Items and results travel as
   * JSON: `undefined` and `NaN` come back as `null`, Dates as strings, Maps as `{}`.
   *
   * @throws {AmorsizeValidationError} a bad task or option.
   * @throws {RedisUnreachableError} Redis cannot be reached; nothing was sent.
   * @throws {ItemError} under `throw`, the first item that failed.
   * @throws {ChunkFailedError} under `throw`, a chunk failed on the hosts.
   * @throws {RedisLostError} under `throw`, Redis was lost; it carries the results that had arrived.
   */
  map<R = unknown>(
    task: TaskRefInput,
    items: Iterable<unknown>,
    options?: ClusterRunOptions,
  ): Promise<ClusterMapResult<R>>;
  /**
   * Decides whether a run beats the local plan here: measures the cluster once (round
   * trip, per-chunk and per-byte costs, live hosts) and plans chunk size and workers with
   * `planCluster()`. `execute(task, data, { backend: cluster(...) })` of
   * `@amorsize/optimizer` calls it. No live host: declines (`NO_WORKER_HOSTS`).
   * @throws {RedisUnreachableError} Redis cannot be reached.
   */
  plan(input: { workload: WorkloadSample; localPlan: Plan }): Promise<ClusterDecision>;
  /** Fails runs in flight with `ClusterClosedError` and closes the Redis connections. */
  close(): Promise<void>;
}

/** What `plan()` decided for one run. */
export interface ClusterDecision {
  use: boolean;
  workers: number;
  chunkSize: number;
  predictedWallMs: number;
  reasons: ReadonlyArray<{ readonly code: string; readonly message: string }>;
}

interface Live {
  readonly queue: Queue;
  readonly events: QueueEvents;
  readonly clients: LiveRedis[];
  readonly address: string;
}

type Settle = { kind: "done" } | { kind: "failed"; error: Error };

class RunState {
  readonly startedAt = performance.now();
  readonly results: unknown[];
  readonly itemErrors: ItemError[] = [];
  readonly chunkErrors: ChunkFailedError[] = [];
  readonly done: boolean[];
  /** Chunks whose jobs have ended in any way, skipped ones included (cleanup waits for these). */
  readonly ended: boolean[];
  readonly hosts = new Set<string>();
  busyMs = 0;
  pending: number;
  lastEventAt = performance.now();
  settle!: (outcome: Settle) => void;
  readonly settled: Promise<Settle>;
  private finished = false;

  constructor(
    readonly runId: string,
    readonly chunks: number[][],
    readonly items: number,
    readonly collect: boolean,
  ) {
    this.results = new Array(items);
    this.done = new Array(chunks.length).fill(false);
    this.ended = new Array(chunks.length).fill(false);
    this.pending = chunks.length;
    this.settled = new Promise<Settle>((resolve) => {
      this.settle = (outcome) => {
        if (this.finished) return;
        this.finished = true;
        resolve(outcome);
      };
    });
    if (this.pending === 0) this.settle({ kind: "done" });
  }

  range(chunk: number): IndexRange {
    const indices = this.chunks[chunk] as number[];
    return [indices[0] as number, indices[indices.length - 1] as number];
  }

  completed(chunk: number, value: ChunkJobResult): void {
    this.ended[chunk] = true;
    // A chunk recovered from a dead host may report twice; the first answer wins.
    if (this.done[chunk] || value?.cancelled) return;
    this.done[chunk] = true;
    this.pending -= 1;
    this.lastEventAt = performance.now();
    this.hosts.add(value.host);
    this.busyMs += value.ms;
    const indices = this.chunks[chunk] as number[];
    const failedAt = new Set<number>();
    for (const error of value.errors) {
      failedAt.add(error.position);
      this.itemErrors.push(new ItemError(indices[error.position] as number, remoteError(error)));
    }
    indices.forEach((index, position) => {
      if (!failedAt.has(position)) this.results[index] = value.results[position];
    });
    if (value.errors.length > 0 && !this.collect) {
      this.itemErrors.sort((a, b) => a.index - b.index);
      this.settle({ kind: "failed", error: this.itemErrors[0] as ItemError });
    } else if (this.pending === 0) this.settle({ kind: "done" });
  }

  failed(chunk: number, reason: string): void {
    this.ended[chunk] = true;
    if (this.done[chunk]) return;
    this.done[chunk] = true;
    this.pending -= 1;
    this.lastEventAt = performance.now();
    const error = new ChunkFailedError(this.range(chunk), reason);
    this.chunkErrors.push(error);
    if (!this.collect) this.settle({ kind: "failed", error });
    else if (this.pending === 0) this.settle({ kind: "done" });
  }
}

function remoteError(error: RemoteError): RemoteError {
  return { name: error.name, message: error.message, ...(error.code ? { code: error.code } : {}) };
}

/**
 * Creates a cluster backend on one BullMQ queue. Nothing connects until `connect()` or the
 * first `map()`. Every option is validated.
 *
 * @throws {AmorsizeValidationError} a bad option.
 */
export function cluster(options: ClusterOptions): ClusterBackend {
  const parsed = parseInput(ClusterOptionsSchema, options, "options");
  const queueName = parsed.queueName ?? CLUSTER_DEFAULTS.queueName;
  const prefix = parsed.prefix ?? CLUSTER_DEFAULTS.prefix;
  const connectTimeoutMs = parsed.connectTimeoutMs ?? CLUSTER_DEFAULTS.connectTimeoutMs;
  const lostAfterMs = parsed.lostAfterMs ?? CLUSTER_DEFAULTS.lostAfterMs;
  const pollIntervalMs = parsed.pollIntervalMs ?? CLUSTER_DEFAULTS.pollIntervalMs;
  const cleanupTimeoutMs = parsed.cleanupTimeoutMs ?? CLUSTER_DEFAULTS.cleanupTimeoutMs;
  const runs = new Map<string, RunState>();
  let live: Promise<Live> | undefined;
  let closed = false;

  const dispatchCompleted = ({ jobId, returnvalue }: { jobId: string; returnvalue: unknown }) => {
    const id = parseChunkJobId(jobId);
    if (id) runs.get(id.runId)?.completed(id.chunk, returnvalue as ChunkJobResult);
  };
  const dispatchFailed = ({ jobId, failedReason }: { jobId: string; failedReason: string }) => {
    const id = parseChunkJobId(jobId);
    if (id) runs.get(id.runId)?.failed(id.chunk, failedReason);
  };

  async function open(): Promise<Live> {
    const opts = { connectTimeoutMs, lostAfterMs };
    const commands = await connectRedis(parsed.connection, opts);
    let blocking: LiveRedis;
    try {
      blocking = await connectRedis(parsed.connection, opts);
    } catch (error) {
      await closeRedis(commands.client);
      throw error;
    }
    const queue = new Queue(queueName, { connection: commands.client, prefix });
    queue.on("error", () => {});
    // Start reading events after the newest one now in the stream, so that nothing that
    // happens from here on is missed, however long the reader takes to start.
    const newest = (await commands.client.xrevrange(
      `${prefix}:${queueName}:events`,
      "+",
      "-",
      "COUNT",
      1,
    )) as [string, string[]][];
    const events = new QueueEvents(queueName, {
      connection: blocking.client,
      prefix,
      lastEventId: newest[0]?.[0] ?? "0-0",
    });
    events.on("error", () => {});
    events.on("completed", dispatchCompleted);
    events.on("failed", dispatchFailed);
    const state: Live = { queue, events, clients: [commands, blocking], address: commands.address };
    void Promise.race([commands.lost, blocking.lost]).then((cause) => {
      if (live === undefined) return;
      live = undefined;
      for (const run of runs.values())
        run.settle({ kind: "failed", error: new RedisLostError(state.address, cause) });
      void shut(state);
    });
    return state;
  }

  async function shut(state: Live): Promise<void> {
    await Promise.allSettled([state.events.close(), state.queue.close()]);
    await Promise.allSettled(state.clients.map((c) => closeRedis(c.client)));
  }

  function connect(): Promise<Live> {
    if (closed) return Promise.reject(new ClusterClosedError());
    if (!live) {
      live = open();
      live.catch(() => {
        live = undefined;
      });
    }
    return live;
  }

  async function poll(state: Live, run: RunState): Promise<void> {
    if (performance.now() - run.lastEventAt < pollIntervalMs) return;
    run.lastEventAt = performance.now();
    const outstanding = run.ended.flatMap((ended, chunk) => (ended ? [] : [chunk])).slice(0, 256);
    await Promise.all(
      outstanding.map(async (chunk) => {
        const job = await state.queue.getJob(chunkJobId(run.runId, chunk));
        if (!job?.finishedOn) return;
        if (job.failedReason) run.failed(chunk, job.failedReason);
        else run.completed(chunk, job.returnvalue as ChunkJobResult);
      }),
    );
  }

  async function cleanup(state: Live, run: RunState, stopped: boolean): Promise<void> {
    const client = state.clients[0]?.client;
    if (stopped && client) await client.set(cancelKey(prefix, queueName, run.runId), "1", "PX", 3_600_000);
    const ids = run.chunks.map((_, chunk) => chunkJobId(run.runId, chunk));
    const removeAll = async (chunks: number[]) =>
      Promise.all(
        chunks.map(async (chunk) => ({ chunk, removed: await state.queue.remove(ids[chunk] as string) })),
      );
    let left = (await removeAll(run.chunks.map((_, chunk) => chunk)))
      .filter((r) => r.removed === 0 && !run.ended[r.chunk])
      .map((r) => r.chunk);
    // Chunks still locked by a host cannot be removed: wait for them to end, within reason.
    const deadline = performance.now() + cleanupTimeoutMs;
    while (left.length > 0 && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      await poll(state, run);
      left = left.filter((chunk) => !run.ended[chunk]);
    }
    await removeAll(run.chunks.map((_, chunk) => chunk));
  }

  async function map<R>(
    task: TaskRefInput,
    items: Iterable<unknown>,
    runOptions: ClusterRunOptions = {},
  ): Promise<ClusterMapResult<R>> {
    const resolved = resolveTask(task);
    const opts = parseInput(ClusterRunOptionsSchema, runOptions, "options");
    const input = Array.from(items);
    const precomputed = (opts.precomputed ?? new Map()) as Map<number, unknown>;
    const chunkSize = opts.chunkSize ?? Math.max(1, Math.ceil(input.length / CLUSTER_DEFAULTS.chunksPerRun));
    const collect = (opts.onError ?? CLUSTER_DEFAULTS.onError) === "collect";
    const state = await connect();

    const chunks: number[][] = [];
    let current: number[] = [];
    let known = 0;
    for (let index = 0; index < input.length; index++) {
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

    const runId = randomUUID();
    const run = new RunState(runId, chunks, input.length, collect);
    for (const [index, value] of precomputed) if (index < input.length) run.results[index] = value;
    runs.set(runId, run);
    const timer = setInterval(
      () => {
        poll(state, run).catch(() => {});
      },
      Math.max(50, Math.floor(pollIntervalMs / 2)),
    );
    let outcome: Settle;
    try {
      const adding = (async () => {
        for (let first = 0; first < chunks.length; first += 500) {
          const batch = chunks.slice(first, first + 500).map((indices, offset) => {
            const chunk = first + offset;
            const data: ChunkJobData = {
              runId,
              chunk,
              module: resolved.href,
              export: resolved.exportName,
              items: indices.map((index) => input[index]),
            };
            return {
              name: CHUNK_JOB,
              data,
              // The age limits only catch jobs the run could not remove itself (Redis lost).
              opts: {
                jobId: chunkJobId(runId, chunk),
                attempts: 1,
                removeOnComplete: { age: 86_400 },
                removeOnFail: { age: 86_400 },
              },
            };
          });
          await state.queue.addBulk(batch);
        }
      })();
      adding.catch((error: unknown) => run.settle({ kind: "failed", error: error as Error }));
      outcome = await run.settled;
    } finally {
      clearInterval(timer);
    }
    const lost = outcome.kind === "failed" && outcome.error instanceof RedisLostError;
    if (!lost && live) {
      try {
        await cleanup(state, run, outcome.kind === "failed" || run.pending > 0);
      } catch {
        // Cleanup is best effort; the age limits on the jobs remove what is left.
      }
    }
    runs.delete(runId);

    const itemErrors = [...run.itemErrors].sort((a, b) => a.index - b.index);
    const failedItems = new Set(itemErrors.map((e) => e.index));
    let succeeded = 0;
    for (let index = 0; index < input.length; index++) {
      if (!precomputed.has(index) && !failedItems.has(index) && chunkDone(run, index)) succeeded += 1;
    }
    const report: ClusterReport = {
      runId,
      queueName,
      items: input.length,
      precomputed: known,
      chunks: chunks.length,
      chunkSize,
      succeeded,
      failed: itemErrors.length,
      missing: input.length - known - succeeded - itemErrors.length,
      wallMs: performance.now() - run.startedAt,
      busyMs: run.busyMs,
      hosts: [...run.hosts].sort(),
      lost,
    };

    if (outcome.kind === "failed") {
      const error = outcome.error as Error & { report?: ClusterReport };
      if (error instanceof RedisLostError) {
        error.results = run.results;
        error.completed = completedIndices(run, failedItems, precomputed);
      }
      if (!(lost && collect)) {
        error.report = report;
        throw error;
      }
      const errors: ClusterRunError[] = sortByRange([...itemErrors, ...run.chunkErrors]);
      errors.push(outcome.error as RedisLostError);
      return { results: run.results as R[], errors, report };
    }
    const errors: ClusterRunError[] = sortByRange([...itemErrors, ...run.chunkErrors]);
    return { results: run.results as R[], errors, report };
  }

  let cost: Promise<ClusterCostProfile> | undefined;

  /** Measures the cluster once per backend, then plans each run against the local plan. */
  async function plan(input: { workload: WorkloadSample; localPlan: Plan }): Promise<ClusterDecision> {
    cost ??= measureClusterCost({ connection: parsed.connection, queueName, prefix, connectTimeoutMs });
    let profile: ClusterCostProfile;
    try {
      profile = await cost;
    } catch (error) {
      cost = undefined;
      if (error instanceof NoWorkerHostsError) {
        return {
          use: false,
          workers: 0,
          chunkSize: 1,
          predictedWallMs: Number.POSITIVE_INFINITY,
          reasons: [
            { code: "NO_WORKER_HOSTS", message: `No worker host serves queue "${queueName}": running here.` },
          ],
        };
      }
      throw error;
    }
    const { workload, localPlan } = input;
    const planned = planCluster({
      cluster: profile.figures,
      workload: {
        items: localPlan.totalItems ?? workload.totalItems ?? 0,
        itemMs: workload.itemTimeMs.mean,
        // Structured-clone sizes stand in for JSON sizes: close for numbers, strings and plain data.
        bytesPerItem: workload.inputBytes.mean + workload.outputBytes.mean,
      },
      localWallMs: localPlan.predicted.wallMs,
    });
    return {
      use: planned.backend === "cluster",
      workers: planned.workers,
      chunkSize: planned.chunkSize,
      predictedWallMs: planned.predicted.clusterWallMs,
      reasons: planned.reasons,
    };
  }

  return {
    kind: "cluster",
    queueName,
    async connect() {
      await connect();
    },
    plan,
    map,
    async close() {
      if (closed) return;
      closed = true;
      for (const run of runs.values()) run.settle({ kind: "failed", error: new ClusterClosedError() });
      const state = live;
      live = undefined;
      const opened = state ? await state.catch(() => undefined) : undefined;
      if (opened) await shut(opened);
    },
  };
}

function sortByRange(errors: Array<ItemError | ChunkFailedError>): Array<ItemError | ChunkFailedError> {
  return errors.sort((a, b) => a.range[0] - b.range[0]);
}

const chunkOf = new WeakMap<RunState, Int32Array>();

/** Whether the chunk holding input `index` has completed. */
function chunkDone(run: RunState, index: number): boolean {
  let lookup = chunkOf.get(run);
  if (!lookup) {
    lookup = new Int32Array(run.items).fill(-1);
    run.chunks.forEach((indices, chunk) => {
      for (const i of indices) (lookup as Int32Array)[i] = chunk;
    });
    chunkOf.set(run, lookup);
  }
  const chunk = lookup[index] as number;
  return (
    chunk >= 0 && run.done[chunk] === true && !run.chunkErrors.some((e) => e.range[0] === run.range(chunk)[0])
  );
}

function completedIndices(run: RunState, failed: Set<number>, precomputed: Map<number, unknown>): number[] {
  const out: number[] = [];
  for (let index = 0; index < run.items; index++) {
    if (precomputed.has(index) || (!failed.has(index) && chunkDone(run, index))) out.push(index);
  }
  return out;
}

/**
 * Runs one task over `data` on the cluster and closes the connection afterwards:
 * `cluster(options).map(task, data, options)` in one call.
 *
 * @throws {RedisUnreachableError} Redis cannot be reached; nothing was sent.
 */
export async function executeOnCluster<R = unknown>(
  task: TaskRefInput,
  data: Iterable<unknown>,
  options: ClusterOptions & ClusterRunOptions,
): Promise<ClusterMapResult<R>> {
  const { chunkSize, onError, precomputed, ...backendOptions } = options;
  const backend = cluster(backendOptions);
  try {
    return await backend.map<R>(task, data, {
      ...(chunkSize !== undefined ? { chunkSize } : {}),
      ...(onError !== undefined ? { onError } : {}),
      ...(precomputed !== undefined ? { precomputed } : {}),
    });
  } finally {
    await backend.close();
  }
}
