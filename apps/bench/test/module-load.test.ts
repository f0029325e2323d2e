import { describe, expect, it } from "@jest/globals";
import { measureImportMs, measureModuleLoad } from "../src/module-load.js";

const slow = new URL("./fixtures/slow-import.mjs", import.meta.url).href;

describe("module load in a fresh worker", () => {
  it("times the whole import, evaluation of the module included", async () => {
    // The fixture spins 40 ms while it is evaluated: a lower bound, whatever the machine's load.
    expect(await measureImportMs(slow)).toBeGreaterThanOrEqual(40);
  });

  it("imports in a new worker each time: nothing is cached between samples", async () => {
    expect(await measureModuleLoad(slow, 2)).toBeGreaterThanOrEqual(40);
  });

  it("fails with the module's name when the import fails", async () => {
    const missing = new URL("./fixtures/no-such-module.mjs", import.meta.url).href;
    await expect(measureImportMs(missing)).rejects.toThrow(`importing ${missing} failed: Cannot find module`);
  });
});
