import type os from "node:os";
import { describe, expect, it } from "@jest/globals";
import { cleanLoadavg, sampleBusyFraction, sampleCpuTimes } from "./load.js";
import { WarningList } from "./warnings.js";

const codes = (w: WarningList) => w.items.map((i) => i.code);

describe("sampleBusyFraction", () => {
  it("reports os-utils' cpuUsage figure", async () => {
    const warnings = new WarningList();
    const result = await sampleBusyFraction(warnings, {
      loadCpuUsage: async () => ({ cpuUsage: (cb) => setTimeout(() => cb(0.25), 1) }),
      fallback: async () => {
        throw new Error("must not be called");
      },
    });
    expect(result).toEqual({ value: 0.25, source: "os-utils cpuUsage" });
    expect(codes(warnings)).toEqual([]);
  });

  it("samples os.cpus() times itself when os-utils cannot be loaded, with a warning", async () => {
    const warnings = new WarningList();
    const result = await sampleBusyFraction(warnings, {
      loadCpuUsage: () => Promise.reject(new Error("Cannot find package 'os-utils'")),
      fallback: async () => 0.5,
    });
    expect(result).toEqual({ value: 0.5, source: "os.cpus() times" });
    expect(warnings.items).toEqual([
      {
        code: "LOAD_SAMPLER_FALLBACK",
        message:
          "os-utils could not be loaded (Cannot find package 'os-utils'); sampled os.cpus() times directly",
      },
    ]);
  });

  it("gives null and a warning for NaN (os-utils divides by a zero time delta)", async () => {
    const warnings = new WarningList();
    const result = await sampleBusyFraction(warnings, {
      loadCpuUsage: async () => ({ cpuUsage: (cb) => cb(Number.NaN) }),
      fallback: async () => 0,
    });
    expect(result).toEqual({ value: null, source: "os-utils cpuUsage" });
    expect(codes(warnings)).toEqual(["LOAD_SAMPLE_FAILED"]);
  });

  it("gives null when cpuUsage throws", async () => {
    const warnings = new WarningList();
    const result = await sampleBusyFraction(warnings, {
      loadCpuUsage: async () => ({
        cpuUsage: () => {
          throw new Error("broken");
        },
      }),
      fallback: async () => 0,
    });
    expect(result).toEqual({ value: null, source: "os-utils cpuUsage" });
    expect(codes(warnings)).toEqual(["LOAD_SAMPLE_FAILED"]);
  });

  it("clamps a figure a hair outside 0..1", async () => {
    const result = await sampleBusyFraction(new WarningList(), {
      loadCpuUsage: async () => ({ cpuUsage: (cb) => cb(1.0000001) }),
      fallback: async () => 0,
    });
    expect(result.value).toBe(1);
  });
});

describe("sampleCpuTimes", () => {
  const cpu = (user: number, idle: number): os.CpuInfo => ({
    model: "x",
    speed: 1,
    times: { user, nice: 0, sys: 0, idle, irq: 0 },
  });

  it("is the busy share of CPU time between two readings", async () => {
    const readings = [
      [cpu(100, 100), cpu(100, 100)],
      [cpu(175, 125), cpu(160, 140)],
    ];
    let call = 0;
    // busy 75 + 60 = 135 of 200 total
    await expect(sampleCpuTimes(() => readings[call++]!, 0)).resolves.toBe(0.675);
  });

  it("gives null when no CPU time passed", async () => {
    await expect(sampleCpuTimes(() => [cpu(1, 1)], 0)).resolves.toBeNull();
  });
});

describe("cleanLoadavg", () => {
  it("keeps finite non-negative values and zeroes the rest", () => {
    expect(cleanLoadavg([0.5, -1, Number.NaN])).toEqual([0.5, 0, 0]);
    expect(cleanLoadavg([])).toEqual([0, 0, 0]);
  });
});
