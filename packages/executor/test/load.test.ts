import { pathToFileURL } from "node:url";
import { AmorsizeValidationError } from "@amorsize/types";
import { afterAll, afterEach, describe, expect, it } from "@jest/globals";
import { ExecutorClosedError, importTask, mapNow, resolveTask, TaskLoadError } from "../src/index.js";
import { loadedTask, loadFailureDetail } from "../src/load.js";
import { importTaskWithin } from "../src/task.js";
import { closeAll, closeShared, fixture, shared, task, track, within } from "./helpers.js";

afterEach(closeAll);
afterAll(closeShared);

// `import()` resolves its promise with the module namespace, so a namespace with a `then`
// function is called as a thenable: `then(resolve, reject)`, which hangs or resolves with
// anything. The loader must hand back the namespace itself.
describe("a module that exports a function named then", () => {
  it.each(["then", "other"])("importTask loads its export %s in the calling thread", async (exportName) => {
    const fn = await within(importTask(resolveTask(task("thenable.mjs", exportName))), 10_000, "importTask");
    expect(fn(2)).toBe(exportName === "then" ? 6 : 3);
  });

  it.each(["then", "other"])("workers load and run its export %s", async (exportName) => {
    const executor = shared({ workers: 1 });
    const { results } = await within(
      executor.map(task("thenable.mjs", exportName), [1, 2, 3]),
      10_000,
      "map",
    );
    expect(results).toEqual(exportName === "then" ? [3, 6, 9] : [2, 3, 4]);
  });

  it("serial mode runs it too", async () => {
    const executor = track({ mode: "serial" });
    const { results } = await within(executor.map(task("thenable.mjs", "then"), [1, 2]), 10_000, "map");
    expect(results).toEqual([3, 6]);
  });
});

describe("loadedTask(): a task function read without awaiting", () => {
  it("is there once its module was imported in this thread, and only for a function export", async () => {
    const ref = resolveTask(task("thenable.mjs", "other"));
    // Another URL for the same file: a module this thread has not imported yet.
    const href = `${ref.href}?loaded-task-test`;
    expect(loadedTask(href, "other")).toBeUndefined();
    const fn = await importTask({ ...ref, href, key: `${href}#other` });
    expect(loadedTask(href, "other")).toBe(fn);
    expect(loadedTask(href, "missing")).toBeUndefined();
  });

  it("mapNow() gives a module that failed to import the same error every time, nothing kept", async () => {
    const ref = resolveTask(task("no-such-module.mjs"));
    for (let k = 0; k < 2; k++) {
      await expect(mapNow(ref, [1])).rejects.toMatchObject({ code: "AMORSIZE_TASK_NOT_FOUND" });
      expect(loadedTask(ref.href, ref.exportName)).toBeUndefined();
    }
  });
});

describe("a task module Node cannot import as a module", () => {
  it("says so, naming the file's kind and what to give instead, not that the module threw", async () => {
    // In a worker, where Node's own loader reads it (Jest would compile the file here).
    const executor = track({ workers: 1 });
    const running = executor.map(task("typescript-task.ts", "double"), [1]);
    // A Node that strips types (22.18 and later by default) imports it.
    if ((process.features as { typescript?: unknown }).typescript) {
      expect((await running).results).toEqual([2]);
      return;
    }
    const error = await running.catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "TaskLoadError", code: "AMORSIZE_TASK_LOAD_FAILED" });
    const { message } = error as Error;
    expect(message).toContain(`Node ${process.versions.node} cannot import a ".ts" file as a module`);
    expect(message).toContain("give the task as JavaScript (.js, .mjs or .cjs), compiled from it");
    expect(message).not.toContain("the module threw while loading");
    expect(loadFailureDetail("file:///t/x.mjs", { error: true, name: "Error", message: "boom" })).toBe(
      "the module threw while loading: boom",
    );
    const unknown = (path: string) => ({
      error: true,
      name: "TypeError",
      message: `Unknown file extension ".tsx" for ${path}`,
      props: { code: "ERR_UNKNOWN_FILE_EXTENSION" },
    });
    expect(loadFailureDetail("file:///t/view.tsx?v=2", unknown("/t/view.tsx"))).toBe(
      `Node ${process.versions.node} cannot import a ".tsx" file as a module (Unknown file extension ".tsx" for /t/view.tsx): give the task as JavaScript (.js, .mjs or .cjs), compiled from it`,
    );
    // A file the task module imports is named as such, not the task module.
    expect(loadFailureDetail("file:///t/task.mjs", unknown("/t/view.tsx"))).toBe(
      `it imports /t/view.tsx, a ".tsx" file Node ${process.versions.node} cannot import as a module (Unknown file extension ".tsx" for /t/view.tsx): import JavaScript compiled from it`,
    );
    // A message of another form keeps the general wording.
    expect(loadFailureDetail("file:///t/x", { ...unknown("/t/x"), message: "odd" })).toBe(
      "the module threw while loading: odd",
    );
  });
});

