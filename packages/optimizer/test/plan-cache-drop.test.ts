// Figures read from the plan cache that a run contradicts are dropped there: the next call
// samples again, where every later call would have planned from them.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { resolveTask } from "@amorsize/executor";
import type { Warning } from "@amorsize/types";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { type Decision, dropContradictedFigures } from "../src/execute.js";
import { execute, stream } from "../src/index.js";
import { moduleHash, planCacheKey, planCachePath } from "../src/plan-cache.js";

const module = fileURLToPath(new URL("./fixtures/cache-contradicted.mjs", import.meta.url));
const task = { module, export: "spinsFor" };
// One worker at most and a short measure of it: what is tested is the cache, not the plan.
const options = { maxWorkers: 1, spawnCost: { maxWorkers: 1, budgetMs: 50 } };

/** Items per call: the plan cache's entry is the task's at this count. */
const COUNT = 300;
/**
 * Items of 0.9 ms where the cache says next to nothing: 270 ms a run, past what a pause
 * explains (`DECISIVE_RUN_MS`, 200). Under 1 ms, the first item's check of the cached
 * figures reads no CPU-to-wall ratio (cached items of nothing can read as waiting beside
 * busy processes, and an item that computes then contradicts them), and it takes over 100
 * times 0.1 ms to contradict on time. Items of 4 ms (75 of them) read contradicted twice in
 * a row in one clean-clone CI beside one busy process per core.
 */
const costly = Array.from({ length: COUNT }, () => 0.9);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "amorsize-cache-drop-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("plan-cache figures a run contradicts", () => {
  it("are dropped with a warning, and the next call samples the task again", async () => {
    const resolved = resolveTask(task);
    const entry = planCachePath(dir, planCacheKey(resolved, (await moduleHash(resolved))!, COUNT));
    // Items that cost nothing, cached; then items of the same kind that compute for 0.9 ms
    // each: 270 ms where the cache said next to nothing, past what a pause explains (see
    // `costly`).
    const free = await execute(
      task,
      Array.from({ length: COUNT }, () => 0),
      { ...options, cacheDir: dir },
    );
    expect(free.optimized.workloadSource).toBe("sampled");
    expect(existsSync(entry)).toBe(true);
    const stale = await execute(task, costly, { ...options, cacheDir: dir });
    expect(stale.optimized.workloadSource).toBe("cached");
    expect(stale.results).toEqual(costly);
    expect(stale.optimized.warnings.map((w) => w.code)).toContain("PLAN_CACHE_CONTRADICTED");
    expect(existsSync(entry)).toBe(false);
    const next = await execute(task, costly, { ...options, cacheDir: dir });
    expect(next.optimized.workloadSource).toBe("sampled");
    expect(next.optimized.warnings).toEqual([]);
    expect(existsSync(entry)).toBe(true);
  });

  it("are dropped by a stream's run too, once it has ended", async () => {
    const cacheDir = mkdtempSync(join(dir, "stream-"));
    const resolved = resolveTask(task);
    const entry = planCachePath(cacheDir, planCacheKey(resolved, (await moduleHash(resolved))!, COUNT));
    await execute(
      task,
      Array.from({ length: COUNT }, () => 0),
      { ...options, cacheDir },
    );
    expect(existsSync(entry)).toBe(true);
    const results = stream<number>(task, costly, { ...options, cacheDir });
    const seen: number[] = [];
    for await (const { value } of results) seen.push(value);
    expect(seen).toEqual(costly);
    expect(results.optimized?.workloadSource).toBe("cached");
    expect(results.optimized?.warnings.map((w) => w.code)).toContain("PLAN_CACHE_CONTRADICTED");
    expect(existsSync(entry)).toBe(false);
  });

  it("are dropped when a parallel run lost to the loop they predict, short of tenfold", async () => {
    const cacheDir = mkdtempSync(join(dir, "lost-"));
    const resolved = resolveTask(task);
    const key = planCacheKey(resolved, (await moduleHash(resolved))!, 75);
    const entry = planCachePath(cacheDir, key);
    // The run's figures are given (whether a real plan goes parallel is the benchmark's
    // question): 352 ms on workers where the cached figures said 95 ms, and 160 ms for a loop.
    const lost = { measuredWallMs: 352, predictedWallMs: 95, predictedSerialMs: 160, aborted: false };
    const decision = { prepared: { cacheEntry: { dir: cacheDir, key } } } as unknown as Decision;
    const cached = async () => {
      await execute(
        task,
        Array.from({ length: 75 }, () => 0),
        { ...options, cacheDir },
      );
      expect(existsSync(entry)).toBe(true);
    };
    await cached();
    // The same times from a serial run: 3.7 times slow is within what the tenfold rule lets pass.
    const serialWarnings: Warning[] = [];
    await dropContradictedFigures(decision, { ...lost, parallel: false, warnings: serialWarnings });
    expect(serialWarnings).toEqual([]);
    expect(existsSync(entry)).toBe(true);
    const warnings: Warning[] = [];
    await dropContradictedFigures(decision, { ...lost, parallel: true, warnings });
    expect(warnings).toEqual([
      {
        code: "PLAN_CACHE_CONTRADICTED",
        message:
          "The run took 352 ms where the cached figures predicted 95.0 ms (and 160 ms for a plain loop): " +
          "dropped from the plan cache; the next call samples again.",
      },
    ]);
    expect(existsSync(entry)).toBe(false);
    // Aborted, the run says nothing of the figures.
    await cached();
    await dropContradictedFigures(decision, { ...lost, parallel: true, aborted: true, warnings: [] });
    expect(existsSync(entry)).toBe(true);
  });

  it("are kept when the run agrees with them", async () => {
    const cacheDir = mkdtempSync(join(dir, "agrees-"));
    const items = Array.from({ length: 30 }, () => 1);
    await execute(task, items, { ...options, cacheDir });
    const again = await execute(task, items, { ...options, cacheDir });
    expect(again.optimized.workloadSource).toBe("cached");
    expect(again.optimized.warnings).toEqual([]);
  });
});
