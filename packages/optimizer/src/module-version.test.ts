import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { resolveTask } from "@amorsize/executor";
import { afterAll, describe, expect, it } from "@jest/globals";
import { ModuleVersions, RECHECK_MS, unversionedKey } from "./module-version.js";
import { planCacheKey } from "./plan-cache.js";

const dir = mkdtempSync(join(tmpdir(), "amorsize-module-version-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("ModuleVersions: which version of a task module a session runs", () => {
  it("checks a module again in each turn of the event loop, and keeps the version while it is unchanged", async () => {
    const path = join(dir, "a.mjs");
    writeFileSync(path, "export default (x) => x;\n");
    const versions = new ModuleVersions(8);
    const task = resolveTask({ module: path });
    const first = versions.of(task);
    expect(first.task).toBe(task);
    expect(first.profileKey).toBe(`${task.key}@${first.hash}`);
    await nextTurn();
    expect(versions.of(task)).toBe(first);
    writeFileSync(path, "export default (x) => x + 1;\n");
    await nextTurn();
    const edited = versions.of(task);
    expect(edited.hash).not.toBe(first.hash);
    expect(edited.task.href).toBe(`${task.href}?amorsize-version=${edited.hash!.slice(0, 16)}`);
  });

  it("within one turn, looks again only after RECHECK_MS: an edit written synchronously between two calls is seen then", async () => {
    const path = join(dir, "b.mjs");
    writeFileSync(path, "export default (x) => x;\n");
    const versions = new ModuleVersions(8);
    const task = resolveTask({ module: path });
    await nextTurn();
    const first = versions.of(task);
    writeFileSync(path, "export default (x) => x * 2;\n");
    expect(versions.of(task)).toBe(first);
    const start = performance.now();
    while (performance.now() - start <= RECHECK_MS) {
      // The same turn, RECHECK_MS later.
    }
    expect(versions.of(task).hash).not.toBe(first.hash);
  });

  it("has no hash, and no query, for a module that is not a readable file", () => {
    const versions = new ModuleVersions(8);
    const task = resolveTask({ module: pathToFileURL(join(dir, "missing.mjs")).href });
    expect(versions.of(task)).toEqual({ task, profileKey: task.key, hash: null });
  });
});

describe("one module's every version in the plan cache", () => {
  it("is keyed without the version a URL names: the content hash says it", () => {
    const plain = resolveTask({ module: "file:///tasks/hash.mjs", export: "hash" });
    const versioned = resolveTask({
      module: "file:///tasks/hash.mjs?amorsize-version=0123456789abcdef",
      export: "hash",
    });
    const withQuery = resolveTask({
      module: "file:///tasks/hash.mjs?mode=fast&amorsize-version=0123456789abcdef",
      export: "hash",
    });
    expect(unversionedKey(versioned.key)).toBe(plain.key);
    expect(planCacheKey(versioned, "h", 100)).toBe(planCacheKey(plain, "h", 100));
    expect(unversionedKey(withQuery.key)).toBe("file:///tasks/hash.mjs?mode=fast#hash");
  });
});
