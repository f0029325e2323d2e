// The decisions the demo's README promises for its workloads, made by the pure planner on
// fixed figures: the demo's own items, each task's nominal cost, and the 2-core reference
// machine (fixtures/reference-machine.ts). What a live run decides depends on the machine and its load: that is the
// demo's and the benchmark's figure, not a test's.
import { serialize } from "node:v8";
import { explain, planExecution } from "@amorsize/cost-model";
import {
  type PayloadKind,
  type Plan,
  type PlanConstraints,
  type WorkloadSample,
  WorkloadSampleSchema,
} from "@amorsize/types";
import { beforeAll, describe, expect, it } from "@jest/globals";
import { type DemoWorkload, ROUNDS_PER_MS, TASKS, workloads } from "../src/workloads.js";
import {
  referenceHardware as hardware,
  referenceSpawnCost as spawnCost,
} from "./fixtures/reference-machine.js";

type Task = (item: unknown) => unknown;

/** What each task costs per item and returns, without timing it. */
interface Nominal {
  itemMs: (item: unknown) => number;
  /** A result of the same kind and size as the task's, cheap to compute. */
  output: (item: unknown) => unknown;
  inputKind: PayloadKind;
  outputKind: PayloadKind;
}

let tasks: Record<string, Task>;
beforeAll(async () => {
  tasks = (await import(TASKS)) as Record<string, Task>;
});

const NOMINAL: Record<string, Nominal> = {
  // A multiply: about 0.01 us.
  scale: { itemMs: () => 1e-5, output: (x) => tasks.scale!(x), inputKind: "number", outputKind: "number" },
  hash: {
    itemMs: (item) => (item as { rounds: number }).rounds / ROUNDS_PER_MS,
    // The same 32-bit hash after one round instead of millions.
    output: (item) => tasks.hash!({ ...(item as object), rounds: 1 }),
    inputKind: "object",
    outputKind: "number",
  },
  // 12,500 additions and stores: about 20 us.
  prefixSum: {
    itemMs: () => 0.02,
    output: (x) => tasks.prefixSum!(x),
    inputKind: "plain-array",
    outputKind: "plain-array",
  },
};

const meanOf = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
// Not Math.max(...xs): 200,000 arguments overflow the stack.
const maxOf = (xs: readonly number[]) => xs.reduce((a, b) => Math.max(a, b), 0);

/** The workload profile of the demo's full data, from the nominal figures: nothing is timed. */
function profileOf(workload: DemoWorkload): WorkloadSample {
  const nominal = NOMINAL[workload.exportName]!;
  const items = workload.data();
  const times = items.map(nominal.itemMs).sort((a, b) => a - b);
  const mean = meanOf(times);
  const sd = Math.sqrt(meanOf(times.map((t) => (t - mean) ** 2)));
  // Sizes from 100 items spread over the input (each workload's items are alike in size),
  // as the sampler would; serialising 200,000 numbers one by one under Jest takes seconds.
  const spread = Array.from({ length: 100 }, (_, i) => items[Math.floor((i * items.length) / 100)]);
  const inBytes = spread.map((item) => serialize(item).length);
  const outBytes = spread.map((item) => serialize(nominal.output(item)).length);
  return WorkloadSampleSchema.parse({
    sampled: 0,
    indices: [],
    totalItems: items.length,
    itemTimeMs: {
      mean,
      median: times[Math.floor(times.length / 2)],
      p90: times[Math.floor(times.length * 0.9)],
      max: times.at(-1),
      cv: mean > 0 ? sd / mean : 0,
    },
    cpuToWall: 1,
    inputBytes: { mean: meanOf(inBytes), max: maxOf(inBytes) },
    outputBytes: { mean: meanOf(outBytes), max: maxOf(outBytes) },
    inputKind: nominal.inputKind,
    outputKind: nominal.outputKind,
    memoryBytesPerItem: meanOf(inBytes) + meanOf(outBytes),
    sampleWallMs: 0,
    async: false,
    source: "given",
  });
}

const profiles = new Map<string, WorkloadSample>();
beforeAll(() => {
  for (const w of workloads) profiles.set(w.name, profileOf(w));
});

const plan = (name: string, constraints?: PlanConstraints): Plan =>
  planExecution({
    hardware,
    spawnCost,
    workload: profiles.get(name)!,
    ...(constraints ? { constraints } : {}),
  });
