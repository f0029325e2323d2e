import { AmorsizeValidationError } from "@amorsize/types";
import { describe, expect, it } from "@jest/globals";
import {
  BASE64_RATIO,
  commandRoundTrips,
  decideOnCluster,
  planCluster,
  predictClusterWallMs,
  RUN_COMMANDS,
} from "./plan.js";

// A caller's command 0.5 ms, a job's round trip 2 ms: a host's command (2 - 0.5) / 2 = 0.75 ms.
const figures = { roundTripMs: 2, perChunkMs: 0.5, perByteNs: 10, totalWorkers: 4, commandMs: 0.5 };

describe("commandRoundTrips", () => {
  it("splits a job's round trip into the caller's command and the host's two", () => {
    expect(commandRoundTrips(figures)).toEqual({ callerMs: 0.5, hostMs: 0.75 });
    // Not measured: a third of the round trip each.
    expect(commandRoundTrips({ ...figures, roundTripMs: 3, commandMs: undefined })).toEqual({
      callerMs: 1,
      hostMs: 1,
    });
    expect(commandRoundTrips({ ...figures, commandMs: 5 }).hostMs).toBe(0);
  });
});

describe("predictClusterWallMs", () => {
  it("pays the run's commands, one job round trip per worker, then two host commands per later chunk", () => {
    // 100 items of 1 ms, 75 bytes each (100 in base64: 1 us at 10 ns), chunks of 10 -> 10 chunks,
    // 3 waves on 4 workers. Run: 6 x 0.5 = 3 ms. First chunk: 2 + 0.75 (its run check) + 0.75
    // (the second worker starts after the first) = 3.5 ms; items 3 x 10 x 1.001 = 30.03 ms;
    // 2 later chunks x 2 x 0.75 = 3 ms. Producer: 10 x 0.5 = 5 ms.
    expect(predictClusterWallMs(figures, { items: 100, itemMs: 1, bytesPerItem: 75 }, 4, 10)).toBeCloseTo(
      3 + 3.5 + 30.03 + 3,
      10,
    );
  });

  it("counts a chunk's bytes as base64 carries them: 4 characters for 3 bytes", () => {
    expect(BASE64_RATIO).toBeCloseTo(4 / 3, 15);
    const bytes = predictClusterWallMs(figures, { items: 10, itemMs: 0, bytesPerItem: 3000 }, 1, 10);
    const none = predictClusterWallMs(figures, { items: 10, itemMs: 0, bytesPerItem: 0 }, 1, 10);
    // 10 items x 4000 characters x 10 ns = 0.4 ms.
    expect(bytes - none).toBeCloseTo(0.4, 12);
  });

  it("is bounded by the producer when chunks are tiny", () => {
    // 1000 one-item chunks: the workers take 3.5 + 249 x 1.5 = 377 ms, the producer 1000 x 3 ms.
    expect(
      predictClusterWallMs({ ...figures, perChunkMs: 3 }, { items: 1000, itemMs: 0, bytesPerItem: 0 }, 4, 1),
    ).toBe(RUN_COMMANDS * 0.5 + 3000);
  });

  it("predicts nothing for no items", () => {
    expect(predictClusterWallMs(figures, { items: 0, itemMs: 1, bytesPerItem: 0 }, 4, 10)).toBe(0);
  });
});

/**
 * Figures as measured through a proxy adding `d` ms each way: a caller's command crosses it
 * twice (2d, plus 1 ms of work), a job six times (6d, plus 6 ms): a host's command is 2d + 2.5 ms.
 */
const atLatency = (d: number) => ({
  roundTripMs: 6 * d + 6,
  commandMs: 2 * d + 1,
  perChunkMs: 1,
  perByteNs: 20,
  totalWorkers: 4,
});

