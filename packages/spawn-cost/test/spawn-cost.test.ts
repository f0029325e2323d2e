import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  AmorsizeValidationError,
  HardwareProfileSchema,
  parseFrozen,
  type SpawnCostOptions,
  type SpawnCostProfile,
  SpawnCostProfileSchema,
} from "@amorsize/types";
import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import type { MeasureOutcome } from "../src/assemble.js";
import {
  cacheFilePath,
  estimatedSpawnCost,
  machineKeyFor,
  measureSpawnCost,
  readCache,
  resolveSpawnCostOptions,
  SPAWN_COST_DEFAULTS,
  SPAWN_COST_ESTIMATES,
  SpawnCostWarningCode,
  writeCache,
} from "../src/index.js";
import type { MeasurePlan } from "../src/measure.js";
import { measureSpawnCostWith } from "../src/spawn-cost.js";
import { hardwareFixture } from "./hardware-fixture.js";
import {
  allFigures,
  estimatedOutcomeFixture,
  measuredOutcomeFixture,
  measuredProfileFixture,
} from "./profile-fixture.js";

const HOUR = 60 * 60 * 1000;
const childScript = fileURLToPath(new URL("./fixtures/measure-child.mjs", import.meta.url));
/** Handle types a leaked pool would leave behind. */
const POOL_HANDLES = ["Worker", "MessagePort", "Timeout"];
const key = machineKeyFor();

let dir: string;
let file: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "amorsize-spawn-cost-"));
  file = cacheFilePath(dir);
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A measurement that returns fixed figures at once and remembers what it was asked. */
function fakeMeasurement(outcome: MeasureOutcome = measuredOutcomeFixture(key)) {
  const plans: MeasurePlan[] = [];
  return {
    plans,
    measure: async (plan: MeasurePlan) => {
      plans.push(plan);
      return structuredClone(outcome);
    },
  };
}

/** measureSpawnCost(options) with the fake measurement in place of the real one. */
function measureWith(options: SpawnCostOptions, fake = fakeMeasurement()): Promise<SpawnCostProfile> {
  return measureSpawnCostWith(resolveSpawnCostOptions(options), fake.measure);
}

/** Runs the built package in a child process; kills it (and reports so) if it has not exited after 60 s. */
function runChild(
  options: object,
  outcome?: MeasureOutcome,
): Promise<{ code: number | null; killed: boolean; stdout: string; stderr: string }> {
  const args = [childScript, JSON.stringify(options), ...(outcome ? [JSON.stringify(outcome)] : [])];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let killed = false;
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk;
    });
    // Not a speed bound: a child that is still alive after a minute has a handle keeping it alive.
    const timer = setTimeout(() => {
      killed = true;
      child.kill("SIGKILL");
    }, 60_000);
    child.on("error", reject);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, killed, stdout, stderr });
    });
  });
}

function parseChild(stdout: string): { profile: SpawnCostProfile; resources: string[] } {
  return JSON.parse(stdout) as { profile: SpawnCostProfile; resources: string[] };
}

describe("measureSpawnCost on this machine", () => {
  it("lets a process that measured exit on its own, with a schema-valid profile", async () => {
    const child = await runChild({ cacheDir: dir, budgetMs: 300 });
    expect({ code: child.code, killed: child.killed, stderr: child.stderr }).toEqual({
      code: 0,
      killed: false,
      stderr: "",
    });
    const { profile, resources } = parseChild(child.stdout);
    expect(SpawnCostProfileSchema.parse(profile)).toEqual(profile);
    expect(profile.machineKey).toEqual(key);
    expect(resources.filter((r) => POOL_HANDLES.includes(r))).toEqual([]);
  });

  it("uses the cache folder from the environment when no options are given", async () => {
    await writeCache(file, key, measuredProfileFixture(key));
    const saved = process.env.AMORSIZE_CACHE_DIR;
    process.env.AMORSIZE_CACHE_DIR = dir;
    try {
      const profile = await measureSpawnCost();
      expect(profile.source).toBe("cached");
      expect(profile.cachePath).toBe(file);
    } finally {
      if (saved === undefined) delete process.env.AMORSIZE_CACHE_DIR;
      else process.env.AMORSIZE_CACHE_DIR = saved;
    }
  });
});

