// What `amorsize run` prints and where: values JSON lines cannot hold, results written as
// they complete, the --out file, and a standard output that closes or fills up.
import { spawn } from "node:child_process";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { ExecutionReportSchema } from "@amorsize/types";
import { describe, expect, it } from "@jest/globals";
import { TEST_CACHE_DIR } from "./cache-dir.js";
import { amorsize, cli, cliTestFolder, expectOneLineError, fixture, results } from "./cli-helpers.js";

const testDir = cliTestFolder("amorsize-cli-output-");

describe("results JSON lines cannot hold exactly", () => {
  const problems = [
    "Item 1: the result cannot be printed as JSON exactly (a BigInt)",
    "Item 2: the result cannot be printed as JSON exactly (NaN)",
    "Item 3: the result cannot be printed as JSON exactly (Infinity)",
    "Item 4: the result cannot be printed as JSON exactly (a Map)",
    "Item 5: the result cannot be printed as JSON exactly (a circular reference at result.self)",
    "Item 6: the result cannot be printed as JSON exactly (undefined)",
    "Item 7: the result cannot be printed as JSON exactly (a Set at result.a[1])",
    "Item 8: the result cannot be printed as JSON exactly (a hole at result[1])",
    "Item 9: the result cannot be printed as JSON exactly (a Date)",
  ];
  const printed = ["1", ...problems.map(() => "null"), JSON.stringify({ ok: [true, null, "é\u2028", 0] })];

  it("are each that item's error, and the other results are printed", async () => {
    const run = await amorsize(["run", `${results}#unprintable`, "--range", "11", "--no-cache"]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe(`${printed.join("\n")}\n`);
    expect(run.stderr).toMatch(/: 2 ok, 9 failed in /);
    expect(run.stderr.match(/^ {2}AMORSIZE_RESULT_NOT_PRINTABLE: .*$/gm)).toEqual(
      problems.map((p) => `  AMORSIZE_RESULT_NOT_PRINTABLE: ${p}`),
    );
  });

  it("are in the --json report with their code and index", async () => {
    const run = await amorsize(["run", `${results}#unprintable`, "--range", "11", "--no-cache", "--json"]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe(`${printed.join("\n")}\n`);
    const report = ExecutionReportSchema.parse(JSON.parse(run.stderr).report);
    expect({ items: report.items, succeeded: report.succeeded, failed: report.failed }).toEqual({
      items: 11,
      succeeded: 2,
      failed: 9,
    });
    expect(report.errors).toEqual(
      problems.map((message, k) => ({
        index: k + 1,
        range: null,
        code: "AMORSIZE_RESULT_NOT_PRINTABLE",
        message,
      })),
    );
  });

  it("--help says how values are printed", async () => {
    const help = await amorsize(["run", "--help"]);
    expect(help.stdout).toContain("AMORSIZE_RESULT_NOT_PRINTABLE");
    expect(help.stdout).toContain("BigInt");
  });
});

describe("run writes results as they complete", () => {
  it("prints the first results while later items still run", async () => {
    const gate = join(testDir(), "gate");
    const data = join(testDir(), "gated.jsonl");
    const items = Array.from({ length: 100 }, (_, x) => (x === 99 ? { x, gate } : { x }));
    writeFileSync(data, items.map((item) => JSON.stringify(item)).join("\n"));
    // A first run with the gate open caches the task's figures, so the second samples
    // nothing: every item, the gated one included, runs in the run proper.
    writeFileSync(gate, "");
    expect((await amorsize(["run", `${results}#gated`, "--data", data])).code).toBe(0);
    rmSync(gate);
    const run = await amorsize(["run", `${results}#gated`, "--data", data], undefined, {
      onStdout: () => {
        if (!existsSync(gate)) writeFileSync(gate, "");
      },
    });
    expect(run.code).toBe(0);
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines.slice(0, 3)).toEqual(["0", "1", "2"]);
    expect(lines[99]).toBe('"released"');
  });

  it("buffers its writes, not one write per result", async () => {
    const run = await amorsize(["run", `${results}#identity`, "--range", "20000"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${Array.from({ length: 20000 }, (_, i) => i).join("\n")}\n`);
    // One write per 64 KiB, or per turn of the event loop when some lines wait; a serial
    // run yields a turn every 10 ms, so 2,000 writes would take 20 s of run, past the
    // test's time-out, whatever the machine's load. (Exact counts: output-sink.test.ts.)
    expect(run.writes).toBeLessThan(2000);
  });
});

describe("run --out FILE", () => {
  it("never follows a link planted at a temporary file's name", async () => {
    const out = join(testDir(), "planted.jsonl");
    const target = join(testDir(), "target.txt");
    writeFileSync(target, "precious\n");
    // The name the temporary file had (FILE.<pid>.tmp), this process's pid being the CLI's.
    const planted = `${out}.${process.pid}.tmp`;
    symlinkSync(target, planted);
    const run = await amorsize(["run", `${fixture}#square`, "--range", "5", "--out", out]);
    expect(run.code).toBe(0);
    expect(readFileSync(out, "utf8")).toBe("0\n1\n4\n9\n16\n");
    expect(readFileSync(target, "utf8")).toBe("precious\n");
    rmSync(planted);
  });

  it("writes through a link at FILE whose target does not exist yet, as > does, leaving the link", async () => {
    const target = join(testDir(), "made-by-link.jsonl");
    const out = join(testDir(), "dangling.jsonl");
    symlinkSync("made-by-link.jsonl", out);
    const run = await amorsize(["run", `${fixture}#square`, "--range", "3", "--out", out]);
    expect(run.code).toBe(0);
    expect(readFileSync(target, "utf8")).toBe("0\n1\n4\n");
    expect(lstatSync(out).isSymbolicLink()).toBe(true);
  });

  it("fails before running any item when the destination cannot be written", async () => {
    const log = join(testDir(), "ran.log");
    const data = join(testDir(), "logged.json");
    writeFileSync(
      data,
      JSON.stringify([
        { x: 1, log },
        { x: 2, log },
      ]),
    );
    writeFileSync(join(testDir(), "a-file"), "");
    expectOneLineError(
      await amorsize([
        "run",
        `${fixture}#logged`,
        "--data",
        data,
        "--out",
        join(testDir(), "a-file", "out.jsonl"),
      ]),
      1,
      /^amorsize: --out .*a-file\/out\.jsonl: cannot write \(not a directory\) \[AMORSIZE_OUTPUT_FAILED\]$/,
    );
    mkdirSync(join(testDir(), "a-folder"));
    expectOneLineError(
      await amorsize(["run", `${fixture}#logged`, "--data", data, "--out", join(testDir(), "a-folder")]),
      1,
      /^amorsize: --out .*a-folder: cannot write \(is a folder\) \[AMORSIZE_OUTPUT_FAILED\]$/,
    );
    expect(existsSync(log)).toBe(false);
  });

  it("leaves no temporary file and the old file behind when the run fails", async () => {
    const folder = join(testDir(), "failing");
    mkdirSync(folder);
    const out = join(folder, "out.jsonl");
    writeFileSync(out, "previous\n");
    const run = await amorsize(["run", `${fixture}#failsOnSeven`, "--range", "9", "--out", out]);
    expect(run.code).toBe(1);
    expect(readdirSync(folder)).toEqual(["out.jsonl"]);
    expect(readFileSync(out, "utf8")).toBe("previous\n");
  });
});

describe("run --out FILE interrupted", () => {
  it("removes its temporary file on Ctrl-C and exits with 130", async () => {
    const folder = join(testDir(), "interrupted");
    mkdirSync(folder);
    const out = join(folder, "out.jsonl");
    writeFileSync(out, "previous\n");
    const env = { ...process.env, AMORSIZE_CACHE_DIR: TEST_CACHE_DIR };
    const args = [cli, "run", `${results}#identity`, "--range", "20000000", "--out", out];
    const child = spawn(process.execPath, args, { env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk) => {
      stderr += String(chunk);
    });
    const closed = new Promise<number | null>((resolve) => child.on("close", resolve));
    // The temporary file exists from before the run starts until it ends.
    while (readdirSync(folder).length < 2) await new Promise((resolve) => setTimeout(resolve, 20));
    child.kill("SIGINT");
    expect(await closed).toBe(130);
    expect(stderr).toBe("amorsize: interrupted by SIGINT; --out left as it was [AMORSIZE_INTERRUPTED]\n");
    expect(readdirSync(folder)).toEqual(["out.jsonl"]);
    expect(readFileSync(out, "utf8")).toBe("previous\n");
  });
});

/** Runs the built command with standard output as given; resolves with its exit code and standard error. */
function spawnCli(
  args: string[],
  stdout: "pipe" | number,
  onStdout?: (child: ReturnType<typeof spawn>) => void,
): Promise<{ code: number | null; stderr: string }> {
  const env = { ...process.env, AMORSIZE_CACHE_DIR: TEST_CACHE_DIR };
  const child = spawn(process.execPath, [cli, ...args], { env, stdio: ["ignore", stdout, "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (chunk) => {
    stderr += String(chunk);
  });
  if (onStdout) child.stdout!.once("data", () => onStdout(child));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stderr })));
}