describe("planCluster as latency grows (1, 5 and 20 ms each way)", () => {
  const plans = (workload: { items: number; itemMs: number; bytesPerItem: number }) =>
    [1, 5, 20].map((d) => planCluster({ cluster: atLatency(d), workload }));

  it("keeps a short run on the cluster at 1 and 5 ms and runs it locally at 20 ms", () => {
    // 2,000 items of 0.25 ms (30 bytes: 40 in base64, 0.8 us): 500 ms locally. On 4 workers,
    // one chunk of 500 each: 6 (2d + 1) + (6d + 6) + 2 (2d + 2.5) + 500 x 0.2508 = 22d + 142.4 ms.
    const [at1, at5, at20] = plans({ items: 2000, itemMs: 0.25, bytesPerItem: 30 });
    expect([at1?.backend, at5?.backend, at20?.backend]).toEqual(["cluster", "cluster", "local"]);
    expect(at1?.predicted.clusterWallMs).toBeCloseTo(164.4, 9);
    expect(at5?.predicted.clusterWallMs).toBeCloseTo(252.4, 9);
    expect(at20?.predicted.clusterWallMs).toBeCloseTo(582.4, 9);
    expect(at20?.reasons[0]?.code).toBe("CLUSTER_SLOWER_THAN_LOCAL");
  });

  it("keeps a long run on the cluster at every latency", () => {
    // 2,000 items of 1 ms: 2,000 ms locally, 22d + 517.4 ms on the cluster.
    const runs = plans({ items: 2000, itemMs: 1, bytesPerItem: 30 });
    expect(runs.map((p) => p.backend)).toEqual(["cluster", "cluster", "cluster"]);
    expect(runs.map((p) => p.predicted.clusterWallMs)).toEqual([
      expect.closeTo(539.4, 9),
      expect.closeTo(627.4, 9),
      expect.closeTo(957.4, 9),
    ]);
  });

  it("keeps one chunk per worker for even items: a later chunk costs two host commands and saves nothing", () => {
    const workload = { items: 2000, itemMs: 0.25, bytesPerItem: 30 };
    for (const [d, plan] of plans(workload).entries()) {
      expect(plan).toMatchObject({ workers: 4, chunkSize: 500, chunks: 4 });
      const figures = atLatency([1, 5, 20][d] as number);
      // Half the chunk size: a second wave, the same items, two host commands (2 x (2d + 2.5)) more.
      const half = predictClusterWallMs(figures, workload, 4, 250);
      expect(half - plan.predicted.clusterWallMs).toBeCloseTo(2 * commandRoundTrips(figures).hostMs, 9);
    }
  });

  it("sends a short run as one chunk to one worker once a second worker's start costs more than it saves", () => {
    // 4 items of 10 ms: a second worker saves up to 30 ms and starts a host command (2d + 2.5) later.
    const runs = plans({ items: 4, itemMs: 10, bytesPerItem: 0 });
    expect(runs.map((p) => [p.workers, p.chunkSize])).toEqual([
      [4, 1],
      [4, 1],
      [1, 4],
    ]);
  });
});

