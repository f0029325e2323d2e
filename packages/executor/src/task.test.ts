import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "@jest/globals";
import { resolveTask } from "./task.js";

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
