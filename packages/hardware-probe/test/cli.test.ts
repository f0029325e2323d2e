import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { HardwareProfileSchema } from "@amorsize/types";
import { describe, expect, it } from "@jest/globals";
import { runCli } from "../src/cli-main.js";
import { distDir, fixtureRoot } from "./helpers.js";

const cli = join(distDir, "cli.js");

/** The built command in a child process: what a user's shell sees. */
function runCommand(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * `runCli` in this process, its output kept as strings. The flags are tested this way:
 * a child Node costs about a second on a busy machine, and `cli.ts` only passes
 * `process.argv`, the real streams and the exit code through, which the two tests of
 * the built command cover (--json for stdout and 0, --bogus for stderr and 2).
 */
async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(args, {
    out: (text) => {
      stdout += text;
    },
    err: (text) => {
      stderr += text;
    },
  });
  return { code, stdout, stderr };
}

describe("the amorsize-probe command", () => {
  it("--json prints a schema-valid profile on stdout and exits 0", async () => {
    const { code, stdout, stderr } = await runCommand("--json");
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    const profile = HardwareProfileSchema.parse(JSON.parse(stdout));
    expect(profile.cores.usable.value).toBeGreaterThanOrEqual(1);
  });

  it("an unknown flag exits 2 with one line on stderr", async () => {
    const { code, stdout, stderr } = await runCommand("--bogus");
    expect({ code, stdout, stderr }).toEqual({
      code: 2,
      stdout: "",
      stderr: "amorsize-probe: unknown option --bogus (see --help)\n",
    });
  });
});

describe("amorsize-probe's flags", () => {
  it("prints a table with a row per figure by default", async () => {
    const [{ code, stdout, stderr }, json] = await Promise.all([run(), run("--json")]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    const profile = HardwareProfileSchema.parse(JSON.parse(json.stdout));
    const row = (name: string, value: string, source: string) =>
      expect(stdout).toMatch(
        new RegExp(
          `^  ${name} +${value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} +${source.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`,
          "m",
        ),
      );
    row("logical", String(profile.cores.logical.value), profile.cores.logical.source);
    row("physical", String(profile.cores.physical.value), profile.cores.physical.source);
    row("usable", String(profile.cores.usable.value), `bounded by ${profile.cores.usable.source}`);
    for (const title of ["machine", "cores", "memory", "load"])
      expect(stdout).toMatch(new RegExp(`^${title}$`, "m"));
    expect(stdout).toMatch(/^ {2}cpu quota +/m);
    expect(stdout).toMatch(/^ {2}cgroup limit +/m);
    expect(stdout).toMatch(
      /^usable cores rule: min\(affinity, cpuset, quota rounded half up, physical cores\)/m,
    );
  });

  it("--root reads a fixture tree", async () => {
    const { code, stdout } = await run("--json", "--root", fixtureRoot("v2-quota"));
    expect(code).toBe(0);
    const profile = HardwareProfileSchema.parse(JSON.parse(stdout));
    expect(profile.cores.quota).toEqual({
      cpus: 1.5,
      source: "cgroup v2 cpu.max",
      cgroupPath: "/app.slice/worker.service",
    });
    expect(profile.memory.usable).toEqual({
      value: 512 * 1024 * 1024,
      source: "cgroup v2 memory.high less usage",
    });
  });

  it("--help prints the usage and exits 0", async () => {
    const { code, stdout, stderr } = await run("--help");
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    expect(stdout).toMatch(/^Usage: amorsize-probe \[options\]/);
    expect(stdout).toContain("--json");
  });

  it("a usage mistake exits 2 with one line: a missing value, an argument, a mistyped flag", async () => {
    const { code, stderr } = await run("--root");
    expect(code).toBe(2);
    expect(stderr).toMatch(/^amorsize-probe: Option '--root <value>' argument missing \(see --help\)\n$/);
    expect(await run("cores")).toEqual({
      code: 2,
      stdout: "",
      stderr: 'amorsize-probe: unexpected argument "cores" (see --help)\n',
    });
    expect(await run("help", "json")).toMatchObject({ code: 2, stdout: "" });
    expect(await run("--jsn")).toEqual({
      code: 2,
      stdout: "",
      stderr: "amorsize-probe: unknown option --jsn (did you mean --json?)\n",
    });
    expect((await run("--sample-lod")).stderr).toBe(
      "amorsize-probe: unknown option --sample-lod (did you mean --sample-load?)\n",
    );
  });

  it("help prints the usage as --help does; --version the package's version", async () => {
    const help = await run("help");
    expect(help).toEqual(await run("--help"));
    expect(help.stdout).toContain(
      "Exit codes: 0 done, 1 a failure the probe cannot recover from, 2 a usage mistake",
    );
    const { version } = JSON.parse(readFileSync(join(distDir, "..", "package.json"), "utf8")) as {
      version: string;
    };
    expect(await run("--version")).toEqual({ code: 0, stdout: `${version}\n`, stderr: "" });
  });

  it("a failure the probe cannot recover from exits 1 with one line", async () => {
    const { code, stdout, stderr } = await run("--root", "/amorsize-no-such-folder");
    expect({ code, stdout, stderr }).toEqual({
      code: 1,
      stdout: "",
      stderr: "amorsize-probe: options.root: /amorsize-no-such-folder is not a readable folder\n",
    });
  });
});
