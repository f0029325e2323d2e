import { type PlanInput, PlanInputSchema } from "@amorsize/types";
import { describe, expect, it } from "@jest/globals";
import { unitInput } from "../test/fixtures.js";
import { AmorsizeValidationError, MODEL_CONSTANTS, predict } from "./index.js";
import { heldGraphMs } from "./model.js";
import { deriveParams } from "./params.js";
import { chunkCandidates } from "./search.js";

// Hand-computed cases on the round unit costs (test/fixtures.ts UNIT_COSTS):
// start-up 10 ms + 2 ms per worker; dispatch 40 us (d = 0.04 ms) on the main thread;
// latency 100 us, so the worker-side chunk overhead is o = 0.06 ms; numbers clone at
// 2 us per round trip, so 0.001 ms each way on the main thread and 0.001 ms (half of
// the 0.002 ms round trip) on the worker. E[max of 2 normals] = 0.5642, of 3 = 0.8463.
const E2 = 0.5642;
const E3 = 0.8463;
const s = MODEL_CONSTANTS.workerSpeedCv;

/** The issues of the AmorsizeValidationError that `run` throws. */
function validationIssues(run: () => unknown): readonly string[] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(AmorsizeValidationError);
    expect((error as AmorsizeValidationError).code).toBe("AMORSIZE_INVALID_INPUT");
    return (error as AmorsizeValidationError).issues;
  }
  throw new Error("expected a validation error");
}

function sumIdentity(b: ReturnType<typeof predict>["breakdown"]): number {
  return (
    b.startupMs +
    Math.max(b.computeMs + b.chunkOverheadMs + (b.dispatchWaitMs ?? 0), b.mainThreadMs) +
    b.oversubscriptionMs +
    b.pipelineFillMs +
    b.imbalanceMs
  );
}

describe("predict(): a compute-bound run, 100 items of 1 ms, 2 workers, chunks of 10", () => {
  const p = predict(unitInput({ workload: { totalItems: 100, itemMs: 1 } }), { workers: 2, chunkSize: 10 });
  const b = p.breakdown;
  // An item on a worker: 1 ms + 0.001 ms of deserialising/serialising.
  const wallItem = 1.001;
  // A chunk's cycle: 10 items (10.01) + o (0.06) + send 10 x 0.001 + 0.04 + receive 10 x 0.001.
  const D = 10.01 + 0.06 + 0.05 + 0.01;

  it("start-up = fixed + per worker x (workers + 1) / 2", () =>
    expect(b.startupMs).toBeCloseTo(10 + (2 * 3) / 2, 12));
  it("main thread = n x (clone out + clone in) + chunks x dispatch", () =>
    expect(b.mainThreadMs).toBeCloseTo(100 * 0.002 + 10 * 0.04, 12));
  it("compute = n x item time on a worker / workers", () =>
    expect(b.computeMs).toBeCloseTo((100 * wallItem) / 2, 12));
  it("chunk overhead = chunks x o / workers", () =>
    expect(b.chunkOverheadMs).toBeCloseTo((10 * 0.06) / 2, 12));
  it("dispatch wait = main thread / workers", () => expect(b.dispatchWaitMs).toBeCloseTo(0.6 / 2, 12));
  it("no oversubscription with 2 workers on 2 cores", () => expect(b.oversubscriptionMs).toBe(0));
  it("pipeline fill = (workers - 1) / 2 x one chunk's send", () =>
    expect(b.pipelineFillMs).toBeCloseTo(0.5 * 0.05, 12));
  it("imbalance = drifted share of a quarter chunk + worker-speed spread x E[max of 2]", () => {
    // 10 chunks over 2 workers fill every round: no ragged last round. Worker speed
    // spread s per chunk drifts the workers apart after q = 5 rounds: weight s x sqrt(5)
    // on the drifted tail D x (2 - 1) / (2 x 2); plus s x D x E2 for the random lag.
    const drift = s * Math.sqrt(5);
    expect(b.imbalanceMs).toBeCloseTo(drift * (D / 4) + s * D * E2, 12);
  });
  it("total = start-up + workers' side + fill + imbalance, and the identity holds", () => {
    const expected = 13 + (50.05 + 0.3 + 0.3) + 0.025 + (s * Math.sqrt(5) * (D / 4) + s * D * E2);
    expect(b.totalMs).toBeCloseTo(expected, 12);
    expect(p.wallMs).toBe(b.totalMs);
    expect(sumIdentity(b)).toBeCloseTo(b.totalMs, 12);
  });
  it("serial = n x item time; speedup = serial / wall", () => {
    expect(p.serialMs).toBe(100);
    expect(p.speedup).toBeCloseTo(100 / b.totalMs, 12);
    expect(p.items).toBe(100);
  });
});

