// The demo run once, end to end, on a twentieth of its data: what it prints and what it returns
// hold on any machine, however loaded. The decisions it shows are checked on fixed figures
// in plans.test.ts.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createExecutor, type Executor } from "@amorsize/executor";
import { probeHardware } from "@amorsize/hardware-probe";
import { planSummary, sampleTask } from "@amorsize/optimizer";
import { cacheFilePath, machineKeyFor, writeCache } from "@amorsize/spawn-cost";
import { HardwareProfileSchema, PlanSchema, SpawnCostProfileSchema } from "@amorsize/types";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { type DemoRun, runDemo, type WorkloadRun } from "../src/demo.js";
import { TASKS, workloads } from "../src/workloads.js";
import { referenceSpawnCost } from "./fixtures/reference-machine.js";

const SCALE = 0.05;

let cacheDir: string;
let demo: DemoRun;
/** What the demo printed, line by line (the table comes as one multi-line string). */
let lines: string[];

beforeAll(async () => {
  cacheDir = mkdtempSync(join(tmpdir(), "amorsize-demo-test-"));
  // The reference machine's costs, cached under this machine's key: the demo finds them as
  // every run after the first does, and the test spends no CPU timing pool starts.
  const key = machineKeyFor(await probeHardware());
  // Recorded at a load between the bands (0.7 per core), so it is read whatever the load now.
  const cached = {
    ...referenceSpawnCost,
    machineKey: key,
    measuredAt: new Date().toISOString(),
    loadPerCore: 0.7,
  };
  await writeCache(cacheFilePath(cacheDir), key, cached);
  const printed: string[] = [];
  demo = await runDemo({ scale: SCALE, say: (line) => printed.push(line), cacheDir });
  lines = printed.join("\n").split("\n");
}, 120_000);
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

// Module-level bindings: under Jest each lookup of a global such as `Object` costs about a
// microsecond, which the comparison below would pay for every number.
const { is } = Object;
const { isArray } = Array;

const show = (x: unknown) => (is(x, -0) ? "-0" : String(x));

/**
 * Where two results first differ (Object.is on every number), or undefined: Jest's own
 * deep equality takes seconds on the payloads' numbers.
 */
function firstDifference(actual: unknown, expected: unknown): string | undefined {
  if (is(actual, expected)) return undefined;
  if (typeof actual !== "object" || typeof expected !== "object" || actual === null || expected === null)
    return `: ${show(actual)}, expected ${show(expected)}`;
  if (isArray(expected)) {
    if (!isArray(actual)) return ": not an array";
    if (actual.length !== expected.length) return `: ${actual.length} entries, expected ${expected.length}`;
    for (let i = 0; i < expected.length; i++) {
      const difference = firstDifference(actual[i], expected[i]);
      if (difference !== undefined) return `[${i}]${difference}`;
    }
    return undefined;
  }
  const a = actual as Record<string, unknown>;
  const e = expected as Record<string, unknown>;
  const keys = Object.keys(e);
  if (Object.keys(a).length !== keys.length) return `: keys ${Object.keys(a)}, expected ${keys}`;
  for (const key of keys) {
    const difference = firstDifference(a[key], e[key]);
    if (difference !== undefined) return `.${key}${difference}`;
  }
  return undefined;
}

describe("firstDifference, the comparison the tests below rely on", () => {
  it("names the first place that differs, and nothing for equal results", () => {
    expect(firstDifference([[1, Number.NaN], { a: 3 }], [[1, Number.NaN], { a: 3 }])).toBeUndefined();
    expect(firstDifference([[1, 2], { a: 3 }], [[1, 2.5], { a: 3 }])).toBe("[0][1]: 2, expected 2.5");
    expect(firstDifference([{ a: 3 }], [{ a: 4 }])).toBe("[0].a: 3, expected 4");
    expect(firstDifference([0], [-0])).toBe("[0]: 0, expected -0");
    expect(firstDifference([1, 2], [1, 2, 3])).toBe(": 2 entries, expected 3");
    expect(firstDifference([{ a: 1 }], [[1]])).toBe("[0]: not an array");
    expect(firstDifference({ a: 1 }, { a: 1, b: 2 })).toBe(": keys a, expected a,b");
  });
});

const runOf = (name: string): WorkloadRun => demo.workloads.find((w) => w.workload.name === name)!;

