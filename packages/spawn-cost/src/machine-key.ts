import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import type { HardwareProfile, MachineKey } from "@amorsize/types";

/** The tinypool version this process read, once: resolving and reading it cost ~0.6 ms a call. */
let tinypoolRead: string | null = null;

/**
 * The installed tinypool's version, read from its package.json (the figures
 * depend on its dispatch path, so a tinypool upgrade invalidates the cache).
 * `"unknown"` when it cannot be read. Read once per process: the tinypool a process
 * runs is the one it loaded, whatever is installed later.
 */
export function tinypoolVersion(): string {
  tinypoolRead ??= readTinypoolVersion();
  return tinypoolRead;
}

function readTinypoolVersion(): string {
  try {
    const require = createRequire(import.meta.url);
    const manifest = JSON.parse(readFileSync(require.resolve("tinypool/package.json"), "utf8")) as {
      version?: unknown;
    };
    return typeof manifest.version === "string" && manifest.version.length > 0 ? manifest.version : "unknown";
  } catch {
    return "unknown";
  }
}

/**
 * What the figures are valid for. From a hardware profile when one is given
 * (the optimizer passes the one `probeHardware()` returned, which knows cgroup
 * quotas); otherwise a minimal key from `node:os`: the CPU model, logical cores
 * (`os.cpus().length`), usable cores (`os.availableParallelism()`) and no quota.
 * This package does not probe cgroups itself: that is `@amorsize/hardware-probe`'s job.
 */
export function machineKeyFor(hardware?: HardwareProfile): MachineKey {
  const node = process.versions.node;
  const tinypool = tinypoolVersion();
  if (hardware) {
    const usable = hardware.cores.usable.value;
    return {
      cpuModel: hardware.cpuModel.value,
      logicalCores: hardware.cores.logical.value ?? usable,
      usableCores: usable,
      quotaCpus: hardware.cores.quota.cpus,
      platform: hardware.platform,
      arch: hardware.arch,
      node,
      tinypool,
    };
  }
  const cpus = os.cpus();
  const model = cpus[0]?.model.trim();
  const usable = Math.max(1, os.availableParallelism());
  return {
    cpuModel: model ? model : null,
    logicalCores: Math.max(1, cpus.length || usable),
    usableCores: usable,
    quotaCpus: null,
    platform: process.platform,
    arch: process.arch,
    node,
    tinypool,
  };
}

/** Whether two machine keys are the same in every field. */
export function sameMachineKey(a: MachineKey, b: MachineKey): boolean {
  return (
    a.cpuModel === b.cpuModel &&
    a.logicalCores === b.logicalCores &&
    a.usableCores === b.usableCores &&
    a.quotaCpus === b.quotaCpus &&
    a.platform === b.platform &&
    a.arch === b.arch &&
    a.node === b.node &&
    a.tinypool === b.tinypool
  );
}

/** The fields in which `found` differs from `expected`, for a warning. */
export function machineKeyDifferences(expected: MachineKey, found: MachineKey): string[] {
  return (Object.keys(expected) as (keyof MachineKey)[])
    .filter((field) => expected[field] !== found[field])
    .map((field) => `${field} ${JSON.stringify(found[field])} (here ${JSON.stringify(expected[field])})`);
}
