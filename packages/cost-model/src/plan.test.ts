import {
  HardwareProfileSchema,
  type Plan,
  type PlanInput,
  parseFrozen,
  SpawnCostProfileSchema,
  WorkloadSampleSchema,
} from "@amorsize/types";
import { describe, expect, it } from "@jest/globals";
import { fig, input, unitInput } from "../test/fixtures.js";
import {
  AmorsizeValidationError,
  ConflictingConstraintsError,
  planExecution,
  predict,
  REASON_CODES,
  WARNING_CODES,
} from "./index.js";

const codes = (plan: Plan) => plan.reasons.map((r) => r.code);
const warningCodes = (plan: Plan) => plan.warnings.map((w) => w.code);

/** 10,000 items of 50 us that each move 5 KB objects both ways: cloning costs twice the work. */
const cloneBound = () =>
  unitInput({
    workload: {
      totalItems: 10_000,
      itemMs: 0.05,
      inputKind: "object",
      outputKind: "object",
      inputBytes: 5000,
      outputBytes: 5000,
    },
  });

function parallel(plan: Plan) {
  if (plan.mode !== "parallel") throw new Error(`expected a parallel plan, got ${plan.mode}`);
  return plan;
}

function issues(run: () => unknown): readonly string[] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(AmorsizeValidationError);
    return (error as AmorsizeValidationError).issues;
  }
  throw new Error("expected a validation error");
}

describe("planExecution(): a task module that is slow to import", () => {
  it("charges its load to every plan that starts workers, says so, and a load can make a plan serial", () => {
    // 200 items of 1 ms on 2 cores: parallel without a load; with 130 ms per fresh worker
    // the start-up eats the gain (100 ms of items per core against 200 ms serial).
    const free = parallel(planExecution(unitInput({ workload: { totalItems: 200, itemMs: 1 } })));
    expect(codes(free)).not.toContain("MODULE_LOAD");
    const loaded = planExecution(unitInput({ workload: { totalItems: 200, itemMs: 1, moduleLoadMs: 130 } }));
    expect(loaded.mode).toBe("serial");
    expect(codes(loaded)).toEqual(["TOO_LITTLE_WORK", "MODULE_LOAD"]);
    const big = parallel(
      planExecution(unitInput({ workload: { totalItems: 2000, itemMs: 1, moduleLoadMs: 130 } })),
    );
    expect(big.predicted.breakdown.startupMs).toBeGreaterThanOrEqual(130);
    const note = big.reasons.find((r) => r.code === "MODULE_LOAD")!;
    expect(note.message).toBe(
      "Each new worker imports the task module before its first item: 130 ms measured; start-up includes 130 ms for it (2 workers importing side by side).",
    );
  });
});

