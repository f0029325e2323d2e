import fs, { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { SpawnCostProfileSchema } from "@amorsize/types";
import { afterEach, beforeEach, describe, expect, it, jest } from "@jest/globals";
import { measuredProfileFixture } from "../test/profile-fixture.js";
import {
  asCachedProfile,
  cacheFilePath,
  defaultCacheDir,
  LOAD_BANDS,
  loadChanged,
  readCache,
  writeCache,
} from "./cache.js";
import { SpawnCostCacheError, SpawnCostWarningCode } from "./errors.js";
import { machineKeyFor } from "./machine-key.js";

const realFsync = fs.fsync;
const realRename = fs.rename;

const DAY = 24 * 60 * 60 * 1000;
const TTL = 7 * DAY;
const key = machineKeyFor();

let dir: string;
let file: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "amorsize-spawn-cost-cache-"));
  file = cacheFilePath(dir);
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Sets (or, for undefined, removes) variables of `process.env` in place, where env-paths reads them. */
function setVars(vars: Record<string, string | undefined>): void {
  for (const [name, value] of Object.entries(vars)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
}

/** Runs `body` with `process.platform` and some variables of `process.env` set for the while. */
function withSystem(platform: NodeJS.Platform, vars: Record<string, string | undefined>, body: () => void) {
  const saved = {
    platform: process.platform,
    vars: Object.fromEntries(Object.keys(vars).map((n) => [n, process.env[n]])),
  };
  Object.defineProperty(process, "platform", { value: platform });
  setVars(vars);
  try {
    body();
  } finally {
    Object.defineProperty(process, "platform", { value: saved.platform });
    setVars(saved.vars);
  }
}

describe("defaultCacheDir", () => {
  it("prefers $AMORSIZE_CACHE_DIR, then $XDG_CACHE_HOME/amorsize, then ~/.cache/amorsize", () => {
    withSystem("linux", { XDG_CACHE_HOME: "/x/cache" }, () => {
      expect(defaultCacheDir({ AMORSIZE_CACHE_DIR: "/a/b" })).toBe("/a/b");
      expect(defaultCacheDir({})).toBe("/x/cache/amorsize");
    });
    withSystem("linux", { XDG_CACHE_HOME: undefined }, () => {
      expect(defaultCacheDir({})).toBe(path.join(os.homedir(), ".cache", "amorsize"));
    });
  });

  it("is the system's own cache folder on macOS and Windows", () => {
    withSystem("darwin", { XDG_CACHE_HOME: "/x/cache" }, () => {
      expect(defaultCacheDir({})).toBe(path.join(os.homedir(), "Library", "Caches", "amorsize"));
      expect(defaultCacheDir({ AMORSIZE_CACHE_DIR: "/a/b" })).toBe("/a/b");
    });
    withSystem("win32", { LOCALAPPDATA: "/users/ann/AppData/Local" }, () => {
      expect(defaultCacheDir({})).toBe(path.join("/users/ann/AppData/Local", "amorsize", "Cache"));
    });
  });

  it("follows the process's variables when they change between calls", () => {
    withSystem("linux", { XDG_CACHE_HOME: "/x/cache", AMORSIZE_CACHE_DIR: undefined }, () => {
      expect(defaultCacheDir()).toBe("/x/cache/amorsize");
      expect(defaultCacheDir()).toBe("/x/cache/amorsize");
      process.env.XDG_CACHE_HOME = "/y/cache";
      expect(defaultCacheDir()).toBe("/y/cache/amorsize");
      process.env.AMORSIZE_CACHE_DIR = "/a/b";
      expect(defaultCacheDir()).toBe("/a/b");
    });
    withSystem("darwin", { XDG_CACHE_HOME: "/y/cache", AMORSIZE_CACHE_DIR: undefined }, () => {
      expect(defaultCacheDir()).toBe(path.join(os.homedir(), "Library", "Caches", "amorsize"));
    });
  });

  it("treats empty variables as unset and ignores a relative $XDG_CACHE_HOME", () => {
    withSystem("linux", { XDG_CACHE_HOME: "/x" }, () => {
      expect(defaultCacheDir({ AMORSIZE_CACHE_DIR: "" })).toBe("/x/amorsize");
    });
    for (const xdg of ["relative/cache", ""]) {
      withSystem("linux", { XDG_CACHE_HOME: xdg }, () => {
        expect(defaultCacheDir({})).toBe(path.join(os.homedir(), ".cache", "amorsize"));
      });
    }
  });

  it("resolves a relative $AMORSIZE_CACHE_DIR against the working directory", () => {
    expect(defaultCacheDir({ AMORSIZE_CACHE_DIR: "cache-here" })).toBe(path.resolve("cache-here"));
  });

  it("names the file spawn-cost-v1.json inside the folder", () => {
    expect(cacheFilePath("/c")).toBe("/c/spawn-cost-v1.json");
  });
});

describe("loadChanged", () => {
  it("measures again only when the load crossed from one band to the other", () => {
    expect(LOAD_BANDS).toEqual({ quiet: 0.5, busy: 1 });
    const cases: Array<[number, number, boolean]> = [
      [0.1, 1.2, true],
      [1.2, 0.1, true],
      [0.5, 1, true],
      [1, 0.5, true],
      [0.1, 0.99, false],
      [0.51, 3, false],
      [1.3, 0.6, false],
      [2, 4, false],
      [0, 0, false],
    ];
    for (const [then, now, changed] of cases)
      expect([then, now, loadChanged(then, now)]).toEqual([then, now, changed]);
  });
});

describe("writeCache and readCache", () => {
  it("round-trips a profile under its key", async () => {
    const profile = measuredProfileFixture(key, new Date().toISOString(), file);
    await writeCache(file, key, profile);
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({ key, profile });
    expect(await readCache(file, key, TTL)).toEqual({ status: "hit", profile });
  });

  it("reads the same file again as equal copies of its profile, and a changed file anew", async () => {
    const profile = measuredProfileFixture(key, new Date().toISOString(), file);
    await writeCache(file, key, profile);
    const first = await readCache(file, key, TTL);
    if (first.status !== "hit") throw new Error(`expected a hit, got ${first.status}`);
    // A caller that changes what it was given changes its own copy only.
    first.profile.workerStart.fixedMs.value = 12345;
    first.profile.warnings.push({ code: "X", message: "added by the caller" });
    expect(await readCache(file, key, TTL)).toEqual({ status: "hit", profile });
    // A file whose text changed is parsed and checked again: here it no longer matches.
    writeFileSync(file, JSON.stringify({ key, profile: { ...profile, dispatch: null } }));
    expect((await readCache(file, key, TTL)).status).toBe("ignored");
    const other = { ...profile, measuredAt: new Date(Date.now() - 1000).toISOString() };
    await writeCache(file, key, other);
    expect(await readCache(file, key, TTL)).toEqual({ status: "hit", profile: other });
  });

  it("creates the folder and leaves no temporary file behind", async () => {
    const nested = cacheFilePath(path.join(dir, "a", "b"));
    await writeCache(nested, key, measuredProfileFixture(key));
    expect(readdirSync(path.join(dir, "a", "b"))).toEqual(["spawn-cost-v1.json"]);
  });

  it("replaces an existing file", async () => {
    await writeCache(file, key, measuredProfileFixture(key, "2026-11-01T00:00:00.000Z"));
    const newer = measuredProfileFixture(key, "2026-11-02T00:00:00.000Z");
    await writeCache(file, key, newer);
    expect(JSON.parse(readFileSync(file, "utf8")).profile).toEqual(newer);
    expect(readdirSync(dir)).toEqual(["spawn-cost-v1.json"]);
  });

  it("reports a missing file, and a folder that cannot exist, as missing", async () => {
    expect(await readCache(file, key, TTL)).toEqual({ status: "missing" });
    const blocker = path.join(dir, "a-file");
    writeFileSync(blocker, "x");
    expect(await readCache(cacheFilePath(path.join(blocker, "sub")), key, TTL)).toEqual({
      status: "missing",
    });
  });

  it("syncs the file to disk before renaming it into place", async () => {
    const calls: string[] = [];
    const fsync = jest.spyOn(fs, "fsync").mockImplementation(((
      fd: number,
      done: (e: Error | null) => void,
    ) => {
      calls.push("fsync");
      return realFsync(fd, done);
    }) as typeof fs.fsync);
    const rename = jest.spyOn(fs, "rename").mockImplementation(((
      from: string,
      to: string,
      done: (e: Error | null) => void,
    ) => {
      calls.push(`rename to ${path.basename(to)}`);
      return realRename(from, to, done);
    }) as typeof fs.rename);
    try {
      await writeCache(file, key, measuredProfileFixture(key));
    } finally {
      fsync.mockRestore();
      rename.mockRestore();
    }
    expect(calls).toEqual(["fsync", "rename to spawn-cost-v1.json"]);
    expect(readdirSync(dir)).toEqual(["spawn-cost-v1.json"]);
  });

  it("keeps one whole file when writers race", async () => {
    const profiles = Array.from({ length: 8 }, (_, i) =>
      measuredProfileFixture(key, new Date(Date.UTC(2026, 10, 1 + i)).toISOString()),
    );
    await Promise.all(profiles.map((p) => writeCache(file, key, p)));
    expect(profiles).toContainEqual(JSON.parse(readFileSync(file, "utf8")).profile);
    expect(readdirSync(dir)).toEqual(["spawn-cost-v1.json"]);
  });

  it("throws SpawnCostCacheError when the folder cannot be created", async () => {
    // Tests run as root, where permission bits do not stop a write: a folder under a file cannot exist at all.
    const blocker = path.join(dir, "a-file");
    writeFileSync(blocker, "x");
    const target = cacheFilePath(path.join(blocker, "sub"));
    const error = await writeCache(target, key, measuredProfileFixture(key)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpawnCostCacheError);
    expect(error).toMatchObject({ code: "AMORSIZE_SPAWN_COST_CACHE", problem: "unwritable", path: target });
    expect((error as Error).message).toMatch(/^Could not write the cache file .*spawn-cost-v1\.json \(/);
    expect((error as Error).cause).toMatchObject({ code: "ENOTDIR" });
  });
});

describe("readCache never trusts a bad file", () => {
  async function ignoredWith(code: string) {
    const read = await readCache(file, key, TTL);
    expect(read.status).toBe("ignored");
    if (read.status !== "ignored") throw new Error("unreachable");
    expect(read.warning.code).toBe(code);
    expect(read.error).toBeInstanceOf(SpawnCostCacheError);
    expect(read.error.path).toBe(file);
    return read.warning.message;
  }

  it("ignores a corrupt file", async () => {
    writeFileSync(file, "\u0000\u0001garbage{");
    expect(await ignoredWith(SpawnCostWarningCode.cacheInvalid)).toMatch(
      /^Ignored the cached profile .*: not valid JSON \(.+\); measured again\.$/,
    );
  });

  it("ignores a truncated file", async () => {
    await writeCache(file, key, measuredProfileFixture(key));
    const text = readFileSync(file, "utf8");
    writeFileSync(file, text.slice(0, Math.floor(text.length / 2)));
    expect(await ignoredWith(SpawnCostWarningCode.cacheInvalid)).toContain("not valid JSON");
  });

  it("ignores JSON that does not match the schema, naming the first bad path", async () => {
    const { dispatch: _dropped, ...profile } = measuredProfileFixture(key);
    writeFileSync(file, JSON.stringify({ key, profile }));
    expect(await ignoredWith(SpawnCostWarningCode.cacheInvalid)).toContain(
      "does not match the schema (profile.dispatch: ",
    );
    writeFileSync(file, JSON.stringify([1, 2]));
    expect(await ignoredWith(SpawnCostWarningCode.cacheInvalid)).toContain(
      "does not match the schema (expected an object with key and profile)",
    );
    writeFileSync(
      file,
      JSON.stringify({ key: { ...key, logicalCores: -1 }, profile: measuredProfileFixture(key) }),
    );
    expect(await ignoredWith(SpawnCostWarningCode.cacheInvalid)).toContain("(key.logicalCores: ");
  });

  it("ignores a negative or non-finite figure", async () => {
    const profile = measuredProfileFixture(key);
    const bad = {
      ...profile,
      dispatch: { ...profile.dispatch, latencyUs: { ...profile.dispatch.latencyUs, value: -3 } },
    };
    writeFileSync(file, JSON.stringify({ key, profile: bad }));
    expect(await ignoredWith(SpawnCostWarningCode.cacheInvalid)).toContain(
      "profile.dispatch.latencyUs.value",
    );
  });

  it("ignores a schema-valid figure outside its plausible range, naming it", async () => {
    const profile = measuredProfileFixture(key);
    const huge = {
      ...profile,
      dispatch: { ...profile.dispatch, latencyUs: { ...profile.dispatch.latencyUs, value: 1e300 } },
    };
    writeFileSync(file, JSON.stringify({ key, profile: huge }));
    expect(await ignoredWith(SpawnCostWarningCode.cacheInvalid)).toMatch(
      /^Ignored the cached profile .*: holds an implausible figure: dispatch\.latencyUs is 1e\+300 us, outside \[1, 1000000\] us; measured again\.$/,
    );
    const zero = {
      ...profile,
      workerStart: { ...profile.workerStart, perWorkerMs: { ...profile.workerStart.perWorkerMs, value: 0 } },
    };
    writeFileSync(file, JSON.stringify({ key, profile: zero }));
    expect(await ignoredWith(SpawnCostWarningCode.cacheInvalid)).toContain(
      "holds an implausible figure: workerStart.perWorkerMs is 0 ms, outside (0, 10000] ms",
    );
  });

  it("ignores a file measured for another machine key, naming the differences", async () => {
    const other = { ...key, cpuModel: "Another CPU", usableCores: key.usableCores + 4 };
    await writeCache(file, other, measuredProfileFixture(other));
    const message = await ignoredWith(SpawnCostWarningCode.cacheForeign);
    expect(message).toContain('cpuModel "Another CPU"');
    expect(message).toContain(`usableCores ${key.usableCores + 4} (here ${key.usableCores})`);
  });

  it("ignores a file whose key and profile disagree", async () => {
    const other = { ...key, node: "0.0.1" };
    await writeCache(file, key, measuredProfileFixture(other));
    expect(await ignoredWith(SpawnCostWarningCode.cacheInvalid)).toContain(
      "its key and its profile's machine key differ",
    );
  });

  it("ignores an expired file and one dated in the future", async () => {
    const nowMs = Date.parse("2026-11-28T12:00:00.000Z");
    await writeCache(file, key, measuredProfileFixture(key, new Date(nowMs - 8 * DAY).toISOString()));
    const read = await readCache(file, key, TTL, nowMs);
    expect(read.status === "ignored" && read.warning.code).toBe(SpawnCostWarningCode.cacheExpired);
    expect(read.status === "ignored" && read.warning.message).toContain(
      "older than the 604800000 ms time-to-live",
    );
    // just inside the time-to-live it is a hit
    expect((await readCache(file, key, 9 * DAY, nowMs)).status).toBe("hit");

    await writeCache(file, key, measuredProfileFixture(key, new Date(nowMs + DAY).toISOString()));
    const future = await readCache(file, key, TTL, nowMs);
    expect(future.status === "ignored" && future.warning.message).toContain("in the future");
  });

  it("ignores figures measured under another load band, and keeps those measured within the gap", async () => {
    const nowMs = Date.parse("2026-11-28T12:00:00.000Z");
    const at = new Date(nowMs - DAY).toISOString();
    await writeCache(file, key, { ...measuredProfileFixture(key, at), loadPerCore: 1.4 });
    const busyThenQuietNow = await readCache(file, key, TTL, nowMs, 0.1);
    expect(busyThenQuietNow.status === "ignored" && busyThenQuietNow.warning.code).toBe(
      SpawnCostWarningCode.cacheOtherLoad,
    );
    expect(busyThenQuietNow.status === "ignored" && busyThenQuietNow.warning.message).toContain(
      "measured at a load of 1.40 per core, 0.10 now",
    );
    expect((await readCache(file, key, TTL, nowMs, 0.7)).status).toBe("hit");
    expect((await readCache(file, key, TTL, nowMs, 2)).status).toBe("hit");

    await writeCache(file, key, { ...measuredProfileFixture(key, at), loadPerCore: 0.2 });
    expect((await readCache(file, key, TTL, nowMs, 1.5)).status).toBe("ignored");
    expect((await readCache(file, key, TTL, nowMs, 0.9)).status).toBe("hit");
    // A cache written before the load was recorded cannot be placed in a band: measured again.
    const { loadPerCore: _recorded, ...unrecorded } = measuredProfileFixture(key, at);
    await writeCache(file, key, unrecorded);
    const legacy = await readCache(file, key, TTL, nowMs, 3);
    expect(legacy.status === "ignored" && legacy.warning.message).toContain(
      "measured before the load was recorded with the figures",
    );
  });

  it("measures again a profile written before the workers' pace was measured, and one whose pace is implausible", async () => {
    const { pace: _measured, ...paceless } = measuredProfileFixture(key);
    await writeCache(file, key, paceless);
    expect(await ignoredWith(SpawnCostWarningCode.cacheExpired)).toContain(
      "measured before the workers' pace was part of the figures",
    );
    const profile = measuredProfileFixture(key);
    await writeCache(file, key, {
      ...profile,
      pace: { ...profile.pace!, speedCv: { ...profile.pace!.speedCv, value: 1.5 } },
    });
    expect(await ignoredWith(SpawnCostWarningCode.cacheInvalid)).toContain(
      "pace.speedCv is 1.5 (a share), outside [0, 1] (a share)",
    );
  });

  it("ignores a profile that is not a measured one", async () => {
    await writeCache(file, key, { ...measuredProfileFixture(key), source: "estimated" });
    expect(await ignoredWith(SpawnCostWarningCode.cacheInvalid)).toContain(
      'holds a profile whose source is "estimated", not "measured"',
    );
  });

  it("reports a file that cannot be read as unreadable", async () => {
    mkdirSync(file);
    expect(await ignoredWith(SpawnCostWarningCode.cacheUnreadable)).toContain("cannot be read (");
  });
});

describe("asCachedProfile", () => {
  it("marks measured figures cached, keeps estimated ones, and sets source, path and duration", () => {
    const profile = measuredProfileFixture(key);
    const cached = asCachedProfile(profile, "/c/spawn-cost-v1.json", 1.5);
    expect(SpawnCostProfileSchema.parse(cached)).toEqual(cached);
    expect(cached.source).toBe("cached");
    expect(cached.cachePath).toBe("/c/spawn-cost-v1.json");
    expect(cached.durationMs).toBe(1.5);
    expect(cached.measuredAt).toBe(profile.measuredAt);
    expect(cached.workerStart.fixedMs).toEqual({ ...profile.workerStart.fixedMs, provenance: "cached" });
    expect(cached.dispatch.throughputUs).toEqual({ ...profile.dispatch.throughputUs, provenance: "cached" });
    expect(cached.clone.object.perByteNs).toEqual({
      ...profile.clone.object.perByteNs,
      provenance: "cached",
    });
    expect(cached.clone.number.perByteNs).toEqual(profile.clone.number.perByteNs);
    expect(cached.clone.number.perByteNs.provenance).toBe("estimated");
  });
});
