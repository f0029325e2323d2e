import { describe, expect, it } from "@jest/globals";
import { z } from "zod";
import {
  AmorsizeValidationError,
  ExecuteOptionsSchema,
  ExecutionReportSchema,
  ExecutorOptionsSchema,
  HardwareProfileSchema,
  isParsedFrozen,
  OptimizeOptionsSchema,
  PlanConstraintsSchema,
  PlanSchema,
  ProbeOptionsSchema,
  parseFrozen,
  parseInput,
  RunOptionsSchema,
  SampleOptionsSchema,
  SpawnCostOptionsSchema,
  SpawnCostProfileSchema,
  TaskRefSchema,
  taskRefOfSpec,
  WorkloadSampleSchema,
  withFrozenFields,
} from "../src/index.js";
import {
  hardwareExample,
  planExample,
  reportExample,
  spawnCostExample,
  workloadExample,
} from "./examples.js";

/** Parses and returns the `path: message` lines of the failure. */
function issuesOf(schema: z.ZodType, value: unknown, label = "input"): string[] {
  try {
    parseInput(schema, value, label);
  } catch (error) {
    expect(error).toBeInstanceOf(AmorsizeValidationError);
    return [...(error as AmorsizeValidationError).issues];
  }
  throw new Error("expected the input to be rejected");
}

const clone = <T>(value: T): T => structuredClone(value);

describe("realistic examples are accepted", () => {
  it.each([
    ["HardwareProfile", HardwareProfileSchema, hardwareExample],
    ["SpawnCostProfile", SpawnCostProfileSchema, spawnCostExample],
    ["WorkloadSample", WorkloadSampleSchema, workloadExample],
    ["Plan", PlanSchema, planExample],
    ["ExecutionReport", ExecutionReportSchema, reportExample],
  ] as const)("%s", (_name, schema, example) => {
    expect(schema.parse(example)).toEqual(example);
  });

  it("TaskRef fills the default export and accepts a URL", () => {
    expect(TaskRefSchema.parse({ module: "./hash.js" })).toEqual({ module: "./hash.js", export: "default" });
    const url = new URL("file:///tmp/hash.js");
    expect(TaskRefSchema.parse({ module: url, export: "sha256" })).toEqual({ module: url, export: "sha256" });
  });

  it("serial and concurrent plans are members of the union", () => {
    const {
      workers: _w,
      chunkSize: _c,
      maxInFlight: _m,
      adaptive: _a,
      ...common
    } = planExample as Extract<typeof planExample, { mode: "parallel" }>;
    expect(PlanSchema.parse({ ...common, mode: "serial" }).mode).toBe("serial");
    expect(PlanSchema.parse({ ...common, mode: "concurrent", concurrency: 16 }).mode).toBe("concurrent");
  });

  it("option objects accept their documented fields", () => {
    expect(() =>
      ProbeOptionsSchema.parse({ root: "/tmp/x", refresh: true, sampleLoad: false }),
    ).not.toThrow();
    expect(() => SpawnCostOptionsSchema.parse({ budgetMs: 500, cache: false, ttlMs: 1000 })).not.toThrow();
    expect(() => PlanConstraintsSchema.parse({ maxWorkers: 4, minSpeedup: 1.5 })).not.toThrow();
    // A chunk time-out is a constraint of the plan, so optimize() takes it as execute() does.
    expect(() => PlanConstraintsSchema.parse({ chunkTimeoutMs: 1000 })).not.toThrow();
    expect(() => OptimizeOptionsSchema.parse({ chunkTimeoutMs: 1000 })).not.toThrow();
    expect(() => ExecuteOptionsSchema.parse({ chunkTimeoutMs: 1000, onError: "collect" })).not.toThrow();
    expect(() =>
      ExecutorOptionsSchema.parse({ workers: 2, resourceLimits: { maxOldGenerationSizeMb: 64 } }),
    ).not.toThrow();
    expect(() =>
      RunOptionsSchema.parse({
        chunkSize: "auto",
        onError: "collect",
        signal: new AbortController().signal,
        onProgress: () => {},
      }),
    ).not.toThrow();
    expect(() => SampleOptionsSchema.parse({ minItems: 2, maxItems: 10, budgetMs: 50 })).not.toThrow();
    expect(() =>
      OptimizeOptionsSchema.parse({ maxWorkers: 2, sample: { maxItems: 5 }, cache: false }),
    ).not.toThrow();
    expect(() =>
      ExecuteOptionsSchema.parse({ maxWorkers: 2, onError: "collect", ordered: false }),
    ).not.toThrow();
  });
});

