import type { BackendDecision } from "@amorsize/types";
import { parseInput } from "@amorsize/types";
import { z } from "zod";

/** What the cluster costs, as `measureClusterCost()` returns it (only these figures are used). */
export const ClusterCostFiguresSchema = z.object({
  /** One empty job, added to completed event, one at a time, milliseconds. */
  roundTripMs: z.number().finite().nonnegative(),
  /** Empty jobs with many in flight over every host: wall time per job, milliseconds. */
  perChunkMs: z.number().finite().nonnegative(),
  /** Cost per byte of a job's payload as it crosses Redis (text, out and back), nanoseconds. */
  perByteNs: z.number().finite().nonnegative(),
  /** Worker threads over every live host. */
  totalWorkers: z.number().int().positive(),
  /**
   * One Redis command from the caller and its answer (a PING), milliseconds. Default: a
   * third of `roundTripMs` (a job's round trip is one such command's path for the caller
   * and two for the host).
   */
  commandMs: z.number().finite().nonnegative().optional(),
});
export type ClusterCostFigures = z.infer<typeof ClusterCostFiguresSchema>;

/**
 * Commands a `map()` run sends one after another besides its jobs: before the first job,
 * the hosts' keys and their registrations, then its run key; after the last answer, the
 * run key's deletion and its jobs' removal (twice).
 */
export const RUN_COMMANDS = 6;

/** Bytes a job carries per byte of V8-serialised values: base64 puts 3 bytes in 4 characters. */
export const BASE64_RATIO = 4 / 3;

/**
 * A Redis command's round trip from the caller and from a host. A job's round trip
 * (`roundTripMs`) goes caller to Redis, Redis to a host, the host's fetch of the job (a
 * command) and its answer, Redis to the caller: one command's path for the caller and two
 * for the host, so the host's is what is left of it after the caller's, halved.
 */
export function commandRoundTrips(figures: ClusterCostFigures): { callerMs: number; hostMs: number } {
  const callerMs = figures.commandMs ?? figures.roundTripMs / 3;
  return { callerMs, hostMs: Math.max(0, (figures.roundTripMs - callerMs) / 2) };
}

/** Input of `planCluster()`. */
export const ClusterPlanInputSchema = z
  .object({
    cluster: ClusterCostFiguresSchema,
    workload: z
      .object({
        items: z.number().int().nonnegative(),
        /** Mean time of one item on one worker thread, milliseconds. */
        itemMs: z.number().finite().nonnegative(),
        /** Mean V8-serialised (structured clone) size of an item plus its result, bytes. */
        bytesPerItem: z.number().finite().nonnegative(),
      })
      .strict(),
    /** Predicted wall time on the local machine (the optimizer's `plan.predicted.wallMs`). Default: `items x itemMs`. */
    localWallMs: z.number().finite().nonnegative().optional(),
  })
  .strict();
export type ClusterPlanInput = z.input<typeof ClusterPlanInputSchema>;

/** Stable reason codes of `planCluster()`. */
export const CLUSTER_REASON_CODES = [
  "CLUSTER_FASTER_THAN_LOCAL",
  "CLUSTER_SLOWER_THAN_LOCAL",
  "NO_ITEMS",
  "ROUND_TRIP_SHARE",
] as const;
export type ClusterReasonCode = (typeof CLUSTER_REASON_CODES)[number];

/** A cluster plan: where to run, with how many workers and what chunk size, and why. */
export interface ClusterPlan {
  /** `cluster` when it is predicted faster than the local machine. */
  readonly backend: "cluster" | "local";
  /** Worker threads over the hosts that the chunks keep busy (`min(totalWorkers, chunks)`). */
  readonly workers: number;
  readonly chunkSize: number;
  readonly chunks: number;
  readonly predicted: {
    readonly clusterWallMs: number;
    readonly localWallMs: number;
    /** localWallMs / clusterWallMs. */
    readonly speedupOverLocal: number;
    /** Share of the predicted cluster time spent on round trips through Redis rather than items, 0..1. */
    readonly roundTripShare: number;
  };
  readonly reasons: ReadonlyArray<{ readonly code: ClusterReasonCode; readonly message: string }>;
}

/**
 * Predicted wall time of a `map()` run with `workers` worker threads and chunks of
 * `chunkSize`, in the terms of {@link commandRoundTrips}: the run's own commands
 * ({@link RUN_COMMANDS} caller round trips); each worker's first chunk costs a job's round
 * trip plus the host's check that the run is live (a host command), and the second worker
 * starts a host command after the first (hosts take jobs one at a time); every later chunk
 * of a worker costs two host commands (finishing one job fetches the next, then the
 * check). A chunk's items cost their time and their bytes, base64 in the job. The producer
 * side adds `perChunkMs` per chunk (the queue's throughput); wall time is the slower side.
 */
export function predictClusterWallMs(
  figures: ClusterCostFigures,
  workload: { items: number; itemMs: number; bytesPerItem: number },
  workers: number,
  chunkSize: number,
): number {
  const chunks = Math.ceil(workload.items / chunkSize);
  if (chunks === 0) return 0;
  const { callerMs, hostMs } = commandRoundTrips(figures);
  const waves = Math.ceil(chunks / workers);
  const chunkWorkMs = chunkSize * itemCostMs(figures, workload);
  const firstMs = figures.roundTripMs + hostMs + (Math.min(workers, chunks) > 1 ? hostMs : 0);
  const workerSide = firstMs + waves * chunkWorkMs + (waves - 1) * 2 * hostMs;
  const producerSide = chunks * figures.perChunkMs;
  return RUN_COMMANDS * callerMs + Math.max(workerSide, producerSide);
}