describe("planCluster", () => {
  it("takes the cluster with large chunks when items are slow", () => {
    const plan = planCluster({
      cluster: figures,
      workload: { items: 400, itemMs: 5, bytesPerItem: 0 },
      localWallMs: 1000,
    });
    // One wave of 100-item chunks on 4 workers: 3 + 3.5 + 100 x 5 = 506.5 ms, against 1000 ms locally.
    expect(plan).toMatchObject({
      backend: "cluster",
      workers: 4,
      chunkSize: 100,
      chunks: 4,
      predicted: { clusterWallMs: 506.5, localWallMs: 1000 },
    });
    expect(plan.predicted.speedupOverLocal).toBeCloseTo(1000 / 506.5, 12);
    expect(plan.predicted.roundTripShare).toBeCloseTo(6.5 / 506.5, 12);
    expect(plan.reasons.map((r) => r.code)).toEqual(["CLUSTER_FASTER_THAN_LOCAL", "ROUND_TRIP_SHARE"]);
    expect(plan.reasons[1]?.message).toBe(
      "Chunks of 100 items: 1.3% of the predicted time goes on round trips through Redis (2.00 ms a job, 1.50 ms per later chunk of a worker).",
    );
  });

  it("says CLUSTER_SLOWER_THAN_LOCAL when round trips outweigh the work", () => {
    const plan = planCluster({
      cluster: { roundTripMs: 5, perChunkMs: 1, perByteNs: 0, totalWorkers: 8 },
      workload: { items: 1000, itemMs: 0.001, bytesPerItem: 8 },
      localWallMs: 1,
    });
    expect(plan.backend).toBe("local");
    expect(plan.reasons[0]).toEqual({
      code: "CLUSTER_SLOWER_THAN_LOCAL",
      message:
        "The cluster's best plan is predicted to take 18 ms, not less than 1.00 ms locally: run locally.",
    });
    // Commands of 5/3 ms (not measured): one chunk of 1000 on one worker, 10 + 5 + 5/3 + 1 ms;
    // a second worker would save 0.5 ms of items and start 5/3 ms later.
    expect(plan).toMatchObject({ workers: 1, chunkSize: 1000, chunks: 1 });
    expect(plan.predicted.clusterWallMs).toBeCloseTo(17 + 2 / 3, 12);
  });

  it("defaults the local time to a serial loop and plans nothing for no items", () => {
    expect(
      planCluster({ cluster: figures, workload: { items: 0, itemMs: 1, bytesPerItem: 0 } }),
    ).toMatchObject({
      backend: "local",
      chunks: 0,
      reasons: [{ code: "NO_ITEMS" }],
    });
    const plan = planCluster({ cluster: figures, workload: { items: 8, itemMs: 100, bytesPerItem: 0 } });
    expect(plan.predicted.localWallMs).toBe(800);
    expect(plan).toMatchObject({
      backend: "cluster",
      workers: 4,
      chunkSize: 2,
      predicted: { clusterWallMs: 206.5 },
    });
  });

  it("validates its input", () => {
    expect(() =>
      planCluster({
        cluster: { ...figures, totalWorkers: 0 },
        workload: { items: -1, itemMs: 1, bytesPerItem: 0 },
      }),
    ).toThrow(AmorsizeValidationError);
    try {
      planCluster({
        cluster: { ...figures, totalWorkers: 0 },
        workload: { items: -1, itemMs: 1, bytesPerItem: 0 },
      });
    } catch (error) {
      expect((error as AmorsizeValidationError).issues).toEqual([
        "input.cluster.totalWorkers: Too small: expected number to be >0, got 0",
        "input.workload.items: Too small: expected number to be >=0, got -1",
      ]);
    }
  });
});

describe("decideOnCluster", () => {
  const workload = {
    totalItems: 400,
    itemTimeMs: { mean: 5 },
    inputBytes: { mean: 60 },
    outputBytes: { mean: 40 },
  };

  it("runs on the cluster when its plan beats the local plan's predicted time", () => {
    const decision = decideOnCluster(
      figures,
      { workload, localPlan: { totalItems: 400, predicted: { wallMs: 1000 } } },
      "q",
    );
    // 100-item chunks on 4 workers: 6.5 + 100 x (5 + 100 bytes in 133.3 characters x 10 ns) = 506.633 ms.
    expect(decision).toMatchObject({ use: true, workers: 4, chunkSize: 100 });
    expect(decision.predictedWallMs).toBeCloseTo(506.5 + 0.4 / 3, 10);
    expect(decision.reasons.map((r) => r.code)).toEqual(["CLUSTER_FASTER_THAN_LOCAL", "ROUND_TRIP_SHARE"]);
  });

  it("keeps the local plan when it is faster, and takes the item count from the workload when the plan has none", () => {
    const decision = decideOnCluster(
      figures,
      { workload, localPlan: { totalItems: null, predicted: { wallMs: 400 } } },
      "q",
    );
    expect([decision.use, decision.reasons[0]?.code]).toEqual([false, "CLUSTER_SLOWER_THAN_LOCAL"]);
    expect(decision.predictedWallMs).toBeCloseTo(506.5 + 0.4 / 3, 10);
  });

  it("declines without a live host", () => {
    expect(
      decideOnCluster(null, { workload, localPlan: { totalItems: 400, predicted: { wallMs: 1000 } } }, "q"),
    ).toEqual({
      use: false,
      workers: 0,
      chunkSize: 1,
      predictedWallMs: Number.POSITIVE_INFINITY,
      reasons: [{ code: "NO_WORKER_HOSTS", message: 'No worker host serves queue "q": running here.' }],
    });
  });
});
