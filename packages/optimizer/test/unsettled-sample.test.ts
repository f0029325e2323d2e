// An async item sampled in the calling thread (execute()'s default) whose promise can
// never settle fails as that item (AMORSIZE_ITEM_UNSETTLED), where a bare await let the
// process exit 0 with the call pending and every result lost. In a child process:
// "nothing left that could settle it" is about the whole thread, and Jest keeps its own.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "@jest/globals";
import { TEST_CACHE_DIR } from "./cache-dir.js";

const optimizer = new URL("../dist/index.js", import.meta.url).href;
const misbehaves = new URL("./fixtures/misbehaves.mjs", import.meta.url).href;

/** Runs `call` (an expression over execute/stream/createAmorsize, `task` and `items`) with nothing else keeping the process alive. */
function runCall(call: string, exportName: string) {
  const script = `
    import { createAmorsize, execute, stream } from ${JSON.stringify(optimizer)};
    const task = { module: ${JSON.stringify(misbehaves)}, export: ${JSON.stringify(exportName)} };
    const items = [0, 1, 2, 3, 4, 5, 6, 7];
    const shown = (r) => ({ results: r.results, errors: r.errors.map((e) => [e.code, e.index, e.where]) });
    (${call}).then((r) => console.log(JSON.stringify(r)), (e) => console.log(JSON.stringify({ rejected: e.code, index: e.index })));
  `;
  return spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    encoding: "utf8",
    env: { ...process.env, AMORSIZE_CACHE_DIR: TEST_CACHE_DIR },
    timeout: 60_000,
  });
}

describe("a sampled item whose promise never settles, in the calling thread", () => {
  it.each([
    ["execute()", "execute(task, items, { onError: 'collect', cache: false }).then(shown)"],
    [
      "a session's execute()",
      "createAmorsize().execute(task, items, { onError: 'collect', cache: false }).then(shown)",
    ],
  ])("fails as that item under collect in %s, every other result kept", (_, call) => {
    const child = runCall(call, "neverSettlesAtFour");
    expect(child.status).toBe(0);
    expect(JSON.parse(child.stdout)).toEqual({
      results: [0, 2, 4, 6, null, 10, 12, 14],
      errors: [["AMORSIZE_ITEM_UNSETTLED", 4, "calling thread"]],
    });
  });

  it("rejects the call with it under throw", () => {
    const child = runCall("execute(task, items, { cache: false })", "neverSettlesAtFour");
    expect(JSON.parse(child.stdout)).toEqual({ rejected: "AMORSIZE_ITEM_UNSETTLED", index: 4 });
  });

  it("fails each of several awaited at once (an async task's items sampled together)", () => {
    const child = runCall(
      "execute(task, items, { onError: 'collect', cache: false }).then(shown)",
      "neverSettlesOnOdd",
    );
    expect(child.status).toBe(0);
    const printed = JSON.parse(child.stdout);
    expect(printed.results).toEqual([0, null, 2, null, 4, null, 6, null]);
    expect(printed.errors).toEqual([1, 3, 5, 7].map((i) => ["AMORSIZE_ITEM_UNSETTLED", i, "calling thread"]));
    expect(child.stderr).not.toContain("MaxListenersExceededWarning");
  });
});
