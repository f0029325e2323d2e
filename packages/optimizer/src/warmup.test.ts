import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveTask } from "@amorsize/executor";
import { afterAll, describe, expect, it } from "@jest/globals";
import { machine, spawnCost, workload } from "../test/profiles.js";
import { withFrozenMachine } from "./decide.js";
import {
  PROBE_MAX_ITEMS,
  PROBE_SAVING_SHARE,
  probeBudgetMs,
  probeWarmup,
  readWarmup,
  warmupExcessMs,
  writeWarmup,
} from "./warmup.js";

const fixture = new URL("../test/fixtures/cold-first-call.mjs", import.meta.url).pathname;
const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "amorsize-warmup-"));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("warmupExcessMs()", () => {
  it("sums what the fresh worker took beyond the calling thread, never below zero", () => {
    expect(warmupExcessMs([60, 3, 2], [1, 1, 1])).toBe(62);
    // A slower item here and a faster one there even out; a faster worker owes nothing.
    expect(warmupExcessMs([2, 1], [1, 2])).toBe(0);
    expect(warmupExcessMs([1, 1], [5, 5])).toBe(0);
  });
});

describe("probeBudgetMs(): whether a warm-up probe is worth it, on fixed profiles", () => {
  it("gives no budget to a serial plan or a stream", () => {
    expect(probeBudgetMs(withFrozenMachine({ ...machine(2), workload: workload(20, 1) }))).toBeNull();
    expect(probeBudgetMs(withFrozenMachine({ ...machine(2), workload: workload(null, 5) }))).toBeNull();
  });

  it("gives a share of what parallel saves over serial, once that is worth a probe", () => {
    const input = withFrozenMachine({ ...machine(2), workload: workload(1000, 5) });
    const budget = probeBudgetMs(input);
    // 5 s serial on 2 workers saves about 2.5 s.
    expect(budget).not.toBeNull();
    expect(budget! / PROBE_SAVING_SHARE).toBeGreaterThan(2000);
    expect(budget! / PROBE_SAVING_SHARE).toBeLessThan(2600);
    // 200 ms of work saves under the 100 ms a probe needs to be worth its worker.
    expect(probeBudgetMs(withFrozenMachine({ ...machine(2), workload: workload(40, 5) }))).toBeNull();
  });
});

describe("probeWarmup(): a fresh worker against the calling thread", () => {
  it("measures a slow first call in a fresh worker as the warm-up, and the worker's import", async () => {
    const task = resolveTask({ module: fixture, export: "coldFirst" });
    const items = [1, 2, 3, 4, 5, 6].map((item) => ({ item, ms: 1 }));
    const probed = await probeWarmup(task, items, 10_000);
    expect(probed).not.toBeNull();
    // Every item ran (the budget is far), at most PROBE_MAX_ITEMS of them.
    expect(probed!.warmup.items).toBe(PROBE_MAX_ITEMS);
    expect(probed!.warmup.source).toBe("probe");
    // The first call spins 60 ms against the 1 ms the calling thread was said to take.
    expect(probed!.warmup.excessMs).toBeGreaterThanOrEqual(59);
    expect(probed!.moduleLoadMs).not.toBeNull();
  });

  it("stops once its items spent the budget, after one item at least", async () => {
    const task = resolveTask({ module: fixture, export: "coldFirst" });
    const probed = await probeWarmup(
      task,
      [1, 2, 3].map((item) => ({ item, ms: 1 })),
      5,
    );
    expect(probed!.warmup.items).toBe(1);
  });

  it("ends at an item that fails and measures nothing from it, leaving the task's errors to the run", async () => {
    const task = resolveTask({ module: fixture, export: "failsAlways" });
    await expect(probeWarmup(task, [{ item: 1, ms: 1 }], 1000)).resolves.toBeNull();
  });
});

describe("the module-cost cache", () => {
  const key = "file:///tasks/a.mjs#f@abc";
  const warmup = { excessMs: 350, items: 3, source: "probe" as const };
  const machineKey = spawnCost(2).machineKey;

  it("gives back what was written, as cached, for the same module version and machine only", async () => {
    const dir = tempDir();
    expect(readWarmup(dir, key, machineKey)).toBeNull();
    expect(await writeWarmup(dir, key, machineKey, warmup)).toBeNull();
    expect(readWarmup(dir, key, machineKey)).toEqual({ excessMs: 350, items: 3, source: "cached" });
    expect(readWarmup(dir, `${key}0`, machineKey)).toBeNull();
    expect(readWarmup(dir, key, { ...machineKey, usableCores: 4 })).toBeNull();
  });

  it("reads a corrupt entry as a miss, and says why a write failed instead of throwing", async () => {
    const dir = tempDir();
    await writeWarmup(dir, key, machineKey, warmup);
    const file = join(dir, "modules");
    const [name] = readdirSync(file);
    writeFileSync(join(file, name!), "{ not json");
    expect(readWarmup(dir, key, machineKey)).toBeNull();
    // A cache folder that is a file cannot hold the entry.
    const blocked = join(tempDir(), "file");
    writeFileSync(blocked, "");
    const problem = await writeWarmup(blocked, key, machineKey, warmup);
    expect(problem?.code).toBe("MODULE_CACHE_UNWRITABLE");
    expect(problem?.message).toContain(`Could not write the module-cost cache in ${blocked}`);
  });
});