describe("planExecution(): a task whose first items run slowly in a fresh worker", () => {
  // terser's minify as measured here: 56 items of 24 ms on 2 cores; a fresh worker ran
  // its first 3 sampled items 350 ms slower than the warm calling thread.
  const terser = { totalItems: 56, itemMs: 24 };
  const warmup = { excessMs: 350, items: 3, settled: false, source: "probe" as const };

  it("charges every worker started its warm-up, says so, and the warm-up can make a plan serial", () => {
    const blind = parallel(planExecution(unitInput({ workload: terser })));
    expect(codes(blind)).not.toContain("WORKER_WARMUP");
    const seen = planExecution(unitInput({ workload: { ...terser, warmup } }));
    expect(seen.mode).toBe("serial");
    expect(codes(seen)).toEqual(["TOO_LITTLE_WORK", "WORKER_WARMUP"]);
    // The best pool it beat, 4 workers of 14 items: 350 x (1 + log2(14 / 3)) = 1128 ms each,
    // doubled with every core taken.
    expect(seen.reasons[1]?.message).toBe(
      "A fresh worker ran its first 3 items 350 ms slower than warm ones (V8 compiles the task's code again in each worker); over 14 items each, 4 workers side by side lose about 2256 ms each to it.",
    );
  });

  it("leaves a plan parallel where the job outweighs the warm-up, with the warm-up in its start-up", () => {
    const big = parallel(planExecution(unitInput({ workload: { totalItems: 5000, itemMs: 24, warmup } })));
    const free = parallel(planExecution(unitInput({ workload: { totalItems: 5000, itemMs: 24 } })));
    expect(codes(big)).toContain("WORKER_WARMUP");
    expect(big.predicted.breakdown.startupMs - free.predicted.breakdown.startupMs).toBeGreaterThan(2 * 350);
  });

  it("charges a settled warm-up once, not stretched over the worker's items", () => {
    // fflate's deflate: 30 items of 47 ms; a fresh worker's first item took 56 ms more, its second as long as here.
    const deflate = { totalItems: 30, itemMs: 47 };
    const settled = { excessMs: 56, items: 2, settled: true, source: "probe" as const };
    const plan = parallel(planExecution(unitInput({ workload: { ...deflate, warmup: settled } })));
    expect(plan.workers).toBe(2);
    // Each of 2 workers pays 56 ms, doubled with both cores taken; stretched over 15 items
    // it would be 56 x (1 + log2(7.5)) x 2 = 438 ms.
    expect(plan.reasons.find((r) => r.code === "WORKER_WARMUP")?.message).toContain("lose about 112 ms each");
    const startup = (warmup: typeof settled) =>
      predict(unitInput({ workload: { ...deflate, warmup } }), { workers: 2, chunkSize: 15 }).breakdown
        .startupMs;
    expect(startup({ ...settled, settled: false }) - startup(settled)).toBeCloseTo(
      56 * (1 + Math.log2(7.5)) * 2 - 112,
      6,
    );
  });

  it("stretches a warm-up that has not settled halfway between the growth its probe read and one per doubling, says so", () => {
    // fflate's deflate as the bench runs it: 30 items of 34 ms on 2 cores; a fresh worker's
    // first 4 items lost 90 ms, the later two of them 0.25 times what the first two lost.
    // Read beside the calling thread: two threads computing.
    const deflate = { totalItems: 30, itemMs: 34 };
    const assumed = { excessMs: 90, items: 4, settled: false, busyThreads: 2, source: "probe" as const };
    const read = { ...assumed, growth: 0.25 };
    const startup = (warmup?: typeof assumed) =>
      predict(unitInput({ workload: { ...deflate, ...(warmup === undefined ? {} : { warmup }) } }), {
        workers: 2,
        chunkSize: 1,
      }).breakdown.startupMs;
    // 15 items each: 90 x (1 + g x log2(15 / 4)), twice: two workers leave the compilers no idle core.
    expect(startup(assumed) - startup()).toBeCloseTo(2 * 90 * (1 + Math.log2(15 / 4)), 6);
    expect(startup(read) - startup()).toBeCloseTo(2 * 90 * (1 + 0.625 * Math.log2(15 / 4)), 6);
    // Settled: charged once, times the contention of two workers on two cores (2).
    expect(startup({ ...read, settled: true }) - startup()).toBeCloseTo(2 * 90, 6);
    expect(planExecution(unitInput({ workload: { ...deflate, warmup: assumed } })).mode).toBe("serial");
    const plan = planExecution(unitInput({ workload: { ...deflate, warmup: read } }));
    expect(plan.mode).toBe("parallel");
    expect(plan.reasons.find((r) => r.code === "WORKER_WARMUP")?.message).toMatch(
      /lose about \d+ ms each to it \(the probe's later items lost less: the excess is taken to grow 0\.63 times itself per doubling of the items\)\.$/,
    );
  });

  it("charges less where idle cores are left to V8's background compilers", () => {
    // On 8 cores, one worker's warm-up is what the probe measured; eight take every core.
    const p = (workers: number) =>
      predict(
        unitInput({
          hardware: { usableCores: 8 },
          workload: { totalItems: 3 * workers, itemMs: 24, warmup },
        }),
        { workers, chunkSize: 3 },
      ).breakdown.startupMs -
      predict(
        unitInput({ hardware: { usableCores: 8 }, workload: { totalItems: 3 * workers, itemMs: 24 } }),
        {
          workers,
          chunkSize: 3,
        },
      ).breakdown.startupMs;
    expect(p(1)).toBeCloseTo(350, 6);
    expect(p(8)).toBeCloseTo(700, 6);
    expect(p(4)).toBeCloseTo(350 * (1 + 3 / 7), 6);
  });

  it("charges a warm-up read beside the calling thread as one read alone: the probe's own time holds no contention", () => {
    // The calling thread ran items beside the probe: two threads computing. The probe times
    // its worker's own time, its waits for a core left out, so the compilers' share of the
    // cores is the run's to charge, for every worker count.
    const startup = (usableCores: number, workers: number, busyThreads?: number) =>
      predict(
        unitInput({
          hardware: { usableCores },
          workload: { totalItems: 3 * workers, itemMs: 24, warmup: { ...warmup, busyThreads } },
        }),
        { workers, chunkSize: 3 },
      ).breakdown.startupMs;
    for (const [cores, workers] of [
      [2, 1],
      [2, 2],
      [8, 4],
      [8, 8],
    ] as const) {
      expect(startup(cores, workers, 2)).toBeCloseTo(startup(cores, workers, 1), 9);
      expect(startup(cores, workers, 2)).toBeCloseTo(startup(cores, workers), 9);
    }
    // A reading of wall times (`waits`: no schedstat) held the contention of the threads it was
    // read beside: on 2 cores two threads take both, as the run's two workers do, so it stands.
    const walled = (usableCores: number, workers: number) =>
      predict(
        unitInput({
          hardware: { usableCores },
          workload: {
            totalItems: 3 * workers,
            itemMs: 24,
            warmup: { ...warmup, busyThreads: 2, waits: true },
          },
        }),
        { workers, chunkSize: 3 },
      ).breakdown.startupMs;
    expect(walled(2, 2) - startup(2, 2, 1)).toBeCloseTo(350 - 700, 6);
    // On 8 cores two threads took 1 of 7 other cores: eight workers take all 7, 2 / (1 + 1/7) times as much.
    expect(walled(8, 8) - startup(8, 8, 1)).toBeCloseTo(700 / (1 + 1 / 7) - 700, 6);
    // Two workers on 2 cores take both: 350 ms twice over, as with no one beside the probe.
    const blind = predict(
      unitInput({ hardware: { usableCores: 2 }, workload: { totalItems: 6, itemMs: 24 } }),
      { workers: 2, chunkSize: 3 },
    ).breakdown.startupMs;
    expect(startup(2, 2, 2) - blind).toBeCloseTo(700, 6);
  });
});

describe("planExecution(): work the task gives V8's helper threads", () => {
  it("charges each worker 1 + the helper share of a core, says so, and a share can make a plan serial", () => {
    // Terser's minify as measured here: 56 items of 22.7 ms on 2 cores, its helper threads
    // busy 0.74 ms per ms of its own. Without the share, two workers look 1.8x faster.
    const terser = { totalItems: 56, itemMs: 22.7 };
    const blind = parallel(planExecution(unitInput({ workload: terser })));
    expect(codes(blind)).not.toContain("HELPER_THREADS");
    const seen = planExecution(unitInput({ workload: { ...terser, helperCpuShare: 0.74 } }));
    expect(seen.mode).toBe("serial");
    expect(codes(seen)).toEqual(["TOO_LITTLE_WORK", "HELPER_THREADS"]);
    expect(seen.reasons[1]?.message).toBe(
      "While the sampled items ran, V8's helper threads (garbage collection, compiling) used 0.74 ms of CPU per ms of the task's own: each thread running it keeps 1.74 cores busy, so 2 workers need 3.5 of the 2 cores.",
    );
    // The same share on 8 cores leaves room for 4 such workers: parallel, the line kept.
    const wide = parallel(
      planExecution(
        unitInput({ hardware: { usableCores: 8 }, workload: { ...terser, helperCpuShare: 0.74 } }),
      ),
    );
    expect(codes(wide)).toContain("HELPER_THREADS");
    // A share too small to matter changes nothing and says nothing.
    const small = parallel(planExecution(unitInput({ workload: { ...terser, helperCpuShare: 0.05 } })));
    expect(small.workers).toBe(blind.workers);
    expect(codes(small)).not.toContain("HELPER_THREADS");
  });
});

describe("planExecution(): a slowdown learned from workers computing at once", () => {
  // marked as measured here: 400 documents of 0.5 ms on 2 cores, two workers' items 1.8x
  // slower than the calling thread's alone. Without it, two workers look ~1.8x faster.
  const marked = { totalItems: 400, itemMs: 0.5 };
  const learned = (factor: number, threads: number) => ({
    ...marked,
    contention: { factor, threads, runs: 3 },
  });

  it("charges it, says so, and a slowdown can make a plan serial", () => {
    const blind = parallel(planExecution(unitInput({ workload: marked })));
    expect(codes(blind)).not.toContain("CONTENTION");
    const seen = planExecution(unitInput({ workload: learned(1.8, 2) }));
    expect(seen.mode).toBe("serial");
    expect(codes(seen)).toContain("CONTENTION");
    const note = seen.reasons.find((r) => r.code === "CONTENTION")!;
    expect(note.message).toBe(
      "3 earlier parallel runs of this task measured its items 1.8 times slower in 2 workers computing at once than alone (threads share cores and caches); 2 workers on 2 cores are charged 1.8 times the sampled item time.",
    );
    // A small slowdown keeps the plan and says nothing.
    const small = parallel(planExecution(unitInput({ workload: learned(1.03, 2) })));
    expect(small.workers).toBe(blind.workers);
    expect(codes(small)).not.toContain("CONTENTION");
  });

  it("scales it by the share of the other cores the plan's workers take against the runs it was learned from", () => {
    const compute = (cores: number, workers: number, contention?: { factor: number; threads: number }) =>
      predict(
        unitInput({
          hardware: { usableCores: cores },
          workload: contention === undefined ? marked : learned(contention.factor, contention.threads),
        }),
        { workers, chunkSize: 50 },
      ).breakdown.computeMs;
    // The item's own 0.5 ms is scaled (not the worker's cloning), over each worker's 400 / k items.
    const extra = (workers: number, scale: number) => (400 * 0.5 * (scale - 1)) / workers;
    // Learned with 8 workers on 8 cores: one worker takes none of the other cores, four take 3 of 7.
    expect(compute(8, 1, { factor: 1.8, threads: 8 })).toBeCloseTo(compute(8, 1), 9);
    expect(compute(8, 4, { factor: 1.8, threads: 8 })).toBeCloseTo(
      compute(8, 4) + extra(4, 1 + 0.8 * (3 / 7)),
      6,
    );
    expect(compute(8, 8, { factor: 1.8, threads: 8 })).toBeCloseTo(compute(8, 8) + extra(8, 1.8), 6);
    // Learned with 4 of 8: eight workers take the whole share it showed, no more.
    expect(compute(8, 8, { factor: 1.8, threads: 4 })).toBeCloseTo(compute(8, 8) + extra(8, 1.8), 6);
    expect(compute(8, 2, { factor: 1.8, threads: 4 })).toBeCloseTo(
      compute(8, 2) + extra(2, 1 + 0.8 * (1 / 3)),
      6,
    );
  });
});

describe("planExecution(): the clone costs sampling measured", () => {
  it("prices numbers, strings and arrays by the spawn-cost profile, whatever one value's clone read", () => {
    // 20,000 numbers of 10 us: a single number's serialize read 5 us each way, nearly all of
    // it the call's own cost; in a chunk a number costs the profile's per-item figure.
    const light = { totalItems: 20_000, itemMs: 0.01 };
    const noisy = {
      ...light,
      cloneMs: {
        itemSerialize: 0.005,
        itemDeserialize: 0.003,
        resultSerialize: 0.006,
        resultDeserialize: 0.003,
      },
    };
    const plain = planExecution(unitInput({ workload: light }));
    const measured = planExecution(unitInput({ workload: noisy }));
    expect(measured.mode).toBe(plain.mode);
    expect(measured.predicted.wallMs).toBe(plain.predicted.wallMs);
  });

  it("prices an object graph by what reading it back took, not by its size", () => {
    // 2,000 items of 1 ms returning ~600 KB object graphs that take 3 ms to read back on the
    // calling thread: by size alone (an "object" kind's per-byte cost) parallel pays off.
    const graph = { totalItems: 2000, itemMs: 1, outputBytes: 600, outputKind: "object" as const };
    const bySize = planExecution(unitInput({ workload: graph }));
    expect(bySize.mode).toBe("parallel");
    const cloneMs = {
      itemSerialize: 0.001,
      itemDeserialize: 0.001,
      resultSerialize: 2,
      resultDeserialize: 3,
    };
    const measured = planExecution(unitInput({ workload: { ...graph, cloneMs } }));
    expect(measured.mode).toBe("serial");
    expect(codes(measured)).toContain("CLONE_BOUND");
  });

  it("prices objects that are mostly text by what sending them took, below what their size says", () => {
    // Records of ~700 bytes, mostly strings: an "object" kind's per-byte cost prices them far
    // above what a chunk of them costs to send (timed together: under 1 us each way).
    const records = { totalItems: 50_000, itemMs: 0.01, inputBytes: 700, inputKind: "object" as const };
    const config = { workers: 2, chunkSize: 1000 };
    const bySize = predict(unitInput({ workload: records }), config);
    const cloneMs = {
      itemSerialize: 0.0006,
      itemDeserialize: 0.0006,
      resultSerialize: 0.0001,
      resultDeserialize: 0.0001,
    };
    const measured = predict(unitInput({ workload: { ...records, cloneMs } }), config);
    // The unit costs price an object at 4 us + 20 ns a byte a round trip: 9 us out for each
    // record by size, against the 0.6 us it took (its number result back: 1 us either way).
    expect(bySize.breakdown.mainThreadMs).toBeGreaterThan(5 * measured.breakdown.mainThreadMs);
    expect(measured.wallMs).toBeLessThan(bySize.wallMs);
  });
});

describe("planExecution(): chunks of object graphs", () => {
  it("keeps a chunk of records near what a worker holds without cost where larger chunks would otherwise tie", () => {
    // 200,000 records of 730 bytes, 13 us each, sent as a chunk sends them (0.6 us each way):
    // on 2 cores the workers bound the run whatever the chunk size, and ties go to larger
    // chunks. Measured on 50,000 (2 workers started for each run, 2026-12-07, two runs of 7
    // repetitions, medians): 541 and 540 ms in chunks of 256, 569 and 557 in chunks of 782,
    // 600 and 588 in chunks of 1,450.
    const records = {
      totalItems: 200_000,
      itemMs: 0.013,
      inputBytes: 730,
      inputKind: "object" as const,
      outputBytes: 66,
      outputKind: "string" as const,
      cloneMs: {
        itemSerialize: 0.0006,
        itemDeserialize: 0.0006,
        resultSerialize: 0.0001,
        resultDeserialize: 0.0001,
      },
    };
    const plan = parallel(planExecution(unitInput({ workload: records })));
    expect(plan.workers).toBe(2);
    // Chunks of 256 (186,880 bytes): just past 128 KiB, where the charge (6% of the whole
    // figure) still ties; 1,436 (the largest within 1 MiB, what a charge from 1 MiB on gave)
    // would cost its worker 4.7 ms a chunk.
    expect(plan.chunkSize * 730).toBeGreaterThan(131_072);
    expect(plan.chunkSize * 730).toBeLessThanOrEqual(256 * 1024);
    // The same records as strings (no graph): the largest chunk that ties, far past that.
    const asText = parallel(planExecution(unitInput({ workload: { ...records, inputKind: "string" } })));
    expect(asText.chunkSize * 730).toBeGreaterThan(2 * 1_048_576);
  });
});

describe("planExecution(): a sample that may be off", () => {
  const base = { totalItems: 2000, itemMs: 1, cv: 1 };
  it("adapts chunks during the run, from the planned size, when the sample shows a heavy tail, a wide error or a trend", () => {
    const plain = parallel(planExecution(unitInput({ workload: base })));
    expect(plain.adaptive).toBe(false);
    expect(codes(plain)).not.toContain("UNCERTAIN_SAMPLE");
    const tail = parallel(
      planExecution(
        unitInput({ workload: { ...base, spread: { relativeError: 0.1, maxOverMean: 12, trend: 0 } } }),
      ),
    );
    expect(tail.adaptive).toBe(true);
    expect(tail.chunkSize).toBe(plain.chunkSize);
    expect(tail.reasons.find((r) => r.code === "UNCERTAIN_SAMPLE")!.message).toBe(
      `The sample may be off: the slowest sampled item took 12.00x the mean. Chunks start at ${tail.chunkSize} and adapt to the times the workers measure during the run.`,
    );
    const all = parallel(
      planExecution(
        unitInput({ workload: { ...base, spread: { relativeError: 0.4, maxOverMean: 2, trend: -1.5 } } }),
      ),
    );
    expect(all.reasons.find((r) => r.code === "UNCERTAIN_SAMPLE")!.message).toContain(
      "the mean item time is known to ±40.0%; item times fall along the input (1.50x the mean from first to last)",
    );
    const within = parallel(
      planExecution(
        unitInput({ workload: { ...base, spread: { relativeError: 0.25, maxOverMean: 5, trend: 1 } } }),
      ),
    );
    expect(within.adaptive).toBe(false);
  });
});

describe("planExecution(): the decision", () => {
  it("an empty input is serial with NO_ITEMS", () => {
    const plan = planExecution(unitInput({ workload: { totalItems: 0 } }));
    expect(plan.mode).toBe("serial");
    expect(codes(plan)).toEqual(["NO_ITEMS"]);
    expect(plan.predicted.wallMs).toBe(0);
    expect(plan.alternatives).toEqual([]);
  });

  it("one item is serial: it cannot be split", () => {
    const plan = planExecution(unitInput({ workload: { totalItems: 1, itemMs: 1000 } }));
    expect(plan.mode).toBe("serial");
    expect(codes(plan)).toEqual(["FEW_ITEMS", "TOO_LITTLE_WORK"]);
  });

  it("too little work is serial and says by how much parallel fell short", () => {
    // 100 items of 0.1 ms: 10 ms of work against 12 ms of start-up for one worker.
    const plan = planExecution(unitInput({ workload: { totalItems: 100, itemMs: 0.1 } }));
    expect(plan.mode).toBe("serial");
    expect(plan.predicted).toEqual({
      wallMs: expect.closeTo(10, 12),
      serialMs: expect.closeTo(10, 12),
      speedup: 1,
      items: 100,
      breakdown: expect.objectContaining({ computeMs: expect.closeTo(10, 12), startupMs: 0 }),
    });
    const best = plan.alternatives.find((a) => a.label === "best parallel")!;
    expect(best.mode).toBe("parallel");
    const [tooLittle] = plan.reasons;
    expect(tooLittle!.code).toBe("TOO_LITTLE_WORK");
    // The pace in plain words, slower as "N times as long", never a speedup below 1 or a difference of factors.
    expect(best.speedup).toBeLessThan(1);
    expect(tooLittle!.message).toContain(
      `for a plain loop, ${(1 / best.speedup).toFixed(2)}x slower, where running in parallel must be at least 1.20x faster (minSpeedup)`,
    );
    expect(tooLittle!.message).toContain(`start-up alone costs`);
  });

  it("parallel needs minSpeedup: the same workload is serial under a higher bar", () => {
    const base = parallel(planExecution(unitInput({ workload: { totalItems: 1000, itemMs: 1 } })));
    expect(base.predicted.speedup).toBeGreaterThan(1.5);
    expect(base.predicted.speedup).toBeLessThan(2);
    const strict = planExecution(
      unitInput({ workload: { totalItems: 1000, itemMs: 1 }, constraints: { minSpeedup: 2 } }),
    );
    expect(strict.mode).toBe("serial");
    expect(strict.reasons[0]!.message).toContain(
      `${base.predicted.speedup.toFixed(2)}x faster, where running in parallel must be at least 2.00x faster (minSpeedup)`,
    );
  });

  it("a tie never crosses minSpeedup: when larger chunks within 1% fall short of it, the fastest plan is taken", () => {
    // Found by the property tests: 122 items of 8.67 ms on a 1.24-CPU quota. One item per task
    // is 1.201x faster than the loop; chunks of 12 are within 1% of it but 1.193x, under the bar.
    const clone: Record<string, [number, number]> = {
      number: [0.1, 0],
      "plain-array": [0.65, 3.75],
      object: [0.65, 5],
      string: [0.25, 0.7],
      "typed-array": [1, 0.7],
      "typed-array-transfer": [1.5, 0],
    };
    const i = input({
      costs: { fixedMs: 1, perWorkerMs: 0.1, throughputUs: 5, latencyUs: 5, clone },
      workload: { totalItems: 122, itemMs: 8.672112646995702, cv: 0, cpuToWall: 0.5 },
      hardware: { usableCores: 2, quotaCpus: 1.241 },
    });
    const plan = parallel(planExecution(i));
    expect(plan.predicted.speedup).toBeCloseTo(1.2014, 4);
    expect(plan).toMatchObject({ workers: 2, chunkSize: 1 });
    for (const alt of plan.alternatives) expect(alt.wallMs).toBeGreaterThanOrEqual(plan.predicted.wallMs);
  });

  it("the chosen plan matches predict() for its configuration", () => {
    const i = unitInput({ workload: { totalItems: 1000, itemMs: 1, cv: 0.3 } });
    const plan = parallel(planExecution(i));
    expect(plan.predicted).toEqual(predict(i, { workers: plan.workers, chunkSize: plan.chunkSize }));
  });

  it("payloads that cost more to clone than to compute are serial with CLONE_BOUND", () => {
    const plan = planExecution(cloneBound());
    expect(plan.mode).toBe("serial");
    expect(codes(plan)).toEqual(["CLONE_BOUND"]);
    // Round trip 4 us + 20 ns x 5000 B = 104 us per direction pair, half each way, both ways.
    expect(plan.reasons[0]!.message).toContain(
      "costs 104 us of main-thread time per item (2.08x the item's own 50 us)",
    );
  });

  it("a parallel plan bound by the main thread says CLONE_BOUND", () => {
    const plan = parallel(
      planExecution(
        unitInput({
          hardware: { usableCores: 16 },
          workload: { totalItems: 20_000, itemMs: 0.3, inputKind: "typed-array", inputBytes: 50_000 },
        }),
      ),
    );
    // 0.5 x (4 us + 2 ns x 50000 B) = 52 us out per item against 0.3 ms of work: past about
    // 8 workers the main thread cannot feed more, so the plan stops well short of 16.
    expect(codes(plan)[0]).toBe("CLONE_BOUND");
    expect(plan.predicted.breakdown.mainThreadMs).toBeGreaterThan(
      plan.predicted.breakdown.computeMs + plan.predicted.breakdown.chunkOverheadMs,
    );
    expect(plan.workers).toBeLessThan(10);
  });

  it("every code used is documented", () => {
    const plans = [
      planExecution(unitInput({ workload: { totalItems: 0 } })),
      planExecution(unitInput({ workload: { totalItems: 3, itemMs: 300 } })),
      planExecution(unitInput({ workload: { totalItems: null, itemMs: 1 } })),
      planExecution(unitInput({ workload: { totalItems: 100, itemMs: 10, cpuToWall: 0.1, async: true } })),
      planExecution(unitInput({ hardware: { quotaCpus: 1.5, logicalCores: 4 }, workload: { cv: 2 } })),
    ];
    for (const plan of plans) {
      for (const c of codes(plan)) expect(REASON_CODES).toContain(c);
      for (const c of warningCodes(plan)) expect(WARNING_CODES).toContain(c);
    }
  });
});

describe("planExecution(): the search", () => {
  it("few heavy items: more workers than cores when that finishes them together", () => {
    const plan = parallel(planExecution(unitInput({ workload: { totalItems: 3, itemMs: 300 } })));
    expect([plan.workers, plan.chunkSize]).toEqual([3, 1]);
    expect(codes(plan)).toEqual(["COMPUTE_BOUND", "FEW_ITEMS", "OVERSUBSCRIBED"]);
    const twoWorkers = plan.alternatives.find((a) => a.workers === 2)!;
    expect(twoWorkers.wallMs).toBeGreaterThan(plan.predicted.wallMs);
    expect(plan.reasons[2]!.message).toContain("which beats 2 workers");
  });

  it("constraints.maxWorkers bounds the search", () => {
    const plan = parallel(
      planExecution(unitInput({ workload: { totalItems: 3, itemMs: 300 }, constraints: { maxWorkers: 2 } })),
    );
    expect(plan.workers).toBe(2);
    expect(codes(plan)).not.toContain("OVERSUBSCRIBED");
  });

  it("constraints.workers and constraints.chunkSize fix those dimensions", () => {
    const i = unitInput({
      workload: { totalItems: 1000, itemMs: 1 },
      constraints: { workers: 1, chunkSize: 7 },
    });
    const plan = planExecution(i);
    // One worker is never faster than the loop: serial, and the reason names the constraints.
    expect(plan.mode).toBe("serial");
    expect(codes(plan)).toContain("FIXED_BY_CONSTRAINT");
    expect(plan.reasons.at(-1)!.message).toBe(
      "constraints.workers fixes 1 worker; constraints.chunkSize fixes chunks of 7; only the rest was searched.",
    );
    // One configuration searched, plus the serial loop.
    expect(plan.candidatesEvaluated).toBe(2);

    const fixedChunk = parallel(
      planExecution(unitInput({ workload: { totalItems: 1000, itemMs: 1 }, constraints: { chunkSize: 7 } })),
    );
    expect(fixedChunk.chunkSize).toBe(7);
    const fixedWorkers = parallel(
      planExecution(unitInput({ workload: { totalItems: 1000, itemMs: 1 }, constraints: { workers: 3 } })),
    );
    expect(fixedWorkers.workers).toBe(3);
  });

  it("a fixed chunk size above the item count is clamped, with a warning", () => {
    const plan = planExecution(
      unitInput({ workload: { totalItems: 6, itemMs: 100 }, constraints: { chunkSize: 50 } }),
    );
    expect(warningCodes(plan)).toEqual(["CHUNK_SIZE_CLAMPED"]);
    // One chunk of everything: only one worker can work, which never beats the loop.
    expect(plan.mode).toBe("serial");
    expect(plan.alternatives.find((a) => a.label === "best parallel")).toMatchObject({
      workers: 1,
      chunkSize: 6,
    });
  });

  it("workers above maxWorkers conflict", () => {
    const run = () => planExecution(unitInput({ constraints: { workers: 8, maxWorkers: 4 } }));
    expect(run).toThrow(ConflictingConstraintsError);
    expect(run).toThrow("input.constraints.workers (8) exceeds input.constraints.maxWorkers (4)");
    try {
      run();
    } catch (error) {
      expect((error as ConflictingConstraintsError).code).toBe("AMORSIZE_CONFLICTING_CONSTRAINTS");
      expect((error as ConflictingConstraintsError).name).toBe("ConflictingConstraintsError");
      expect((error as ConflictingConstraintsError).constraints).toEqual(["workers", "maxWorkers"]);
    }
  });

  it("alternatives are sorted fastest first and labelled", () => {
    const plan = parallel(planExecution(unitInput({ workload: { totalItems: 1000, itemMs: 1 } })));
    const walls = plan.alternatives.map((a) => a.wallMs);
    expect(walls).toEqual([...walls].sort((a, b) => a - b));
    // Four chunks per worker is the chosen configuration here, so it is not listed again.
    expect([plan.workers, plan.chunkSize]).toEqual([2, 125]);
    expect(plan.alternatives.map((a) => a.label)).toEqual([
      "one task per item (usable cores)",
      "serial loop",
    ]);
    const serial = plan.alternatives.find((a) => a.mode === "serial")!;
    expect(serial).toEqual({
      mode: "serial",
      workers: 0,
      chunkSize: null,
      wallMs: 1000,
      speedup: 1,
      label: "serial loop",
    });
  });
});

describe("planExecution(): memory", () => {
  const heavy = (budget: number, extra: Partial<NonNullable<PlanInput["constraints"]>> = {}) =>
    unitInput({
      hardware: { usableCores: 8 },
      workload: { totalItems: 800, itemMs: 5, memoryBytesPerItem: 100 * 1024 ** 2 },
      constraints: { memoryBudgetBytes: budget, ...extra },
    });

  it("caps workers to what fits, with MEMORY_CAPPED", () => {
    // Each worker: 10 MiB isolate + 100 MiB item + its chunk's payload: 3 fit in 340 MiB.
    const plan = parallel(planExecution(heavy(340 * 1024 ** 2)));
    expect(plan.workers).toBe(3);
    expect(codes(plan)).toContain("MEMORY_CAPPED");
    expect(plan.reasons.find((r) => r.code === "MEMORY_CAPPED")!.message).toContain(
      "3 workers fit the 340.0 MiB memory budget (constraints.memoryBudgetBytes), so 3 workers are used; without the budget the model would use 8.",
    );
    const over = plan.alternatives.filter((a) => a.label?.endsWith("exceeds the memory budget"));
    expect(over.length).toBeGreaterThan(0);
    for (const a of over) expect(a.workers).toBe(8);
  });

  it("serial when not even one worker fits", () => {
    const plan = planExecution(heavy(50 * 1024 ** 2));
    expect(plan.mode).toBe("serial");
    expect(codes(plan)).toEqual(["MEMORY_CAPPED"]);
    expect(plan.reasons[0]!.message).toBe(
      "Not even one worker fits the 50.0 MiB memory budget (constraints.memoryBudgetBytes): each needs about 110.0 MiB.",
    );
  });

  it("a fixed worker count that does not fit is reduced", () => {
    const plan = parallel(planExecution(heavy(340 * 1024 ** 2, { workers: 6 })));
    expect(plan.workers).toBe(3);
    expect(plan.reasons.find((r) => r.code === "MEMORY_CAPPED")!.message).toContain(
      "constraints.workers asked for 6",
    );
  });

  it("warns when the results would fill much of the budget", () => {
    const plan = planExecution(
      unitInput({
        workload: { totalItems: 1000, itemMs: 1, outputKind: "typed-array", outputBytes: 1024 ** 2 },
        constraints: { memoryBudgetBytes: 1.5 * 1024 ** 3 },
      }),
    );
    expect(warningCodes(plan)).toContain("RESULTS_NEAR_MEMORY_BUDGET");
    expect(plan.warnings.find((w) => w.code === "RESULTS_NEAR_MEMORY_BUDGET")!.message).toBe(
      "Keeping all 1000 results takes about 1000.0 MiB, 65.1% of the 1.50 GiB memory budget; consume them as a stream instead of collecting them.",
    );
  });

  it("does not check memory when the profile reports none, and says so", () => {
    const plan = planExecution(unitInput({ hardware: { memoryBytes: 0 } }));
    expect(warningCodes(plan)).toEqual(["MEMORY_UNKNOWN"]);
  });
});

describe("planExecution(): I/O-bound tasks", () => {
  it("an async task that waits runs concurrently, concurrency 2 / cpu-to-wall", () => {
    const plan = planExecution(
      unitInput({ workload: { totalItems: 1000, itemMs: 10, cpuToWall: 0.1, async: true } }),
    );
    expect(plan.mode).toBe("concurrent");
    if (plan.mode !== "concurrent") return;
    expect(plan.concurrency).toBe(20);
    expect(codes(plan)).toEqual(["IO_BOUND"]);
    // 50 rounds of 10 ms; the CPU part is 1000 x 1 ms in the calling thread.
    expect(plan.predicted.breakdown.computeMs).toBeCloseTo(500, 12);
    expect(plan.predicted.breakdown.mainThreadMs).toBeCloseTo(1000, 9);
    expect(plan.predicted.wallMs).toBeCloseTo(1000, 9);
    expect(plan.alternatives.map((a) => a.mode)).toContain("parallel");
  });

  it("concurrency is capped at 256, by the item count and by memory", () => {
    const at = (o: Parameters<typeof unitInput>[0]) => {
      const plan = planExecution(unitInput(o));
      return plan.mode === "concurrent" ? plan.concurrency : plan.mode;
    };
    expect(at({ workload: { totalItems: 10_000, itemMs: 10, cpuToWall: 0, async: true } })).toBe(256);
    expect(at({ workload: { totalItems: 12, itemMs: 10, cpuToWall: 0.01, async: true } })).toBe(12);
    expect(
      at({
        workload: {
          totalItems: 1000,
          itemMs: 10,
          cpuToWall: 0.01,
          async: true,
          memoryBytesPerItem: 1024 ** 2 - 18,
        },
        constraints: { memoryBudgetBytes: 64 * 1024 ** 2 },
      }),
    ).toBe(64);
    expect(at({ workload: { totalItems: 1, itemMs: 10, cpuToWall: 0.01, async: true } })).toBe("serial");
  });

  it("items that take no time are serial even when their CPU-to-wall ratio is low", () => {
    const plan = planExecution(
      unitInput({ workload: { totalItems: 1000, itemMs: 0, cpuToWall: 0, async: true } }),
    );
    expect(plan.mode).toBe("serial");
    expect(codes(plan)).toEqual(["TOO_LITTLE_WORK"]);
    expect(plan.reasons[0]!.message).toMatch(/^Items take no measurable time; the best parallel plan/);
  });

  it("a synchronous task that waits uses threads beyond the cores", () => {
    const plan = parallel(
      planExecution(unitInput({ workload: { totalItems: 400, itemMs: 10, cpuToWall: 0.1 } })),
    );
    expect(plan.workers).toBeGreaterThan(4);
    expect(codes(plan).slice(0, 2)).toEqual(["IO_BOUND", "COMPUTE_BOUND"]);
    expect(plan.predicted.speedup).toBeGreaterThan(2);
  });
});

describe("planExecution(): streams", () => {
  it("plans chunks from item time, adaptive, with STREAM_UNKNOWN_LENGTH", () => {
    // Per chunk: 40 us dispatch + 60 us overhead = 0.1 ms; 3% of 1.001 ms items: 4 items.
    const plan = parallel(planExecution(unitInput({ workload: { totalItems: null, itemMs: 1 } })));
    expect(plan.chunkSize).toBe(4);
    expect(plan.adaptive).toBe(true);
    expect(plan.totalItems).toBeNull();
    expect(plan.workers).toBe(2);
    expect(codes(plan)).toEqual(["COMPUTE_BOUND", "STREAM_UNKNOWN_LENGTH"]);
    expect(plan.predicted.items).toBe(1000);
    expect(plan.predicted.breakdown.startupMs).toBe(0);
  });

  it("caps a stream's chunks at 100 ms", () => {
    // Per chunk 2 ms + 2 ms: 3% of 10.001 ms items needs 14 items, but 100 ms holds only 9.
    const plan = parallel(
      planExecution(
        unitInput({
          costs: { throughputUs: 2000, latencyUs: 4000 },
          workload: { totalItems: null, itemMs: 10 },
        }),
      ),
    );
    expect(plan.chunkSize).toBe(9);
    const slow = parallel(planExecution(unitInput({ workload: { totalItems: null, itemMs: 40 } })));
    expect(slow.chunkSize).toBe(1);
  });

  it("a stream of tiny items with costly clones is serial", () => {
    const plan = planExecution(
      unitInput({ workload: { totalItems: null, itemMs: 0.001, inputKind: "object", inputBytes: 1000 } }),
    );
    expect(plan.mode).toBe("serial");
    expect(codes(plan)).toEqual(["CLONE_BOUND", "STREAM_UNKNOWN_LENGTH"]);
  });
});

describe("planExecution(): constraints.chunkTimeoutMs", () => {
  // Unit costs, 2 cores, items of 1 ms: an item on a worker's timeline is 1.001 ms (its
  // share of cloning), a chunk costs 0.06 ms of envelope, and a chunk's duration is planned
  // at its mean plus 3 standard deviations of the worker's speed (5% each): x 1.15.
  it("plans chunks predicted to take at most half the time-out, and says so", () => {
    const free = parallel(planExecution(unitInput({ workload: { totalItems: 20_000, itemMs: 1 } })));
    expect(free.chunkSize).toBeGreaterThan(1000);
    const plan = parallel(
      planExecution(
        unitInput({ workload: { totalItems: 20_000, itemMs: 1 }, constraints: { chunkTimeoutMs: 1000 } }),
      ),
    );
    // 434 x 1.001 x 1.15 + 0.06 = 499.66 ms <= 500 ms; 435 items would take 500.81 ms.
    expect([plan.workers, plan.chunkSize]).toEqual([2, 434]);
    const bound = plan.reasons.find((r) => r.code === "CHUNK_TIMEOUT_BOUND");
    expect(bound?.message).toBe(
      `constraints.chunkTimeoutMs (1000 ms) bounds the chunks: they are planned to take at most 50.0% of it at the slow end (their items' spread, workers sharing cores); chunks of 434 items (up to 500 ms) are used, not the chunks of ${free.chunkSize} the model would use otherwise.`,
    );
    expect(plan.warnings).toEqual([]);
  });

  it("plans smaller chunks for uneven items, from their spread or the slowest item sampled", () => {
    // cv 1: sd 1 ms per item. The fixture's slowest sampled item is 1 + 2 cv = 3 ms.
    const plan = parallel(
      planExecution(
        unitInput({
          workload: { totalItems: 20_000, itemMs: 1, cv: 1 },
          constraints: { chunkTimeoutMs: 100 },
        }),
      ),
    );
    // (c x 1.001 + 3 sqrt(c)) x 1.15 + 0.06 <= 50 ms: 27 items take 49.07 ms, 28 take 50.49 ms.
    expect(plan.chunkSize).toBe(27);
    expect(plan.reasons.map((r) => r.code)).toContain("CHUNK_TIMEOUT_BOUND");
  });

  it("bounds a stream's chunks too", () => {
    const plan = parallel(
      planExecution(
        unitInput({
          costs: { throughputUs: 2000, latencyUs: 4000 },
          workload: { totalItems: null, itemMs: 10 },
          constraints: { chunkTimeoutMs: 50 },
        }),
      ),
    );
    // Without the time-out, chunks of 9 (see above). Within 25 ms: one item takes
    // 10.001 x 1.15 + 2 ms of envelope = 13.50 ms, two take 25.002 ms.
    expect(plan.chunkSize).toBe(1);
    expect(plan.reasons.map((r) => r.code)).toContain("CHUNK_TIMEOUT_BOUND");
  });

  it("warns when even one item is predicted to exceed the time-out, and runs one item per chunk", () => {
    const plan = parallel(
      planExecution(
        unitInput({ workload: { totalItems: 100, itemMs: 300 }, constraints: { chunkTimeoutMs: 200 } }),
      ),
    );
    expect(plan.chunkSize).toBe(1);
    expect(plan.warnings.map((w) => w.code)).toEqual(["ITEM_EXCEEDS_CHUNK_TIMEOUT"]);
    expect(plan.warnings[0]!.message).toContain("constraints.chunkTimeoutMs (200 ms)");
  });

  it("says so when the time-out leaves no parallel plan fast enough", () => {
    // 100,000 items of 0.05 ms: chunks of 7 within 0.5 ms give 1.48x, short of 1.6x;
    // without the time-out chunks of 8,334 would give 1.86x.
    const workload = { totalItems: 100_000, itemMs: 0.05 };
    const free = planExecution(unitInput({ workload, constraints: { minSpeedup: 1.6 } }));
    expect(free.mode).toBe("parallel");
    const plan = planExecution(unitInput({ workload, constraints: { minSpeedup: 1.6, chunkTimeoutMs: 1 } }));
    expect(plan.mode).toBe("serial");
    expect(plan.reasons.find((r) => r.code === "CHUNK_TIMEOUT_BOUND")?.message).toBe(
      "constraints.chunkTimeoutMs (1.00 ms) bounds the chunks: they are planned to take at most 50.0% of it at the slow end (their items' spread, workers sharing cores); with chunks that short no parallel plan is 1.60x faster than a loop, where chunks of 8334 would be.",
    );
  });

  it("keeps a fixed chunk size that the time-out cannot hold, with a warning", () => {
    const plan = parallel(
      planExecution(
        unitInput({
          workload: { totalItems: 20_000, itemMs: 1 },
          constraints: { chunkTimeoutMs: 1000, chunkSize: 2000 },
        }),
      ),
    );
    expect(plan.chunkSize).toBe(2000);
    expect(plan.warnings.map((w) => w.code)).toEqual(["CHUNK_TIMEOUT_RISK"]);
  });

  it("a time-out far above any chunk changes nothing", () => {
    const i = unitInput({ workload: { totalItems: 1000, itemMs: 1 } });
    const free = planExecution(i);
    const plan = planExecution({ ...i, constraints: { chunkTimeoutMs: 60_000 } });
    expect(plan).toEqual(free);
  });

  it("rejects a time-out that is not a positive integer", () => {
    expect(issues(() => planExecution(unitInput({ constraints: { chunkTimeoutMs: 0 } })))).toEqual([
      "input.constraints.chunkTimeoutMs: Too small: expected number to be >0, got 0",
    ]);
  });
});

describe("planExecution(): context", () => {
  it("QUOTA_LIMITED when a CPU quota bounds the run", () => {
    const plan = parallel(
      planExecution(unitInput({ hardware: { quotaCpus: 1.5, logicalCores: 8 }, workload: { itemMs: 5 } })),
    );
    expect(plan.reasons.find((r) => r.code === "QUOTA_LIMITED")!.message).toBe(
      "A CPU quota of 1.5 CPUs (cgroup v2 cpu.max) bounds the run to 1.5 cores' worth of CPU time on a machine with 8 cores.",
    );
    expect(plan.predicted.speedup).toBeLessThanOrEqual(1.5);
  });

  it("IMBALANCE when uneven items make chunks smaller", () => {
    const uniform = parallel(planExecution(unitInput({ workload: { totalItems: 2000, itemMs: 5 } })));
    const skewed = parallel(planExecution(unitInput({ workload: { totalItems: 2000, itemMs: 5, cv: 1.5 } })));
    expect(skewed.chunkSize).toBeLessThan(uniform.chunkSize);
    expect(codes(skewed)).toContain("IMBALANCE");
    expect(codes(uniform)).not.toContain("IMBALANCE");
  });

  it("names the workers' pace among estimated costs, and plans on the round trip alone then", () => {
    const pace = { gapUs: 450, afterMs: 10, speedCv: 0.015 };
    const i = input({ costs: { pace }, workload: { totalItems: 200, itemMs: 1 } });
    i.spawnCost.pace!.gapUs = { ...fig(100), provenance: "estimated", reason: "the budget ran out" };
    const plan = planExecution(i);
    expect(plan.warnings).toEqual([
      {
        code: "COSTS_ESTIMATED",
        message:
          "The spawn-cost figures pace.gapUs are documented estimates, not measurements (the budget ran out); the plan is only as good as they are.",
      },
    ]);
    // The estimated wait adds nothing to a chunk beyond the empty task's round trip.
    const none = input({ costs: { pace: { ...pace, gapUs: 90 } }, workload: { totalItems: 200, itemMs: 1 } });
    expect(parallel(plan).predicted.wallMs).toBeCloseTo(parallel(planExecution(none)).predicted.wallMs, 12);
  });

  it("warns about estimated costs, another machine's costs, few samples and a busy CPU", () => {
    const i = input({ hardware: { busyFraction: 0.8 }, workload: { sampled: 2 } });
    i.spawnCost.source = "estimated";
    i.spawnCost.dispatch.latencyUs = { ...fig(100), provenance: "estimated", reason: "measuring failed" };
    i.spawnCost.machineKey.usableCores = 4;
    const plan = planExecution(i);
    expect(plan.warnings).toEqual([
      {
        code: "COSTS_ESTIMATED",
        message:
          "The spawn-cost figures dispatch.latencyUs are documented estimates, not measurements (measuring failed); the plan is only as good as they are.",
      },
      {
        code: "SPAWN_COST_OTHER_MACHINE",
        message: "The spawn-cost profile was measured with 4 usable cores, the hardware profile has 2.",
      },
      {
        code: "FEW_SAMPLES",
        message: "Item figures rest on 2 sampled items; item time and variation may be off.",
      },
      {
        code: "MACHINE_BUSY",
        message: "The CPU was 80.0% busy when probed; the plan assumes the usable cores are free.",
      },
    ]);
  });

  it("takes a parallel plan short of minSpeedup but no slower than a loop at a cut-off sample's lower bound", () => {
    // Two items cut off after 50 ms: at that bound two workers are predicted at 89.2 ms
    // against 100 ms (1.12x, short of the default 1.2x); longer items only widen the lead.
    const cut = input({ workload: { sampled: 0, totalItems: 2, itemMs: 50 } });
    cut.workload.cutOff = { items: 1, ms: 50 };
    const plan = parallel(planExecution(cut));
    expect(plan.workers).toBe(2);
    expect(plan.predicted.lowerBound).toBe(true);
    expect(plan.predicted.speedup).toBeCloseTo(1.1216, 4);
    expect(plan.reasons.at(-1)).toEqual({
      code: "LOWER_BOUND",
      message:
        "Sampling was cut off waiting for 1 item (50.0 ms): at that lower bound 2 workers are predicted at 89.2 ms against 100 ms for a plain loop, short of minSpeedup, but taken: items longer than that only widen their lead.",
    });
    // The same figures measured in full: serial, too little work, no bound.
    const { cutOff: _, ...measured } = cut.workload;
    const settled = planExecution({ ...cut, workload: measured });
    expect(settled.mode).toBe("serial");
    expect(codes(settled)).toEqual(["TOO_LITTLE_WORK"]);
    expect(settled.predicted.lowerBound).toBeUndefined();
    // A minSpeedup the caller set holds: serial, saying longer items may pay for workers.
    const asked = planExecution({ ...cut, constraints: { minSpeedup: 1.2 } });
    expect(asked.mode).toBe("serial");
    expect(codes(asked)).toEqual(["TOO_LITTLE_WORK", "LOWER_BOUND"]);
    expect(asked.reasons[1]!.message).toBe(
      "Sampling was cut off waiting for 1 item (50.0 ms): the times above are lower bounds, and items that take longer may pay for workers.",
    );
    // Slower than a loop at the bound (20 ms items: 57.9 ms against 40.0 ms): serial, and says so.
    const slower = input({ workload: { sampled: 0, totalItems: 2, itemMs: 20 } });
    slower.workload.cutOff = { items: 1, ms: 20 };
    const serial = planExecution(slower);
    expect(serial.mode).toBe("serial");
    expect(serial.predicted.lowerBound).toBe(true);
    expect(codes(serial)).toEqual(["TOO_LITTLE_WORK", "LOWER_BOUND"]);
    // Not under a chunk time-out that chunks of several items sized at the bound would pass,
    // nor for a stream, whose speed-up leaves the start-up out.
    const timed = input({
      workload: { sampled: 0, totalItems: 8, itemMs: 12 },
      constraints: { chunkTimeoutMs: 120 },
    });
    const untimed = planExecution({ ...timed, constraints: {} });
    expect(untimed.mode).toBe("serial");
    timed.workload.cutOff = { items: 1, ms: 12 };
    const bounded = planExecution({ ...timed, constraints: {} });
    expect(parallel(bounded).chunkSize).toBeGreaterThan(1);
    expect(planExecution(timed).mode).toBe("serial");
    // A stream of 5 KB objects of 0.1 ms: parallel at 1.1x in steady state, start-up left out.
    const stream = input({
      workload: { totalItems: null, itemMs: 0.1, inputKind: "object", inputBytes: 5000 },
    });
    const steady = planExecution(stream);
    expect(steady.mode).toBe("serial");
    expect(steady.alternatives.find((a) => a.mode === "parallel")!.speedup).toBeGreaterThan(1);
    stream.workload.cutOff = { items: 1, ms: 0.2 };
    expect(planExecution(stream).mode).toBe("serial");
    // One worker at most: serial, and no claim that longer items would pay for workers.
    const one = planExecution({ ...cut, constraints: { maxWorkers: 1 } });
    expect(one.mode).toBe("serial");
    expect(one.reasons.at(-1)!.message).toBe(
      "Sampling was cut off waiting for 1 item (50.0 ms): the times above are lower bounds.",
    );
  });

  it("states a cut-off item time as a bound in the clone, I/O and time-out texts too", () => {
    const clone = cloneBound();
    clone.workload.cutOff = { items: 1, ms: 0.05 };
    const cloned = planExecution(clone);
    // Clone-bound whatever the items take: no lower bound makes it pay.
    expect(codes(cloned)).toEqual(["CLONE_BOUND", "LOWER_BOUND"]);
    expect(cloned.reasons[0]!.message).toContain(
      "costs 104 us of main-thread time per item (at most 2.08x the item's own at least 50 us)",
    );
    const waits = input({ workload: { sampled: 0, totalItems: 100, itemMs: 100, cpuToWall: 0.1 } });
    waits.workload.cutOff = { items: 1, ms: 100 };
    expect(planExecution(waits).reasons[0]!.message).toMatch(
      /^Items wait 90\.0% of their time \(at least 100 ms\) \(CPU-to-wall 0\.1\), but the task is synchronous/,
    );
    const timed = input({
      workload: { sampled: 0, totalItems: 100, itemMs: 100 },
      constraints: { chunkTimeoutMs: 50 },
    });
    timed.workload.cutOff = { items: 1, ms: 100 };
    expect(planExecution(timed).warnings.find((w) => w.code === "ITEM_EXCEEDS_CHUNK_TIMEOUT")!.message).toBe(
      "A single item is predicted to take up to 115 ms on a worker (items of at least 100 ms, the slowest sampled at least 100 ms), more than constraints.chunkTimeoutMs (50.0 ms): items may time out even one to a chunk.",
    );
  });

  it("says the item time is a lower bound where sampling was cut off waiting for an item", () => {
    // One item cut off after 860 ms, nothing else sampled: 4 items counted at 860 ms each.
    const i = input({ workload: { sampled: 0, totalItems: 4, itemMs: 860 } });
    i.workload.cutOff = { items: 1, ms: 860 };
    const plan = planExecution(i);
    expect(plan.warnings).toContainEqual({
      code: "FEW_SAMPLES",
      message:
        "Item figures rest on 0 sampled items, and on 1 item cut off after 860 ms (counting it at that, a lower bound); item time and variation may be off.",
    });
    expect(plan.reasons.find((r) => r.code === "COMPUTE_BOUND")!.message).toMatch(
      /^Items take at least 860 ms each \(at least 3440 ms in all\); /,
    );
    // Too little work to run in parallel: "items of at least".
    const small = unitInput({ workload: { totalItems: 10, itemMs: 0.1 } });
    small.workload.cutOff = { items: 2, ms: 0.2 };
    expect(planExecution(small).reasons[0]!.message).toMatch(
      /^10 items of at least 100 us is too little work: /,
    );
    // Without a cut-off, as before.
    const plain = planExecution(input({ workload: { sampled: 0, totalItems: 4, itemMs: 860 } }));
    expect(plain.reasons.find((r) => r.code === "COMPUTE_BOUND")!.message).toMatch(
      /^Items take 860 ms each \(3440 ms in all\); /,
    );
  });

  it("a fixed-size kind's estimated per-byte figure is not a doubt", () => {
    const i = input();
    i.spawnCost.clone.number.perByteNs = {
      ...fig(0),
      provenance: "estimated",
      reason: "a number is always 9 bytes",
    };
    expect(planExecution(i).warnings).toEqual([]);
  });
});

/** An input whose machine profiles were validated and frozen once, as a session keeps them. */
function frozenProfiles(i: PlanInput): PlanInput {
  return {
    ...i,
    hardware: parseFrozen(HardwareProfileSchema, i.hardware, "hardware"),
    spawnCost: parseFrozen(SpawnCostProfileSchema, i.spawnCost, "spawnCost"),
  };
}

/** {@link frozenProfiles}, and the workload validated and frozen once too. */
function frozenAll(i: PlanInput): PlanInput {
  return { ...frozenProfiles(i), workload: parseFrozen(WorkloadSampleSchema, i.workload, "workload") };
}

describe("planExecution(): profiles validated and frozen once", () => {
  it("plans and predicts as from the same figures unfrozen", () => {
    const i = unitInput({ workload: { totalItems: 1000, itemMs: 1, cv: 0.3 } });
    const frozen = frozenProfiles(structuredClone(i));
    expect(planExecution(frozen)).toEqual(planExecution(i));
    expect(predict(frozen, { workers: 2, chunkSize: 10 })).toEqual(predict(i, { workers: 2, chunkSize: 10 }));
    const all = frozenAll(structuredClone(i));
    expect(planExecution(all)).toEqual(planExecution(i));
    expect(predict(all, { workers: 2, chunkSize: 10 })).toEqual(predict(i, { workers: 2, chunkSize: 10 }));
  });
});

const BAD_INPUTS: [string, (i: PlanInput) => unknown, string[]][] = [
  [
    "a missing hardware profile",
    (i) => ({ ...i, hardware: undefined }),
    ["input.hardware: Invalid input: expected object, received undefined, got undefined"],
  ],
  [
    "a negative item time",
    (i) => ({ ...i, workload: { ...i.workload, itemTimeMs: { ...i.workload.itemTimeMs, mean: -1 } } }),
    ["input.workload.itemTimeMs.mean: Too small: expected number to be >=0, got -1"],
  ],
  [
    "an unknown constraint",
    (i) => ({ ...i, constraints: { maxworkers: 2 } }),
    ['input.constraints: Unknown option "maxworkers" (did you mean "maxWorkers"?)'],
  ],
  [
    "a minimum speedup below 1",
    (i) => ({ ...i, constraints: { minSpeedup: 0.5 } }),
    ["input.constraints.minSpeedup: Too small: expected number to be >=1, got 0.5"],
  ],
  [
    "zero workers",
    (i) => ({ ...i, constraints: { workers: 0 } }),
    ["input.constraints.workers: Too small: expected number to be >0, got 0"],
  ],
  [
    "a fractional chunk size",
    (i) => ({ ...i, constraints: { chunkSize: 2.5 } }),
    ["input.constraints.chunkSize: Invalid input: expected int, received number, got 2.5"],
  ],
  ["an unknown field at the top", (i) => ({ ...i, plan: {} }), ['input: Unknown option "plan"']],
];

describe("planExecution(): validation", () => {
  it.each(BAD_INPUTS)("rejects %s", (_name, mutate, expected) => {
    expect(issues(() => planExecution(mutate(unitInput()) as PlanInput))).toEqual(expected);
  });

  it.each(BAD_INPUTS)("rejects %s, the machine profiles frozen once", (_name, mutate, expected) => {
    expect(issues(() => planExecution(mutate(frozenProfiles(unitInput())) as PlanInput))).toEqual(expected);
  });

  it.each(BAD_INPUTS)("rejects %s, the profiles and the workload frozen once", (_name, mutate, expected) => {
    expect(issues(() => planExecution(mutate(frozenAll(unitInput())) as PlanInput))).toEqual(expected);
  });

  it("rejects a value that is not an object", () => {
    expect(issues(() => planExecution(null as never))).toEqual([
      "input: Invalid input: expected object, received null, got null",
    ]);
  });
});
