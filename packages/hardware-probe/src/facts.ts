import os from "node:os";
import type { ProbeOptions } from "@amorsize/types";

/** What the probe takes from `node:os` and `process`; every field can be replaced through `runtimeFacts`. */
export interface RuntimeFacts {
  platform: string;
  arch: string;
  /** `os.cpus().length`; null when it lists nothing (some sandboxes hide `/proc`). */
  logicalCpus: number | null;
  cpuModel: string | null;
  /** `os.availableParallelism()`; null on runtimes without it. */
  availableParallelism: number | null;
  totalMemory: number;
  freeMemory: number;
  /** `process.constrainedMemory()` as reported; null when the runtime lacks it. */
  constrainedMemory: number | null;
  loadavg: [number, number, number];
  env: Record<string, string | undefined>;
}

type FactsOverride = NonNullable<ProbeOptions["runtimeFacts"]>;

/** Fills the facts the caller did not give from the running process. */
export function resolveRuntimeFacts(override: FactsOverride = {}): RuntimeFacts {
  const needCpus = override.logicalCpus === undefined || override.cpuModel === undefined;
  const cpus = needCpus ? os.cpus() : [];
  const model = cpus[0]?.model?.trim();
  const available = typeof os.availableParallelism === "function" ? os.availableParallelism() : null;
  const constrained =
    typeof process.constrainedMemory === "function" ? (process.constrainedMemory() ?? null) : null;
  const loadavg = override.loadavg ?? os.loadavg();
  return {
    platform: override.platform ?? process.platform,
    arch: override.arch ?? process.arch,
    logicalCpus: override.logicalCpus ?? (cpus.length > 0 ? cpus.length : null),
    cpuModel: override.cpuModel !== undefined ? override.cpuModel : model ? model : null,
    availableParallelism: override.availableParallelism ?? available,
    totalMemory: override.totalMemory ?? os.totalmem(),
    freeMemory: override.freeMemory ?? os.freemem(),
    constrainedMemory: override.constrainedMemory ?? constrained,
    loadavg: [loadavg[0] ?? 0, loadavg[1] ?? 0, loadavg[2] ?? 0],
    env: override.env ?? process.env,
  };
}