describe("predict(): the same run on a profile that measured the workers' pace", () => {
  // Between two chunks of 20 ms a worker waited 460 us, 360 more than an empty task's 100 us
  // round trip; equal work drifted 1% apart.
  const pace = { gapUs: 460, afterMs: 20, speedCv: 0.01 };
  const p = predict(unitInput({ workload: { totalItems: 100, itemMs: 1 }, costs: { pace } }), {
    workers: 2,
    chunkSize: 10,
  });
  const b = p.breakdown;
  // A chunk of 10 items computes 10.01 ms, half of 20: half of the 0.36 ms on top of o.
  const chunkCost = 0.06 + 0.36 * (10.01 / 20);
  const D = 10.01 + chunkCost + 0.05 + 0.01;

  it("chunk overhead = chunks x (o + the measured wait, prorated by the chunk's length) / workers", () =>
    expect(b.chunkOverheadMs).toBeCloseTo((10 * chunkCost) / 2, 12));
  it("imbalance takes the measured drift for the constant", () =>
    expect(b.imbalanceMs).toBeCloseTo(0.01 * Math.sqrt(5) * (D / 4) + 0.01 * D * E2, 12));
  it("a chunk past the measured length pays the whole wait", () => {
    const long = predict(unitInput({ workload: { totalItems: 100, itemMs: 1 }, costs: { pace } }), {
      workers: 2,
      chunkSize: 50,
    });
    expect(long.breakdown.chunkOverheadMs).toBeCloseTo((2 * (0.06 + 0.36)) / 2, 12);
  });
  it("a measured wait below the empty task's round trip adds nothing", () => {
    const quick = predict(
      unitInput({ workload: { totalItems: 100, itemMs: 1 }, costs: { pace: { ...pace, gapUs: 80 } } }),
      { workers: 2, chunkSize: 10 },
    );
    expect(quick.breakdown.chunkOverheadMs).toBeCloseTo((10 * 0.06) / 2, 12);
  });
});

describe("predict(): a clone-bound run, 10 items of 100 KB plain arrays, 0.1 ms of work", () => {
  // plain-array round trip: 2 us + 10 ns/byte: 0.5 x (2 + 1000) us = 0.501 ms out;
  // the result is a number, 0.001 ms back; the worker pays half of 0.502.
  const p = predict(
    unitInput({ workload: { totalItems: 10, itemMs: 0.1, inputKind: "plain-array", inputBytes: 100_000 } }),
    { workers: 2, chunkSize: 1 },
  );
  const b = p.breakdown;
  const send = 0.501 + 0.04;
  const workerChunk = 0.1 + 0.251 + 0.06;
  const D = workerChunk + send + 0.001;

  it("main thread = 10 x 0.502 + 10 x 0.04 and bounds the run", () => {
    expect(b.mainThreadMs).toBeCloseTo(5.42, 12);
    expect(b.computeMs + b.chunkOverheadMs + (b.dispatchWaitMs ?? 0)).toBeCloseTo(1.755 + 0.3 + 2.71, 12);
    expect(b.mainThreadMs).toBeGreaterThan(b.computeMs + b.chunkOverheadMs + (b.dispatchWaitMs ?? 0));
  });
  it("pipeline fill = the last chunk's computing after its send, less the other worker's receive", () =>
    expect(b.pipelineFillMs).toBeCloseTo(workerChunk - 0.001, 12));
  it("imbalance is absorbed: the workers wait on the main thread anyway", () =>
    expect(b.imbalanceMs).toBe(0));
  it("total = start-up + main thread + drain", () => {
    expect(b.totalMs).toBeCloseTo(13 + 5.42 + (workerChunk - 0.001), 12);
    expect(sumIdentity(b)).toBeCloseTo(b.totalMs, 12);
    expect(p.speedup).toBeCloseTo(1 / b.totalMs, 12);
  });
  it("the workers' path (side + ramp + tail) is shorter than the main thread's", () => {
    const workerPath = 4.765 + send / 2 + s * Math.sqrt(5) * (D / 4) + s * D * E2;
    expect(workerPath).toBeLessThan(b.totalMs - b.startupMs);
  });
});

