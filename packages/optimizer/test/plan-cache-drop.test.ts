// Figures read from the plan cache that a run contradicts are dropped there: the next call
// samples again, where every later call would have planned from them.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { resolveTask } from "@amorsize/executor";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { execute, stream } from "../src/index.js";
import { moduleHash, planCacheKey, planCachePath } from "../src/plan-cache.js";

const module = fileURLToPath(new URL("./fixtures/cache-contradicted.mjs", import.meta.url));
const task = { module, export: "spinsFor" };
// One worker at most and a short measure of it: what is tested is the cache, not the plan.
const options = { maxWorkers: 1, spawnCost: { maxWorkers: 1, budgetMs: 50 } };

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "amorsize-cache-drop-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("plan-cache figures a run contradicts", () => {
  it("are dropped with a warning, and the next call samples the task again", async () => {
    const resolved = resolveTask(task);
    const entry = planCachePath(dir, planCacheKey(resolved, (await moduleHash(resolved))!, 75));
    // Items that cost nothing, cached; then items of the same kind that compute for 4 ms
    // each: 300 ms where the cache said next to nothing, past what a pause explains (one
    // item of 4 ms is within what the first item's check lets pass: 100 times 0.1 ms).
    const free = await execute(
      task,
      Array.from({ length: 75 }, () => 0),
      { ...options, cacheDir: dir },
    );
    expect(free.optimized.workloadSource).toBe("sampled");
    expect(existsSync(entry)).toBe(true);
    const costly = Array.from({ length: 75 }, () => 4);
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
    const entry = planCachePath(cacheDir, planCacheKey(resolved, (await moduleHash(resolved))!, 75));
    await execute(
      task,
      Array.from({ length: 75 }, () => 0),
      { ...options, cacheDir },
    );
    expect(existsSync(entry)).toBe(true);
    const costly = Array.from({ length: 75 }, () => 4);
    const results = stream<number>(task, costly, { ...options, cacheDir });
    const seen: number[] = [];
    for await (const { value } of results) seen.push(value);
    expect(seen).toEqual(costly);
    expect(results.optimized?.workloadSource).toBe("cached");
    expect(results.optimized?.warnings.map((w) => w.code)).toContain("PLAN_CACHE_CONTRADICTED");
    expect(existsSync(entry)).toBe(false);
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
