import { hostname } from "node:os";
import { createExecutor, type Executor } from "@amorsize/executor";
import { probeHardware } from "@amorsize/hardware-probe";
import { parseInput } from "@amorsize/types";
import { type Job, Worker } from "bullmq";
import type { Redis } from "ioredis";
import { type Admission, admitChunk } from "./admission.js";
import { decodeChunkItems, encodeAll, encodeResults } from "./codec.js";
import {
  closeRedis,
  connectRedis,
  holdCommandsOnceEnded,
  keepCopies,
  type LiveRedis,
  settlesWithin,
  watchSilence,
} from "./connection.js";
import { JobTooLargeError, remoteErrorOf, resultNotCloneable } from "./errors.js";
import {
  CLUSTER_DEFAULTS,
  resolveSecret,
  type WorkerHostOptions,
  WorkerHostOptionsSchema,
} from "./options.js";
import {
  CHUNK_JOB,
  type ChunkJobData,
  type ChunkJobResult,
  hostKey,
  PROBE_JOB,
  type ProbeJobData,
  runKey,
} from "./protocol.js";
import { resolveAllowList } from "./trust.js";

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
  /** Real paths of the folders and files whose task modules this host runs. */
  readonly allowed: readonly string[];
  /** True when this host runs only jobs signed with its secret. */
  readonly signed: boolean;
  /** Its limits of one chunk job. */
  readonly maxJobBytes: number;
  readonly maxJobItems: number;
  /**
   * Stops taking chunks, waits for the chunks in flight to finish and report, then stops
   * the worker threads and disconnects. Once Redis is lost (before or during the close: a
   * connection down, or a PING unanswered with it up, for `lostAfterMs`), it waits for
   * nothing: the chunks in flight are dropped (their locks expire and other hosts run them)
   * and it resolves as soon as the worker threads are stopped; nothing of the host keeps the
   * process alive after that but BullMQ's wait for a job (about 6 s at most).
   */
  close(): Promise<void>;
  /**
   * Resolves, with the last connection error, when the connection to Redis has been lost
   * for good (down, or up with a PING unanswered, for `lostAfterMs`), or when `close()`
   * found it answering nothing (its last command unanswered for `connectTimeoutMs`); never
   * after a `close()` that finished with Redis there.
   */
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
  const admission = admissionOf(parsed);
  const concurrency = parsed.concurrency ?? (await probeHardware()).cores.usable.value;
  const connectOptions = {
    connectTimeoutMs: parsed.connectTimeoutMs ?? CLUSTER_DEFAULTS.connectTimeoutMs,
    lostAfterMs: parsed.lostAfterMs ?? CLUSTER_DEFAULTS.lostAfterMs,
  };
  const commands = await connectRedis(parsed.connection, connectOptions);
  let bull: LiveRedis;
  try {
    bull = await connectRedis(parsed.connection, connectOptions);
  } catch (error) {
    await closeRedis(commands.client);
    throw error;
  }
  // BullMQ's own commands (a chunk's result, its lock) go through this one.
  holdCommandsOnceEnded(bull.client);
  // The worker's blocking connection is a copy of it.
  const copies = keepCopies(bull.client);
  const id = `${hostname()}:${process.pid}`;
  const executor: Executor = createExecutor({ workers: concurrency });
  const chunkHost: ChunkHost = { id, prefix, queueName, admission };

  const worker = new Worker(
    queueName,
    async (job: Job) => {
      if (job.name === PROBE_JOB) return probe(job.data as ProbeJobData, admission.limits.maxJobBytes);
      if (job.name !== CHUNK_JOB) throw new Error(`Unknown job ${job.name}: not an Amorsize chunk`);
      return runChunk(executor, commands.client, chunkHost, job);
    },
    {
      connection: bull.client,
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
  const { maxJobBytes, maxJobItems } = admission.limits;
  // Callers may read a host's limits here to size their chunks.
  const registration = JSON.stringify({ concurrency, maxJobBytes, maxJobItems });
  const register = () => commands.client.set(key, registration, "PX", HEARTBEAT_MS * 3).catch(() => {});
  await register();
  const heartbeat = setInterval(register, HEARTBEAT_MS);
  heartbeat.unref();
  void worker.run().catch(() => {});
  await worker.waitUntilReady();

  let closedOnPurpose = false;
  // Redis that answers nothing on our own connection is as good as lost.
  const silence = watchSilence(commands, connectOptions.lostAfterMs);
  // A connection ended by close() is not lost; one that answered nothing during the close is.
  let lostInClose: (cause: unknown) => void = () => {};
  const lost = new Promise<unknown>((resolve) => {
    lostInClose = resolve;
    void Promise.race([silence.lost, bull.lost]).then((cause) => {
      if (!closedOnPurpose) resolve(cause);
    });
  });
  let closing: Promise<void> | undefined;
  return {
    id,
    queueName,
    concurrency,
    address: commands.address,
    allowed: [...admission.allow.folders, ...admission.allow.files],
    signed: admission.secret !== undefined,
    maxJobBytes,
    maxJobItems,
    lost,
    close() {
      closing ??= (async () => {
        clearInterval(heartbeat);
        // Without Redis (lost, or there but silent) the chunks in flight can never report:
        // stop waiting for them.
        const gone = await Promise.race([worker.close().then(() => false), lost.then(() => true)]);
        silence.stop();
        const { connectTimeoutMs } = connectOptions;
        if (gone) stopWorkerTimers(worker);
        // Whether BullMQ's close beat the silence watch is a race; Redis answering the
        // close's own command is not: a close it left unanswered ends with Redis lost.
        else if (!(await settlesWithin(commands.client.del(key), connectTimeoutMs)))
          lostInClose(
            new Error(
              `Redis at ${commands.address} answered nothing to the close for ${connectTimeoutMs} ms`,
            ),
          );
        closedOnPurpose = !gone;
        await executor.close();
        await closeRedis(commands.client);
        await closeRedis(bull.client);
        // A blocking connection that BullMQ's close could not close.
        for (const copy of copies) if (copy.status !== "end") copy.disconnect();
      })();
      return closing;
    },
  };
}

/**
 * Stops the timers of a BullMQ worker whose `close()` can no longer finish. Without Redis
 * its close waits for ever for its main loop, which waits on a command that can never be
 * answered, and the two timers that only that close clears (the lock renewal, every
 * `lockDurationMs / 2`, and the stalled-job check, every `stalledIntervalMs`) would keep the
 * process alive once the host has closed. Both are internals of BullMQ: the cluster's tests
 * check that a host closed during an outage lets its process exit.
 */
function stopWorkerTimers(worker: Worker): void {
  const internals = worker as unknown as {
    lockManager?: { close(): Promise<void> };
    stalledCheckStopper?: () => void;
  };
  void internals.lockManager?.close().catch(() => {});
  internals.stalledCheckStopper?.();
}

/**
 * What the host admits, from its options: checked before it connects.
 *
 * @throws {AmorsizeValidationError} an allowed path that does not exist, or a bad secret.
 */
function admissionOf(options: WorkerHostOptions): Admission {
  return {
    allow: resolveAllowList(options.allow),
    secret: resolveSecret(options),
    limits: {
      maxJobBytes: options.maxJobBytes ?? CLUSTER_DEFAULTS.maxJobBytes,
      maxJobItems: options.maxJobItems ?? CLUSTER_DEFAULTS.maxJobItems,
    },
  };
}

/** A measurement job: its payload goes back as it came, within the host's byte limit. */
function probe(data: ProbeJobData, maxJobBytes: number): string {
  const bytes = Buffer.byteLength(data.payload);
  if (bytes > maxJobBytes) throw new JobTooLargeError("bytes", bytes, maxJobBytes);
  return data.payload;
}

/** What `runChunk` needs of its host. */
interface ChunkHost {
  readonly id: string;
  readonly prefix: string;
  readonly queueName: string;
  readonly admission: Admission;
}

/**
 * Runs one chunk job on one of the host's worker threads, once admitted (see
 * `admitChunk`); item failures, and a refusal, go back as plain data.
 */
async function runChunk(
  executor: Executor,
  client: Redis,
  host: ChunkHost,
  job: Job,
): Promise<ChunkJobResult> {
  const started = performance.now();
  const data = job.data as ChunkJobData;
  // One round trip: whether the run is live (its caller there, not cancelled), and the job's size as stored.
  const [live, stored] = ((await client
    .pipeline()
    .exists(runKey(host.prefix, host.queueName, String(data?.runId)))
    .hstrlen(`${host.prefix}:${host.queueName}:${job.id}`, "data")
    .exec()) ?? []) as [Error | null, number][];
  if (live?.[1] !== 1) {
    return { host: host.id, cancelled: true, payload: encodeAll([]), errors: [], ms: 0 };
  }
  const refuse = (error: unknown): ChunkJobResult => {
    const { name, message, code } = error as { name: string; message: string; code: string };
    const ms = performance.now() - started;
    return { host: host.id, refused: { name, message, code }, payload: encodeAll([]), errors: [], ms };
  };
  let module: string;
  try {
    module = await admitChunk(host.admission, job, stored?.[1] ?? 0);
  } catch (error) {
    return refuse(error);
  }
  // Decoding is bounded by the byte limit admitted above (a payload it cannot read fails
  // the job); the item count is known once decoded.
  const items = decodeChunkItems(data);
  const { maxJobItems } = host.admission.limits;
  if (items.length > maxJobItems) return refuse(new JobTooLargeError("items", items.length, maxJobItems));
  // The whole job is one executor chunk: one worker thread runs it, so `concurrency`
  // jobs keep `concurrency` threads busy.
  const { results, errors } = await executor.map({ module, export: data.export }, items, {
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
