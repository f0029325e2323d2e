import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execute, optimize } from "@amorsize/optimizer";
import { PlanSchema } from "@amorsize/types";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { TASKS, workloads } from "../src/workloads.js";

let cacheDir: string;
beforeAll(() => {
  cacheDir = mkdtempSync(join(tmpdir(), "amorsize-demo-test-"));
});
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

describe.each(workloads.map((w) => [w.name, w] as const))("demo workload %s", (_name, workload) => {
  const items = workload.data(0.1);

  it("has deterministic data", () => {
    expect(workload.data(0.1)).toEqual(items);
  });

  it("gets a valid plan from optimize()", async () => {
    const { plan } = await optimize({ module: TASKS, export: workload.exportName }, items, { cacheDir });
    expect(PlanSchema.parse(plan)).toEqual(plan);
    expect(plan.totalItems).toBe(items.length);
  });

  it("gives the same output as a serial map through execute()", async () => {
    const module = (await import(TASKS)) as Record<string, (x: unknown) => unknown>;
    const expected = items.map((item) => module[workload.exportName]!(item));
    const { results, report } = await execute({ module: TASKS, export: workload.exportName }, items, {
      cacheDir,
      cache: false,
    });
    expect(results).toEqual(expected);
    expect(report.failed).toBe(0);
  });

  it("gives the same output on a forced parallel run (sampled results merged with the workers')", async () => {
    const module = (await import(TASKS)) as Record<string, (x: unknown) => unknown>;
    const expected = items.map((item) => module[workload.exportName]!(item));
    const { results, plan } = await execute({ module: TASKS, export: workload.exportName }, items, {
      cacheDir,
      cache: false,
      workers: 2,
      chunkSize: 7,
      minSpeedup: 1,
    });
    // Heavy items are worth two workers even at a tenth of the demo's size; tiny items
    // and large payloads stay serial whatever the constraints, which is the right call.
    if (workload.name.startsWith("heavy"))
      expect(plan).toMatchObject({ mode: "parallel", workers: 2, chunkSize: 7 });
    expect(results).toEqual(expected);
  });
});