const codes = (p: Plan) => p.reasons.map((r) => r.code);

type ParallelPlan = Extract<Plan, { mode: "parallel" }>;

/** The plan, checked to be parallel (a failure shows the whole plan, reasons included). */
function parallel(p: Plan): ParallelPlan {
  expect(p).toMatchObject({ mode: "parallel" });
  return p as ParallelPlan;
}

describe("the demo's workloads on the 2-core reference machine (pure planner)", () => {
  it("profiles the demo's data as its README describes it", () => {
    const tiny = profiles.get("tiny items")!;
    expect(tiny.totalItems).toBe(200_000);
    expect(tiny.itemTimeMs.cv).toBeCloseTo(0, 9);
    expect(profiles.get("heavy uniform")).toMatchObject({ totalItems: 400, itemTimeMs: { mean: 5, cv: 0 } });
    const skewed = profiles.get("heavy skewed")!;
    expect(skewed.totalItems).toBe(400);
    // Log-normal with mean 2.5 ms and sigma 1.1 (cv ~1.5), drawn from a seeded source.
    expect(skewed.itemTimeMs.mean).toBeGreaterThan(2);
    expect(skewed.itemTimeMs.mean).toBeLessThan(3);
    expect(skewed.itemTimeMs.cv).toBeGreaterThan(1.2);
    expect(skewed.itemTimeMs.cv).toBeLessThan(1.8);
    const payloads = profiles.get("large payloads")!;
    expect(payloads.totalItems).toBe(300);
    expect(payloads.inputBytes.mean).toBeGreaterThan(100_000);
    expect(payloads.outputBytes.mean).toBe(payloads.inputBytes.mean);
  });

  it("tiny items: serial, sending an item costs more than running it", () => {
    const p = plan("tiny items");
    expect(p.mode).toBe("serial");
    expect(codes(p)).toEqual(["CLONE_BOUND"]);
  });

  it("heavy uniform: every usable core, large chunks", () => {
    const p = parallel(plan("heavy uniform"));
    expect(p.workers).toBe(hardware.cores.usable.value);
    // At least 100 ms of work per chunk.
    expect(p.chunkSize).toBeGreaterThanOrEqual(20);
    expect(p.predicted.speedup).toBeGreaterThan(1.8);
    expect(codes(p)[0]).toBe("COMPUTE_BOUND");
  });

  it("heavy skewed: every usable core, smaller chunks than uniform against the uneven tail", () => {
    const uniform = parallel(plan("heavy uniform"));
    const skewed = parallel(plan("heavy skewed"));
    expect(skewed.workers).toBe(hardware.cores.usable.value);
    expect(skewed.chunkSize).toBeLessThan(uniform.chunkSize);
    expect(codes(skewed)).toContain("IMBALANCE");
  });

  it("large payloads: serial, cloning costs more than the work", () => {
    const p = plan("large payloads");
    expect(p.mode).toBe("serial");
    expect(codes(p)).toEqual(["CLONE_BOUND"]);
  });

  it("says what it prints in Node's terms and plain words, for a reader who never used Python", () => {
    for (const w of workloads) {
      const text = explain(plan(w.name));
      expect(text).not.toMatch(/Pool\.map|joblib|minimum by/);
      // A speed below the loop's is said as "N times slower", not as a fraction of a speedup.
      expect(text).not.toMatch(/\b0\.\d+x, /);
    }
    const payloads = plan("large payloads");
    expect(payloads.reasons[0]!.message).toMatch(
      /for a plain loop, \d+\.\d\dx slower, where running in parallel must be at least 1\.20x faster \(minSpeedup\)\.$/,
    );
    expect(explain(plan("tiny items"))).toMatch(
      /^ {2}- four chunks per worker \(usable cores\): 2 workers, /m,
    );
  });

  it("forced to 2 workers x 7 per chunk: heavy items run that way, tiny items and payloads stay serial", () => {
    const forced = { workers: 2, chunkSize: 7, minSpeedup: 1 };
    for (const name of ["heavy uniform", "heavy skewed"])
      expect(plan(name, forced)).toMatchObject({ mode: "parallel", workers: 2, chunkSize: 7 });
    for (const name of ["tiny items", "large payloads"]) expect(plan(name, forced).mode).toBe("serial");
  });
});