/** One item's time on a host plus its bytes' way through Redis, milliseconds. */
function itemCostMs(figures: ClusterCostFigures, workload: { itemMs: number; bytesPerItem: number }): number {
  return workload.itemMs + (workload.bytesPerItem * BASE64_RATIO * figures.perByteNs) / 1e6;
}

/**
 * Plans a cluster run from measured cluster costs and a workload: searches every worker
 * count up to the hosts' total and chunk counts of 1-64 waves per worker, takes the
 * fastest predicted (fewer workers, then larger chunks, among those within 1%), and says
 * whether the cluster beats the local machine. Pure and deterministic.
 *
 * @throws {AmorsizeValidationError} a bad input.
 */
export function planCluster(input: ClusterPlanInput): ClusterPlan {
  const { cluster, workload, localWallMs: givenLocal } = parseInput(ClusterPlanInputSchema, input, "input");
  const n = workload.items;
  const localWallMs = givenLocal ?? n * workload.itemMs;
  if (n === 0) {
    return {
      backend: "local",
      workers: 0,
      chunkSize: 1,
      chunks: 0,
      predicted: { clusterWallMs: 0, localWallMs, speedupOverLocal: 1, roundTripShare: 0 },
      reasons: [{ code: "NO_ITEMS", message: "The input is empty: there is nothing to run." }],
    };
  }
  let best = { wallMs: Number.POSITIVE_INFINITY, workers: 1, chunkSize: n };
  for (let workers = 1; workers <= Math.min(cluster.totalWorkers, n); workers++) {
    for (const waves of [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64]) {
      const chunkSize = Math.max(1, Math.ceil(n / (workers * waves)));
      const wallMs = predictClusterWallMs(cluster, workload, workers, chunkSize);
      // Visited by fewer workers first, then larger chunks: a later one must be clearly faster.
      if (wallMs < best.wallMs * 0.99) best = { wallMs, workers, chunkSize };
    }
  }
  const chunks = Math.ceil(n / best.chunkSize);
  const waves = Math.ceil(chunks / best.workers);
  const workMs = waves * best.chunkSize * itemCostMs(cluster, workload);
  const roundTripShare = best.wallMs > 0 ? Math.max(0, 1 - workMs / best.wallMs) : 0;
  const { hostMs } = commandRoundTrips(cluster);
  const faster = best.wallMs < localWallMs;
  const speedupOverLocal = best.wallMs > 0 ? localWallMs / best.wallMs : 1;
  const ms = (v: number) => `${v < 10 ? v.toFixed(2) : v.toFixed(0)} ms`;
  const reasons: ClusterPlan["reasons"][number][] = [
    faster
      ? {
          code: "CLUSTER_FASTER_THAN_LOCAL",
          message: `The cluster is predicted to take ${ms(best.wallMs)} against ${ms(localWallMs)} locally (${speedupOverLocal.toFixed(2)}x).`,
        }
      : {
          code: "CLUSTER_SLOWER_THAN_LOCAL",
          message: `The cluster's best plan is predicted to take ${ms(best.wallMs)}, not less than ${ms(localWallMs)} locally: run locally.`,
        },
    {
      code: "ROUND_TRIP_SHARE",
      message: `Chunks of ${best.chunkSize} items: ${(roundTripShare * 100).toFixed(1)}% of the predicted time goes on round trips through Redis (${ms(cluster.roundTripMs)} a job, ${ms(2 * hostMs)} per later chunk of a worker).`,
    },
  ];
  return {
    backend: faster ? "cluster" : "local",
    workers: Math.min(best.workers, chunks),
    chunkSize: best.chunkSize,
    chunks,
    predicted: { clusterWallMs: best.wallMs, localWallMs, speedupOverLocal, roundTripShare },
    reasons,
  };
}

/**
 * What a `cluster()` backend tells the optimizer for one run: `planCluster()` on the
 * measured figures against the local plan's predicted time, or a refusal
 * (`NO_WORKER_HOSTS`) when no host serves the queue (`figures` null). Takes the few
 * fields it reads of the optimizer's `WorkloadSample` and `Plan`.
 */
export function decideOnCluster(
  figures: ClusterCostFigures | null,
  input: {
    workload: {
      readonly totalItems: number | null;
      readonly itemTimeMs: { readonly mean: number };
      readonly inputBytes: { readonly mean: number };
      readonly outputBytes: { readonly mean: number };
    };
    localPlan: { readonly totalItems: number | null; readonly predicted: { readonly wallMs: number } };
  },
  queueName: string,
): BackendDecision {
  if (figures === null) {
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
  const { workload, localPlan } = input;
  const planned = planCluster({
    cluster: figures,
    workload: {
      items: localPlan.totalItems ?? workload.totalItems ?? 0,
      itemMs: workload.itemTimeMs.mean,
      // Structured-clone sizes are what the codec serialises (V8's format).
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
