// Fixed machine, spawn-cost and workload profiles: decisions are asserted on these,
// through the pure planner, never on the machine the tests happen to run on.
import type { HardwareProfile, MeasuredFigure, SpawnCostProfile, WorkloadSample } from "@amorsize/types";
import { emptyWorkload } from "../src/sample.js";

const figure = (value: number): MeasuredFigure => ({ value, provenance: "measured", samples: 9, spread: 0 });
const count = (value: number, source: string) => ({ value, source });

/** A Linux machine with `usable` idle cores and 16 GiB. */
export function hardware(usable: number): HardwareProfile {
  const memory = 16 * 1024 ** 3;
  return {
    schemaVersion: 1,
    probedAt: "2026-01-01T00:00:00.000Z",
    durationMs: 1,
    platform: "linux",
    arch: "x64",
    cpuModel: { value: "Fixture CPU", source: "fixture" },
    runtime: { node: "20.20.0", v8: "11.3", libuv: "1.46.0" },
    container: { detected: false, source: "none", kind: null },
    cores: {
      logical: count(usable, "fixture"),
      affinity: count(usable, "fixture"),
      cpuset: { value: null, source: "none" },
      physical: count(usable, "fixture"),
      packages: count(1, "fixture"),
      quota: { cpus: null, source: "none", cgroupPath: null },
      usable: { value: usable, source: "physical", rule: "fixture" },
    },
    memory: {
      total: count(memory, "fixture"),
      available: count(memory, "fixture"),
      cgroupLimit: { value: null, source: "none" },
      cgroupHigh: { value: null, source: "none" },
      cgroupUsage: { value: null, source: "none" },
      constrained: { value: null, source: "none" },
      usable: count(memory, "fixture"),
    },
    load: { loadavg: [0, 0, 0], busyFraction: { value: null, source: "not sampled" } },
    warnings: [],
  };
}

/** Worker start-up of 20 ms + 10 ms per worker, 100 us dispatch, 2 us per cloned number. */
export function spawnCost(usable: number): SpawnCostProfile {
  const clone = { perItemUs: figure(2), perByteNs: figure(1) };
  return {
    schemaVersion: 1,
    measuredAt: "2026-01-01T00:00:00.000Z",
    durationMs: 100,
    source: "measured",
    cachePath: null,
    machineKey: {
      cpuModel: "Fixture CPU",
      logicalCores: usable,
      usableCores: usable,
      quotaCpus: null,
      platform: "linux",
      arch: "x64",
      node: "20.20.0",
      tinypool: "2.2.0",
    },
    workerStart: { fixedMs: figure(20), perWorkerMs: figure(10) },
    dispatch: { latencyUs: figure(100), throughputUs: figure(40) },
    clone: {
      number: clone,
      "plain-array": clone,
      object: clone,
      string: clone,
      "typed-array": clone,
      "typed-array-transfer": clone,
    },
    warnings: [],
  };
}

/** `totalItems` computing items of `itemMs` each (numbers in, numbers out), 8 of them sampled. */
export function workload(totalItems: number | null, itemMs: number): WorkloadSample {
  return {
    ...emptyWorkload(8 * itemMs),
    sampled: 8,
    indices: [0, 1, 2, 3, 4, 5, 6, 7],
    totalItems,
    itemTimeMs: { mean: itemMs, median: itemMs, p90: itemMs, max: itemMs, cv: 0 },
    inputBytes: { mean: 9, max: 9 },
    outputBytes: { mean: 9, max: 9 },
    memoryBytesPerItem: 1024,
    source: "measured",
  };
}

/** A machine of `usable` cores with the figures above, and no constraints. */
export function machine(usable: number) {
  return { hardware: hardware(usable), spawnCost: spawnCost(usable), constraints: {} };
}