describe("predict(): three 300 ms items on 3 workers, 2 cores (oversubscribed)", () => {
  const p = predict(unitInput({ workload: { totalItems: 3, itemMs: 300 } }), { workers: 3, chunkSize: 1 });
  const b = p.breakdown;
  const D = 300.001 + 0.06 + 0.041 + 0.001;

  it("compute spreads the CPU work over the 2 cores", () => expect(b.computeMs).toBeCloseTo(900.003 / 2, 12));
  it("oversubscription = penalty x (workers - cores) x compute / cores", () =>
    expect(b.oversubscriptionMs).toBeCloseTo((0.05 * 1 * 450.0015) / 2, 12));
  it("the last round is full under time slicing; the tail is drift and the random lag", () => {
    // Drifted: residuals D/3, 2D/3, D shared by 2 cores finish at 7D/6 against an ideal D.
    expect(b.imbalanceMs).toBeCloseTo(s * 1 * (D / 6) + s * D * E3, 12);
  });
  it("start-up, fill and total", () => {
    // 10 + 2 x (3 + 1) / 2
    expect(b.startupMs).toBe(14);
    expect(b.pipelineFillMs).toBeCloseTo(0.041, 12);
    expect(b.totalMs).toBeCloseTo(14 + 450.1035 + 0.041 + (s * (D / 6) + s * D * E3) + 11.2500375, 9);
    expect(sumIdentity(b)).toBeCloseTo(b.totalMs, 12);
  });
});

describe("predict(): the last round", () => {
  it("a ragged last round leaves workers idle: 3 chunks of 10 ms on 2 workers", () => {
    // With cv 0 and q = 1 round the drift weight is s x 1; the ragged round dominates.
    const p = predict(unitInput({ workload: { totalItems: 3, itemMs: 10 } }), { workers: 2, chunkSize: 1 });
    const D = 10.001 + 0.06 + 0.041 + 0.001;
    // Loads 2D and D: the longer ends D/2 after the mean.
    const lastRound = D / 2;
    const drifted = D / 4;
    expect(p.breakdown.imbalanceMs).toBeCloseTo((1 - s) * lastRound + s * drifted + s * D * E2, 12);
  });

  it("a short last chunk on its own in the last round", () => {
    // 5 items in chunks of 2: chunks 2, 2, 1 on 2 workers: loads D2 + D1 and D2; the
    // longer ends D1 / 2 after the mean.
    const p = predict(unitInput({ workload: { totalItems: 5, itemMs: 10 } }), { workers: 2, chunkSize: 2 });
    const cycle = (k: number) => k * 10.001 + 0.06 + (k * 0.001 + 0.04) + k * 0.001;
    const D2 = cycle(2);
    const D1 = cycle(1);
    const lastRound = D2 + D1 - (2 * D2 + D1) / 2;
    const drift = Math.min(1, s * 1);
    expect(p.breakdown.imbalanceMs).toBeCloseTo((1 - drift) * lastRound + drift * (D2 / 4) + s * D2 * E2, 12);
  });

  it("item variation adds E[max] standard deviations of a chunk", () => {
    const base = predict(unitInput({ workload: { totalItems: 4, itemMs: 10 } }), {
      workers: 2,
      chunkSize: 2,
    });
    const varied = predict(unitInput({ workload: { totalItems: 4, itemMs: 10, cv: 0.5 } }), {
      workers: 2,
      chunkSize: 2,
    });
    const D = 2 * 10.001 + 0.06 + 0.042 + 0.002;
    // One round (q = 1): drift weights s and sqrt(0.25/2 + s^2); spread sqrt(2 x 5^2 + (sD)^2).
    const driftVaried = Math.sqrt(0.25 / 2 + s * s);
    expect(base.breakdown.imbalanceMs).toBeCloseTo(s * (D / 4) + s * D * E2, 12);
    expect(varied.breakdown.imbalanceMs).toBeCloseTo(
      driftVaried * (D / 4) + Math.sqrt(2 * 25 + (s * D) ** 2) * E2,
      12,
    );
  });
});

