import { hostname } from "node:os";
import { createExecutor, type Executor } from "@amorsize/executor";
import { probeHardware } from "@amorsize/hardware-probe";
import { parseInput } from "@amorsize/types";
import { type Job, Worker } from "bullmq";
import type { Redis } from "ioredis";
import { decodeChunkItems, encodeAll, encodeResults } from "./codec.js";
import { closeRedis, connectRedis, type LiveRedis } from "./connection.js";
import { remoteErrorOf, resultNotCloneable } from "./errors.js";
import { CLUSTER_DEFAULTS, type WorkerHostOptions, WorkerHostOptionsSchema } from "./options.js";
import {
  CHUNK_JOB,
  type ChunkJobData,
  type ChunkJobResult,
  hostKey,
  PROBE_JOB,
  type ProbeJobData,
  runIsLive,
} from "./protocol.js";

/** How often a host refreshes its registration key, milliseconds (the key lives three times as long). */
const HEARTBEAT_MS = 2000;

/** A running worker host. */
export interface WorkerHost {
  /** `hostname:pid`. */
  readonly id: string;
  readonly queueName: string;
  /** Chunks run at once, one per worker thread. */
  readonly concurrency: number;
  /** Redis `host:port`. */
  readonly address: string;
  /**
   * Stops taking chunks, waits for the chunks in flight to finish and report, then stops
   * the worker threads and disconnects.
   */
  close(): Promise<void>;
  /** Settles when the connection to Redis has been lost for good. */
  readonly lost: Promise<unknown>;
}

/**
 * Starts a worker host: a BullMQ worker that pulls chunk jobs from the queue and runs each
 * on one of this host's worker threads (an `@amorsize/executor` pool of `concurrency`
 * threads). The main thread only awaits, so a busy CPU never delays the renewal of job
 * locks; a host that dies stops renewing them and its chunks are retried by other hosts
 * (BullMQ stalled-job recovery) after `lockDurationMs`.
 *
 * @throws {AmorsizeValidationError} a bad option.
 * @throws {RedisUnreachableError} Redis cannot be reached.
 */
export async function startWorkerHost(options: WorkerHostOptions): Promise<WorkerHost> {
  const parsed = parseInput(WorkerHostOptionsSchema, options, "options");
  const queueName = parsed.queueName ?? CLUSTER_DEFAULTS.queueName;
  const prefix = parsed.prefix ?? CLUSTER_DEFAULTS.prefix;
  const concurrency = parsed.concurrency ?? (await probeHardware()).cores.usable.value;
  const connectOptions = {
    connectTimeoutMs: parsed.connectTimeoutMs ?? CLUSTER_DEFAULTS.connectTimeoutMs,
    lostAfterMs: parsed.lostAfterMs ?? CLUSTER_DEFAULTS.lostAfterMs,
  };
  const commands = await connectRedis(parsed.connection, connectOptions);
  let blocking: LiveRedis;
  try {
    blocking = await connectRedis(parsed.connection, connectOptions);
  } catch (error) {
    await closeRedis(commands.client);
    throw error;
  }
  const id = `${hostname()}:${process.pid}`;
  const executor: Executor = createExecutor({ workers: concurrency });

  const worker = new Worker(
    queueName,
    async (job: Job) => {
      if (job.name === PROBE_JOB) return (job.data as ProbeJobData).payload;
      if (job.name !== CHUNK_JOB) throw new Error(`Unknown job ${job.name}: not an Amorsize chunk`);
      return runChunk(executor, commands.client, { id, prefix, queueName }, job.data as ChunkJobData);
    },
    {
      connection: blocking.client,
      prefix,
      concurrency,
      lockDuration: parsed.lockDurationMs ?? CLUSTER_DEFAULTS.lockDurationMs,
      stalledInterval: parsed.stalledIntervalMs ?? CLUSTER_DEFAULTS.stalledIntervalMs,
      maxStalledCount: parsed.maxStalledCount ?? CLUSTER_DEFAULTS.maxStalledCount,
      // Failed and completed jobs are the producer's to remove: it reads their results first.
      autorun: false,
    },
  );
  worker.on("error", () => {});

  const key = hostKey(prefix, queueName, id);
  const register = () =>
    commands.client.set(key, JSON.stringify({ concurrency }), "PX", HEARTBEAT_MS * 3).catch(() => {});
  await register();
  const heartbeat = setInterval(register, HEARTBEAT_MS);
  heartbeat.unref();
  void worker.run().catch(() => {});
  await worker.waitUntilReady();

  let closing: Promise<void> | undefined;
  const lost = Promise.race([commands.lost, blocking.lost]);
  return {
    id,
    queueName,
    concurrency,
    address: commands.address,
    lost,
    close() {
      closing ??= (async () => {
        clearInterval(heartbeat);
        await worker.close().catch(() => {});
        await commands.client.del(key).catch(() => {});
        await executor.close();
        await closeRedis(commands.client);
        await closeRedis(blocking.client);
      })();
      return closing;
    },
  };
}

/** Runs one chunk job on one of the host's worker threads; item failures go back as plain data. */
async function runChunk(
  executor: Executor,
  client: Redis,
  host: { id: string; prefix: string; queueName: string },
  data: ChunkJobData,
): Promise<ChunkJobResult> {
  const started = performance.now();
  if (!(await runIsLive(client, host.prefix, host.queueName, data.runId))) {
    return { host: host.id, cancelled: true, payload: encodeAll([]), errors: [], ms: 0 };
  }
  const items = decodeChunkItems(data);
  // The whole job is one executor chunk: one worker thread runs it, so `concurrency`
  // jobs keep `concurrency` threads busy.
  const { results, errors } = await executor.map({ module: data.module, export: data.export }, items, {
    chunkSize: Math.max(1, items.length),
    onError: "collect",
  });
  const itemErrors: ChunkJobResult["errors"][number][] = [];
  for (const error of errors) {
    // A failure of the whole chunk (the task did not load, a worker died) fails the job.
    if (error.index === null) throw error;
    itemErrors.push({ position: error.index, ...remoteErrorOf(error) });
  }
  const { payload, refused } = encodeResults(results);
  for (const { position, reason } of refused) itemErrors.push({ position, ...resultNotCloneable(reason) });
  return {
    host: host.id,
    payload,
    errors: itemErrors,
    ms: performance.now() - started,
  };
}