describe("the demo on a twentieth of its data", () => {
  it("prints both parts, every step and every workload, in order", () => {
    const items = (name: string) => runOf(name).items;
    const expected = [
      'Part 1: the packages, one call each, on "heavy skewed"',
      "1. @amorsize/hardware-probe  probeHardware()  ",
      "2. @amorsize/spawn-cost      measureSpawnCost()  ",
      "3. @amorsize/optimizer       sampleTask(task, items, { cold: true })  ",
      "4. @amorsize/cost-model      planExecution()  ",
      "   | Plan: ",
      "5. @amorsize/executor        createExecutor() + map()",
      `   ${items("heavy skewed")} results in `,
      "Part 2: execute() on each built-in workload",
      "workload ",
      ...workloads.map((w) => `${w.name}  `),
      "Why each plan:",
      ...workloads.map((w) => `  ${w.name} (${w.description}):`),
      '"measured" is the run itself',
      "Demo finished in ",
    ];
    // Each line is looked for after the previous one: the list found is the list expected, in order.
    const found: string[] = [];
    let from = 0;
    for (const start of expected) {
      const at = lines.findIndex((line, i) => i >= from && line.startsWith(start));
      if (at < 0) continue;
      found.push(start);
      from = at + 1;
    }
    expect(found).toEqual(expected);
  });

  it("part 1: the hardware and spawn-cost profiles are schema-valid, every figure with its source", () => {
    const { hardware, spawnCost } = demo.stepByStep;
    // The schemas require a source on every hardware figure and a provenance on every cost.
    expect(HardwareProfileSchema.parse(hardware)).toEqual(hardware);
    expect(SpawnCostProfileSchema.parse(spawnCost)).toEqual(spawnCost);
    const text = lines.join("\n");
    expect(text).toContain(`(bounded by ${hardware.cores.usable.source})`);
    // Read from the test's cache folder, which the demo was given.
    expect(spawnCost.source).toBe("cached");
    expect(text).toMatch(/measureSpawnCost\(\) +[\d.]+ ms \(cached\)/);
  });

  it("part 1: the plan is valid and the executor's run returns the serial loop's results", () => {
    const { workload, plan, results, report } = demo.stepByStep;
    const serial = runOf(workload.name).serial.results;
    expect(PlanSchema.parse(plan)).toEqual(plan);
    expect(plan.totalItems).toBe(serial.length);
    expect(firstDifference(results, serial)).toBeUndefined();
    expect(report.failed).toBe(0);
  });

  it.each(workloads.map((w) => [w.name]))(
    "part 2, %s: execute() returns the serial loop's results, with a valid plan whose reasons are printed",
    (name) => {
      const run = runOf(name);
      const { results, errors, plan, optimized, report } = run.result;
      expect(run.items).toBeGreaterThan(0);
      expect(run.serial.results).toHaveLength(run.items);
      expect(firstDifference(results, run.serial.results)).toBeUndefined();
      expect(errors).toEqual([]);
      expect(report.failed).toBe(0);
      expect(PlanSchema.parse(plan)).toEqual(plan);
      expect(optimized.workload.totalItems).toBe(run.items);
      expect(plan.reasons.length).toBeGreaterThan(0);
      for (const r of plan.reasons) expect(lines).toContain(`    ${r.code}: ${r.message}`);
      const row = lines.find((line) => line.startsWith(`${name}  `));
      expect(row).toContain(`  ${planSummary(plan)}  `);
    },
  );
});

describe("the packages composed by hand on a forced parallel run", () => {
  let executor: Executor;
  beforeAll(() => {
    executor = createExecutor({ mode: "parallel", workers: 2 });
  });
  afterAll(() => executor.close());

  it.each(workloads.map((w) => [w.name, w] as const))(
    "%s: the sampled items' results merged with the workers' equal the serial loop's",
    async (name, workload) => {
      const task = { module: TASKS, export: workload.exportName };
      const items = workload.data(SCALE);
      const sample = await sampleTask(task, items);
      expect(sample.precomputed.size).toBeGreaterThan(0);
      // Eight chunks: enough for both workers, few enough that the tiny items do not take seconds.
      const { results, report } = await executor.map(task, sample.data, {
        chunkSize: Math.ceil(items.length / 8),
        precomputed: sample.precomputed,
      });
      expect(report).toMatchObject({ mode: "parallel", workers: 2, failed: 0 });
      expect(firstDifference(results, runOf(name).serial.results)).toBeUndefined();
    },
  );
});

describe("the demo's data", () => {
  it.each(workloads.map((w) => [w.name, w] as const))(
    "%s: the same items on every call",
    (_name, workload) => {
      expect(firstDifference(workload.data(SCALE), workload.data(SCALE))).toBeUndefined();
    },
  );
});
