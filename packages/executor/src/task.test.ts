import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "@jest/globals";
import { TaskLoadError } from "./errors.js";
import { assertTaskModuleExists, resolveTask } from "./task.js";

describe("resolveTask", () => {
  it("resolves a relative path against the working directory and defaults the export", () => {
    const href = pathToFileURL(resolve(process.cwd(), "lib/hash.js")).href;
    expect(resolveTask({ module: "lib/hash.js" })).toEqual({
      href,
      exportName: "default",
      key: `${href}#default`,
    });
  });

  it("keeps absolute paths, URL strings and URLs", () => {
    expect(resolveTask({ module: "/opt/task.mjs", export: "run" }).href).toBe("file:///opt/task.mjs");
    expect(resolveTask({ module: "file:///opt/task.mjs" }).href).toBe("file:///opt/task.mjs");
    expect(resolveTask({ module: new URL("file:///opt/t%20x.mjs") }).href).toBe("file:///opt/t%20x.mjs");
    expect(resolveTask({ module: "data:text/javascript,export default 1" }).href).toBe(
      "data:text/javascript,export default 1",
    );
  });

  it("rejects a URL string that does not parse with a validation error naming the field", () => {
    expect(() => resolveTask({ module: "file://[bad" })).toThrow(
      expect.objectContaining({
        code: "AMORSIZE_INVALID_INPUT",
        issues: ['task.module: Expected a valid URL, got "file://[bad"'],
      }),
    );
  });
});

describe("assertTaskModuleExists", () => {
  const here = new URL(import.meta.url);

  it("throws the load's TaskLoadError for a module file that does not exist, importing nothing", () => {
    const missing = resolveTask({ module: new URL("./no-such-module.mjs", here).href, export: "f" });
    let thrown: unknown;
    try {
      assertTaskModuleExists(missing);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TaskLoadError);
    expect(thrown).toMatchObject({ code: "AMORSIZE_TASK_NOT_FOUND", module: missing.href, exportName: "f" });
    expect((thrown as Error).message).toBe(`Cannot load task ${missing.href}#f: the module does not exist`);
  });

  it("says a package's name is no module, when such a package is there to import", () => {
    // { module: "lodash" } is the file ./lodash: "the module does not exist" alone left the user guessing.
    const folder = mkdtempSync(join(tmpdir(), "amorsize-task-test-"));
    try {
      mkdirSync(join(folder, "node_modules", "somepkg"), { recursive: true });
      writeFileSync(join(folder, "node_modules", "somepkg", "package.json"), "{}");
      const messageFor = (name: string) => {
        try {
          assertTaskModuleExists(resolveTask({ module: join(folder, name) }));
        } catch (error) {
          return (error as Error).message;
        }
        return "";
      };
      const modules = join(folder, "node_modules");
      const hint = (said: string) =>
        `the module does not exist (a module is a file or URL, not a package name: ${said} in ${modules}; name a module of yours that imports it)`;
      expect(messageFor("somepkg")).toBe(
        `Cannot load task ${pathToFileURL(join(folder, "somepkg")).href}#default: ${hint('"somepkg" is a package')}`,
      );
      expect(messageFor("otherpkg")).toMatch(/the module does not exist$/);
      expect(messageFor("somepkg.mjs")).toMatch(/the module does not exist$/);
      // Scoped, dotted, a path inside a package, and a package in a folder above the one named.
      for (const name of ["@scope/parser", "highlight.js"]) {
        mkdirSync(join(modules, name), { recursive: true });
        writeFileSync(join(modules, name, "package.json"), "{}");
      }
      expect(messageFor("@scope/parser")).toMatch(hint('"@scope/parser" is a package'));
      expect(messageFor("highlight.js")).toMatch(hint('"highlight.js" is a package'));
      expect(messageFor("somepkg/sub/index.js")).toMatch(
        hint('"somepkg/sub/index.js" is in the package "somepkg"'),
      );
      expect(messageFor("@scope/parser/lib")).toMatch(
        hint('"@scope/parser/lib" is in the package "@scope/parser"'),
      );
      expect(messageFor(join("apps", "web", "somepkg"))).toMatch(hint('"somepkg" is a package'));
      expect(messageFor("@scope/other")).toMatch(/the module does not exist$/);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it("passes a file that exists, and what is no file (a data: URL), without importing them", () => {
    // This test file exists; importing it here again would run its tests' definitions.
    expect(() => assertTaskModuleExists({ module: here.href, export: "f" })).not.toThrow();
    expect(() =>
      assertTaskModuleExists({ module: "data:text/javascript,export const f = 1", export: "f" }),
    ).not.toThrow();
  });
});
