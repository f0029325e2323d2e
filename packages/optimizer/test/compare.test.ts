import { planExecution, predict } from "@amorsize/cost-model";
import type { Plan } from "@amorsize/types";
import { describe, expect, it } from "@jest/globals";
import { compareRows, compareStrategies, median, predictedMs } from "../src/compare.js";
import { machine, workload } from "./profiles.js";

const input = { ...machine(4), workload: workload(1000, 2) };
const parallel = planExecution(input) as Extract<Plan, { mode: "parallel" }>;
const serial = planExecution({ ...machine(4), workload: workload(10, 0.001) });

describe("compareStrategies", () => {
  it("sets a parallel plan beside serial, one task per item, four chunks per worker and the plan's neighbours", () => {
    expect(parallel).toMatchObject({ mode: "parallel", workers: 4, chunkSize: 50 });
    expect(compareStrategies(parallel, 1000, 4, 8)).toEqual([
      { name: "serial", kind: "serial", workers: 0, chunkSize: null },
      { name: "amorsize plan", kind: "plan", workers: 4, chunkSize: 50 },
      { name: "one task per item", kind: "pool", workers: 8, chunkSize: 1 },
      { name: "four chunks per worker", kind: "pool", workers: 4, chunkSize: 63 },
      { name: "plan, chunk / 4", kind: "pool", workers: 4, chunkSize: 12 },
      { name: "plan, chunk x 4", kind: "pool", workers: 4, chunkSize: 200 },
    ]);
    // On fewer usable cores than the plan's workers, the usable cores too.
    expect(compareStrategies(parallel, 1000, 2, 2).at(-1)).toEqual({
      name: "plan, usable cores",
      kind: "pool",
      workers: 2,
      chunkSize: 50,
    });
  });

  it("runs the plan as execute() would, and leaves out a fixed pool that is the same as it", () => {
    expect(parallel.adaptive).toBe(false);
    // 800 items: four chunks per worker on 4 cores is the plan's 4 x 50.
    const names = compareStrategies(parallel, 800, 4, 8).map((s) => s.name);
    expect(names).toEqual([
      "serial",
      "amorsize plan",
      "one task per item",
      "plan, chunk / 4",
      "plan, chunk x 4",
    ]);
    // An adaptive plan's chunks change as it runs: the same fixed pool is another strategy.
    const adaptive = { ...parallel, adaptive: true };
    expect(compareStrategies(adaptive, 800, 4, 8).map((s) => s.name)).toContain("four chunks per worker");
    // So is a plan that keeps another number of chunks in flight than a pool's default (2 a worker).
    expect(parallel.maxInFlight).toBe(8);
    const fewerInFlight = { ...parallel, maxInFlight: 4 };
    expect(compareStrategies(fewerInFlight, 800, 4, 8).map((s) => s.name)).toContain(
      "four chunks per worker",
    );
  });

  it("runs a serial plan as it is, with no neighbours", () => {
    expect(serial.mode).toBe("serial");
    expect(compareStrategies(serial, 10, 4, 4).map((s) => [s.name, s.kind])).toEqual([
      ["serial", "serial"],
      ["amorsize plan (serial)", "plan"],
      ["one task per item", "pool"],
      ["four chunks per worker", "pool"],
    ]);
  });
});

describe("predictedMs", () => {
  it("is the plan's serial estimate, the plan's own prediction, or the model's for a fixed pool", () => {
    const [plain, plan, perItem] = compareStrategies(parallel, 1000, 4, 8);
    expect(predictedMs(plain!, parallel, input)).toBe(parallel.predicted.serialMs);
    expect(predictedMs(perItem!, parallel, input)).toBe(predict(input, { workers: 8, chunkSize: 1 }).wallMs);
    expect(predictedMs(plan!, parallel, input)).toBe(parallel.predicted.wallMs);
    const [, asIs] = compareStrategies(serial, 10, 4, 4);
    expect(predictedMs(asIs!, serial, input)).toBe(serial.predicted.wallMs);
  });
});

describe("compareRows", () => {
  it("takes each strategy's median and serial's median over it", () => {
    const strategies = compareStrategies(serial, 10, 4, 4);
    const rows = compareRows(strategies, [10, 10, 30, 20], [[100, 90, 110], [95], [50, 60], [400]]);
    expect(rows).toEqual([
      { strategy: "serial", workers: 0, chunkSize: null, predictedMs: 10, measuredMs: 100, speedup: 1 },
      {
        strategy: "amorsize plan (serial)",
        workers: 0,
        chunkSize: null,
        predictedMs: 10,
        measuredMs: 95,
        speedup: 100 / 95,
      },
      {
        strategy: "one task per item",
        workers: 4,
        chunkSize: 1,
        predictedMs: 30,
        measuredMs: 50,
        speedup: 2,
      },
      {
        strategy: "four chunks per worker",
        workers: 4,
        chunkSize: 1,
        predictedMs: 20,
        measuredMs: 400,
        speedup: 0.25,
      },
    ]);
  });

  it("median takes the lower middle of an even list", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2);
    expect(median([7])).toBe(7);
  });
});
