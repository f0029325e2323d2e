import { describe, expect, it } from "@jest/globals";
import {
  cpuBandwidthProblem,
  memoryAmountProblem,
  memorySizeProblem,
  PLAUSIBLE,
  topologyProblem,
} from "./plausible.js";

const MiB = 1024 ** 2;

describe("memorySizeProblem (MemTotal, cgroup limits)", () => {
  it.each([
    [0, "less than 1 MiB"],
    [MiB - 1, "less than 1 MiB"],
    [Number.NaN, "less than 1 MiB"],
    [MiB, null],
    [512 * MiB, null],
    [2 ** 50, null],
    [2 ** 50 + 1, "more than 2^50 bytes (1 PiB)"],
    [1e26, "more than 2^50 bytes (1 PiB)"],
  ])("%p bytes: %p", (bytes, expected) => {
    expect(memorySizeProblem(bytes)).toBe(expected);
  });
});

describe("memoryAmountProblem (MemAvailable, cgroup usage)", () => {
  it.each([
    [0, null, null],
    [-1, null, "less than 0"],
    [2 ** 50 + 1, null, "more than 2^50 bytes (1 PiB)"],
    [4 * MiB, 8 * MiB, null],
    [8 * MiB, 8 * MiB, null],
    [8 * MiB + 1, 8 * MiB, `more than MemTotal (${8 * MiB})`],
  ])("%p bytes with a total of %p: %p", (bytes, total, expected) => {
    expect(memoryAmountProblem(bytes, total)).toBe(expected);
  });
});

describe("topologyProblem", () => {
  it.each([
    [4, 1, 8, null],
    [8, 2, 8, null],
    [8, null, 8, null],
    [100_000, 1, 8, "more physical cores than the 8 logical CPUs"],
    [9, null, 8, "more physical cores than the 8 logical CPUs"],
    [0, null, 8, "no physical cores"],
    [4, 0, 8, "no packages"],
    [2, 3, 8, "more packages than physical cores"],
  ])("%p cores in %p packages of %p logical CPUs: %p", (physical, packages, logical, expected) => {
    expect(topologyProblem(physical, packages, logical)).toBe(expected);
  });
});

describe("cpuBandwidthProblem", () => {
  it.each([
    [150_000, 100_000, null],
    [null, 100_000, null],
    [1_000, 1_000, null],
    [10_000_000, 1_000_000, null],
    [1, 1, "a period outside 1000..1000000 µs"],
    [null, 999, "a period outside 1000..1000000 µs"],
    [50_000, 1_000_001, "a period outside 1000..1000000 µs"],
    [999, 100_000, "a quota under 1000 µs"],
  ])("quota %p µs per period %p µs: %p", (quotaUs, periodUs, expected) => {
    expect(cpuBandwidthProblem(quotaUs, periodUs)).toBe(expected);
  });

  it("uses the kernel's bounds", () => {
    expect(PLAUSIBLE).toEqual({
      minMemoryBytes: MiB,
      maxMemoryBytes: 2 ** 50,
      minCfsPeriodUs: 1_000,
      maxCfsPeriodUs: 1_000_000,
      minCfsQuotaUs: 1_000,
    });
  });
});
