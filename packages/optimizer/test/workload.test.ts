import fs, { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CloneError, resolveTask } from "@amorsize/executor";
import type { WorkloadSample } from "@amorsize/types";
import { afterAll, beforeAll, describe, expect, it, jest } from "@jest/globals";
import { moduleHash, planCacheKey, sizeBucket, writePlanCache } from "../src/plan-cache.js";
import type { SampleResult } from "../src/sample.js";
import { cachedOrSampled, type PlanCacheUse, withHeldContention } from "../src/workload.js";
import { spawnCost, workload } from "./profiles.js";

let dir: string;
let module: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "amorsize-workload-test-"));
  module = join(dir, "task.mjs");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A stand-in for sampleTask: counts its calls and returns fixed figures, item 0 run. Asked
 * to check cached figures, it shows them its own, as its first unit's.
 */
function sampler(totalItems: number | null, itemMs = 2, first?: Partial<WorkloadSample>) {
  const calls = { count: 0, confirmed: [] as boolean[] };
  const sample = async (confirms?: (first: WorkloadSample) => boolean): Promise<SampleResult> => {
    calls.count++;
    const figures = { ...workload(totalItems, itemMs), sampled: 1, indices: [0], ...first };
    if (confirms) calls.confirmed.push(confirms(figures));
    return {
      workload: figures,
      precomputed: new Map([[0, "zero"]]),
      failures: new Map(),
      data: ["rejoined"],
    };
  };
  return { sample, calls };
}

function cacheIn(folder: string): PlanCacheUse {
  return { dir: folder, machineKey: spawnCost(2).machineKey };
}

