// A fresh worker's warm-up: V8 runs a library's code slowly until it has compiled it, and
// every worker compiles it again. Measured once per module version and machine by running
// a few sampled items again in a throwaway worker, against their time in the calling
// thread; cached beside the plans.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { createExecutor, type Executor, type ResolvedTask } from "@amorsize/executor";
import {
  type MachineKey,
  type ModuleCostEntry,
  ModuleCostEntrySchema,
  messageOf,
  type PlanInput,
  type Warning,
  type WorkloadSample,
} from "@amorsize/types";
import writeFileAtomic from "write-file-atomic";
import { planOf, wholeSerialMs } from "./decide.js";
import { sameMachine } from "./plan-cache.js";

/** A fresh worker's measured warm-up, as `WorkloadSample.warmup` holds it. */
export type Warmup = NonNullable<WorkloadSample["warmup"]>;

/** Most sampled items a probe runs again. */
export const PROBE_MAX_ITEMS = 4;
/** A probe is worth its cost only where parallel is predicted to save at least this much, ms. */
export const PROBE_MIN_SAVING_MS = 100;
/** Share of the predicted saving the probe's items may take (its worker's start and import come on top). */
export const PROBE_SAVING_SHARE = 0.3;

/**
 * What a fresh worker's first items cost beyond the same items in the calling thread,
 * milliseconds: never negative (a worker that ran them faster has no warm-up to charge).
 */
export function warmupExcessMs(coldMs: readonly number[], warmMs: readonly number[]): number {
  let excess = 0;
  for (let i = 0; i < coldMs.length; i++) excess += (coldMs[i] ?? 0) - (warmMs[i] ?? 0);
  return Math.max(0, excess);
}

/**
 * How long the probe's items may take, milliseconds, or null when no probe is worth it:
 * the plan does not start workers, or parallel saves too little over serial to pay for one.
 */
export function probeBudgetMs(input: PlanInput): number | null {
  const plan = planOf(input);
  if (plan.mode !== "parallel" || input.workload.totalItems === null) return null;
  const saving = wholeSerialMs(input) - plan.predicted.wallMs;
  return saving < PROBE_MIN_SAVING_MS ? null : PROBE_SAVING_SHARE * saving;
}

/** What a probe measured: the warm-up, and the module's import where the probe's worker reported one. */
export interface ProbeResult {
  warmup: Warmup;
  moduleLoadMs: number | null;
}

/**
 * Runs `items` (sampled items, with their time in the calling thread) one at a time in a
 * fresh worker until `budgetMs` of item time is spent (at least one item, at most
 * PROBE_MAX_ITEMS), and returns the warm-up it measured; null when no item gave a time.
 * The worker is `pool`'s when given (a pool started while sampling, not closed here),
 * else a one-worker pool's. Items are run again: a failure or a time-out (the budget, at
 * least 1 s, bounds each item) ends the probe and loses nothing, as their results are
 * not used.
 */
export async function probeWarmup(
  task: ResolvedTask,
  items: readonly { item: unknown; ms: number }[],
  budgetMs: number,
  pool?: Executor,
): Promise<ProbeResult | null> {
  const executor = pool ?? createExecutor({ workers: 1 });
  const cold: number[] = [];
  const warm: number[] = [];
  let moduleLoadMs: number | null = null;
  try {
    for (const { item, ms } of items.slice(0, PROBE_MAX_ITEMS)) {
      const outcome = await executor.map({ module: task.href, export: task.exportName }, [item], {
        chunkSize: 1,
        onError: "collect",
        chunkTimeoutMs: Math.ceil(Math.max(1000, budgetMs)),
      });
      if (outcome.errors.length > 0) break;
      moduleLoadMs ??= outcome.report.taskLoads?.maxMs ?? null;
      cold.push(outcome.report.busyMs);
      warm.push(ms);
      if (cold.reduce((a, b) => a + b, 0) >= budgetMs) break;
    }
  } finally {
    if (pool === undefined) await executor.close();
  }
  if (cold.length === 0) return null;
  return {
    warmup: { excessMs: warmupExcessMs(cold, warm), items: cold.length, source: "probe" },
    moduleLoadMs,
  };
}

function entryPath(dir: string, key: string): string {
  return join(dir, "modules", `${createHash("sha256").update(key).digest("hex").slice(0, 32)}.json`);
}

/** The cached warm-up of a module version on this machine; null for a miss or anything unreadable. */
export function readWarmup(dir: string, key: string, machineKey: MachineKey): Warmup | null {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(entryPath(dir, key), "utf8"));
  } catch {
    return null;
  }
  const parsed = ModuleCostEntrySchema.safeParse(json);
  if (!parsed.success || parsed.data.key !== key || !sameMachine(parsed.data.machineKey, machineKey))
    return null;
  return { ...parsed.data.warmup, source: "cached" };
}

/** Writes a measured warm-up atomically (see `writePlanCache`); a warning when it cannot. */
export async function writeWarmup(
  dir: string,
  key: string,
  machineKey: MachineKey,
  warmup: Warmup,
): Promise<Warning | null> {
  const entry: ModuleCostEntry = {
    version: 1,
    key,
    machineKey,
    createdAt: new Date().toISOString(),
    warmup: { excessMs: warmup.excessMs, items: warmup.items },
  };
  try {
    await mkdir(join(dir, "modules"), { recursive: true });
    await writeFileAtomic(entryPath(dir, key), `${JSON.stringify(entry)}\n`);
    return null;
  } catch (error) {
    return {
      code: "MODULE_CACHE_UNWRITABLE",
      message: `Could not write the module-cost cache in ${dir}: ${messageOf(error)}`,
    };
  }
}
