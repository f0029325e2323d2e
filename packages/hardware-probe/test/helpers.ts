import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { CommandRunner, HardwareProfile, ProbeOptions } from "../src/index.js";

/** Absolute path of a hand-written fixture root in test/fixtures/roots. */
export const fixtureRoot = (name: string): string =>
  fileURLToPath(new URL(`./fixtures/roots/${name}`, import.meta.url));

/** The built package, for tests that run it in a child process. */
export const distDir = fileURLToPath(new URL("../dist/", import.meta.url));

const GiB = 1024 ** 3;

/** Runtime facts of a made-up 4-CPU Linux machine, so fixture results do not depend on this one. */
export const facts = {
  platform: "linux",
  arch: "x64",
  logicalCpus: 4,
  cpuModel: "Test CPU",
  availableParallelism: 4,
  totalMemory: 16 * GiB,
  freeMemory: 5 * GiB,
  constrainedMemory: 2 ** 64,
  loadavg: [0.5, 0.25, 0.125] as [number, number, number],
  env: {},
} satisfies NonNullable<ProbeOptions["runtimeFacts"]>;

/** A runner for which every command fails to start (and that records what was asked). */
export function failingRunner(calls: string[] = []): CommandRunner {
  return async (command, args) => {
    calls.push([command, ...args].join(" "));
    return { stdout: "", exitCode: null };
  };
}

/** A runner that prints `stdout` for `lscpu -p` and fails everything else. */
export function lscpuRunner(stdout: string, calls: string[] = []): CommandRunner {
  return async (command, args) => {
    calls.push([command, ...args].join(" "));
    return command === "lscpu" ? { stdout, exitCode: 0 } : { stdout: "", exitCode: 127 };
  };
}

export const warningCodes = (profile: HardwareProfile): string[] => profile.warnings.map((w) => w.code);

const tempRoots: string[] = [];

/**
 * A copy of the fixture root `base` in a new temporary folder, with `files`
 * (machine path to text) written over it; {@link removeTempRoots} deletes them all.
 */
export function tempRoot(base: string, files: Record<string, string> = {}): string {
  const root = mkdtempSync(join(tmpdir(), "amorsize-probe-"));
  tempRoots.push(root);
  cpSync(fixtureRoot(base), root, { recursive: true });
  for (const [machinePath, text] of Object.entries(files)) {
    const file = join(root, machinePath);
    mkdirSync(dirname(file), { recursive: true });
    rmSync(file, { force: true });
    writeFileSync(file, text);
  }
  return root;
}

/** Deletes every root {@link tempRoot} made. */
export function removeTempRoots(): void {
  for (const root of tempRoots.splice(0)) rmSync(root, { recursive: true, force: true });
}
