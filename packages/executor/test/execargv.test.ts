import { describe, expect, it } from "@jest/globals";
import { fixture, runNode } from "./helpers.js";

const dist = new URL("../dist/index.js", import.meta.url).href;

/** A script for `node -e`: one parallel map on the built executor, its results printed as JSON. */
function script(exportName: string): string {
  return `
import { createExecutor } from ${JSON.stringify(dist)};
const executor = createExecutor({ workers: 2 });
try {
  const task = { module: ${JSON.stringify(fixture("environment.mjs"))}, export: ${JSON.stringify(exportName)} };
  const { results } = await executor.map(task, [0, 1], { chunkSize: 1 });
  console.log(JSON.stringify(results));
} finally {
  await executor.close();
}`;
}

describe("workers get the parent's flags that make sense in a worker", () => {
  it("a parent started with node --input-type=module -e runs a parallel map; --import and --conditions reach the workers", async () => {
    const preload = "data:text/javascript,globalThis.amorsizeImported=true";
    const { code, stdout, stderr } = await runNode([
      "--expose-gc",
      "--max-old-space-size=512",
      "--import",
      preload,
      "--conditions=amorsize-test",
      "--input-type=module",
      "--eval",
      script("environment"),
    ]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    const results = JSON.parse(stdout) as Array<{ execArgv: string[]; imported: boolean; gc: string }>;
    // --expose-gc and --max-old-space-size are V8's, so the process's: gc is there anyway.
    expect(results).toEqual(
      [0, 1].map(() => ({
        execArgv: ["--import", preload, "--conditions=amorsize-test"],
        imported: true,
        gc: "function",
      })),
    );
  });
});