describe("the profile of a measurement", () => {
  it("measures with the budget and pool sizes of the options, and returns the figures as measured", async () => {
    const fake = fakeMeasurement();
    const profile = await measureWith({ cache: false, budgetMs: 1234, maxWorkers: 4 }, fake);
    // The pace rounds run on as many workers as the key's usable cores.
    expect(fake.plans).toEqual([{ budgetMs: 1234, maxWorkers: 4, cores: key.usableCores }]);
    expect(SpawnCostProfileSchema.parse(profile)).toEqual(profile);
    const { workerStart, dispatch, pace, clone, warnings } = measuredOutcomeFixture(key);
    expect(profile).toMatchObject({
      schemaVersion: 1,
      source: "measured",
      cachePath: null,
      machineKey: key,
      workerStart,
      dispatch,
      pace,
      clone,
      warnings,
    });
    expect(profile.durationMs).toBeGreaterThanOrEqual(0);
    expect(Number.isNaN(Date.parse(profile.measuredAt))).toBe(false);
  });

  it("is estimated, not cached, and says so, when nothing could be measured", async () => {
    const outcome = estimatedOutcomeFixture(key, "measuring failed: fixture");
    const profile = await measureWith({ cacheDir: dir }, fakeMeasurement(outcome));
    expect(SpawnCostProfileSchema.parse(profile)).toEqual(profile);
    expect(profile.source).toBe("estimated");
    expect(profile.cachePath).toBeNull();
    expect(profile.warnings.map((w) => w.code)).toEqual([
      SpawnCostWarningCode.measurementFailed,
      SpawnCostWarningCode.notCached,
    ]);
    expect(existsSync(file)).toBe(false);
  });

  it("falls back to the documented estimates, without throwing, when the measurement throws", async () => {
    const profile = await measureSpawnCostWith(resolveSpawnCostOptions({ cache: false }), async () => {
      throw new Error("fixture: no measurement");
    });
    expect(SpawnCostProfileSchema.parse(profile)).toEqual(profile);
    expect(profile.dispatch.latencyUs).toEqual({
      value: SPAWN_COST_ESTIMATES.dispatch.latencyUs,
      provenance: "estimated",
      reason: "measuring failed: fixture: no measurement",
      samples: 0,
      spread: null,
    });
    expect(profile.warnings).toEqual([
      { code: SpawnCostWarningCode.measurementFailed, message: "measuring failed: fixture: no measurement" },
    ]);
  });

  it("falls back to the documented estimates when the measured figures fail the schema", async () => {
    const outcome = measuredOutcomeFixture(key);
    outcome.dispatch.latencyUs.value = -1;
    const profile = await measureWith({ cache: false }, fakeMeasurement(outcome));
    expect(profile.source).toBe("estimated");
    expect(profile.warnings).toEqual([
      {
        code: SpawnCostWarningCode.measurementFailed,
        message: expect.stringMatching(/^the measured profile failed its schema: /),
      },
    ]);
  });
});