describe("importTask(): an import that does not end in time", () => {
  it("fails as a TaskLoadError naming the module and the bound, each call, when its top-level await never settles", async () => {
    const ref = resolveTask(task("import-never-settles.mjs", "identity"));
    for (let k = 0; k < 2; k++) {
      const error = await within(
        importTaskWithin(ref, 50).catch((e: unknown) => e),
        10_000,
        "importTaskWithin",
      );
      expect(error).toMatchObject({
        name: "TaskLoadError",
        code: "AMORSIZE_TASK_LOAD_FAILED",
        module: ref.href,
        exportName: "identity",
      });
      expect((error as Error).message).toContain("within 50 ms in the calling thread");
    }
    expect(loadedTask(ref.href, ref.exportName)).toBeUndefined();
  });

  it("a module that was only slow is found loaded by a later call", async () => {
    const ref = resolveTask(task("slow-load.mjs", "double"));
    const href = `${ref.href}?bound-test`;
    const slow = { ...ref, href, key: `${href}#double` };
    // The module waits 60 ms at its top level: a bound of 1 ms ends the wait first.
    await expect(importTaskWithin(slow, 1)).rejects.toMatchObject({ code: "AMORSIZE_TASK_LOAD_FAILED" });
    const fn = await within(importTaskWithin(slow, 10_000), 10_000, "importTaskWithin");
    expect(fn(21)).toBe(42);
  });
});

describe("preload(): the task imported before a run needs it", () => {
  // The module waits 60 ms at its top level before it exports.
  const slow = (query: string) => ({
    module: `${pathToFileURL(fixture("slow-load.mjs")).href}?${query}`,
    export: "double",
  });

  it("imports it in every worker, side by side, once: the run that follows loads nothing", async () => {
    const executor = track({ workers: 2 });
    const loads = await within(executor.preload(slow("preload-workers")), 10_000, "preload");
    expect(loads).toHaveLength(2);
    for (const ms of loads) expect(ms).toBeGreaterThan(0);
    expect(await executor.preload(slow("preload-workers"))).toEqual([]);
    const run = await within(
      executor.map(slow("preload-workers"), [1, 2, 3, 4], { chunkSize: 1 }),
      10_000,
      "map",
    );
    expect(run.results).toEqual([2, 4, 6, 8]);
    expect(run.report.taskLoads).toBeUndefined();
  });

  it("imports it in the calling thread in serial mode, once", async () => {
    const executor = track({ mode: "serial" });
    const ref = slow("preload-serial");
    const resolved = resolveTask(ref);
    expect(loadedTask(resolved.href, resolved.exportName)).toBeUndefined();
    const loads = await within(executor.preload(ref), 10_000, "preload");
    expect(loads).toHaveLength(1);
    expect(loadedTask(resolved.href, resolved.exportName)).toBeDefined();
    expect(await executor.preload(ref)).toEqual([]);
  });

  it("rejects a task that cannot load with TaskLoadError, a bad reference with a validation error, and a closed executor", async () => {
    for (const executor of [track({ workers: 1 }), track({ mode: "serial" })]) {
      const missing = executor.preload(task("tasks.mjs", "noSuchExport"));
      await expect(missing).rejects.toBeInstanceOf(TaskLoadError);
      await expect(missing).rejects.toThrow(/noSuchExport/);
      await expect(executor.preload({ module: 5 } as never)).rejects.toBeInstanceOf(AmorsizeValidationError);
      await executor.close();
      await expect(executor.preload(task("tasks.mjs", "square"))).rejects.toBeInstanceOf(ExecutorClosedError);
    }
  });
});
