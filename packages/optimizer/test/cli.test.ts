// The amorsize CLI, run in this process through runCli() with streams of its own; one
// test starts the built command itself, for what only the process shows (the exit code).
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable, Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import {
  CompareReportSchema,
  ExecutionReportSchema,
  HardwareProfileSchema,
  PlanSchema,
  SpawnCostProfileSchema,
} from "@amorsize/types";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { commandWorker, runCli, UsageError } from "../src/cli-main.js";
import { TEST_CACHE_DIR } from "./cache-dir.js";

const cli = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const fixture = fileURLToPath(new URL("./fixtures/tasks.mjs", import.meta.url));

let dir: string;
const cacheEnv = process.env.AMORSIZE_CACHE_DIR;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "amorsize-cli-test-"));
  process.env.AMORSIZE_CACHE_DIR = TEST_CACHE_DIR;
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  if (cacheEnv === undefined) delete process.env.AMORSIZE_CACHE_DIR;
  else process.env.AMORSIZE_CACHE_DIR = cacheEnv;
});

function sink() {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { stream, text: () => chunks.join("") };
}

async function amorsize(args: string[], input?: string) {
  const stdout = sink();
  const stderr = sink();
  const stdin = Readable.from(input === undefined ? [] : [input]);
  const code = await runCli(args, { stdout: stdout.stream, stderr: stderr.stream, stdin });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

/** A failure prints exactly one line on standard error and nothing on standard output. */
function expectOneLineError(run: Awaited<ReturnType<typeof amorsize>>, code: number, pattern: RegExp) {
  expect(run.code).toBe(code);
  expect(run.stdout).toBe("");
  const lines = run.stderr.trimEnd().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
}

describe("amorsize CLI with --json", () => {
  it("probe and calibrate", async () => {
    const probe = await amorsize(["probe", "--json"]);
    expect(probe.code).toBe(0);
    expect(() => HardwareProfileSchema.parse(JSON.parse(probe.stdout))).not.toThrow();
    const calibrate = await amorsize(["calibrate", "--json"]);
    expect(calibrate.code).toBe(0);
    expect(() => SpawnCostProfileSchema.parse(JSON.parse(calibrate.stdout))).not.toThrow();
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
    const data = join(dir, "items.jsonl");
    writeFileSync(data, "1\n2\n\n3\n");
    const out = join(dir, "out.jsonl");
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

  it("compare", async () => {
    const run = await amorsize(["compare", `${fixture}#square`, "--range", "40", "--json"]);
    expect(run.code).toBe(0);
    const { rows } = CompareReportSchema.parse(JSON.parse(run.stdout));
    expect(rows.map((r: { strategy: string }) => r.strategy)).toEqual(
      expect.arrayContaining(["serial", "one task per item", "Pool.map default"]),
    );
    for (const row of rows) expect(row.measuredMs).toBeGreaterThan(0);
  });

  it("--help of each command shows an example", async () => {
    for (const command of ["probe", "calibrate", "optimize", "explain", "run", "compare"]) {
      const run = await amorsize([command, "--help"]);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain("Example:");
    }
    const main = await amorsize([]);
    expect(main.code).toBe(2);
    expect(main.stdout).toContain("Commands:");
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
      await amorsize(["run", fixture, "--data", join(dir, "missing.json")]),
      1,
      /^amorsize: --data .*missing\.json: cannot read the data file \(no such file\) \[AMORSIZE_BAD_DATA\]$/,
    );
  });

  it("a failed run leaves an existing --out file untouched", async () => {
    const out = join(dir, "keep.jsonl");
    writeFileSync(out, "previous\n");
    const run = await amorsize(["run", "/nonexistent/task.mjs#f", "--range", "3", "--out", out]);
    expect(run.code).toBe(1);
    expect(readFileSync(out, "utf8")).toBe("previous\n");
  });

  it("an --out file that cannot be written", async () => {
    expectOneLineError(
      await amorsize(["run", fixture, "--range", "3", "--out", join(dir, "no-such-folder", "out.jsonl")]),
      1,
      /^amorsize: --out .*out\.jsonl: cannot write \(.*\) \[AMORSIZE_BAD_DATA\]$/,
    );
  });

  it("JSON lines on stdin whose items are arrays", async () => {
    const run = await amorsize(["run", `${fixture}#first`, "--stdin"], "[1,2]\n[3,4]\n");
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("1\n3\n");
  });

  it("an invalid JSON line, with its line number", async () => {
    const data = join(dir, "bad.jsonl");
    writeFileSync(data, "1\n2\n{oops\n4\n");
    expectOneLineError(
      await amorsize(["run", fixture, "--data", data]),
      1,
      /^amorsize: .*bad\.jsonl:3: invalid JSON line: /,
    );
  });

  it("an invalid option value", async () => {
    const cases: [string[], RegExp][] = [
      [["--max-workers=-1"], /^amorsize: --max-workers: expected a positive integer, got "-1"$/],
      [["--max-workers", "two"], /^amorsize: --max-workers: expected a positive integer, got "two"$/],
      [["--min-speedup", "0.5"], /^amorsize: --min-speedup: expected a number >= 1, got "0.5"$/],
      [["--min-speedup", "x"], /^amorsize: --min-speedup: expected a positive number, got "x"$/],
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
    expectOneLineError(await amorsize(["probe", "--bogus"]), 2, /^amorsize: Unknown option '--bogus'/);
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