describe("predict(): edge cases", () => {
  it("one worker: nothing overlaps, no tail", () => {
    const p = predict(unitInput({ workload: { totalItems: 100, itemMs: 1 } }), { workers: 1, chunkSize: 10 });
    const b = p.breakdown;
    expect(b.imbalanceMs).toBe(0);
    expect(b.pipelineFillMs).toBe(0);
    expect(b.totalMs).toBeCloseTo(12 + 100.1 + 10 * 0.06 + 0.6, 12);
  });

  it("a chunk size above the item count is one chunk of all items", () => {
    const a = predict(unitInput({ workload: { totalItems: 10, itemMs: 1 } }), {
      workers: 2,
      chunkSize: 1000,
    });
    const b = predict(unitInput({ workload: { totalItems: 10, itemMs: 1 } }), { workers: 2, chunkSize: 10 });
    expect(a).toEqual(b);
    // One chunk: one worker computes, the second only costs start-up.
    expect(a.breakdown.computeMs).toBeCloseTo(10 * 1.001, 12);
    expect(a.breakdown.startupMs).toBe(13);
  });

  it("no items: only start-up", () => {
    const p = predict(unitInput({ workload: { totalItems: 0, itemMs: 1 } }), { workers: 2, chunkSize: 1 });
    expect(p.wallMs).toBe(13);
    expect(p.serialMs).toBe(0);
    expect(p.speedup).toBe(0);
  });

  it("a stream: the steady state of 1,000 items, no start-up or end terms", () => {
    const p = predict(unitInput({ workload: { totalItems: null, itemMs: 1 } }), {
      workers: 2,
      chunkSize: 10,
    });
    expect(p.items).toBe(1000);
    expect(p.breakdown).toEqual({
      startupMs: 0,
      mainThreadMs: expect.closeTo(6, 12),
      computeMs: expect.closeTo(500.5, 12),
      oversubscriptionMs: 0,
      chunkOverheadMs: expect.closeTo(3, 12),
      imbalanceMs: 0,
      pipelineFillMs: 0,
      dispatchWaitMs: expect.closeTo(3, 12),
      totalMs: expect.closeTo(506.5, 12),
    });
    expect(p.serialMs).toBe(1000);
  });

  it("a fractional CPU quota: 2 workers get 1.5 cores' worth", () => {
    const p = predict(unitInput({ hardware: { quotaCpus: 1.5 }, workload: { totalItems: 100, itemMs: 1 } }), {
      workers: 2,
      chunkSize: 10,
    });
    expect(p.breakdown.computeMs).toBeCloseTo(100.1 / 1.5, 12);
    expect(p.breakdown.oversubscriptionMs).toBeCloseTo((0.05 * 0.5 * (100.1 / 1.5)) / 1.5, 12);
  });

  it("a synchronous task that waits: workers overlap the waits beyond the cores", () => {
    // 10 ms items, 10% CPU: 4 workers on 2 cores run 4 at once; only 1 ms of each needs a core.
    const p = predict(unitInput({ workload: { totalItems: 40, itemMs: 10, cpuToWall: 0.1 } }), {
      workers: 4,
      chunkSize: 10,
    });
    expect(p.breakdown.computeMs).toBeCloseTo(Math.max((40 * 10.001) / 4, (40 * 1.001) / 2), 12);
    expect(p.speedup).toBeGreaterThan(2);
  });
});

