import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { CommandRunner } from "@amorsize/types";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { createProbeIo, defaultCommandRunner, READ_LIMITS, readFileBounded } from "./io.js";
import { WarningList } from "./warnings.js";

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
    createProbeIo("/", runner, timeoutMs, new WarningList()).run("lscpu", ["-p"]);

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
    const io = createProbeIo("/", defaultCommandRunner, 300, new WarningList());
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
    new WarningList(),
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

describe("readFileBounded (issue #14, item 14)", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "amorsize-io-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reads a file of exactly the limit, and stops one byte past it for a longer one", async () => {
    writeFileSync(join(dir, "exact"), "x".repeat(100));
    writeFileSync(join(dir, "mega"), "x".repeat(1024 * 1024));
    await expect(readFileBounded(join(dir, "exact"), 100)).resolves.toEqual({
      kind: "text",
      text: "x".repeat(100),
    });
    await expect(readFileBounded(join(dir, "exact"), 99)).resolves.toEqual({
      kind: "too-large",
      bytesRead: 100,
    });
    await expect(readFileBounded(join(dir, "mega"), READ_LIMITS.value.bytes)).resolves.toEqual({
      kind: "too-large",
      bytesRead: 64 * 1024 + 1,
    });
    await expect(readFileBounded(join(dir, "nope"), 100)).resolves.toEqual({ kind: "missing" });
  });

  it("refuses a folder, a socket and a character device unread", async () => {
    await expect(readFileBounded(dir, 100)).resolves.toEqual({ kind: "not-regular", type: "folder" });
    const socketPath = join(dir, "sock");
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    try {
      await expect(readFileBounded(socketPath, 100)).resolves.toEqual({
        kind: "not-regular",
        type: "socket",
      });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    if (existsSync("/dev/zero")) {
      await expect(readFileBounded("/dev/zero", 100)).resolves.toEqual({
        kind: "not-regular",
        type: "character device",
      });
    }
  });

  it("warns through ProbeIo.readText in the order the reads started, whatever order they end in", async () => {
    writeFileSync(join(dir, "big"), "x".repeat(READ_LIMITS.value.bytes + 1));
    const warnings = new WarningList();
    const io = createProbeIo(dir, defaultCommandRunner, 50, new WarningList());
    const ordered = createProbeIo(dir, defaultCommandRunner, 50, warnings);
    await expect(io.readText("/big", "table")).resolves.toBe("x".repeat(READ_LIMITS.value.bytes + 1));
    const reads = await Promise.all([
      ordered.readText("/big"),
      ordered.readText("/"),
      ordered.readText("/nope"),
    ]);
    expect(reads).toEqual([null, null, null]);
    expect(warnings.items).toEqual([
      {
        code: "FILE_TOO_LARGE",
        message:
          "/big holds more than 65536 bytes, the most the probe reads from a cgroup or sysfs file; not used",
      },
      { code: "FILE_NOT_REGULAR", message: "/ is a folder, not a regular file; not read" },
    ]);
  });
});

describe("WarningList.reserve", () => {
  it("keeps a reserved place, and drops one never filled", () => {
    const warnings = new WarningList();
    const first = warnings.reserve();
    warnings.reserve();
    warnings.add("CPU_MODEL_UNKNOWN", "second");
    first("FILE_NOT_REGULAR", "first");
    expect(warnings.items).toEqual([
      { code: "FILE_NOT_REGULAR", message: "first" },
      { code: "CPU_MODEL_UNKNOWN", message: "second" },
    ]);
  });
});
