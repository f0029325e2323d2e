// Workloads the benchmark runs, on the figures measured on the 2-core reference
// machine (test/fixtures.ts MACHINE_COSTS): what the plan must look like.

import type { Plan } from "@amorsize/types";
import { describe, expect, it } from "@jest/globals";
import { planExecution } from "../src/index.js";
import { input } from "./fixtures.js";

const codes = (plan: Plan) => plan.reasons.map((r) => r.code);

function parallel(plan: Plan) {
  if (plan.mode !== "parallel")
    throw new Error(`expected a parallel plan, got ${plan.mode}: ${plan.reasons[0]?.message}`);
  return plan;
}

describe("scenarios on the 2-core reference machine", () => {
  it("tiny items (1 us x 1000): serial, too little work", () => {
    const plan = planExecution(input({ workload: { totalItems: 1000, itemMs: 0.001 } }));
    expect(plan.mode).toBe("serial");
    expect(codes(plan)).toEqual(["TOO_LITTLE_WORK"]);
  });

  it("medium items (200 us x 10,000): both cores, chunks that amortise dispatch", () => {
    const plan = parallel(planExecution(input({ workload: { totalItems: 10_000, itemMs: 0.2, cv: 0.1 } })));
    expect(plan.workers).toBe(2);
    // A 50 us dispatch against 200 us items: a chunk holds well over 20 items.
    expect(plan.chunkSize).toBeGreaterThanOrEqual(100);
    expect(plan.predicted.speedup).toBeGreaterThan(1.8);
    expect(codes(plan)[0]).toBe("COMPUTE_BOUND");
  });

  it("heavy uniform items (5 ms x 2000): every usable core, large chunks", () => {
    const plan = parallel(planExecution(input({ workload: { totalItems: 2000, itemMs: 5 } })));
    expect(plan.workers).toBe(2);
    expect(plan.chunkSize).toBeGreaterThanOrEqual(100);
    expect(plan.predicted.speedup).toBeGreaterThan(1.9);
    expect(codes(plan)).toEqual(["COMPUTE_BOUND"]);
  });

  it("heavy skewed items (5 ms, cv 1.5): smaller chunks than uniform, IMBALANCE", () => {
    const uniform = parallel(planExecution(input({ workload: { totalItems: 2000, itemMs: 5 } })));
    const skewed = parallel(planExecution(input({ workload: { totalItems: 2000, itemMs: 5, cv: 1.5 } })));
    expect(skewed.workers).toBe(2);
    expect(skewed.chunkSize).toBeLessThan(uniform.chunkSize);
    expect(codes(skewed)).toContain("IMBALANCE");
  });

  it("a warm pool's 200 items of 1 ms: the measured wait between chunks and drift make chunks larger", () => {
    const warm = { fixedMs: 0, perWorkerMs: 0 };
    const work = { totalItems: 200, itemMs: 1, cv: 0.02 };
    const assumed = parallel(planExecution(input({ costs: warm, workload: work })));
    const pace = { gapUs: 450, afterMs: 10, speedCv: 0.015 };
    const measured = parallel(planExecution(input({ costs: { ...warm, pace }, workload: work })));
    // 5% drift and no wait assumed: four chunks of 50; measured, one chunk of 100 a worker,
    // as a hand-written pool would send (the bench's service scenario).
    expect([assumed.workers, assumed.chunkSize]).toEqual([2, 50]);
    expect([measured.workers, measured.chunkSize]).toEqual([2, 100]);
  });

  it("a stream's chunks amortise the measured wait between them as well as the round trip", () => {
    const work = { totalItems: null, itemMs: 0.05 };
    const assumed = parallel(planExecution(input({ workload: work })));
    const measured = parallel(
      planExecution(input({ costs: { pace: { gapUs: 450, afterMs: 10, speedCv: 0.015 } }, workload: work })),
    );
    // 50 + 40 us a chunk at 3% of the work: 60 items of 50 us. The measured 360 us more, prorated
    // by the chunk's length, grows faster than the chunk's 3% up to 10 ms: all of it then, 450
    // us a chunk, which 299 items of 50 us (and their cloning) amortise.
    expect([assumed.chunkSize, measured.chunkSize]).toEqual([60, 299]);
  });

  it("items that grow along the input: at least four chunks a worker, whatever the wait between them", () => {
    const pace = { gapUs: 450, afterMs: 10, speedCv: 0.015 };
    const spread = { relativeError: 0.1, maxOverMean: 3, trend: 2 };
    const growing = parallel(
      planExecution(input({ costs: { pace }, workload: { totalItems: 300, itemMs: 4, spread } })),
    );
    const steady = parallel(
      planExecution(input({ costs: { pace }, workload: { totalItems: 300, itemMs: 4 } })),
    );
    expect(growing.adaptive).toBe(true);
    expect(growing.chunkSize).toBeLessThanOrEqual(Math.ceil(300 / (4 * growing.workers)));
    expect(steady.chunkSize).toBeGreaterThan(Math.ceil(300 / (4 * steady.workers)));
  });

  it("huge plain-array payloads with light compute (100 KB, 20 us): serial, CLONE_BOUND", () => {
    const plan = planExecution(
      input({
        workload: {
          totalItems: 2000,
          itemMs: 0.02,
          inputKind: "plain-array",
          outputKind: "plain-array",
          inputBytes: 100_000,
          outputBytes: 100_000,
        },
      }),
    );
    expect(plan.mode).toBe("serial");
    expect(codes(plan)).toEqual(["CLONE_BOUND"]);
  });

  it("huge typed-array payloads with light compute: serial, CLONE_BOUND", () => {
    const plan = planExecution(
      input({
        workload: {
          totalItems: 2000,
          itemMs: 0.02,
          inputKind: "typed-array",
          outputKind: "typed-array",
          inputBytes: 100_000,
          outputBytes: 100_000,
        },
      }),
    );
    expect(plan.mode).toBe("serial");
    expect(codes(plan)).toEqual(["CLONE_BOUND"]);
  });

  it("large payloads with enough compute: few workers, bound by the main thread", () => {
    // 100 KB typed arrays cost 0.284 ms of main-thread cloning per item; a worker's cycle
    // per item is 1.142 ms of work plus that 0.284 ms, so the main thread feeds about
    // 1.426 / 0.284 = 5 workers, whatever the cores.
    const plan = parallel(
      planExecution(
        input({
          hardware: { usableCores: 16 },
          workload: {
            totalItems: 5000,
            itemMs: 1,
            inputKind: "typed-array",
            outputKind: "typed-array",
            inputBytes: 100_000,
            outputBytes: 100_000,
          },
        }),
      ),
    );
    expect(plan.workers).toBeGreaterThanOrEqual(4);
    expect(plan.workers).toBeLessThanOrEqual(6);
    expect(codes(plan)[0]).toBe("CLONE_BOUND");
  });

  it("three very heavy items (300 ms): three workers or the usable cores, one item per chunk", () => {
    const plan = parallel(planExecution(input({ workload: { totalItems: 3, itemMs: 300 } })));
    expect([2, 3]).toContain(plan.workers);
    expect(plan.chunkSize).toBe(1);
    expect(codes(plan)).toContain("FEW_ITEMS");
  });

  it("memory-heavy items (400 MB each, 2 GB budget, 8 cores): workers capped, MEMORY_CAPPED", () => {
    const plan = parallel(
      planExecution(
        input({
          hardware: { usableCores: 8, memoryBytes: 2e9 },
          workload: { totalItems: 1000, itemMs: 5, memoryBytesPerItem: 400e6 },
        }),
      ),
    );
    // (10 MiB + 400 MB + payload) per worker: 4 fit in 2 GB.
    expect(plan.workers).toBe(4);
    expect(codes(plan)).toContain("MEMORY_CAPPED");
  });

  it("an I/O-bound async task: concurrent, IO_BOUND", () => {
    const plan = planExecution(
      input({ workload: { totalItems: 1000, itemMs: 20, cpuToWall: 0.05, async: true } }),
    );
    expect(plan.mode).toBe("concurrent");
    if (plan.mode === "concurrent") expect(plan.concurrency).toBe(40);
    expect(codes(plan)).toEqual(["IO_BOUND"]);
  });

  it("a stream of unknown length: adaptive, STREAM_UNKNOWN_LENGTH", () => {
    const plan = parallel(planExecution(input({ workload: { totalItems: null, itemMs: 0.2 } })));
    expect(plan.adaptive).toBe(true);
    expect(plan.workers).toBe(2);
    expect(codes(plan)).toContain("STREAM_UNKNOWN_LENGTH");
    // 90 us of per-chunk cost at 3% of 0.2 ms items: 15 items, 3 ms chunks.
    expect(plan.chunkSize).toBe(15);
  });

  it("a container with a 1.5-CPU quota: two workers, QUOTA_LIMITED, speedup within the quota", () => {
    const plan = parallel(
      planExecution(
        input({ hardware: { usableCores: 2, logicalCores: 8, quotaCpus: 1.5 }, workload: { itemMs: 5 } }),
      ),
    );
    expect(plan.workers).toBe(2);
    expect(codes(plan)).toContain("QUOTA_LIMITED");
    expect(plan.predicted.speedup).toBeLessThan(1.5);
  });

  it("heavy items on 8 cores use all 8", () => {
    const plan = parallel(
      planExecution(
        input({ hardware: { usableCores: 8 }, workload: { totalItems: 4000, itemMs: 5, cv: 0.3 } }),
      ),
    );
    expect(plan.workers).toBe(8);
    expect(plan.predicted.speedup).toBeGreaterThan(7);
  });
});