describe("the cache", () => {
  async function expectReplacedWithMeasured(profile: SpawnCostProfile, warningCode: string) {
    expect(profile.source).toBe("measured");
    expect(profile.cachePath).toBe(file);
    expect(profile.warnings.map((w) => w.code)).toContain(warningCode);
    const read = await readCache(file, profile.machineKey, SPAWN_COST_DEFAULTS.ttlMs);
    expect(read.status).toBe("hit");
    // The file holds the measurement; the warning about the old file is for this call only.
    expect(read.status === "hit" && read.profile).toEqual({
      ...profile,
      warnings: profile.warnings.filter((w) => w.code !== warningCode),
    });
  }

  it("stores a cold measurement and returns it from the cache afterwards, marked cached", async () => {
    const fake = fakeMeasurement();
    const cold = await measureWith({ cacheDir: dir }, fake);
    expect(cold.source).toBe("measured");
    expect(cold.cachePath).toBe(file);
    expect(readdirSync(dir)).toEqual(["spawn-cost-v1.json"]);
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ key, profile: cold });

    const warm = await measureWith({ cacheDir: dir }, fake);
    expect(fake.plans).toHaveLength(1);
    expect(warm.source).toBe("cached");
    expect(warm.cachePath).toBe(file);
    expect(warm.measuredAt).toBe(cold.measuredAt);
    expect(warm.warnings).toEqual(cold.warnings);
    const coldFigures = allFigures(cold);
    allFigures(warm).forEach(([name, figure], i) => {
      const [, original] = coldFigures[i]!;
      const provenance = original.provenance === "measured" ? "cached" : original.provenance;
      expect([name, figure]).toEqual([name, { ...original, provenance }]);
    });
  });

  it("ignores a corrupt file, measures again and replaces it", async () => {
    writeFileSync(file, "{ this is not json");
    const fake = fakeMeasurement();
    const profile = await measureWith({ cacheDir: dir }, fake);
    expect(fake.plans).toHaveLength(1);
    await expectReplacedWithMeasured(profile, SpawnCostWarningCode.cacheInvalid);
  });

  it("ignores a truncated file, measures again and replaces it", async () => {
    await writeCache(file, key, measuredProfileFixture(key));
    const text = readFileSync(file, "utf8");
    writeFileSync(file, text.slice(0, text.length - 40));
    const profile = await measureWith({ cacheDir: dir });
    await expectReplacedWithMeasured(profile, SpawnCostWarningCode.cacheInvalid);
  });

  it("ignores a file of another machine key (here: the probe's quota), measures again and replaces it", async () => {
    await writeCache(file, key, measuredProfileFixture(key));
    const hardware = hardwareFixture(1, 1.5);
    const profile = await measureWith({ cacheDir: dir, hardware });
    expect(profile.machineKey).toMatchObject({
      cpuModel: "Fixture CPU @ 3.0GHz",
      logicalCores: 8,
      usableCores: 1,
      quotaCpus: 1.5,
    });
    const warning = profile.warnings.find((w) => w.code === SpawnCostWarningCode.cacheForeign);
    expect(warning?.message).toContain("quotaCpus null (here 1.5)");
    await expectReplacedWithMeasured(profile, SpawnCostWarningCode.cacheForeign);
  });

  it("honours ttlMs: a two-hour-old file is a hit by default and expired with a one-hour time-to-live", async () => {
    const fixture = measuredProfileFixture(key, new Date(Date.now() - 2 * HOUR).toISOString());
    await writeCache(file, key, fixture);
    const fake = fakeMeasurement();
    const hit = await measureWith({ cacheDir: dir }, fake);
    expect(hit.source).toBe("cached");
    expect(hit.dispatch.latencyUs).toEqual({ ...fixture.dispatch.latencyUs, provenance: "cached" });
    expect(fake.plans).toHaveLength(0);

    const profile = await measureWith({ cacheDir: dir, ttlMs: HOUR }, fake);
    expect(fake.plans).toHaveLength(1);
    const warning = profile.warnings.find((w) => w.code === SpawnCostWarningCode.cacheExpired);
    expect(warning?.message).toContain("older than the 3600000 ms time-to-live");
    await expectReplacedWithMeasured(profile, SpawnCostWarningCode.cacheExpired);
  });

  it("measures without caching, with a warning, when the folder cannot be created", async () => {
    // Tests run as root, where permission bits do not stop a write: a folder under a file cannot exist at all.
    const blocker = path.join(dir, "a-file");
    writeFileSync(blocker, "not a folder");
    const profile = await measureWith({ cacheDir: path.join(blocker, "sub") });
    expect(profile.source).toBe("measured");
    expect(profile.cachePath).toBeNull();
    expect(profile.warnings).toContainEqual({
      code: SpawnCostWarningCode.cacheUnwritable,
      message: expect.stringMatching(/^Could not write the cache file .*a-file\/sub\/spawn-cost-v1\.json \(/),
    });
    expect(readFileSync(blocker, "utf8")).toBe("not a folder");
  });

  it("keeps a profile it could not write in memory, so the next call does not measure again", async () => {
    const blocker = path.join(dir, "a-file");
    writeFileSync(blocker, "not a folder");
    const cacheDir = path.join(blocker, "kept");
    const fake = fakeMeasurement();
    const first = await measureWith({ cacheDir }, fake);
    expect(first.source).toBe("measured");
    const second = await measureWith({ cacheDir }, fake);
    expect(fake.plans).toHaveLength(1);
    expect(second.source).toBe("cached");
    expect(second.cachePath).toBeNull();
    expect(second.dispatch.latencyUs).toEqual({ ...first.dispatch.latencyUs, provenance: "cached" });
    expect(second.warnings.map((w) => w.code)).toEqual([
      ...first.warnings.map((w) => w.code),
      SpawnCostWarningCode.keptInMemory,
    ]);
    // Another folder or a refresh measures again.
    await measureWith({ cacheDir: path.join(blocker, "other") }, fake);
    await measureWith({ cacheDir, refresh: true }, fake);
    expect(fake.plans).toHaveLength(3);
  });

  it("never touches the disk with cache: false", async () => {
    const fixture = measuredProfileFixture(key);
    await writeCache(file, key, fixture);
    const before = readFileSync(file, "utf8");
    const fake = fakeMeasurement();
    const profile = await measureWith({ cacheDir: dir, cache: false }, fake);
    expect(fake.plans).toHaveLength(1);
    expect(profile.source).toBe("measured");
    expect(profile.cachePath).toBeNull();
    expect(readFileSync(file, "utf8")).toBe(before);
    expect(readdirSync(dir)).toEqual(["spawn-cost-v1.json"]);
    await measureWith({ cacheDir: path.join(dir, "never"), cache: false });
    expect(existsSync(path.join(dir, "never"))).toBe(false);
  });

  it("with refresh: true ignores a valid file but replaces it", async () => {
    const fixture = measuredProfileFixture(key, new Date(Date.now() - HOUR).toISOString());
    await writeCache(file, key, fixture);
    const fake = fakeMeasurement();
    const profile = await measureWith({ cacheDir: dir, refresh: true }, fake);
    expect(fake.plans).toHaveLength(1);
    expect(profile.source).toBe("measured");
    expect(profile.measuredAt).not.toBe(fixture.measuredAt);
    expect(profile.warnings.map((w) => w.code)).not.toContain(SpawnCostWarningCode.cacheInvalid);
    expect(await readCache(file, key, SPAWN_COST_DEFAULTS.ttlMs)).toEqual({ status: "hit", profile });
  });

  it("leaves one valid file, one of the two profiles, when two processes write it at once", async () => {
    const outcome = measuredOutcomeFixture(key);
    const [a, b] = await Promise.all([
      runChild({ cacheDir: dir, refresh: true }, outcome),
      runChild({ cacheDir: dir, refresh: true }, outcome),
    ]);
    for (const child of [a, b])
      expect({ code: child.code, killed: child.killed, stderr: child.stderr }).toEqual({
        code: 0,
        killed: false,
        stderr: "",
      });
    const profiles = [parseChild(a.stdout).profile, parseChild(b.stdout).profile];
    for (const profile of profiles) expect(profile.cachePath).toBe(file);
    expect(
      profiles[0]!.measuredAt === profiles[1]!.measuredAt &&
        profiles[0]!.durationMs === profiles[1]!.durationMs,
    ).toBe(false);
    const read = await readCache(file, key, SPAWN_COST_DEFAULTS.ttlMs);
    expect(read.status).toBe("hit");
    const stored = read.status === "hit" ? read.profile : null;
    expect([profiles[0], profiles[1]]).toContainEqual(stored);
    expect(readdirSync(dir)).toEqual(["spawn-cost-v1.json"]);
  });
});