describe("cachedOrSampled", () => {
  it("samples on a miss, and reads the figures back for the same task and size bucket", async () => {
    writeFileSync(module, "export default (x) => x + 1;\n");
    const task = resolveTask({ module });
    const cache = cacheIn(mkdtempSync(join(dir, "plans-")));
    const first = sampler(100, 2);
    const sampled = await cachedOrSampled(task, 100, cache, first.sample);
    expect(first.calls.count).toBe(1);
    expect(sampled).toMatchObject({ workloadSource: "sampled", data: ["rejoined"], warnings: [] });
    expect(sampled.precomputed).toEqual(new Map([[0, "zero"]]));

    // A hit runs one unit to check the figures (3 ms against the cached 2 ms: confirmed),
    // keeps its result and its re-joined data, and plans on the cached figures.
    const again = sampler(100, 3);
    const cached = await cachedOrSampled(task, 120, cache, again.sample);
    expect(again.calls).toEqual({ count: 1, confirmed: [true] });
    expect(cached.workloadSource).toBe("cached");
    expect(cached.workload).toEqual({ ...sampled.workload, totalItems: 120 });
    expect(cached.data).toEqual(["rejoined"]);
    expect(cached.precomputed).toEqual(new Map([[0, "zero"]]));
    expect(cached.warnings).toEqual([]);

    // Another size bucket, another machine, or a changed module: sampled again.
    expect((await cachedOrSampled(task, 1000, cache, sampler(1000).sample)).workloadSource).toBe("sampled");
    const elsewhere = { ...cache, machineKey: spawnCost(8).machineKey };
    const stale = await cachedOrSampled(task, 100, elsewhere, sampler(100).sample);
    expect(stale.workloadSource).toBe("sampled");
    expect(stale.warnings.map((w) => w.code)).toEqual(["PLAN_CACHE_IGNORED"]);
    writeFileSync(module, "export default (x) => x + 2;\n");
    expect((await cachedOrSampled(task, 100, cache, sampler(100).sample)).workloadSource).toBe("sampled");
  });

  it("takes the length an input of unknown length showed while its cached figures were checked", async () => {
    writeFileSync(module, "export default (x) => x + 3;\n");
    const task = resolveTask({ module });
    const cache = cacheIn(mkdtempSync(join(dir, "plans-")));
    expect((await cachedOrSampled(task, null, cache, sampler(null).sample)).workloadSource).toBe("sampled");
    // The check's unit read the source to its end: one item in all.
    const ended = await cachedOrSampled(task, null, cache, sampler(1).sample);
    expect(ended.workloadSource).toBe("cached");
    expect(ended.workload.totalItems).toBe(1);
    // A source that goes on stays of unknown length.
    const goesOn = await cachedOrSampled(task, null, cache, sampler(null).sample);
    expect(goesOn.workloadSource).toBe("cached");
    expect(goesOn.workload.totalItems).toBeNull();
  });

  it("writes no figures for inputs of unknown length from a source that ended while sampled", async () => {
    writeFileSync(module, "export default (x) => x + 30;\n");
    const task = resolveTask({ module });
    const folder = mkdtempSync(join(dir, "plans-"));
    const cache = cacheIn(folder);
    // Five items, all run while sampled: the next stream, of any length, samples again.
    const entries = () => readdirSync(folder, { recursive: true }).filter((f) => String(f).endsWith(".json"));
    const short = await cachedOrSampled(task, null, cache, sampler(5, 0.0018).sample);
    expect(short.workloadSource).toBe("sampled");
    expect(entries()).toEqual([]);
    const next = sampler(null);
    expect((await cachedOrSampled(task, null, cache, next.sample)).workloadSource).toBe("sampled");
    expect(next.calls.confirmed).toEqual([]);
    // That one outlasted its sample: its figures are kept for the streams after it.
    expect(entries()).toHaveLength(1);
    expect((await cachedOrSampled(task, null, cache, sampler(null).sample)).workloadSource).toBe("cached");
    // An array's known length is its bucket: a sample that ran it whole is kept there.
    await cachedOrSampled(task, 5, cache, sampler(5).sample);
    expect(entries()).toHaveLength(2);
  });

  it("writes no figures from a sample that met items no worker can take", async () => {
    writeFileSync(module, "export default (x) => x + 4;\n");
    const task = resolveTask({ module });
    const folder = mkdtempSync(join(dir, "plans-"));
    const cache = cacheIn(folder);
    const met = sampler(100);
    const unsendable = new Map([[0, new CloneError("AMORSIZE_ITEM_NOT_CLONEABLE", 0, [0, 0], "no")]]);
    const sample = async () => ({ ...(await met.sample()), unsendable });
    const first = await cachedOrSampled(task, 100, cache, sample);
    expect(first.workloadSource).toBe("sampled");
    expect(first.unsendable).toBe(unsendable);
    // Nothing written: the next call samples again, and meets them again.
    expect(readdirSync(folder)).toEqual([]);
    expect((await cachedOrSampled(task, 100, cache, sampler(100).sample)).workloadSource).toBe("sampled");
  });

  it("samples again, with a warning, over a corrupt cache file", async () => {
    writeFileSync(module, "export default (x) => x * 3;\n");
    const task = resolveTask({ module });
    const folder = mkdtempSync(join(dir, "plans-"));
    await cachedOrSampled(task, 10, cacheIn(folder), sampler(10).sample);
    for (const file of readdirSync(join(folder, "plans")))
      writeFileSync(join(folder, "plans", file), "{ not json");
    const corrupt = await cachedOrSampled(task, 10, cacheIn(folder), sampler(10).sample);
    expect(corrupt.workloadSource).toBe("sampled");
    expect(corrupt.warnings).toEqual([
      {
        code: "PLAN_CACHE_IGNORED",
        message: "Ignored the plan cache: the cached plan file is not valid JSON; sampled again.",
      },
    ]);
    // The sample replaced the corrupt entry.
    expect((await cachedOrSampled(task, 10, cacheIn(folder), sampler(10).sample)).workloadSource).toBe(
      "cached",
    );
  });

  it("ignores cached figures that are implausible, or that the first item contradicts, and samples again", async () => {
    writeFileSync(module, "export default (x) => x * 5;\n");
    const task = resolveTask({ module });
    const cache = cacheIn(mkdtempSync(join(dir, "plans-")));
    await cachedOrSampled(task, 10, cache, sampler(10, 2).sample);
    // The cache says the items wait; the first one computes 2 ms at CPU-to-wall 1.
    const key = planCacheKey(task, (await moduleHash(task))!, 10);
    await writePlanCache(cache.dir, key, cache.machineKey, { ...workload(10, 2), cpuToWall: 0.02 });
    const computes = sampler(10, 2);
    const contradicted = await cachedOrSampled(task, 10, cache, computes.sample);
    expect(computes.calls).toEqual({ count: 1, confirmed: [false] });
    expect(contradicted).toMatchObject({ workloadSource: "sampled", data: ["rejoined"] });
    expect(contradicted.warnings).toEqual([
      {
        code: "PLAN_CACHE_CONTRADICTED",
        message:
          "Ignored the plan cache: the cache says items wait (CPU-to-wall 0.02), and an item computed (1.00); sampled again.",
      },
    ]);
    // The fresh sample replaced the entry.
    expect((await cachedOrSampled(task, 10, cache, sampler(10, 2).sample)).workloadSource).toBe("cached");
    const absurd = { ...workload(10, 2), itemTimeMs: { mean: 1e300, median: 2, p90: 2, max: 2, cv: 0 } };
    await writePlanCache(cache.dir, key, cache.machineKey, absurd);
    const plausible = sampler(10, 2);
    const ignored = await cachedOrSampled(task, 10, cache, plausible.sample);
    expect(plausible.calls).toEqual({ count: 1, confirmed: [] });
    expect(ignored.warnings).toEqual([
      {
        code: "PLAN_CACHE_IGNORED",
        message:
          "Ignored the plan cache: the cached plan holds an implausible figure: itemTimeMs.mean is 1e+300 ms, more than a day; sampled again.",
      },
    ]);
  });

  it("neither reads nor writes without a cache, and writes nothing for an input that turned out empty", async () => {
    writeFileSync(module, "export default (x) => x - 1;\n");
    const task = resolveTask({ module });
    const folder = mkdtempSync(join(dir, "plans-"));
    const off = sampler(10);
    await cachedOrSampled(task, 10, null, off.sample);
    await cachedOrSampled(task, 10, null, off.sample);
    expect(off.calls.count).toBe(2);
    const empty = async (): Promise<SampleResult> => ({
      workload: { ...workload(0, 0), sampled: 0, indices: [] },
      precomputed: new Map(),
      failures: new Map(),
      data: [],
    });
    await cachedOrSampled(task, null, cacheIn(folder), empty);
    expect(readdirSync(folder)).toEqual([]);
  });

  it("warns when the cache cannot be written, and still returns the sample", async () => {
    writeFileSync(module, "export default (x) => x;\n");
    const task = resolveTask({ module });
    const notAFolder = join(dir, "file-not-folder");
    writeFileSync(notAFolder, "");
    const result = await cachedOrSampled(task, 10, cacheIn(notAFolder), sampler(10).sample);
    expect(result.workloadSource).toBe("sampled");
    expect(result.warnings.map((w) => w.code)).toEqual(["PLAN_CACHE_UNWRITABLE"]);
  });

  it("samples a task whose module is not a file, without caching it", async () => {
    const task = resolveTask({ module: "data:text/javascript,export default (x) => x" });
    const folder = mkdtempSync(join(dir, "plans-"));
    const notFile = sampler(10);
    await cachedOrSampled(task, 10, cacheIn(folder), notFile.sample);
    await cachedOrSampled(task, 10, cacheIn(folder), notFile.sample);
    expect(notFile.calls.count).toBe(2);
  });
});

