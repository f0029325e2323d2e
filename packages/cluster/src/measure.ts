import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { parseInput } from "@amorsize/types";
import { Queue, QueueEvents } from "bullmq";
import { z } from "zod";
import { closeRedis, connectRedis } from "./connection.js";
import { NoWorkerHostsError } from "./errors.js";
import { CLUSTER_DEFAULTS, ConnectionSchema } from "./options.js";
import { chunkJobId, hostKeyPattern, PROBE_JOB, type ProbeJobData } from "./protocol.js";

/** Options of `measureClusterCost()`. */
export const ClusterCostOptionsSchema = z
  .object({
    connection: ConnectionSchema,
    queueName: z.string().min(1).optional(),
    prefix: z.string().min(1).optional(),
    connectTimeoutMs: z.number().int().positive().optional(),
    /** Round trips timed for each figure. Default 20. */
    samples: z.number().int().min(3).max(10_000).optional(),
    /** Payload of the per-byte measurement, bytes. Default 262144. */
    payloadBytes: z
      .number()
      .int()
      .min(1024)
      .max(64 * 1024 * 1024)
      .optional(),
  })
  .strict();
export type ClusterCostOptions = z.input<typeof ClusterCostOptionsSchema>;

/** A figure with its sample count and spread (median absolute deviation, same unit). */
export interface ClusterFigure {
  readonly value: number;
  readonly samples: number;
  readonly spread: number;
}

/** What the cluster costs, measured against the live queue. */
export interface ClusterCostProfile {
  readonly measuredAt: string;
  readonly durationMs: number;
  readonly queueName: string;
  readonly address: string;
  /** Live worker hosts and their worker threads. */
  readonly hosts: ReadonlyArray<{ readonly id: string; readonly concurrency: number }>;
  readonly totalWorkers: number;
  /** One empty job at a time: add to completed event, milliseconds. */
  readonly roundTrip: ClusterFigure;
  /** Many empty jobs in flight over every host: wall time per job, milliseconds. */
  readonly perChunk: ClusterFigure;
  /** Extra round-trip time per byte of payload (counted going out and coming back), nanoseconds. */
  readonly perByte: ClusterFigure;
  /** The three figures as `planCluster()` takes them. */
  readonly figures: { roundTripMs: number; perChunkMs: number; perByteNs: number; totalWorkers: number };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function figure(values: number[]): ClusterFigure {
  const m = median(values);
  return { value: m, samples: values.length, spread: median(values.map((v) => Math.abs(v - m))) };
}

/**
 * Measures the cluster's costs against the live queue, with at least one worker host
 * running: the round trip of an empty job through Redis and a host, the per-job cost with
 * many in flight, and the per-byte cost (a payload sent and echoed back by a host, its
 * main thread answering without a worker thread). Probe jobs are removed afterwards.
 *
 * @throws {AmorsizeValidationError} a bad option.
 * @throws {RedisUnreachableError} Redis cannot be reached.
 * @throws {NoWorkerHostsError} no worker host is serving the queue.
 */
export async function measureClusterCost(options: ClusterCostOptions): Promise<ClusterCostProfile> {
  const parsed = parseInput(ClusterCostOptionsSchema, options, "options");
  const queueName = parsed.queueName ?? CLUSTER_DEFAULTS.queueName;
  const prefix = parsed.prefix ?? CLUSTER_DEFAULTS.prefix;
  const samples = parsed.samples ?? 20;
  const payloadBytes = parsed.payloadBytes ?? 262_144;
  const connect = {
    connectTimeoutMs: parsed.connectTimeoutMs ?? CLUSTER_DEFAULTS.connectTimeoutMs,
    lostAfterMs: CLUSTER_DEFAULTS.lostAfterMs,
  };
  const started = performance.now();
  const commands = await connectRedis(parsed.connection, connect);
  const blocking = await connectRedis(parsed.connection, connect).catch(async (error: unknown) => {
    await closeRedis(commands.client);
    throw error;
  });
  const queue = new Queue(queueName, { connection: commands.client, prefix });
  queue.on("error", () => {});
  let events: QueueEvents | undefined;
  const ids: string[] = [];
  try {
    const hosts: Array<{ id: string; concurrency: number }> = [];
    const keys = await commands.client.keys(hostKeyPattern(prefix, queueName));
    for (const key of keys.sort()) {
      const text = await commands.client.get(key);
      if (!text) continue;
      const { concurrency } = JSON.parse(text) as { concurrency: number };
      hosts.push({ id: key.slice(hostKeyPattern(prefix, queueName).length - 1), concurrency });
    }
    if (hosts.length === 0) throw new NoWorkerHostsError(queueName);

    const newest = (await commands.client.xrevrange(
      `${prefix}:${queueName}:events`,
      "+",
      "-",
      "COUNT",
      1,
    )) as [string, string[]][];
    events = new QueueEvents(queueName, {
      connection: blocking.client,
      prefix,
      lastEventId: newest[0]?.[0] ?? "0-0",
    });
    events.on("error", () => {});
    const waiters = new Map<string, () => void>();
    events.on("completed", ({ jobId }: { jobId: string }) => waiters.get(jobId)?.());
    const runId = randomUUID();
    let next = 0;
    const send = async (payloads: string[]): Promise<number> => {
      const batch = payloads.map((payload) => {
        const jobId = chunkJobId(runId, next++);
        ids.push(jobId);
        const data: ProbeJobData = { runId, payload };
        return {
          name: PROBE_JOB,
          data,
          opts: { jobId, removeOnComplete: { age: 3600 }, removeOnFail: { age: 3600 } },
        };
      });
      const done = Promise.all(
        batch.map((job) => new Promise<void>((resolve) => waiters.set(job.opts.jobId, resolve))),
      );
      const t0 = performance.now();
      await queue.addBulk(batch);
      await done;
      return performance.now() - t0;
    };
    const one = async (payload: string) => send([payload]);

    for (let i = 0; i < 2; i++) await one("");
    const empty: number[] = [];
    for (let i = 0; i < samples; i++) empty.push(await one(""));
    const big = "x".repeat(payloadBytes);
    const full: number[] = [];
    for (let i = 0; i < samples; i++) full.push(await one(big));
    const perJob: number[] = [];
    for (let i = 0; i < 3; i++) perJob.push((await send(new Array(samples * 4).fill(""))) / (samples * 4));
    const roundTrip = figure(empty);
    // The payload crosses Redis twice (out and echoed back).
    const perByteValues = full.map((ms) => Math.max(0, ((ms - roundTrip.value) * 1e6) / (2 * payloadBytes)));
    const perByte = figure(perByteValues);
    const perChunk = figure(perJob);
    const totalWorkers = hosts.reduce((sum, h) => sum + h.concurrency, 0);
    return {
      measuredAt: new Date().toISOString(),
      durationMs: performance.now() - started,
      queueName,
      address: commands.address,
      hosts,
      totalWorkers,
      roundTrip,
      perChunk,
      perByte,
      figures: {
        roundTripMs: roundTrip.value,
        perChunkMs: perChunk.value,
        perByteNs: perByte.value,
        totalWorkers,
      },
    };
  } finally {
    await Promise.allSettled(ids.map((id) => queue.remove(id)));
    await Promise.allSettled([events?.close(), queue.close()]);
    await closeRedis(commands.client);
    await closeRedis(blocking.client);
  }
}