describe("malformed inputs are rejected with a message naming the path", () => {
  it("a wrong type names the field and the value", () => {
    const bad = clone(hardwareExample) as unknown as { cores: { logical: { value: unknown } } };
    bad.cores.logical.value = "two";
    expect(issuesOf(HardwareProfileSchema, bad, "hardware")).toEqual([
      'hardware.cores.logical.value: Invalid input: expected number, received string, got "two"',
    ]);
  });

  it("a missing field", () => {
    const { memory: _m, ...bad } = clone(hardwareExample);
    expect(issuesOf(HardwareProfileSchema, bad, "hardware")).toEqual([
      "hardware.memory: Invalid input: expected object, received undefined",
    ]);
  });

  it("a negative number", () => {
    expect(issuesOf(PlanConstraintsSchema, { maxWorkers: -1 }, "options")).toEqual([
      "options.maxWorkers: Too small: expected number to be >0, got -1",
    ]);
  });

  it("a non-integer", () => {
    expect(issuesOf(ExecutorOptionsSchema, { workers: 1.5 }, "options")).toEqual([
      "options.workers: Invalid input: expected int, received number, got 1.5",
    ]);
  });

  it("an unknown option is named, with the known one it was probably meant to be", () => {
    expect(issuesOf(RunOptionsSchema, { chunksize: 4 }, "options")).toEqual([
      'options: Unknown option "chunksize" (did you mean "chunkSize"?)',
    ]);
    expect(issuesOf(RunOptionsSchema, { somethingElse: 4 }, "options")).toEqual([
      'options: Unknown option "somethingElse"',
    ]);
  });

  it("a task's mistyped or missing key", () => {
    expect(issuesOf(TaskRefSchema, { module: "./t.mjs", exprt: "double" }, "task")).toEqual([
      'task: Unknown key "exprt" (did you mean "export"?)',
    ]);
    expect(issuesOf(TaskRefSchema, { modul: "./t.mjs" }, "task")).toEqual([
      "task.module: Required",
      'task: Unknown key "modul" (did you mean "module"?)',
    ]);
  });

  it("a task given as the function itself, or as the CLI's module#export string", () => {
    expect(issuesOf(TaskRefSchema, (x: number) => x * 2, "task")).toEqual([
      "task: Expected { module, export }, not the function itself: a worker thread cannot receive a function, " +
        'so export it from a module and name both, e.g. { module: new URL("./task.mjs", import.meta.url), export: "name" }, got a function',
    ]);
    expect(issuesOf(TaskRefSchema, "./tasks/fib.mjs#fib", "task")).toEqual([
      'task: Expected { module, export }, not a string ("module#export" is the CLI\'s form): write { module: "./tasks/fib.mjs", export: "fib" }, got "./tasks/fib.mjs#fib"',
    ]);
    // The last # splits, as a path may hold one.
    expect(issuesOf(TaskRefSchema, "./a#b/t.mjs#run", "task")[0]).toContain(
      'write { module: "./a#b/t.mjs", export: "run" }',
    );
    expect(issuesOf(TaskRefSchema, "./t.mjs", "task")).toEqual([
      'task: Expected { module, export }, not a string: write { module: "./t.mjs" } for its default export, got "./t.mjs"',
    ]);
    // A trailing or leading # names no export or no module: the plain string's advice.
    expect(issuesOf(TaskRefSchema, "./t.mjs#", "task")[0]).toContain('write { module: "./t.mjs#" }');
    // Anything else keeps zod's message.
    expect(issuesOf(TaskRefSchema, 42, "task")).toEqual([
      "task: Invalid input: expected object, received number, got 42",
    ]);
  });

  it("taskRefOfSpec reads the CLI's module#export form, split at the last #", () => {
    expect(taskRefOfSpec("./tasks/fib.mjs#fib")).toEqual({ module: "./tasks/fib.mjs", export: "fib" });
    expect(taskRefOfSpec("./a#b/t.mjs#run")).toEqual({ module: "./a#b/t.mjs", export: "run" });
    expect(taskRefOfSpec("./t.mjs")).toEqual({ module: "./t.mjs" });
    // A # at the start is part of the module; one at the end leaves an empty export for the caller to refuse.
    expect(taskRefOfSpec("#t")).toEqual({ module: "#t" });
    expect(taskRefOfSpec("./t.mjs#")).toEqual({ module: "./t.mjs", export: "" });
  });

  it("a wrong enum value", () => {
    expect(issuesOf(RunOptionsSchema, { onError: "ignore" }, "options")).toEqual([
      'options.onError: Invalid option: expected one of "throw"|"collect", got "ignore"',
    ]);
  });

  it("a non-function callback", () => {
    expect(issuesOf(RunOptionsSchema, { onProgress: 3 }, "options")).toEqual([
      "options.onProgress: Expected a progress callback (a function), got 3",
    ]);
  });

  it("an unknown plan mode", () => {
    const bad = { ...clone(planExample), mode: "gpu" };
    expect(issuesOf(PlanSchema, bad, "plan")).toEqual([
      "plan.mode: Invalid discriminator value. Expected 'serial' | 'concurrent' | 'parallel', got \"gpu\"",
    ]);
  });

  it("an estimated figure without a reason", () => {
    const bad = clone(spawnCostExample);
    bad.workerStart.fixedMs = { value: 30, provenance: "estimated", samples: 0, spread: null };
    expect(issuesOf(SpawnCostProfileSchema, bad, "profile")).toEqual([
      "profile.workerStart.fixedMs.reason: An estimated figure must say why (reason)",
    ]);
  });

  it("an unknown payload kind in the clone table", () => {
    const bad = clone(spawnCostExample) as unknown as { clone: Record<string, unknown> };
    bad.clone.bigint = bad.clone.number;
    expect(issuesOf(SpawnCostProfileSchema, bad, "profile")[0]).toMatch(/^profile\.clone/);
  });

  it("an empty module and an empty export", () => {
    expect(issuesOf(TaskRefSchema, { module: "", export: "" }, "task")).toEqual([
      'task.module: Expected a module path or file URL, got ""',
      'task.export: Too small: expected string to have >=1 characters, got ""',
    ]);
  });

  it("a module string with a scheme that is not a valid URL", () => {
    expect(issuesOf(TaskRefSchema, { module: "file://[bad" }, "task")).toEqual([
      'task.module: Expected a valid URL, got "file://[bad"',
    ]);
    expect(TaskRefSchema.safeParse({ module: "C:\\tasks\\fib.mjs" }).success).toBe(true);
  });

  it("a bad timestamp", () => {
    const bad = { ...clone(workloadExample) };
    const hw = { ...clone(hardwareExample), probedAt: "yesterday" };
    expect(issuesOf(HardwareProfileSchema, hw, "hardware")).toEqual([
      'hardware.probedAt: Invalid ISO datetime, got "yesterday"',
    ]);
    expect(WorkloadSampleSchema.safeParse({ ...bad, cpuToWall: Number.NaN }).success).toBe(false);
  });

  it("a utilisation above 1 and an error without a code", () => {
    const bad = { ...clone(reportExample), utilisation: 1.5 };
    bad.errors = [{ index: 1, range: null, code: "", message: "x" }];
    expect(issuesOf(ExecutionReportSchema, bad, "report")).toEqual([
      "report.utilisation: Too small: expected number to be <=1, got 1.5".replace("Too small", "Too big"),
      'report.errors[0].code: Too small: expected string to have >=1 characters, got ""',
    ]);
  });

  it("several problems give one line each and a combined message", () => {
    try {
      parseInput(PlanConstraintsSchema, { maxWorkers: 0, minSpeedup: 0.5 }, "options");
      throw new Error("not rejected");
    } catch (error) {
      const e = error as AmorsizeValidationError;
      expect(e.code).toBe("AMORSIZE_INVALID_INPUT");
      expect(e.name).toBe("AmorsizeValidationError");
      expect(e.issues).toHaveLength(2);
      expect(e.message).toBe(
        "Invalid input:\n  options.maxWorkers: Too small: expected number to be >0, got 0\n  options.minSpeedup: Too small: expected number to be >=1, got 0.5",
      );
      expect(e.cause).toBeDefined();
    }
  });
});

