import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  CompareReportSchema,
  ExecutionReportSchema,
  HardwareProfileSchema,
  PlanSchema,
  SpawnCostProfileSchema,
} from "@amorsize/types";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";

const cli = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const fixture = fileURLToPath(new URL("./fixtures/tasks.mjs", import.meta.url));

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "amorsize-cli-test-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function amorsize(args: string[], input?: string) {
  const result = spawnSync(process.execPath, [cli, ...args], {
    encoding: "utf8",
    env: { ...process.env, AMORSIZE_CACHE_DIR: dir },
    input,
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A failure prints exactly one line on standard error and nothing on standard output. */
function expectOneLineError(run: ReturnType<typeof amorsize>, code: number, pattern: RegExp) {
  expect(run.code).toBe(code);
  expect(run.stdout).toBe("");
  const lines = run.stderr.trimEnd().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
}

describe("amorsize CLI with --json", () => {
  it("probe", () => {
    const run = amorsize(["probe", "--json"]);
    expect(run.code).toBe(0);
    expect(() => HardwareProfileSchema.parse(JSON.parse(run.stdout))).not.toThrow();
  });

  it("calibrate", () => {
    const run = amorsize(["calibrate", "--json"]);
    expect(run.code).toBe(0);
    expect(() => SpawnCostProfileSchema.parse(JSON.parse(run.stdout))).not.toThrow();
  });

  it("optimize and explain", () => {
    const optimized = amorsize(["optimize", `${fixture}#square`, "--range", "100", "--json"]);
    expect(optimized.code).toBe(0);
    expect(PlanSchema.parse(JSON.parse(optimized.stdout).plan).totalItems).toBe(100);
    const explained = amorsize(["explain", `${fixture}#square`, "--range", "100", "--json"]);
    expect(explained.code).toBe(0);
    expect(typeof JSON.parse(explained.stdout).explanation).toBe("string");
    const text = amorsize(["explain", `${fixture}#square`, "--range", "100"]);
    expect(text.code).toBe(0);
    expect(text.stdout.length).toBeGreaterThan(50);
  });

  it("run: results as JSON lines, the report as JSON on stderr", () => {
    const run = amorsize(["run", `${fixture}#square`, "--range", "10", "--json"]);
    expect(run.code).toBe(0);
    expect(run.stdout.trimEnd().split("\n").map(Number)).toEqual([0, 1, 4, 9, 16, 25, 36, 49, 64, 81]);
    const { report, plan } = JSON.parse(run.stderr);
    expect(ExecutionReportSchema.parse(report).items).toBe(10);
    expect(() => PlanSchema.parse(plan)).not.toThrow();
  });

  it("run: --data JSON lines and --out file; --stdin", () => {
    const data = join(dir, "items.jsonl");
    writeFileSync(data, "1\n2\n\n3\n");
    const out = join(dir, "out.jsonl");
    const run = amorsize(["run", fixture, "--data", data, "--out", out]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("");
    expect(readFileSync(out, "utf8")).toBe("2\n4\n6\n");
    const piped = amorsize(["run", `${fixture}#square`, "--stdin"], "[2, 3]");
    expect(piped.stdout).toBe("4\n9\n");
  });

  it("compare", () => {
    const run = amorsize(["compare", `${fixture}#heavy`, "--range", "40", "--json"]);
    expect(run.code).toBe(0);
    const { rows } = CompareReportSchema.parse(JSON.parse(run.stdout));
    expect(rows.map((r: { strategy: string }) => r.strategy)).toEqual(
      expect.arrayContaining(["serial", "one task per item", "Pool.map default"]),
    );
    for (const row of rows) expect(row.measuredMs).toBeGreaterThan(0);
  });

  it("--help of each command shows an example", () => {
    for (const command of ["probe", "calibrate", "optimize", "explain", "run", "compare"]) {
      const run = amorsize([command, "--help"]);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain("Example:");
    }
  });
});

describe("amorsize CLI on bad input", () => {
  it("a missing module", () => {
    expectOneLineError(
      amorsize(["optimize", "/nonexistent/task.mjs#f", "--range", "3"]),
      1,
      /^amorsize: Cannot load task file:\/\/\/nonexistent\/task\.mjs#f: cannot find the module.*\[AMORSIZE_TASK_NOT_FOUND\]$/,
    );
  });

  it("a missing export", () => {
    expectOneLineError(
      amorsize(["run", `${fixture}#nope`, "--range", "3"]),
      1,
      /^amorsize: Cannot load task .*tasks\.mjs#nope: the module has no export "nope".*\[AMORSIZE_EXPORT_NOT_FOUND\]$/,
    );
  });

  it("an unreadable data file", () => {
    expectOneLineError(
      amorsize(["run", fixture, "--data", join(dir, "missing.json")]),
      1,
      /^amorsize: --data .*missing\.json: cannot read the data file \(no such file\) \[AMORSIZE_BAD_DATA\]$/,
    );
  });

  it("a failed run leaves an existing --out file untouched", () => {
    const out = join(dir, "keep.jsonl");
    writeFileSync(out, "previous\n");
    const run = amorsize(["run", "/nonexistent/task.mjs#f", "--range", "3", "--out", out]);
    expect(run.code).toBe(1);
    expect(readFileSync(out, "utf8")).toBe("previous\n");
  });

  it("JSON lines on stdin whose items are arrays", () => {
    const run = amorsize(["run", `${fixture}#first`, "--stdin"], "[1,2]\n[3,4]\n");
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("1\n3\n");
  });

  it("an invalid JSON line, with its line number", () => {
    const data = join(dir, "bad.jsonl");
    writeFileSync(data, "1\n2\n{oops\n4\n");
    expectOneLineError(
      amorsize(["run", fixture, "--data", data]),
      1,
      /^amorsize: .*bad\.jsonl:3: invalid JSON line: /,
    );
  });

  it("an invalid option value", () => {
    expectOneLineError(
      amorsize(["optimize", fixture, "--range", "3", "--max-workers=-1"]),
      2,
      /^amorsize: --max-workers: expected a positive integer, got "-1"$/,
    );
    expectOneLineError(
      amorsize(["optimize", fixture, "--range", "3", "--max-workers", "two"]),
      2,
      /^amorsize: --max-workers: expected a positive integer, got "two"$/,
    );
    expectOneLineError(
      amorsize(["optimize", fixture, "--range", "3", "--min-speedup", "0.5"]),
      2,
      /^amorsize: --min-speedup: expected a number >= 1, got "0.5"$/,
    );
    expectOneLineError(
      amorsize(["run", fixture, "--range", "x"]),
      2,
      /^amorsize: --range: expected a whole number/,
    );
  });

  it("an unknown command, flag or missing input", () => {
    expectOneLineError(amorsize(["frobnicate"]), 2, /^amorsize: unknown command "frobnicate"/);
    expectOneLineError(amorsize(["probe", "--bogus"]), 2, /^amorsize: Unknown option '--bogus'/);
    expectOneLineError(
      amorsize(["run", fixture]),
      2,
      /^amorsize: no input: give --data FILE, --stdin or --range N$/,
    );
  });
});
