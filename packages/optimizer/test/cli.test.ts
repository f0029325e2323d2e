// The amorsize CLI, run in this process through runCli() with streams of its own; one
// test starts the built command itself, for what only the process shows (the exit code).
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  CompareReportSchema,
  ExecutionReportSchema,
  HardwareProfileSchema,
  PlanSchema,
  SpawnCostProfileSchema,
} from "@amorsize/types";
import { describe, expect, it } from "@jest/globals";
import { commandWorker, UsageError } from "../src/cli-main.js";
import { TEST_CACHE_DIR } from "./cache-dir.js";
import { amorsize, cli, cliTestFolder, expectOneLineError, fixture } from "./cli-helpers.js";

const testDir = cliTestFolder("amorsize-cli-test-");

describe("amorsize CLI with --json", () => {
  it("probe and calibrate", async () => {
    const probe = await amorsize(["probe", "--json"]);
    expect(probe.code).toBe(0);
    expect(() => HardwareProfileSchema.parse(JSON.parse(probe.stdout))).not.toThrow();
    const calibrate = await amorsize(["calibrate", "--json"]);
    expect(calibrate.code).toBe(0);
    expect(() => SpawnCostProfileSchema.parse(JSON.parse(calibrate.stdout))).not.toThrow();
    // The table names the workers' pace with each figure's provenance.
    const table = await amorsize(["calibrate"]);
    expect(table.stdout).toMatch(/wait between chunks of 10 ms +\d+\.\d \((measured|cached|estimated)\) us/);
    expect(table.stdout).toMatch(/workers' drift on equal work +\d+\.\d% \((measured|cached|estimated)\)/);
  });

  it("optimize and explain", async () => {
    const optimized = await amorsize(["optimize", `${fixture}#square`, "--range", "100", "--json"]);
    expect(optimized.code).toBe(0);
    expect(PlanSchema.parse(JSON.parse(optimized.stdout).plan).totalItems).toBe(100);
    const explained = await amorsize(["explain", `${fixture}#square`, "--range", "100", "--json"]);
    expect(explained.code).toBe(0);
    expect(typeof JSON.parse(explained.stdout).explanation).toBe("string");
    const text = await amorsize(["explain", `${fixture}#square`, "--range", "100"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("Predicted:");
  });

  it("run: results as JSON lines, the report as JSON on stderr", async () => {
    const run = await amorsize(["run", `${fixture}#square`, "--range", "10", "--json"]);
    expect(run.code).toBe(0);
    expect(run.stdout.trimEnd().split("\n").map(Number)).toEqual([0, 1, 4, 9, 16, 25, 36, 49, 64, 81]);
    const { report, plan } = JSON.parse(run.stderr);
    expect(ExecutionReportSchema.parse(report).items).toBe(10);
    expect(() => PlanSchema.parse(plan)).not.toThrow();
  });

  it("run: --data JSON lines and --out file; --stdin; failures under collect", async () => {
    const data = join(testDir(), "items.jsonl");
    writeFileSync(data, "1\n2\n\n3\n");
    const out = join(testDir(), "out.jsonl");
    const run = await amorsize(["run", fixture, "--data", data, "--out", out]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^serial|^parallel|^concurrent/);
    expect(readFileSync(out, "utf8")).toBe("2\n4\n6\n");
    const piped = await amorsize(["run", `${fixture}#square`, "--stdin"], "[2, 3]");
    expect(piped.stdout).toBe("4\n9\n");
    const collected = await amorsize([
      "run",
      `${fixture}#failsOnSeven`,
      "--range",
      "9",
      "--on-error",
      "collect",
    ]);
    expect(collected.code).toBe(1);
    expect(collected.stdout.split("\n")[7]).toBe("null");
    expect(collected.stderr).toContain("AMORSIZE_ITEM_FAILED: Item 7 failed: seven is not allowed");
  });

  it("run: under --on-error throw, prints every result before the failing item, then fails", async () => {
    // Item 4,321 of 5,000 fails: 4,096 lines came out (the last stretch's results were lost).
    const items = Array.from({ length: 5000 }, (_, i) => (i === 4321 ? 7 : 1));
    const run = await amorsize(["run", `${fixture}#failsOnSeven`, "--stdin"], JSON.stringify(items));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("Item 4321 failed: seven is not allowed");
    const lines = run.stdout.split("\n");
    expect(lines.pop()).toBe("");
    expect(lines).toEqual(items.slice(0, 4321).map(String));
  });

  it("compare", async () => {
    const run = await amorsize(["compare", `${fixture}#square`, "--range", "40", "--json"]);
    expect(run.code).toBe(0);
    const { rows } = CompareReportSchema.parse(JSON.parse(run.stdout));
    expect(rows.map((r: { strategy: string }) => r.strategy)).toEqual(
      expect.arrayContaining(["serial", "one task per item", "four chunks per worker"]),
    );
    for (const row of rows) expect(row.measuredMs).toBeGreaterThan(0);
    // Forty squares plan serial: the plan is the serial loop, timed once for both rows.
    const { plan } = CompareReportSchema.parse(JSON.parse(run.stdout));
    expect(plan.mode).toBe("serial");
    const timeOf = (name: string) => rows.find((r: { strategy: string }) => r.strategy === name)!.measuredMs;
    expect(timeOf("amorsize plan (serial)")).toBe(timeOf("serial"));
  });

  it("--help of each command shows an example", async () => {
    for (const command of ["probe", "calibrate", "optimize", "explain", "run", "compare"]) {
      const run = await amorsize([command, "--help"]);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain("Example:");
    }
    const main = await amorsize([]);
    expect(main.code).toBe(2);
    expect(main.stderr).toContain("Commands:");
  });
});

describe("amorsize CLI on bad input", () => {
  it("a missing module, and a missing export", async () => {
    expectOneLineError(
      await amorsize(["optimize", "/nonexistent/task.mjs#f", "--range", "3"]),
      1,
      /^amorsize: Cannot load task file:\/\/\/nonexistent\/task\.mjs#f: the module does not exist \[AMORSIZE_TASK_NOT_FOUND\]$/,
    );
    expectOneLineError(
      await amorsize(["run", `${fixture}#nope`, "--range", "3"]),
      1,
      /^amorsize: Cannot load task .*tasks\.mjs#nope: the module has no export "nope".*\[AMORSIZE_EXPORT_NOT_FOUND\]$/,
    );
  });

  it("an unreadable data file", async () => {
    expectOneLineError(
      await amorsize(["run", fixture, "--data", join(testDir(), "missing.json")]),
      1,
      /^amorsize: --data .*missing\.json: cannot read the data file \(no such file\) \[AMORSIZE_BAD_DATA\]$/,
    );
  });

  it("a failed run leaves an existing --out file untouched", async () => {
    const out = join(testDir(), "keep.jsonl");
    writeFileSync(out, "previous\n");
    const run = await amorsize(["run", "/nonexistent/task.mjs#f", "--range", "3", "--out", out]);
    expect(run.code).toBe(1);
    expect(readFileSync(out, "utf8")).toBe("previous\n");
  });

  it("an --out file that cannot be written", async () => {
    expectOneLineError(
      await amorsize([
        "run",
        fixture,
        "--range",
        "3",
        "--out",
        join(testDir(), "no-such-folder", "out.jsonl"),
      ]),
      1,
      /^amorsize: --out .*out\.jsonl: cannot write \(no such folder\) \[AMORSIZE_OUTPUT_FAILED\]$/,
    );
  });

  it("JSON lines on stdin whose items are arrays", async () => {
    const run = await amorsize(["run", `${fixture}#first`, "--stdin"], "[1,2]\n[3,4]\n");
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("1\n3\n");
  });

  it("a data file or stdin that starts with a byte-order mark, as Windows tools write them", async () => {
    for (const [name, text] of [
      ["bom.json", "\uFEFF[1,2,3]"],
      ["bom.jsonl", "\uFEFF1\n2\n3\n"],
    ] as const) {
      const data = join(testDir(), name);
      writeFileSync(data, text);
      const run = await amorsize(["run", fixture, "--data", data]);
      expect(run.code).toBe(0);
      expect(run.stdout).toBe("2\n4\n6\n");
    }
    const piped = await amorsize(["run", `${fixture}#first`, "--stdin"], "\uFEFF[[1],[2]]");
    expect(piped.code).toBe(0);
    expect(piped.stdout).toBe("1\n2\n");
  });

  it("an invalid JSON line, with its line number", async () => {
    const data = join(testDir(), "bad.jsonl");
    writeFileSync(data, "1\n2\n{oops\n4\n");
    expectOneLineError(
      await amorsize(["run", fixture, "--data", data]),
      1,
      /^amorsize: .*bad\.jsonl:3: invalid JSON line: /,
    );
    // JSON lines in a file named .json: the parser's reason, and what the file looks like.
    const named = join(testDir(), "lines.json");
    writeFileSync(named, '{"id": 1}\n{"id": 2}\n');
    expectOneLineError(
      await amorsize(["run", fixture, "--data", named]),
      1,
      /^amorsize: .*lines\.json: invalid JSON: .* \(one JSON value per line: name it \.jsonl\)/,
    );
    const broken = join(testDir(), "broken.json");
    writeFileSync(broken, "[1, 2,\n 3");
    const plain = await amorsize(["run", fixture, "--data", broken]);
    expect(plain.stderr).toMatch(/broken\.json: invalid JSON: /);
    expect(plain.stderr).not.toContain(".jsonl");
  });

  it("an invalid option value", async () => {
    const cases: [string[], RegExp][] = [
      [["--max-workers=-1"], /^amorsize: --max-workers: expected a positive integer, got "-1"$/],
      [["--max-workers", "two"], /^amorsize: --max-workers: expected a positive integer, got "two"$/],
      [["--min-speedup", "0.5"], /^amorsize: --min-speedup: expected a number >= 1, got "0.5"$/],
      [["--min-speedup", "x"], /^amorsize: --min-speedup: expected a number >= 1, got "x"$/],
      // It said "expected a positive number" for 0 and "a number >= 1" for 0.5.
      [["--min-speedup", "0"], /^amorsize: --min-speedup: expected a number >= 1, got "0"$/],
      // A negative value after a space is the option's value, checked as any other: the
      // parser took it for an option ("argument is ambiguous ... use --workers=-XYZ").
      [["--workers", "-1"], /^amorsize: --workers: expected a positive integer, got "-1"$/],
      [["--min-speedup", "-0.5"], /^amorsize: --min-speedup: expected a number >= 1, got "-0.5"$/],
      [["--on-error", "ignore"], /^amorsize: --on-error: expected "throw" or "collect", got "ignore"$/],
    ];
    for (const [flags, pattern] of cases) {
      expectOneLineError(await amorsize(["run", fixture, "--range", "3", ...flags]), 2, pattern);
    }
    expectOneLineError(
      await amorsize(["run", fixture, "--range", "x"]),
      2,
      /^amorsize: --range: expected a whole number/,
    );
  });

  it("an unknown command, flag, extra argument or missing input", async () => {
    expectOneLineError(await amorsize(["frobnicate"]), 2, /^amorsize: unknown command "frobnicate"/);
    expectOneLineError(
      await amorsize(["probe", "--bogus"]),
      2,
      /^amorsize: unknown option --bogus \(see amorsize --help\)$/,
    );
    expectOneLineError(
      await amorsize(["run", fixture]),
      2,
      /^amorsize: no input: give --data FILE, --stdin or --range N$/,
    );
    expectOneLineError(
      await amorsize(["run", fixture, "--range", "3", "--stdin"]),
      2,
      /^amorsize: give only one of --data, --stdin and --range$/,
    );
    expectOneLineError(await amorsize(["run"]), 2, /^amorsize: run: missing the task/);
    expectOneLineError(
      await amorsize(["run", fixture, "extra"]),
      2,
      /^amorsize: run: unexpected argument "extra"$/,
    );
  });
});

describe("amorsize CLI usage mistakes (issue #14)", () => {
  it("a task or an option value that fails validation is a usage mistake (exit 2), named by its flag", async () => {
    expectOneLineError(
      await amorsize(["run", `${fixture}#`, "--range", "3"]),
      2,
      /^amorsize: run: ".*tasks\.mjs#": the export name after "#" is empty$/,
    );
    expectOneLineError(
      await amorsize(["run", "#square", "--range", "3"]),
      2,
      /^amorsize: run: "#square": the module before "#" is empty$/,
    );
    expectOneLineError(
      await amorsize(["run", `${fixture}#square`, "--range", "3", "--max-workers", "99999999"]),
      2,
      /^amorsize: --max-workers: Too big: expected number to be <=1024, got 99999999$/,
    );
    expectOneLineError(
      await amorsize([
        "optimize",
        `${fixture}#square`,
        "--range",
        "3",
        "--chunk-size",
        "99999999999999999999",
      ]),
      2,
      /^amorsize: --chunk-size: Too big: .*, got 100000000000000000000$/,
    );
  });

  it("an option given twice, and an argument a command does not take", async () => {
    expectOneLineError(
      await amorsize(["run", `${fixture}#square`, "--range", "3", "--range", "5"]),
      2,
      /^amorsize: --range: given more than once$/,
    );
    expectOneLineError(
      await amorsize(["run", `${fixture}#square`, "--data", "a.json", "--data=b.json"]),
      2,
      /^amorsize: --data: given more than once$/,
    );
    expectOneLineError(
      await amorsize(["optimize", `${fixture}#square`, "--range", "3", "--json", "--json"]),
      2,
      /^amorsize: --json: given more than once$/,
    );
    expectOneLineError(
      await amorsize(["probe", "extra"]),
      2,
      /^amorsize: probe: unexpected argument "extra"$/,
    );
    expectOneLineError(
      await amorsize(["calibrate", "now"]),
      2,
      /^amorsize: calibrate: unexpected argument "now"$/,
    );
  });

  it("--stdin with nothing on standard input is a mistake; an empty array is not", async () => {
    for (const input of [undefined, "", " \n\n"]) {
      expectOneLineError(
        await amorsize(["run", `${fixture}#square`, "--stdin"], input),
        2,
        /^amorsize: --stdin: standard input was empty: pipe a JSON array or JSON lines \(\[\] for no items\)$/,
      );
    }
    const none = await amorsize(["run", `${fixture}#square`, "--stdin"], "[]");
    expect({ code: none.code, stdout: none.stdout }).toEqual({ code: 0, stdout: "" });
  });

  it("cache warnings: printed once by run, and in every --json output", async () => {
    // The spawn cost is read from the tests' cache; the plan cache cannot be written.
    const cacheDir = join(testDir(), "unwritable-plans");
    mkdirSync(cacheDir);
    copyFileSync(join(TEST_CACHE_DIR, "spawn-cost-v1.json"), join(cacheDir, "spawn-cost-v1.json"));
    writeFileSync(join(cacheDir, "plans"), "a file where the plan cache's folder should be");
    process.env.AMORSIZE_CACHE_DIR = cacheDir;
    try {
      const run = await amorsize(["run", `${fixture}#square`, "--range", "3"]);
      expect(run.code).toBe(0);
      expect(run.stderr.match(/^warning PLAN_CACHE_UNWRITABLE: .*$/gm)).toHaveLength(1);
      const json = await amorsize(["run", `${fixture}#square`, "--range", "3", "--json"]);
      expect(JSON.parse(json.stderr).warnings).toEqual([
        expect.objectContaining({ code: "PLAN_CACHE_UNWRITABLE" }),
      ]);
      for (const command of ["optimize", "explain"]) {
        const out = await amorsize([command, `${fixture}#square`, "--range", "3", "--json"]);
        expect(JSON.parse(out.stdout).warnings).toEqual([
          expect.objectContaining({ code: "PLAN_CACHE_UNWRITABLE" }),
        ]);
      }
      // No spawn cost cached, and none can be: run measures it and says so, once per warning.
      const noSpawnCost = join(testDir(), "unwritable-spawn-cost");
      mkdirSync(join(noSpawnCost, "spawn-cost-v1.json"), { recursive: true });
      process.env.AMORSIZE_CACHE_DIR = noSpawnCost;
      const measured = await amorsize(["run", `${fixture}#square`, "--range", "3", "--no-cache"]);
      expect(measured.code).toBe(0);
      const warnings = measured.stderr.split("\n").filter((l) => l.startsWith("warning "));
      expect(warnings.some((l) => /^warning AMORSIZE_SPAWN_COST_CACHE_\w+: /.test(l))).toBe(true);
      expect(new Set(warnings).size).toBe(warnings.length);
    } finally {
      process.env.AMORSIZE_CACHE_DIR = TEST_CACHE_DIR;
    }
  });
});

describe("amorsize worker", () => {
  it("hands its arguments to @amorsize/cluster's CLI", async () => {
    const seen: string[][] = [];
    const code = await commandWorker(["--redis", "redis://x"], async () => ({
      main: async (argv: string[]) => {
        seen.push(argv);
        return 3;
      },
    }));
    expect(code).toBe(3);
    expect(seen).toEqual([["--redis", "redis://x"]]);
  });

  it("says how to install @amorsize/cluster when it is not there", async () => {
    const missing = Object.assign(new Error("Cannot find package '@amorsize/cluster'"), {
      code: "ERR_MODULE_NOT_FOUND",
    });
    const error = await commandWorker([], () => Promise.reject(missing)).catch((e) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect(error.message).toBe(
      "amorsize worker needs @amorsize/cluster: npm install @amorsize/cluster (Cannot find package '@amorsize/cluster')",
    );
    const broken = new Error("the cluster module threw");
    await expect(commandWorker([], () => Promise.reject(broken))).rejects.toBe(broken);
  });
});

describe("the amorsize command", () => {
  it("exits with the command's code, and with 2 after a usage mistake", () => {
    const env = { ...process.env, AMORSIZE_CACHE_DIR: TEST_CACHE_DIR };
    const ok = spawnSync(process.execPath, [cli, "run", `${fixture}#square`, "--range", "3"], {
      encoding: "utf8",
      env,
    });
    expect({ code: ok.status, stdout: ok.stdout }).toEqual({ code: 0, stdout: "0\n1\n4\n" });
    const usage = spawnSync(process.execPath, [cli, "frobnicate"], { encoding: "utf8", env });
    expect({ code: usage.status, stdout: usage.stdout }).toEqual({ code: 2, stdout: "" });
    expect(usage.stderr).toMatch(/^amorsize: unknown command "frobnicate" \(try amorsize --help\)\n$/);
  });
});