describe("parseFrozen()", () => {
  it("validates, freezes all the way down, and parseInput() then returns the value as it is", () => {
    const parsed = parseFrozen(HardwareProfileSchema, structuredClone(hardwareExample), "hardware");
    expect(parsed).toEqual(HardwareProfileSchema.parse(hardwareExample));
    expect(isParsedFrozen(HardwareProfileSchema, parsed)).toBe(true);
    expect(Object.isFrozen(parsed)).toBe(true);
    expect(Object.isFrozen(parsed.cores)).toBe(true);
    expect(Object.isFrozen(parsed.cores.usable)).toBe(true);
    expect(() => {
      (parsed.cores.usable as { value: number }).value = -1;
    }).toThrow(TypeError);
    expect(parseInput(HardwareProfileSchema, parsed, "hardware")).toBe(parsed);
    // Noted for its own schema only.
    expect(isParsedFrozen(SpawnCostProfileSchema, parsed)).toBe(false);
  });

  it("freezes arrays and what they hold, and leaves one holding a typed array unfrozen", () => {
    const schema = z.object({ rows: z.array(z.object({ k: z.number() })), ns: z.array(z.number()) });
    const parsed = parseFrozen(schema, { rows: [{ k: 1 }, { k: 2 }], ns: [1, 2, 3] }, "value");
    expect(Object.isFrozen(parsed.rows)).toBe(true);
    expect(Object.isFrozen(parsed.rows[1])).toBe(true);
    expect(Object.isFrozen(parsed.ns)).toBe(true);
    const typed = z.object({ list: z.array(z.unknown()) });
    const kept = parseFrozen(typed, { list: [1, new Uint8Array(1)] }, "value");
    expect(isParsedFrozen(typed, kept)).toBe(false);
    expect(Object.isFrozen(kept.list)).toBe(false);
  });

  it("rejects a bad value as parseInput() does, and notes nothing", () => {
    const bad = { ...structuredClone(hardwareExample), cores: "many" };
    expect(() => parseFrozen(HardwareProfileSchema, bad, "hardware")).toThrow(AmorsizeValidationError);
    expect(isParsedFrozen(HardwareProfileSchema, bad)).toBe(false);
  });

  it("leaves a value holding something other than plain data unfrozen and unnoted", () => {
    const schema = z.object({ bytes: z.instanceof(Uint8Array), n: z.object({ k: z.number() }) });
    const parsed = parseFrozen(schema, { bytes: new Uint8Array(2), n: { k: 1 } }, "value");
    expect(isParsedFrozen(schema, parsed)).toBe(false);
    expect(Object.isFrozen(parsed)).toBe(false);
    expect(Object.isFrozen(parsed.n)).toBe(false);
  });
});

