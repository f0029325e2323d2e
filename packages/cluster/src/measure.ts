import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { MAX_TIMER_MS, parseInput } from "@amorsize/types";
import type { Redis } from "ioredis";
import { z } from "zod";
import { openQueueLink, type QueueLink } from "./connection.js";
import {
  type ClusterFigure,
  type CostSamples,
  costFigures,
  hostsFromKeys,
  type LiveHost,
} from "./cost-figures.js";
import { NoWorkerHostsError, RedisLostError } from "./errors.js";
import { CLUSTER_DEFAULTS, ConnectionSchema } from "./options.js";
import { chunkJobId, hostKeyPattern, PROBE_JOB, type ProbeJobData } from "./protocol.js";

export type { ClusterFigure } from "./cost-figures.js";

/** Options of `measureClusterCost()`. */
export const ClusterCostOptionsSchema = z
  .object({
    connection: ConnectionSchema,
    queueName: z.string().min(1).optional(),
    prefix: z.string().min(1).optional(),
    connectTimeoutMs: z.number().int().positive().max(MAX_TIMER_MS).optional(),
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

/** What the cluster costs, measured against the live queue. */
export interface ClusterCostProfile {
  readonly measuredAt: string;
  readonly durationMs: number;
  readonly queueName: string;
  readonly address: string;
  /** Live worker hosts and their worker threads. */
  readonly hosts: readonly LiveHost[];
  readonly totalWorkers: number;
  /** One empty job at a time: add to completed event, milliseconds. */
  readonly roundTrip: ClusterFigure;
  /** Many empty jobs in flight over every host: wall time per job, milliseconds. */
  readonly perChunk: ClusterFigure;
  /** Extra round-trip time per byte of payload (counted going out and coming back), nanoseconds. */
  readonly perByte: ClusterFigure;
  /** One plain command (PING) from here to Redis and back, milliseconds. */
  readonly command: ClusterFigure;
  /** The figures as `planCluster()` takes them. */
  readonly figures: {
    roundTripMs: number;
    perChunkMs: number;
    perByteNs: number;
    totalWorkers: number;
    commandMs: number;
  };
}

/** Empty round trips run first and thrown away: the first jobs pay for warming Redis's scripts and the hosts. */
const WARM_UP_JOBS = 2;
/** Batches of empty jobs timed for the per-job figure, each of `4 x samples` jobs. */
const PER_JOB_BATCHES = 3;

/**
 * Measures the cluster's costs against the live queue, with at least one worker host
 * running: a plain command's round trip to Redis (PING), the round trip of an empty job
 * through Redis and a host, the per-job cost with many in flight, and the per-byte cost (a
 * payload sent and echoed back by a host, its main thread answering without a worker
 * thread). Probe jobs are removed afterwards.
 *
 * @throws {AmorsizeValidationError} a bad option.
 * @throws {RedisUnreachableError} Redis cannot be reached.
 * @throws {NoWorkerHostsError} no worker host is serving the queue.
 * @throws {RedisLostError} Redis was lost during the measurement.
 */
export async function measureClusterCost(options: ClusterCostOptions): Promise<ClusterCostProfile> {
  const parsed = parseInput(ClusterCostOptionsSchema, options, "options");
  const queueName = parsed.queueName ?? CLUSTER_DEFAULTS.queueName;
  const prefix = parsed.prefix ?? CLUSTER_DEFAULTS.prefix;
  const started = performance.now();
  const link = await openQueueLink(
    parsed.connection,
    { queueName, prefix },
    {
      connectTimeoutMs: parsed.connectTimeoutMs ?? CLUSTER_DEFAULTS.connectTimeoutMs,
      lostAfterMs: CLUSTER_DEFAULTS.lostAfterMs,
    },
  );
  const probe = new Prober(link);
  try {
    const hosts = await liveHosts(link.commands, prefix, queueName);
    if (hosts.length === 0) throw new NoWorkerHostsError(queueName);
    const samples = await probe.sample(parsed.samples ?? 20, parsed.payloadBytes ?? 262_144);
    const { roundTrip, perChunk, perByte, command } = costFigures(samples);
    const totalWorkers = hosts.reduce((sum, h) => sum + h.concurrency, 0);
    return {
      measuredAt: new Date().toISOString(),
      durationMs: performance.now() - started,
      queueName,
      address: link.address,
      hosts,
      totalWorkers,
      roundTrip,
      perChunk,
      perByte,
      command,
      figures: {
        roundTripMs: roundTrip.value,
        perChunkMs: perChunk.value,
        perByteNs: perByte.value,
        totalWorkers,
        commandMs: command.value,
      },
    };
  } finally {
    await probe.removeJobs();
    await link.close();
  }
}

/** The worker hosts registered on the queue now. */
export async function liveHosts(client: Redis, prefix: string, queueName: string): Promise<LiveHost[]> {
  const pattern = hostKeyPattern(prefix, queueName);
  const keys = await client.keys(pattern);
  const values = await Promise.all(keys.map((key) => client.get(key)));
  return hostsFromKeys(
    pattern,
    keys.map((key, i) => [key, values[i] ?? null] as const),
  );
}

/** Sends probe jobs and times them until a host has answered every one. */
class Prober {
  private readonly runId = randomUUID();
  private readonly ids: string[] = [];
  private readonly waiters = new Map<string, () => void>();

  /** Rejects once the connection is lost: the jobs in flight would never be answered. */
  private readonly lost: Promise<never>;

  constructor(private readonly link: QueueLink) {
    link.events.on("completed", ({ jobId }: { jobId: string }) => this.waiters.get(jobId)?.());
    this.lost = link.lost.then((cause) => Promise.reject(new RedisLostError(link.address, cause)));
    // Observed only while jobs are in flight; closing the link at the end settles it too.
    this.lost.catch(() => {});
  }

  /** Times the commands, the empty round trips, the payload round trips and the batches, in that order. */
  async sample(samples: number, payloadBytes: number): Promise<CostSamples> {
    for (let i = 0; i < WARM_UP_JOBS; i++) await this.send([""]);
    const command: number[] = [];
    for (let i = 0; i < samples; i++) command.push(await this.ping());
    const empty: number[] = [];
    for (let i = 0; i < samples; i++) empty.push(await this.send([""]));
    const big = "x".repeat(payloadBytes);
    const full: number[] = [];
    for (let i = 0; i < samples; i++) full.push(await this.send([big]));
    const perJob: number[] = [];
    const batch = new Array<string>(samples * 4).fill("");
    for (let i = 0; i < PER_JOB_BATCHES; i++) perJob.push((await this.send(batch)) / batch.length);
    return { empty, full, perJob, command, payloadBytes };
  }

  /** Milliseconds of one PING on the queue's connection, as a run's own commands go. */
  private async ping(): Promise<number> {
    const t0 = performance.now();
    await Promise.race([this.link.commands.ping(), this.lost]);
    return performance.now() - t0;
  }

  /** Adds one job per payload and resolves with the milliseconds until the last has completed. */
  private async send(payloads: readonly string[]): Promise<number> {
    const batch = payloads.map((payload) => {
      const jobId = chunkJobId(this.runId, this.ids.length);
      this.ids.push(jobId);
      const data: ProbeJobData = { runId: this.runId, payload };
      return {
        name: PROBE_JOB,
        data,
        opts: { jobId, removeOnComplete: { age: 3600 }, removeOnFail: { age: 3600 } },
      };
    });
    const done = Promise.all(
      batch.map((job) => new Promise<void>((resolve) => this.waiters.set(job.opts.jobId, resolve))),
    );
    const t0 = performance.now();
    await this.link.queue.addBulk(batch);
    await Promise.race([done, this.lost]);
    return performance.now() - t0;
  }

  async removeJobs(): Promise<void> {
    await Promise.allSettled(this.ids.map((id) => this.link.queue.remove(id)));
  }
}
