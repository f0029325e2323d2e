import { AmorsizeValidationError } from "@amorsize/types";
import { describe, expect, it } from "@jest/globals";
import { decideOnCluster, planCluster, predictClusterWallMs } from "./plan.js";

const figures = { roundTripMs: 2, perChunkMs: 0.5, perByteNs: 10, totalWorkers: 4 };

describe("predictClusterWallMs", () => {
  it("runs chunks in waves of workers, each paying its items, bytes and one round trip", () => {
    // 100 items of 1 ms, 100 bytes each, chunks of 10 -> 10 chunks, 3 waves on 4 workers.
    // chunk = 10 x (1 + 100 x 10 / 1e6) + 2 = 12.01 ms; 3 waves = 36.03 ms; producer 10 x 0.5 = 5 ms.
    expect(predictClusterWallMs(figures, { items: 100, itemMs: 1, bytesPerItem: 100 }, 4, 10)).toBeCloseTo(
      36.03,
      10,
    );
  });

  it("is bounded by the producer when chunks are tiny", () => {
    // 1000 one-item chunks: the workers take 250 waves x 2 ms = 500 ms, the producer 1000 x 3 ms.
    expect(
      predictClusterWallMs({ ...figures, perChunkMs: 3 }, { items: 1000, itemMs: 0, bytesPerItem: 0 }, 4, 1),
    ).toBe(3000);
  });
});

describe("planCluster", () => {
  it("takes the cluster with large chunks when items are slow", () => {
    const plan = planCluster({
      cluster: figures,
      workload: { items: 400, itemMs: 5, bytesPerItem: 0 },
      localWallMs: 1000,
    });
    // One wave of 100-item chunks on 4 workers: 100 x 5 + 2 = 502 ms, against 1000 ms locally.
    expect(plan).toMatchObject({
      backend: "cluster",
      workers: 4,
      chunkSize: 100,
      chunks: 4,
      predicted: { clusterWallMs: 502, localWallMs: 1000 },
    });
    expect(plan.predicted.speedupOverLocal).toBeCloseTo(1000 / 502, 12);
    expect(plan.reasons.map((r) => r.code)).toEqual(["CLUSTER_FASTER_THAN_LOCAL", "ROUND_TRIP_SHARE"]);
    expect(plan.reasons[1]?.message).toBe(
      "Chunks of 100 items spend 0.4% of their time on the 2.00 ms round trip through Redis.",
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
        "The cluster's best plan is predicted to take 5.25 ms, not less than 1.00 ms locally: run locally.",
    });
    // 4 chunks of 250 on 4 workers: 250 x 0.001 + 5 = 5.25 ms (1 worker: 6 ms; 5 workers: 5.2 ms, within 1%).
    expect(plan).toMatchObject({ workers: 4, chunkSize: 250, chunks: 4 });
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
      predicted: { clusterWallMs: 202 },
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
    // 100-item chunks on 4 workers: 100 x (5 + 100 bytes x 10 ns) + 2 = 502.1 ms.
    expect(decision).toMatchObject({ use: true, workers: 4, chunkSize: 100 });
    expect(decision.predictedWallMs).toBeCloseTo(502.1, 10);
    expect(decision.reasons.map((r) => r.code)).toEqual(["CLUSTER_FASTER_THAN_LOCAL", "ROUND_TRIP_SHARE"]);
  });

  it("keeps the local plan when it is faster, and takes the item count from the workload when the plan has none", () => {
    const decision = decideOnCluster(
      figures,
      { workload, localPlan: { totalItems: null, predicted: { wallMs: 400 } } },
      "q",
    );
    expect([decision.use, decision.reasons[0]?.code]).toEqual([false, "CLUSTER_SLOWER_THAN_LOCAL"]);
    expect(decision.predictedWallMs).toBeCloseTo(502.1, 10);
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
