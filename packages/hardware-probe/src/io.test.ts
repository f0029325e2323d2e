import { fileURLToPath } from "node:url";
import type { CommandRunner } from "@amorsize/types";
import { describe, expect, it } from "@jest/globals";
import { createProbeIo, defaultCommandRunner } from "./io.js";

const node = process.execPath;

describe("defaultCommandRunner", () => {
  it("returns stdout and exit code 0", async () => {
    await expect(defaultCommandRunner(node, ["-e", "process.stdout.write('hi')"], 10_000)).resolves.toEqual({
      stdout: "hi",
      exitCode: 0,
    });
  });

  it("returns a non-zero exit code and what was written", async () => {
    await expect(
      defaultCommandRunner(node, ["-e", "process.stdout.write('part'); process.exit(3)"], 10_000),
    ).resolves.toEqual({ stdout: "part", exitCode: 3 });
  });

  it("returns exitCode null for a command that does not exist", async () => {
    await expect(defaultCommandRunner("amorsize-no-such-command", [], 10_000)).resolves.toEqual({
      stdout: "",
      exitCode: null,
    });
  });

  it("kills a command that hangs past its time-out and returns exitCode null", async () => {
    const result = await defaultCommandRunner(node, ["-e", "setInterval(() => {}, 1000)"], 300);
    expect(result.exitCode).toBeNull();
  });
});

describe("ProbeIo.run", () => {
  const run = (runner: CommandRunner, timeoutMs = 50) =>
    createProbeIo("/", runner, timeoutMs).run("lscpu", ["-p"]);

  it("passes the command, arguments and time-out to the runner", async () => {
    const calls: unknown[] = [];
    const outcome = await run(async (command, args, timeoutMs) => {
      calls.push([command, args, timeoutMs]);
      return { stdout: "out", exitCode: 0 };
    }, 1234);
    expect(calls).toEqual([["lscpu", ["-p"], 1234]]);
    expect(outcome).toEqual({ status: "ok", stdout: "out" });
  });

  it("times out a runner that never settles", async () => {
    await expect(run(() => new Promise(() => {}))).resolves.toEqual({ status: "timed-out" });
  });

  it("turns a rejecting or throwing runner into a failure", async () => {
    await expect(run(() => Promise.reject(new Error("boom")))).resolves.toEqual({
      status: "failed",
      detail: "the runner threw: boom",
    });
    await expect(
      run(() => {
        throw new Error("sync boom");
      }),
    ).resolves.toEqual({ status: "failed", detail: "the runner threw: sync boom" });
  });

  it("reports a non-zero exit, a command that could not start, and a malformed result", async () => {
    await expect(run(async () => ({ stdout: "", exitCode: 2 }))).resolves.toEqual({
      status: "failed",
      detail: "it exited with code 2",
    });
    await expect(run(async () => ({ stdout: "", exitCode: null }), 10_000)).resolves.toEqual({
      status: "failed",
      detail: "it could not be started",
    });
    await expect(run((async () => undefined) as unknown as CommandRunner)).resolves.toEqual({
      status: "failed",
      detail: "the runner returned no output",
    });
  });

  it("reads a kill at the default runner's own time-out as timed out", async () => {
    const io = createProbeIo("/", defaultCommandRunner, 300);
    await expect(io.run(node, ["-e", "setInterval(() => {}, 1000)"])).resolves.toEqual({
      status: "timed-out",
    });
  });
});

describe("ProbeIo files", () => {
  const io = createProbeIo(
    fileURLToPath(new URL("../test/fixtures/roots/v2-quota", import.meta.url)),
    defaultCommandRunner,
    50,
  );

  it("reads under the root and gives null for what is missing", async () => {
    await expect(io.readText("/proc/self/cgroup")).resolves.toBe("0::/app.slice/worker.service\n");
    await expect(io.readText("/proc/nope")).resolves.toBeNull();
    await expect(io.readText("/proc")).resolves.toBeNull();
    await expect(io.exists("/sys/fs/cgroup/cgroup.controllers")).resolves.toBe(true);
    await expect(io.exists("/.dockerenv")).resolves.toBe(false);
    await expect(io.listDir("/proc/self")).resolves.toEqual(expect.arrayContaining(["cgroup", "mountinfo"]));
    await expect(io.listDir("/nope")).resolves.toBeNull();
  });
});