describe("withFrozenFields()", () => {
  const frozen = () => parseFrozen(WorkloadSampleSchema, structuredClone(workloadExample), "workload");

  it("replaces the patched fields, validated, and the copy is frozen and noted as parseFrozen's are", () => {
    const base = frozen();
    const patched = withFrozenFields(WorkloadSampleSchema, base, { totalItems: 7, sampled: 3 }, "workload");
    expect(patched).toEqual({ ...WorkloadSampleSchema.parse(workloadExample), totalItems: 7, sampled: 3 });
    expect(isParsedFrozen(WorkloadSampleSchema, patched)).toBe(true);
    expect(Object.isFrozen(patched)).toBe(true);
    expect(parseInput(WorkloadSampleSchema, patched, "workload")).toBe(patched);
    // The original is untouched.
    expect(base.totalItems).toBe(workloadExample.totalItems);
    const nested = withFrozenFields(
      WorkloadSampleSchema,
      base,
      { inputBytes: { mean: 2, max: 3 } },
      "workload",
    );
    expect(Object.isFrozen(nested.inputBytes)).toBe(true);
  });

  it("rejects a bad field naming it, and a value parseFrozen() did not return", () => {
    const base = frozen();
    expect(() => withFrozenFields(WorkloadSampleSchema, base, { totalItems: -1 }, "workload")).toThrow(
      "workload.totalItems: Too small: expected number to be >=0, got -1",
    );
    expect(() => withFrozenFields(WorkloadSampleSchema, base, { sideways: 1 } as never, "workload")).toThrow(
      "workload.sideways: not a field of this schema",
    );
    const plain = WorkloadSampleSchema.parse(workloadExample);
    expect(() => withFrozenFields(WorkloadSampleSchema, plain, { totalItems: 1 }, "workload")).toThrow(
      "workload: not a value parseFrozen() returned for this schema",
    );
  });
});
