import type { BackendDecision } from "@amorsize/types";
import { parseInput } from "@amorsize/types";
import { z } from "zod";

/** What the cluster costs, as `measureClusterCost()` returns it (only these figures are used). */
export const ClusterCostFiguresSchema = z.object({
  /** One empty job, added to completed event, one at a time, milliseconds. */
  roundTripMs: z.number().finite().nonnegative(),
  /** Empty jobs with many in flight over every host: wall time per job, milliseconds. */
  perChunkMs: z.number().finite().nonnegative(),
  /** Cost per byte of item or result data moved through Redis, nanoseconds. */
  perByteNs: z.number().finite().nonnegative(),
  /** Worker threads over every live host. */
  totalWorkers: z.number().int().positive(),
});
export type ClusterCostFigures = z.infer<typeof ClusterCostFiguresSchema>;

/** Input of `planCluster()`. */
export const ClusterPlanInputSchema = z
  .object({
    cluster: ClusterCostFiguresSchema,
    workload: z
      .object({
        items: z.number().int().nonnegative(),
        /** Mean time of one item on one worker thread, milliseconds. */
        itemMs: z.number().finite().nonnegative(),
        /** Mean JSON size of an item plus its result, bytes. */
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
    /** Share of a chunk's time spent on its round trip through Redis, 0..1. */
    readonly roundTripShare: number;
  };
  readonly reasons: ReadonlyArray<{ readonly code: ClusterReasonCode; readonly message: string }>;
}

/**
 * Predicted wall time of a cluster run with `workers` worker threads and chunks of
 * `chunkSize`: chunks run in waves of `workers`, each costing its items, its bytes and
 * one round trip through Redis; the producer side adds `perChunkMs` per chunk (the queue's
 * throughput limit). Wall time is the slower side.
 */
export function predictClusterWallMs(
  figures: ClusterCostFigures,
  workload: { items: number; itemMs: number; bytesPerItem: number },
  workers: number,
  chunkSize: number,
): number {
  const chunks = Math.ceil(workload.items / chunkSize);
  const chunkMs =
    chunkSize * (workload.itemMs + (workload.bytesPerItem * figures.perByteNs) / 1e6) + figures.roundTripMs;
  const workerSide = Math.ceil(chunks / workers) * chunkMs;
  const producerSide = chunks * figures.perChunkMs;
  return Math.max(workerSide, producerSide);
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
  const chunkMs = best.chunkSize * (workload.itemMs + (workload.bytesPerItem * cluster.perByteNs) / 1e6);
  const roundTripShare = cluster.roundTripMs / (chunkMs + cluster.roundTripMs || 1);
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
      message: `Chunks of ${best.chunkSize} items spend ${(roundTripShare * 100).toFixed(1)}% of their time on the ${ms(cluster.roundTripMs)} round trip through Redis.`,
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
