import { describe, expect, it } from "@jest/globals";
import {
  AmorsizeProbeRootError,
  AmorsizeValidationError,
  type CommandRunner,
  type ProbeOptions,
  probeHardware,
} from "../src/index.js";
import { facts, fixtureRoot } from "./helpers.js";

/** A runner that counts how often the probe asked for `lscpu` (once per real probe of arm64-no-sysfs). */
function countingRunner(): CommandRunner & { calls: number } {
  const runner = Object.assign(
    async () => {
      runner.calls++;
      return { stdout: "# CPU,Core,Socket\n0,0,0\n1,1,0\n2,2,0\n3,3,0\n", exitCode: 0 };
    },
    { calls: 0 },
  );
  return runner;
}

describe("probeHardware options", () => {
  async function issuesOf(options: unknown): Promise<readonly string[]> {
    try {
      await probeHardware(options as ProbeOptions);
    } catch (error) {
      expect(error).toBeInstanceOf(AmorsizeValidationError);
      expect((error as AmorsizeValidationError).code).toBe("AMORSIZE_INVALID_INPUT");
      return (error as AmorsizeValidationError).issues;
    }
    throw new Error("expected the options to be rejected");
  }

  it.each([
    [null, "options: Invalid input: expected object, received null, got null"],
    [5, "options: Invalid input: expected object, received number, got 5"],
    [{ root: "" }, 'options.root: Too small: expected string to have >=1 characters, got ""'],
    [{ refresh: "yes" }, 'options.refresh: Invalid input: expected boolean, received string, got "yes"'],
    [{ sampleLoad: 1 }, "options.sampleLoad: Invalid input: expected boolean, received number, got 1"],
    [{ commandTimeoutMs: -1 }, "options.commandTimeoutMs: Too small: expected number to be >0, got -1"],
    [
      { commandTimeoutMs: 1.5 },
      "options.commandTimeoutMs: Invalid input: expected int, received number, got 1.5",
    ],
    [{ runCommand: 5 }, "options.runCommand: Expected a command runner (a function), got 5"],
    [{ bogus: 1 }, 'options: Unknown option "bogus"'],
    [{ runtimeFacts: { extra: 1 } }, 'options.runtimeFacts: Unknown option "extra"'],
    [
      { runtimeFacts: { logicalCpus: 0 } },
      "options.runtimeFacts.logicalCpus: Too small: expected number to be >0, got 0",
    ],
    [
      { runtimeFacts: { loadavg: [1, 2] } },
      "options.runtimeFacts.loadavg: Too small: expected array to have >=3 items, got [1,2]",
    ],
    [
      { runtimeFacts: { env: { A: 1 } } },
      "options.runtimeFacts.env.A: Invalid input: expected string, received number, got 1",
    ],
  ])("rejects %j", async (options, message) => {
    await expect(issuesOf(options)).resolves.toEqual([message]);
  });

  it("rejects a root that is missing or not a folder", async () => {
    for (const root of ["/amorsize-no-such-folder", fixtureRoot("missing/README")]) {
      const error = await probeHardware({ root }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AmorsizeProbeRootError);
      expect(error).toMatchObject({
        code: "AMORSIZE_PROBE_ROOT_NOT_FOUND",
        name: "AmorsizeProbeRootError",
        root,
        message: `options.root: ${root} is not a readable folder`,
      });
    }
    const missing = await probeHardware({ root: "/amorsize-no-such-folder" }).catch((e: Error) => e);
    expect((missing as Error).cause).toMatchObject({ code: "ENOENT" });
  });
});

describe("probeHardware memo", () => {
  const root = fixtureRoot("arm64-no-sysfs");

  it("probes once per process and returns a copy each time", async () => {
    const runner = countingRunner();
    const options = { root, runtimeFacts: facts, runCommand: runner };
    const first = await probeHardware(options);
    const second = await probeHardware(options);
    expect(runner.calls).toBe(1);
    expect(second).toEqual(first);
    expect(second).not.toBe(first);
    first.cores.physical.value = 99;
    expect((await probeHardware(options)).cores.physical.value).toBe(4);
  });

  it("shares one probe between concurrent calls", async () => {
    const runner = countingRunner();
    const options = { root, runtimeFacts: facts, runCommand: runner };
    const [a, b] = await Promise.all([probeHardware(options), probeHardware(options)]);
    expect(runner.calls).toBe(1);
    expect(a).toEqual(b);
  });

  it("re-reads with refresh: true", async () => {
    const runner = countingRunner();
    const options = { root, runtimeFacts: facts, runCommand: runner };
    await probeHardware(options);
    await probeHardware({ ...options, refresh: true });
    expect(runner.calls).toBe(2);
    await probeHardware(options);
    expect(runner.calls).toBe(2);
  });

  it("keys on root, runner and runtime facts", async () => {
    const runner = countingRunner();
    const other = countingRunner();
    await probeHardware({ root, runtimeFacts: facts, runCommand: runner });
    await probeHardware({ root, runtimeFacts: facts, runCommand: other });
    expect(other.calls).toBe(1);
    const moreCpus = await probeHardware({
      root,
      runtimeFacts: { ...facts, logicalCpus: 6, availableParallelism: 6 },
      runCommand: runner,
    });
    expect(runner.calls).toBe(2);
    expect(moreCpus.cores.logical.value).toBe(6);

    const otherRoot = await probeHardware({
      root: fixtureRoot("v2-quota"),
      runtimeFacts: facts,
      runCommand: runner,
    });
    expect(otherRoot.cores.quota.cpus).toBe(1.5);
    // The default-root result is not the fixture's, nor the other way round.
    const real = await probeHardware();
    expect(real.cores.quota.cgroupPath).not.toBe("/app.slice/worker.service");
    const again = await probeHardware({
      root: fixtureRoot("v2-quota"),
      runtimeFacts: facts,
      runCommand: runner,
    });
    expect(again).toEqual(otherRoot);
  });

  it("does not remember a failed probe", async () => {
    const missing = "/amorsize-no-such-folder-memo";
    await expect(probeHardware({ root: missing })).rejects.toBeInstanceOf(AmorsizeProbeRootError);
    await expect(probeHardware({ root: missing })).rejects.toBeInstanceOf(AmorsizeProbeRootError);
  });
});

describe("the package entry", () => {
  it("exports the documented API and no internals", async () => {
    // The parsers, container detection and the usable-cores arithmetic stay internal:
    // each result reaches users through the profile, with its source.
    expect(Object.keys(await import("../src/index.js")).sort()).toEqual([
      "AmorsizeProbeError",
      "AmorsizeProbeRootError",
      "AmorsizeProbeUsageError",
      "AmorsizeValidationError",
      "PROBE_DEFAULTS",
      "PROBE_WARNING_CODES",
      "defaultCommandRunner",
      "formatHardwareProfile",
      "probeHardware",
    ]);
  });
});