describe("the plan cache's key", () => {
  it("buckets sizes by powers of two", () => {
    expect([0, 1, 2, 3, 64, 65, 128, 129, 1000].map(sizeBucket)).toEqual([
      "0",
      "1",
      "2^1",
      "2^2",
      "2^6",
      "2^7",
      "2^7",
      "2^8",
      "2^10",
    ]);
    expect(sizeBucket(null)).toBe("stream");
  });

  it("names the task, its content and the bucket", () => {
    const task = resolveTask({ module: "/x/task.mjs", export: "f" });
    expect(planCacheKey(task, "abc", 100)).toBe("file:///x/task.mjs#f@abc/2^7");
  });
});

describe("writePlanCache", () => {
  it("syncs the entry to disk before renaming it into place, and leaves no temporary file", async () => {
    const folder = mkdtempSync(join(dir, "plans-"));
    const { machineKey } = cacheIn(folder);
    const realFsync = fs.fsync;
    const calls: string[] = [];
    const fsync = jest.spyOn(fs, "fsync").mockImplementation(((
      fd: number,
      done: (e: Error | null) => void,
    ) => {
      calls.push("fsync");
      realFsync(fd, done);
    }) as typeof fs.fsync);
    try {
      expect(await writePlanCache(folder, "file:///t.mjs#f@abc/2^4", machineKey, workload(10, 2))).toBeNull();
    } finally {
      fsync.mockRestore();
    }
    expect(calls).toEqual(["fsync"]);
    const [entry, ...others] = readdirSync(join(folder, "plans"));
    expect(others).toEqual([]);
    expect(JSON.parse(readFileSync(join(folder, "plans", entry!), "utf8"))).toMatchObject({
      version: 1,
      key: "file:///t.mjs#f@abc/2^4",
      machineKey,
    });
  });
});

