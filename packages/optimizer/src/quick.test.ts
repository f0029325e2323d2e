import { type ExecuteOptions, ExecuteOptionsSchema, type Plan } from "@amorsize/types";
import { describe, expect, it } from "@jest/globals";
import { QUICK_MAX_MS, quickInput, runsAtOnce } from "./quick.js";
import { ResolvedTasks } from "./task-refs.js";

const plan = (mode: Plan["mode"], wallMs: number) => ({ mode, predicted: { wallMs } }) as Plan;

describe("which learned calls run at once", () => {
  it("serial plans predicted within one time slice", () => {
    expect(runsAtOnce(plan("serial", 0.5))).toBe(true);
    expect(runsAtOnce(plan("serial", QUICK_MAX_MS))).toBe(true);
    expect(runsAtOnce(plan("serial", QUICK_MAX_MS + 0.01))).toBe(false);
    expect(runsAtOnce(plan("parallel", 0.5))).toBe(false);
    expect(runsAtOnce(plan("concurrent", 0.5))).toBe(false);
  });

  it("arrays with items, without isolation, progress or a backend", () => {
    const ok: ExecuteOptions = { onError: "collect", cache: false, signal: new AbortController().signal };
    expect(quickInput([1, 2], ok)).toBe(true);
    expect(quickInput([], ok)).toBe(false);
    expect(quickInput(new Set([1]), ok)).toBe(false);
    expect(quickInput(new Float64Array(2), ok)).toBe(false);
    expect(quickInput([1], { isolate: true })).toBe(false);
    expect(quickInput([1], { chunkTimeoutMs: 100 })).toBe(false);
    expect(quickInput([1], { resourceLimits: { maxOldGenerationSizeMb: 64 } })).toBe(false);
    expect(quickInput([1], { onProgress: () => undefined })).toBe(false);
    expect(quickInput([1], { backend: {} as never })).toBe(false);
  });

  it("no options parse to no options: nothing is filled in", () => {
    expect(ExecuteOptionsSchema.parse({})).toEqual({});
  });
});

describe("ResolvedTasks", () => {
  const module = new URL("../test/fixtures/tasks.mjs", import.meta.url);

  it("resolves a module and export once, and the same reference after", () => {
    const tasks = new ResolvedTasks(4);
    const a = tasks.of({ module: module.href, export: "square" });
    expect(a).toEqual({ href: module.href, exportName: "square", key: `${module.href}#square` });
    expect(tasks.of({ module: module.href, export: "square" })).toBe(a);
    expect(tasks.of({ module, export: "square" })).toBe(a);
    expect(tasks.of({ module: module.href }).exportName).toBe("default");
    expect(tasks.size).toBe(2);
  });

  it("keeps no invalid reference: each is validated, and fails, every time", () => {
    const tasks = new ResolvedTasks(4);
    expect(() => tasks.of({ module: module.href, export: "" })).toThrow(/task\.export/);
    expect(() => tasks.of({ module: module.href, export: "" })).toThrow(/task\.export/);
    expect(() => tasks.of({ module: "" })).toThrow(/task\.module/);
    expect(() => tasks.of(null as never)).toThrow(/task/);
    expect(tasks.size).toBe(0);
  });

  it("validates a reference with a key besides module and export every time, after one without", () => {
    // A session resolved { module, exprt } from the key of { module } seen before: the default export ran.
    const tasks = new ResolvedTasks(4);
    expect(tasks.of({ module: module.href }).exportName).toBe("default");
    const mistyped = { module: module.href, exprt: "square" } as never;
    expect(() => tasks.of(mistyped)).toThrow('task: Unknown key "exprt" (did you mean "export"?)');
    const changed: Record<string, string> = { module: module.href, export: "square" };
    expect(tasks.of(changed as never).exportName).toBe("square");
    changed.extra = "x";
    expect(() => tasks.of(changed as never)).toThrow(/Unknown key "extra"/);
  });

  it("tells an absent export from an empty one", () => {
    const tasks = new ResolvedTasks(4);
    expect(tasks.of({ module: module.href }).exportName).toBe("default");
    expect(() => tasks.of({ module: module.href, export: "" })).toThrow(/task\.export/);
  });

  it("keys references so that no two different ones meet, whatever characters they hold", () => {
    const tasks = new ResolvedTasks(4);
    const a = tasks.of({ module: "/x/a.mjs", export: "b\0#c" });
    const b = tasks.of({ module: "/x/a.mjs\0#b", export: "c" });
    expect(b).not.toBe(a);
    expect(b.exportName).toBe("c");
    expect(a.exportName).toBe("b\0#c");
  });

  it("finds a reference passed again by the object, and sees its fields changed since", () => {
    const tasks = new ResolvedTasks(4);
    const ref: { module: string; export?: string } = { module: module.href, export: "square" };
    const a = tasks.of(ref);
    expect(tasks.of(ref)).toBe(a);
    ref.export = "cube";
    expect(tasks.of(ref)).toMatchObject({ exportName: "cube", key: `${module.href}#cube` });
    ref.module = "/elsewhere/tasks.mjs";
    expect(tasks.of(ref).href).toBe("file:///elsewhere/tasks.mjs");
    delete ref.export;
    expect(tasks.of(ref).exportName).toBe("default");
    ref.export = "";
    expect(() => tasks.of(ref)).toThrow(/task\.export/);
  });

  it("keeps at most its capacity, oldest out first", () => {
    const tasks = new ResolvedTasks(2);
    const first = tasks.of({ module: module.href, export: "a" });
    tasks.of({ module: module.href, export: "b" });
    tasks.of({ module: module.href, export: "c" });
    expect(tasks.size).toBe(2);
    expect(tasks.of({ module: module.href, export: "a" })).not.toBe(first);
  });
});
