import os from "node:os";
import { type Load, messageOf } from "@amorsize/types";
import type { WarningList } from "./warnings.js";

/** The one os-utils function the probe uses. */
export interface CpuUsageSource {
  cpuUsage(callback: (busyFraction: number) => void): void;
}

/**
 * Loads os-utils' `cpuUsage` and nothing else: the package's other functions are
 * broken (`freeCommand`, `getProcesses`, `harddrive`) or leak globals, so no
 * other part of the probe touches the module.
 */
export async function loadOsUtils(): Promise<CpuUsageSource> {
  const mod = (await import("os-utils")) as { default?: Partial<CpuUsageSource> } & Partial<CpuUsageSource>;
  const cpuUsage = mod.default?.cpuUsage ?? mod.cpuUsage;
  if (typeof cpuUsage !== "function") throw new Error("os-utils has no cpuUsage function");
  return { cpuUsage };
}

/** os-utils samples for one second; give it a generous margin before giving up. */
const SAMPLE_DEADLINE_MS = 5_000;

function viaOsUtils(source: CpuUsageSource): Promise<number | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), SAMPLE_DEADLINE_MS);
    try {
      source.cpuUsage((fraction) => {
        clearTimeout(timer);
        resolve(fraction);
      });
    } catch {
      clearTimeout(timer);
      resolve(null);
    }
  });
}

/** Sums idle and total CPU time over all CPUs, as os-utils does. */
function cpuTimes(cpus: readonly os.CpuInfo[]): { idle: number; total: number } {
  let idle = 0;
  let total = 0;
  for (const { times } of cpus) {
    idle += times.idle;
    total += times.user + times.nice + times.sys + times.idle + times.irq;
  }
  return { idle, total };
}

/**
 * The same measurement as os-utils' `cpuUsage`, done directly: the busy share of
 * all CPU time over `waitMs`. Used when os-utils cannot be loaded.
 */
export async function sampleCpuTimes(
  readCpus: () => readonly os.CpuInfo[] = os.cpus,
  waitMs = 1000,
): Promise<number | null> {
  const before = cpuTimes(readCpus());
  await new Promise((resolve) => setTimeout(resolve, waitMs));
  const after = cpuTimes(readCpus());
  const total = after.total - before.total;
  if (!(total > 0)) return null;
  return 1 - (after.idle - before.idle) / total;
}

/** The pieces of a load sample that tests replace. */
export interface LoadSamplers {
  loadCpuUsage: () => Promise<CpuUsageSource>;
  fallback: () => Promise<number | null>;
}

const defaultSamplers: LoadSamplers = { loadCpuUsage: loadOsUtils, fallback: () => sampleCpuTimes() };

/**
 * The CPU-busy fraction over about a second, through os-utils' `cpuUsage`, or
 * sampled from `os.cpus()` times directly (with a warning) when os-utils cannot be
 * loaded. A figure outside 0..1 or not a number gives null and a warning.
 */
export async function sampleBusyFraction(
  warnings: WarningList,
  samplers: LoadSamplers = defaultSamplers,
): Promise<Load["busyFraction"]> {
  let value: number | null;
  let source: string;
  try {
    const cpuUsage = await samplers.loadCpuUsage();
    value = await viaOsUtils(cpuUsage);
    source = "os-utils cpuUsage";
  } catch (error) {
    warnings.add(
      "LOAD_SAMPLER_FALLBACK",
      `os-utils could not be loaded (${messageOf(error)}); sampled os.cpus() times directly`,
    );
    value = await samplers.fallback();
    source = "os.cpus() times";
  }
  if (value === null || !Number.isFinite(value)) {
    warnings.add("LOAD_SAMPLE_FAILED", `${source} gave no busy fraction; busyFraction is null`);
    return { value: null, source };
  }
  // Counter rounding can put a fully idle or fully busy sample a hair outside 0..1.
  return { value: Math.min(1, Math.max(0, value)), source };
}

/** Load averages as the schema wants them: finite and not negative. */
export function cleanLoadavg(values: readonly number[]): [number, number, number] {
  const clean = (n: number | undefined) => (n !== undefined && Number.isFinite(n) && n > 0 ? n : 0);
  return [clean(values[0]), clean(values[1]), clean(values[2])];
}