describe("predict(): validation", () => {
  const good = unitInput();
  it.each([
    [{ workers: 0, chunkSize: 1 }, "config.workers: Too small: expected number to be >0, got 0"],
    [
      { workers: 2, chunkSize: 1.5 },
      "config.chunkSize: Invalid input: expected int, received number, got 1.5",
    ],
    [{ workers: 2000, chunkSize: 1 }, "config.workers: Too big: expected number to be <=1024, got 2000"],
    [{ workers: 2, chunkSize: 1, extra: true }, 'config: Unknown option "extra"'],
  ])("rejects %j", (config, message) => {
    expect(validationIssues(() => predict(good, config as never))).toEqual([message]);
  });

  it("rejects a bad input before looking at the config", () => {
    const bad = unitInput({ workload: { itemMs: -1 } });
    expect(() => predict(bad, { workers: 2, chunkSize: 1 })).toThrow(
      "input.workload.itemTimeMs.mean: Too small: expected number to be >=0, got -1",
    );
  });
});

describe("predict(): a task module that takes time to import in each fresh worker", () => {
  const run = (moduleLoadMs: number | undefined, workers: number) =>
    predict(unitInput({ workload: { totalItems: 100, itemMs: 1, moduleLoadMs } }), {
      workers,
      chunkSize: 10,
    });

  it("adds the load to the start-up once per round of workers importing side by side", () => {
    // 2 usable cores: 2 workers import at once (one round), 3 need two rounds.
    expect(run(130, 2).breakdown.startupMs).toBeCloseTo(10 + (2 * 3) / 2 + 130, 12);
    expect(run(130, 3).breakdown.startupMs).toBeCloseTo(10 + (2 * 4) / 2 + 2 * 130, 12);
    expect(run(undefined, 2).breakdown.startupMs).toBeCloseTo(10 + (2 * 3) / 2, 12);
    expect(run(130, 2).wallMs - run(undefined, 2).wallMs).toBeCloseTo(130, 9);
  });
});

describe("predict(): chunks of object graphs a worker holds", () => {
  // 50,000 records of 730 serialised bytes, hashed in 13 us each, a 66-byte string back.
  const records = (inputKind: "object" | "string") =>
    unitInput({
      workload: {
        totalItems: 50_000,
        itemMs: 0.013,
        inputBytes: 730,
        inputKind,
        outputBytes: 66,
        outputKind: "string",
      },
    });
  const params = (input: PlanInput) => deriveParams(PlanInputSchema.parse(input));
  const on1 = (kind: "object" | "string", chunkSize: number) =>
    predict(records(kind), { workers: 1, chunkSize }).breakdown;
  // What a chunk of k records costs its worker: 4.5 ns a byte, in proportion to how far its
  // bytes pass 128 KiB towards 1 MiB.
  const held = (k: number) => {
    const bytes = k * 730;
    return (bytes * 4.5 * Math.min(1, Math.max(0, bytes - 131_072) / (1_048_576 - 131_072))) / 1e6;
  };

  it("charges the worker for a chunk's graphs past 128 KiB, rising to 4.5 ns a byte at 1 MiB", () => {
    expect(heldGraphMs(params(records("object")), 128)).toBe(0); // 93,440 bytes
    // 512 records: 373,760 bytes, 26% of the way; 2,048: 1,495,040, the whole figure.
    expect(heldGraphMs(params(records("object")), 512)).toBeCloseTo(
      (373_760 * 4.5 * (242_688 / 917_504)) / 1e6,
      12,
    );
    expect(heldGraphMs(params(records("object")), 2048)).toBeCloseTo((1_495_040 * 4.5) / 1e6, 12);
    // On one worker, computing grows by every chunk's charge (six of 8,192, one of 848).
    expect(on1("object", 8192).computeMs - on1("object", 128).computeMs).toBeCloseTo(
      6 * held(8192) + held(848),
      9,
    );
    expect(held(848)).toBeGreaterThan(0);
    // The calling thread pays nothing for it: 384 chunks fewer save 384 dispatches of 40 us.
    expect(on1("object", 8192).mainThreadMs - on1("object", 128).mainThreadMs).toBeCloseTo(-384 * 0.04, 9);
    expect(MODEL_CONSTANTS.heldGraphFromBytes).toBe(131_072);
    expect(MODEL_CONSTANTS.heldGraphFullBytes).toBe(1_048_576);
    expect(MODEL_CONSTANTS.heldGraphNsPerByte).toBe(4.5);
  });

  it("offers the search the largest chunk a worker holds at no cost: 179 records of 730 bytes", () => {
    expect(chunkCandidates(params(records("object")), 50_000, 2)).toContain(179);
    expect(chunkCandidates(params(records("string")), 50_000, 2)).not.toContain(179);
  });

  it("charges nothing for strings, numbers and arrays, whatever the chunk's size", () => {
    expect(heldGraphMs(params(records("string")), 50_000)).toBe(0);
    expect(on1("string", 8192).computeMs).toBeCloseTo(on1("string", 128).computeMs, 9);
  });
});