describe("withHeldContention(): a cached workers' slowdown at today's load", () => {
  const slowed = (loadPerCore?: number): WorkloadSample => ({
    ...workload(200, 1),
    contention: { factor: 2.33, threads: 2, runs: 2, ...(loadPerCore === undefined ? {} : { loadPerCore }) },
  });

  it("keeps it in the band it was measured in, and between the bands, without a warning", () => {
    for (const [then, now] of [
      [1.2, 1.6],
      [0.1, 0.4],
      [1.2, 0.7],
      [0.1, 0.7],
    ] as const) {
      const warnings: { code: string; message: string }[] = [];
      const cached = slowed(then);
      expect(withHeldContention(cached, () => now, warnings)).toBe(cached);
      expect(warnings).toEqual([]);
    }
  });

  it("drops it measured busy and read quiet (or the other way), or recorded without its load, and says so", () => {
    const warnings: { code: string; message: string }[] = [];
    const { contention: _c, ...plain } = slowed(1.2);
    expect(withHeldContention(slowed(1.2), () => 0.05, warnings)).toEqual(plain);
    expect(withHeldContention(slowed(0.2), () => 1.5, warnings)).toEqual(plain);
    expect(withHeldContention(slowed(), () => 0.05, warnings)).toEqual(plain);
    expect(warnings).toEqual([
      {
        code: "PLAN_CACHE_CONTENTION_IGNORED",
        message:
          "The cached slowdown of workers computing at once (x2.33) was measured at a load of 1.20 per core, 0.05 now: not used (the plan charges none, and a session measures it again).",
      },
      {
        code: "PLAN_CACHE_CONTENTION_IGNORED",
        message:
          "The cached slowdown of workers computing at once (x2.33) was measured at a load of 0.20 per core, 1.50 now: not used (the plan charges none, and a session measures it again).",
      },
      {
        code: "PLAN_CACHE_CONTENTION_IGNORED",
        message:
          "The cached slowdown of workers computing at once (x2.33) was measured with no load recorded, 0.05 now: not used (the plan charges none, and a session measures it again).",
      },
    ]);
  });

  it("reads no load for figures without a slowdown", () => {
    const plain = workload(200, 1);
    const warnings: { code: string; message: string }[] = [];
    expect(
      withHeldContention(
        plain,
        () => {
          throw new Error("read");
        },
        warnings,
      ),
    ).toBe(plain);
  });
});
