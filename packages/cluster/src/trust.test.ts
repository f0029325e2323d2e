import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "@jest/globals";
import { TaskNotAllowedError } from "./errors.js";
import { admitModule, resolveAllowList } from "./trust.js";

describe("the allow list", () => {
  const root = realpathSync(mkdtempSync(join(tmpdir(), "amorsize-trust-")));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  for (const folder of ["tasks", "tasks-evil", "other"]) mkdirSync(join(root, folder));
  for (const file of ["tasks/a.mjs", "tasks-evil/b.mjs", "other/one.mjs", "other/two.mjs"]) {
    writeFileSync(join(root, file), "export const f = () => 1;\n");
  }
  symlinkSync(join(root, "tasks"), join(root, "tasks-link"));
  const list = resolveAllowList(["tasks-link", "other/one.mjs"], root);
  const url = (path: string) => pathToFileURL(join(root, path)).href;
  const refusal = (module: string) =>
    admitModule(list, module).then(
      () => null,
      (error: unknown) => (error instanceof TaskNotAllowedError ? error.message : error),
    );

  it("holds real paths: a linked folder is the folder it links to", () => {
    expect(list).toEqual({ folders: [join(root, "tasks")], files: [join(root, "other/one.mjs")] });
  });

  it("admits files below an allowed folder and the allowed files, as their real URLs", async () => {
    expect(await admitModule(list, url("tasks/a.mjs"))).toBe(url("tasks/a.mjs"));
    expect(await admitModule(list, url("tasks-link/a.mjs"))).toBe(url("tasks/a.mjs"));
    expect(await admitModule(list, url("other/one.mjs"))).toBe(url("other/one.mjs"));
    // Missing, but where it would be allowed: the import fails as a missing module.
    expect(await admitModule(list, url("tasks/missing.mjs"))).toBe(url("tasks/missing.mjs"));
  });

  it("refuses a sibling folder that shares the name's start, another file of an allowed file's folder, and non-files", async () => {
    expect(await refusal(url("tasks-evil/b.mjs"))).toMatch(/not under the paths this host allows/);
    expect(await refusal(url("other/two.mjs"))).toMatch(/not under the paths this host allows/);
    expect(await refusal(url("other/missing.mjs"))).toMatch(/not under the paths this host allows/);
    expect(await refusal("node:fs")).toMatch(/node: modules are never run/);
    expect(await refusal("data:text/javascript,export const f = 1")).toMatch(/data: modules are never run/);
    expect(await refusal("file://elsewhere/x.mjs")).toMatch(/not a local file/);
    expect(await refusal("tasks/a.mjs")).toMatch(/not a file: URL/);
  });
});