describe("run when standard output closes or fills up", () => {
  it("stops quietly with 141 (a command ended by SIGPIPE) when the reader goes away", async () => {
    const ended = await spawnCli(["run", `${results}#identity`, "--range", "3000000"], "pipe", (child) =>
      child.stdout!.destroy(),
    );
    expect(ended).toEqual({ code: 141, stderr: "" });
  });

  it("says in one line that the disk is full", async () => {
    const full = openSync("/dev/full", "w");
    const ended = await spawnCli(["run", `${results}#identity`, "--range", "100000"], full);
    expect(ended.code).toBe(1);
    expect(ended.stderr).toMatch(
      /^amorsize: standard output: cannot write \(no space left on device\) \[AMORSIZE_OUTPUT_FAILED\]\n$/,
    );
    // --out to a device is written in place: /dev/full is still the device afterwards.
    const out = await spawnCli(
      ["run", `${results}#identity`, "--range", "100000", "--out", "/dev/full"],
      "pipe",
    );
    expect(out.code).toBe(1);
    expect(out.stderr).toBe(
      "amorsize: --out /dev/full: cannot write (no space left on device) [AMORSIZE_OUTPUT_FAILED]\n",
    );
    expect(statSync("/dev/full").isCharacterDevice()).toBe(true);
  });
});
