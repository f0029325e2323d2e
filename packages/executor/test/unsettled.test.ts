// A promise that can never settle fails its item (AMORSIZE_ITEM_UNSETTLED) instead of
// hanging the run or letting the process exit silently with the run pending. Each case
// runs in a child process: "nothing left" is about the whole thread, and Jest keeps its own.
import { describe, expect, it } from "@jest/globals";
import { fixture, runNode } from "./helpers.js";

const message = (where: string, index: number) =>
  `Item ${index} returned a promise that never settled: nothing was left in its ${where} that could settle it (no timer, I/O or other handle)`;

describe("an item whose promise can never settle", () => {
  // `neverOnThreesNoTimer` settles the other items through promises alone: Node tells
  // "nothing left" once per emptied loop, and the second unsettled item, met after the first
  // one failed with only promises run since, let the process exit silently.
  it.each([
    ["serial", "calling thread", "neverOnThrees"],
    ["concurrent", "calling thread", "neverOnThrees"],
    ["parallel", "worker", "neverOnThrees"],
    ["now", "calling thread", "neverOnThrees"],
    ["serial", "calling thread", "neverOnThreesNoTimer"],
    ["concurrent", "calling thread", "neverOnThreesNoTimer"],
    ["parallel", "worker", "neverOnThreesNoTimer"],
    ["now", "calling thread", "neverOnThreesNoTimer"],
  ])(
    "fails as AMORSIZE_ITEM_UNSETTLED in a %s run, with every other result kept (%s, %s)",
    async (mode, where, task) => {
      const run = await runArgs(mode, task);
      expect(run.code).toBe(0);
      const printed = JSON.parse(run.stdout);
      expect(printed.results).toEqual([2, 4, null, 8, 10, null, 14]);
      expect(printed.errors).toEqual([
        ["AMORSIZE_ITEM_UNSETTLED", 2, message(where, 2)],
        ["AMORSIZE_ITEM_UNSETTLED", 5, message(where, 5)],
      ]);
    },
  );

  it.each(["serial", "parallel", "now"])(
    "is waited for while a timer could still settle it (%s)",
    async (mode) => {
      const run = await runArgs(mode, "stillWaiting");
      expect(JSON.parse(run.stdout)).toEqual({ results: [2, 4, 6, 8, 10, 12, 14], errors: [] });
    },
  );
});

function runArgs(mode: string, exportName: string) {
  return runNode([fixture("unsettled-run.mjs"), mode, exportName], 30_000);
}
