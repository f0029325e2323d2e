import { describe, expect, it } from "@jest/globals";
import { workerExecArgv } from "./flags.js";

// What Node lists in process.allowedNodeEnvironmentFlags, for the flags used below.
const NODE_OPTIONS = new Set([
  "--conditions",
  "-C",
  "--enable-source-maps",
  "--experimental-loader",
  "--experimental-vm-modules",
  "--expose-gc",
  "--import",
  "--input-type",
  "--inspect",
  "--inspect-brk",
  "--loader",
  "--max-old-space-size",
  "--no-warnings",
  "--no-deprecation",
  "--require",
  "-r",
  "--stack-trace-limit",
  "--test-reporter",
  "--title",
  "--watch",
  "--watch-path",
]);

describe("workerExecArgv", () => {
  it("drops what selects the main thread's script: -e/--eval, -p/--print and --input-type", () => {
    expect(workerExecArgv(["--input-type=module", "-e", "console.log(1)"], NODE_OPTIONS)).toEqual([]);
    expect(workerExecArgv(["--input-type", "module", "--eval", "-1"], NODE_OPTIONS)).toEqual([]);
    expect(workerExecArgv(["-p", "--x", "-pe", "1", "--print=2"], NODE_OPTIONS)).toEqual([]);
  });

  it("drops test, watch and inspector flags with their values", () => {
    expect(
      workerExecArgv(
        [
          "--test",
          "--test-reporter",
          "spec",
          "--watch",
          "--watch-path=src",
          "--inspect=9229",
          "--inspect-brk",
        ],
        NODE_OPTIONS,
      ),
    ).toEqual([]);
  });

  it("keeps loaders, --require, --conditions and per-thread options, in order, with their values", () => {
    const flags = [
      "--experimental-vm-modules",
      "--import",
      "tsx",
      "-r",
      "./setup.cjs",
      "--loader=./hooks.mjs",
      "--experimental-loader",
      "data:text/javascript,",
      "-C",
      "dev",
      "--conditions=test",
      "--enable-source-maps",
      "--no-warnings",
      "--no-deprecation",
    ];
    expect(workerExecArgv(flags, NODE_OPTIONS)).toEqual(flags);
  });

  it("drops process-wide flags (V8's, --title), listed by Node or not, with a separate value too", () => {
    expect(
      workerExecArgv(
        [
          "--max-old-space-size=512",
          "--expose-gc",
          "--stack-trace-limit",
          "50",
          "--title=job",
          "--allow-natives-syntax",
          "--stack-size",
          "2000",
          "--import=tsx",
        ],
        NODE_OPTIONS,
      ),
    ).toEqual(["--import=tsx"]);
  });

  it("keeps nothing from nothing", () => {
    expect(workerExecArgv([], NODE_OPTIONS)).toEqual([]);
  });

  it("reads this Node's own list of options", () => {
    expect(
      workerExecArgv(
        ["--input-type=module", "--max-old-space-size=64", "--experimental-vm-modules", "-e", "x"],
        process.allowedNodeEnvironmentFlags,
      ),
    ).toEqual(["--experimental-vm-modules"]);
  });
});