describe("options", () => {
  it.each([
    [{ budgetMs: -1 }, "options.budgetMs: Too small: expected number to be >0, got -1"],
    [{ budgetMs: 1.5 }, "options.budgetMs: Invalid input: expected int, received number, got 1.5"],
    [{ budgetMs: 700_000 }, "options.budgetMs: Too big: expected number to be <=600000, got 700000"],
    [{ cache: "yes" }, 'options.cache: Invalid input: expected boolean, received string, got "yes"'],
    [{ refresh: 1 }, "options.refresh: Invalid input: expected boolean, received number, got 1"],
    [{ cacheDir: "" }, 'options.cacheDir: Too small: expected string to have >=1 characters, got ""'],
    [{ ttlMs: 0 }, "options.ttlMs: Too small: expected number to be >0, got 0"],
    [{ maxWorkers: 0 }, "options.maxWorkers: Too small: expected number to be >0, got 0"],
    [{ maxWorkers: 257 }, "options.maxWorkers: Too big: expected number to be <=256, got 257"],
    [{ budget: 600 }, 'options: Unknown option "budget" (did you mean "budgetMs"?)'],
    [{ hardware: { schemaVersion: 1 } }, expect.stringContaining("options.hardware.probedAt: ")],
    [5, "options: Invalid input: expected object, received number, got 5"],
    [null, "options: Invalid input: expected object, received null, got null"],
  ])("rejects %j", async (options, message) => {
    const error = await measureSpawnCost(options as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AmorsizeValidationError);
    expect(error).toMatchObject({ code: "AMORSIZE_INVALID_INPUT", message });
  });

  it("takes a hardware profile validated and frozen once as it is, and still checks the other options", () => {
    const hardware = parseFrozen(HardwareProfileSchema, hardwareFixture(6, null), "hardware");
    expect(resolveSpawnCostOptions({ hardware, cacheDir: "/c" })).toMatchObject({
      maxWorkers: 7,
      cacheDir: "/c",
    });
    expect(() => resolveSpawnCostOptions({ hardware, budgetMs: -1 })).toThrow(
      "options.budgetMs: Too small: expected number to be >0, got -1",
    );
    expect(() => resolveSpawnCostOptions({ hardware, budget: 600 } as never)).toThrow(
      'options: Unknown option "budget"',
    );
    // A profile not frozen by parseFrozen is validated whole, however it was made.
    const broken = { ...hardwareFixture(6, null), probedAt: 5 };
    expect(() => resolveSpawnCostOptions({ hardware: broken } as never)).toThrow(
      "options.hardware.probedAt: ",
    );
  });

  it("fills in the defaults, maxWorkers from the usable cores", () => {
    const resolved = resolveSpawnCostOptions({}, { AMORSIZE_CACHE_DIR: "/tmp/amorsize-x" });
    expect(resolved).toEqual({
      budgetMs: 600,
      cache: true,
      refresh: false,
      cacheDir: "/tmp/amorsize-x",
      ttlMs: 7 * 24 * HOUR,
      maxWorkers: Math.max(3, os.availableParallelism() + 1),
      machineKey: machineKeyFor(),
    });
    expect(resolveSpawnCostOptions({ hardware: hardwareFixture(6, null) }).maxWorkers).toBe(7);
    expect(resolveSpawnCostOptions({ hardware: hardwareFixture(1, 1) }).maxWorkers).toBe(3);
    expect(resolveSpawnCostOptions({ maxWorkers: 2, cacheDir: "/c" })).toMatchObject({
      maxWorkers: 2,
      cacheDir: "/c",
    });
  });

  it("keys the cache with the hardware profile when one is given", () => {
    expect(machineKeyFor(hardwareFixture(3, 2.5))).toEqual({
      cpuModel: "Fixture CPU @ 3.0GHz",
      logicalCores: 8,
      usableCores: 3,
      quotaCpus: 2.5,
      platform: process.platform,
      arch: process.arch,
      node: process.versions.node,
      tinypool: JSON.parse(
        readFileSync(createRequire(import.meta.url).resolve("tinypool/package.json"), "utf8"),
      ).version,
    });
  });
});

