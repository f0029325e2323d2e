// The conventions amorsize shares with amorsize-probe and amorsize-worker: --version,
// help <command>, "did you mean", help on stderr for a bare command, exit codes 0/1/2.
import { readFileSync } from "node:fs";
import { PlanSchema } from "@amorsize/types";
import { describe, expect, it } from "@jest/globals";
import { COMMAND_OPTIONS, OPTIONS, optimizerOptions, parseCli } from "../src/cli-args.js";
import { amorsize, cliTestFolder, expectOneLineError, fixture } from "./cli-helpers.js";

cliTestFolder("amorsize-cli-conventions-");

const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
  version: string;
};

describe("amorsize --version and help", () => {
  it("--version prints the package's version on standard output, with or without a command", async () => {
    for (const args of [["--version"], ["run", "--version"]]) {
      expect(await amorsize(args)).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: "" });
    }
    expect(version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("help <command> prints what <command> --help prints; help alone the main help", async () => {
    for (const command of ["probe", "calibrate", "optimize", "explain", "run", "compare"]) {
      const viaHelp = await amorsize(["help", command]);
      const viaFlag = await amorsize([command, "--help"]);
      expect(viaHelp).toMatchObject({ code: 0, stderr: "", stdout: viaFlag.stdout });
      expect(viaHelp.stdout).toMatch(new RegExp(`^Usage: amorsize ${command}`));
    }
    const main = await amorsize(["help"]);
    expect(main).toMatchObject({ code: 0, stderr: "" });
    expect(main.stdout).toContain("help <command>");
    expect((await amorsize(["--help"])).stdout).toBe(main.stdout);
  });

  it("a bare amorsize prints the help on standard error and exits 2", async () => {
    const bare = await amorsize([]);
    expect(bare.code).toBe(2);
    expect(bare.stdout).toBe("");
    expect(bare.stderr).toContain("Commands:");
    expect(bare.stderr).toContain("Exit codes: 0 done, 1 failed, 2 a usage mistake");
  });
});

describe("amorsize suggests the name that was meant", () => {
  it("for a mistyped command, also after help", async () => {
    expectOneLineError(
      await amorsize(["optimise", `${fixture}#square`]),
      2,
      /^amorsize: unknown command "optimise" \(did you mean "optimize"\?\)$/,
    );
    expectOneLineError(
      await amorsize(["help", "explian"]),
      2,
      /^amorsize: unknown command "explian" \(did you mean "explain"\?\)$/,
    );
    expectOneLineError(
      await amorsize(["hlep"]),
      2,
      /^amorsize: unknown command "hlep" \(did you mean "help"\?\)$/,
    );
    expectOneLineError(
      await amorsize(["frobnicate"]),
      2,
      /^amorsize: unknown command "frobnicate" \(try amorsize --help\)$/,
    );
    expectOneLineError(
      await amorsize(["help", "run", "now"]),
      2,
      /^amorsize: help: unexpected argument "now"$/,
    );
  });

  it("for a mistyped flag, in either form", async () => {
    const cases: [string[], RegExp][] = [
      [["--jsn"], /^amorsize: unknown option --jsn \(did you mean --json\?\)$/],
      [["--max-worker=2"], /^amorsize: unknown option --max-worker \(did you mean --max-workers\?\)$/],
      [["--worker", "2"], /^amorsize: unknown option --worker \(did you mean --workers\?\)$/],
      [["--frobnicate"], /^amorsize: unknown option --frobnicate \(see amorsize --help\)$/],
      [["-x"], /^amorsize: unknown option -x \(see amorsize --help\)$/],
    ];
    for (const [flags, pattern] of cases) {
      expectOneLineError(
        await amorsize(["optimize", `${fixture}#square`, "--range", "3", ...flags]),
        2,
        pattern,
      );
    }
  });
});

describe("amorsize with an option its command does not take", () => {
  it.each<[string[], string]>([
    [
      ["compare", `${fixture}#square`, "--range", "3", "--out", "compared.txt"],
      "compare does not take --out",
    ],
    [["probe", "--data", "items.json"], "probe does not take --data"],
    [["calibrate", "--range", "3"], "calibrate does not take --range"],
    [
      ["explain", `${fixture}#square`, "--range", "3", "--on-error", "collect"],
      "explain does not take --on-error",
    ],
    [["run", `${fixture}#square`, "--range", "3", "--repeat", "5"], "run does not take --repeat"],
  ])("%j is a usage mistake naming it, before anything runs", async (args, message) => {
    expectOneLineError(await amorsize(args), 2, new RegExp(`^amorsize: ${message} \\(see amorsize help `));
  });

  it("every option but --help and --version is taken by some command, and every command takes --json", () => {
    const taken = new Set(Object.values(COMMAND_OPTIONS).flat());
    const all = Object.keys(OPTIONS).filter((name) => name !== "help" && name !== "version");
    expect([...taken].sort()).toEqual(all.sort());
    for (const options of Object.values(COMMAND_OPTIONS)) expect(options).toContain("json");
  });
});

describe("amorsize --workers N", () => {
  it("is the API's workers option, checked like the other counts", () => {
    const options = (...argv: string[]) => optimizerOptions(parseCli(argv).values);
    expect(options("--workers", "3")).toEqual({ workers: 3 });
    expect(options("--workers=2", "--max-workers", "4")).toEqual({ workers: 2, maxWorkers: 4 });
    expect(() => options("--workers", "0")).toThrow('--workers: expected a positive integer, got "0"');
    expect(() => options("--workers", "5000")).toThrow(
      "--workers: Too big: expected number to be <=1024, got 5000",
    );
    expect(() => options("--workers", "8", "--max-workers", "4")).toThrow(
      "--workers 8 exceeds --max-workers 4",
    );
  });

  it("fixes the worker count of optimize, explain and run", async () => {
    for (const command of ["optimize", "explain", "run"]) {
      const out = await amorsize([command, `${fixture}#square`, "--range", "50", "--workers", "3", "--json"]);
      expect(out.code).toBe(0);
      const json = JSON.parse(command === "run" ? out.stderr : out.stdout) as { plan: unknown };
      const plan = PlanSchema.parse(json.plan);
      expect(plan.reasons.map((r) => r.message)).toContainEqual(
        expect.stringContaining("constraints.workers fixes 3 workers"),
      );
    }
  });
});