describe("predict(): results kept until the call returns", () => {
  // 400 results of 100,000 serialised bytes, items of 0.1 ms.
  type Kind = "plain-array" | "object" | "string" | "typed-array";
  const results = (outputKind: Kind, totalItems: number | null = 400) =>
    unitInput({ workload: { totalItems, itemMs: 0.1, outputBytes: 100_000, outputKind } });
  const serial = (kind: Kind) => predict(results(kind), { workers: 1, chunkSize: 1 });

  it("charges a plain loop for keeping arrays and object graphs, by their serialised bytes", () => {
    // 0.5 ns a byte of an array of numbers: 0.05 ms a result; 1.2 ns of a graph: 0.12 ms.
    expect(serial("plain-array").serialMs).toBeCloseTo(400 * (0.1 + 0.05), 9);
    expect(serial("object").serialMs).toBeCloseTo(400 * (0.1 + 0.12), 9);
    expect(MODEL_CONSTANTS.retainNsPerByte).toEqual({ "plain-array": 0.5, object: 1.2 });
  });

  it("charges the calling thread of a parallel run the same, as it reads the results back", () => {
    const mainMs = (kind: Kind) =>
      predict(results(kind), { workers: 2, chunkSize: 50 }).breakdown.mainThreadMs;
    // Reading a result back costs half a round trip: 0.5 x (2 us + 100,000 B x 10 ns) = 0.501 ms
    // for an array of numbers, 0.5 x (4 us + 100,000 B x 2 ns) = 0.102 ms for a typed array;
    // the array's is kept too: 0.05 ms.
    expect(mainMs("plain-array") - mainMs("typed-array")).toBeCloseTo(400 * (0.501 - 0.102 + 0.05), 9);
  });

  it("charges nothing for strings, binary values, or results not kept", () => {
    expect(serial("string").serialMs).toBeCloseTo(400 * 0.1, 9);
    expect(serial("typed-array").serialMs).toBeCloseTo(400 * 0.1, 9);
    // A stream hands each result to its consumer.
    const streamed = predict({ ...results("plain-array"), resultsKept: false }, { workers: 1, chunkSize: 1 });
    expect(streamed.serialMs).toBeCloseTo(400 * 0.1, 9);
    // An input of unknown length that is kept is charged (the steady state of its basis).
    const kept = predict(results("plain-array", null), { workers: 1, chunkSize: 1 });
    expect(kept.serialMs).toBeCloseTo(kept.items! * 0.15, 9);
  });
});