describe("estimatedSpawnCost", () => {
  it("is the documented fallback, every figure estimated with the reason", () => {
    const key = machineKeyFor();
    const profile = estimatedSpawnCost(key, "no workers here");
    expect(SpawnCostProfileSchema.parse(profile)).toEqual(profile);
    expect(profile).toMatchObject({ source: "estimated", cachePath: null, machineKey: key });
    expect(profile.warnings).toEqual([
      { code: SpawnCostWarningCode.measurementFailed, message: "no workers here" },
    ]);
    for (const [name, figure] of allFigures(profile)) {
      expect([name, figure.provenance, figure.reason, figure.samples, figure.spread]).toEqual([
        name,
        "estimated",
        "no workers here",
        0,
        null,
      ]);
    }
    expect(profile.workerStart.fixedMs.value).toBe(SPAWN_COST_ESTIMATES.workerStart.fixedMs);
    expect(profile.workerStart.perWorkerMs.value).toBe(SPAWN_COST_ESTIMATES.workerStart.perWorkerMs);
    expect(profile.dispatch.throughputUs.value).toBe(SPAWN_COST_ESTIMATES.dispatch.throughputUs);
    for (const [kind, cost] of Object.entries(profile.clone)) {
      const estimate = SPAWN_COST_ESTIMATES.clone[kind as keyof typeof SPAWN_COST_ESTIMATES.clone];
      expect([kind, cost.perItemUs.value, cost.perByteNs.value]).toEqual([
        kind,
        estimate.perItemUs,
        estimate.perByteNs,
      ]);
    }
  });

  it("validates its inputs", () => {
    const invalid = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        return error;
      }
      throw new Error("expected a validation error");
    };
    const badKey = invalid(() => estimatedSpawnCost({ ...machineKeyFor(), logicalCores: 0 }, "why"));
    expect(badKey).toBeInstanceOf(AmorsizeValidationError);
    expect(badKey).toMatchObject({
      message: "machineKey.logicalCores: Too small: expected number to be >0, got 0",
    });
    const badReason = invalid(() => estimatedSpawnCost(machineKeyFor(), ""));
    expect(badReason).toBeInstanceOf(AmorsizeValidationError);
    expect(badReason).toMatchObject({ message: 'reason: Expected a non-empty string, got ""' });
  });
});
