import { rmSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { defaultCacheDir } from "@amorsize/spawn-cost";
import { messageOf } from "@amorsize/types";
import { measureItersPerUs } from "../workloads/_lib.mjs";
import type { AmorsizeApi, ExecuteResult } from "./amorsize.js";
import { checksum } from "./checksum.js";
import { measureModuleLoad } from "./module-load.js";
import {
  bestConfigs,
  type OracleChoice,
  pickOracle,
  runSweep,
  type SweepConfig,
  sweepConfigs,
} from "./oracle.js";
import type {
  AmorsizeFigures,
  BenchResults,
  BenchSettings,
  StrategyResult,
  WorkloadResult,
} from "./results.js";
import { median, medianAbsoluteDeviation, relativeError, rotate } from "./stats.js";
import {
  type JoblibTrace,
  PoolWatch,
  poolMapChunkSize,
  type RunOutcome,
  runAmorsize,
  runExecutor,
  runJoblib,
  runNaivePool,
  runSerial,
  STRATEGIES,
  type StrategyName,
} from "./strategies.js";
import { checkTargets, missingCells } from "./targets.js";
import { loadWorkloads, type Workload } from "./workloads.js";

/** How much to measure. */
export interface BenchPlan {
  mode: "full" | "quick";
  repetitions: number;
  sweepRepetitions: number;
  sweepGridFactor: number;
  sweepCutoff: number;
  oracleCandidates: number;
  /** Fresh workers that import each task module to time its load. */
  moduleLoadSamples: number;
  seed: number;
}

/** The full run and the quick (CI) run. */
export const BENCH_PLANS: Record<"full" | "quick", BenchPlan> = {
  full: {
    mode: "full",
    repetitions: 5,
    sweepRepetitions: 1,
    sweepGridFactor: 2,
    sweepCutoff: 3,
    oracleCandidates: 3,
    moduleLoadSamples: 3,
    seed: 20261128,
  },
  quick: {
    mode: "quick",
    repetitions: 2,
    sweepRepetitions: 1,
    sweepGridFactor: 4,
    sweepCutoff: 2,
    oracleCandidates: 1,
    moduleLoadSamples: 1,
    seed: 20261128,
  },
};

export const FAIRNESS =
  "All strategies run in one process, on the same items, alternating round-robin (each repetition starts" +
  " with a different strategy). Every result is checked against the serial loop's; a wrong result counts" +
  " as a failure, not a time. Each threaded strategy is timed from creating its pool or executor to having" +
  " every result with the pool closed: `execute()` creates and closes its own executor, and a caller who" +
  " starts a pool for one job pays its start-up, so every baseline pays it too. Serial is a plain loop in" +
  " the main thread (awaiting only tasks that return promises), the task module already imported. Amorsize" +
  " runs `execute()` end to end with the plan cache cold (`cache: false`); its hardware probe and spawn-cost" +
  " profile are warm (measured once before the first workload), as they are for any process after its first" +
  " run. A fresh worker's warm-up (per task module) is measured by a workload's first repetition where its" +
  " plan would start workers, and read from the module-cost cache after (emptied when the bench starts)." +
  " Naive pool: tinypool defaults, one `run()` per item, all submitted at once. Pool.map default:" +
  " availableParallelism() workers, chunk ceil(n / (4 x workers)), on @amorsize/executor. joblib auto:" +
  ' batch_size="auto" re-implemented on tinypool with availableParallelism() threads. Oracle: the fastest of' +
  " the serial loop and the best configurations of an exhaustive sweep run on the same executor as Pool.map.";

export interface BenchOptions {
  plan: BenchPlan;
  /** Workload names to run; all when absent. */
  only?: readonly string[];
  api: AmorsizeApi;
  /** Progress lines (stderr in the CLI). */
  log: (line: string) => void;
  /** The hash loop's speed, iterations per microsecond; calibrated on this thread when absent (tests fix it). */
  itersPerUs?: number;
}

/** One entry of the round-robin: a strategy, or one oracle candidate. */
interface Entry {
  strategy: StrategyName;
  label: string;
  /** One repetition; `watch` reads a tinypool baseline's pool for a timeout's message. */
  run: (watch: PoolWatch) => Promise<RunOutcome>;
  samples: number[];
  errors: string[];
  /** Repetitions that overran the time limit, each with what the strategy was doing. */
  timeouts: string[];
}

/** A strategy that did not finish within its time: what it was doing is in the message. */
export class StrategyTimeout extends Error {
  override name = "StrategyTimeout";
}

/**
 * Rejects with a {@link StrategyTimeout} when `promise` has not settled within `ms`, naming `what`
 * and, where `state` tells it, what it was doing. Stops only the waiting: the caller ends the work.
 */
export function withTimeout<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
  state?: () => string,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      let doing = "";
      try {
        doing = state?.() ?? "";
      } catch (error) {
        // A message to write must not throw in a timer, where it would end the process.
        doing = `its state unreadable: ${message(error)}`;
      }
      const suffix = doing === "" ? "" : ` (${doing})`;
      reject(new StrategyTimeout(`${what} did not finish within ${Math.round(ms / 1000)} s${suffix}`));
    }, ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Where a failed repetition goes: a timeout to `timeouts`, its pool ended (see
 * {@link PoolWatch.abandon}), anything else (a wrong result, an error) to `errors`.
 */
export function recordFailure(
  into: { errors: string[]; timeouts: string[] },
  error: unknown,
  watch: PoolWatch,
): void {
  if (error instanceof StrategyTimeout) {
    into.timeouts.push(message(error));
    watch.abandon();
  } else {
    into.errors.push(message(error));
  }
}

function message(error: unknown): string {
  return messageOf(error).split("\n")[0]!;
}

const gc = (globalThis as { gc?: () => void }).gc;

function describeConfig(c: SweepConfig): string {
  return `${c.workers} worker${c.workers === 1 ? "" : "s"} x ${c.chunkSize} per chunk`;
}

function describePlan(e: ExecuteResult): string {
  const p = e.plan;
  if (p.mode === "serial") return "serial";
  if (p.mode === "concurrent") return `concurrent, ${p.concurrency} at once`;
  return `${p.workers} worker${p.workers === 1 ? "" : "s"} x ${p.chunkSize} per chunk${p.adaptive ? ", adaptive" : ""}`;
}

function nullable(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/** Runs the benchmark and returns everything the writers need. */
export async function runBench(options: BenchOptions): Promise<BenchResults> {
  const { plan, api, log } = options;
  const startedAt = new Date();
  const t0 = performance.now();
  const loadavgStart = loadavg();

  const hardware = await api.probeHardware();
  const usableCores = hardware.cores.usable.value;
  const spawnStart = performance.now();
  await api.measureSpawnCost();
  // Each run measures the workloads' warm-ups again: none is carried over from an earlier run.
  rmSync(join(defaultCacheDir(), "modules"), { recursive: true, force: true });
  const spawnCostMs = performance.now() - spawnStart;
  const itersPerUs = options.itersPerUs ?? measureItersPerUs();
  log(
    `bench: ${plan.mode} run, ${usableCores} usable cores, hash loop ${itersPerUs.toFixed(0)} iterations/us,` +
      ` spawn cost ready in ${spawnCostMs.toFixed(0)} ms`,
  );

  const workloads = await loadWorkloads(options.only);
  const results: WorkloadResult[] = [];
  for (const workload of workloads) {
    results.push(await benchWorkload(workload, { plan, api, log, usableCores, itersPerUs }));
  }

  const missing = missingCells(results);
  return {
    schemaVersion: 3,
    mode: plan.mode,
    startedAt: startedAt.toISOString(),
    durationMs: performance.now() - t0,
    machine: {
      platform: hardware.platform,
      arch: hardware.arch,
      cpuModel: hardware.cpuModel.value,
      node: process.versions.node,
      availableParallelism: availableParallelism(),
      usableCores,
      loadavgStart,
      loadavgEnd: loadavg(),
    },
    settings: settingsOf(plan, usableCores),
    calibration: { itersPerUs, spawnCostMs },
    workloads: results,
    targets: checkTargets(results),
    complete: missing.length === 0,
    missing,
  };
}

function settingsOf(plan: BenchPlan, usableCores: number): BenchSettings {
  return {
    repetitions: plan.repetitions,
    sweepRepetitions: plan.sweepRepetitions,
    sweepGridFactor: plan.sweepGridFactor,
    sweepMaxWorkers: 2 * usableCores,
    sweepCutoff: plan.sweepCutoff,
    oracleCandidates: plan.oracleCandidates,
    seed: plan.seed,
    fairness: FAIRNESS,
  };
}

interface WorkloadContext {
  plan: BenchPlan;
  api: AmorsizeApi;
  log: (line: string) => void;
  usableCores: number;
  itersPerUs: number;
}

async function benchWorkload(workload: Workload, ctx: WorkloadContext): Promise<WorkloadResult> {
  const { plan, api, log } = ctx;
  const d = workload.descriptor;
  const quick = plan.mode === "quick";
  const count = quick ? d.count.quick : d.count.full;
  const items = d.generate(count, {
    seed: plan.seed,
    itersPerUs: ctx.itersPerUs,
    scale: quick ? d.quickScale : 1,
  });

  // An untimed serial run: warms the JIT and the module up and gives the reference results.
  const reference = await runSerial(workload, items);
  const expected = checksum(reference.results);
  // Generous: one task per item can be 150x slower than a loop; a hang must still end.
  const timeoutMs = Math.max(120_000, reference.ms * 300);
  const verify = (outcome: RunOutcome, what: string): number => {
    if (outcome.results.length !== items.length || checksum(outcome.results) !== expected) {
      throw new Error(`${what} returned wrong results`);
    }
    return outcome.ms;
  };
  // Warm now, unlike the reference run: the bound the sweep cuts hopeless configurations against.
  const warmSerialMs = verify(await runSerial(workload, items), "serial");
  const moduleLoadMs = await measureModuleLoad(workload.moduleUrl, plan.moduleLoadSamples).catch(
    (error: unknown) => {
      log(`${d.name}: module load not measured: ${message(error)}`);
      return null;
    },
  );
  log(
    `${d.name}: ${items.length} items, serial ~${warmSerialMs.toFixed(0)} ms (cold ${reference.ms.toFixed(0)} ms),` +
      ` module import in a fresh worker ${moduleLoadMs?.toFixed(0) ?? "n/a"} ms; sweeping`,
  );

  const sweep = await runSweep(
    sweepConfigs(items.length, 2 * ctx.usableCores, plan.sweepGridFactor),
    plan.sweepRepetitions,
    async (config, signal) => {
      const outcome = await withTimeout(
        runExecutor(api, workload, items, config, signal),
        timeoutMs,
        describeConfig(config),
      );
      gc?.();
      return verify(outcome, describeConfig(config));
    },
    plan.sweepCutoff,
    warmSerialMs,
  );
  const candidates = bestConfigs(sweep, plan.oracleCandidates);
  log(
    `${d.name}: sweep of ${sweep.length} configs, best ${candidates.map((c) => `${describeConfig(c)} ${c.ms.toFixed(0)} ms`).join(", ") || "none"}`,
  );

  const nJobs = availableParallelism();
  const poolMap = { workers: nJobs, chunkSize: poolMapChunkSize(items.length, nJobs) };
  const runs: AmorsizeRun[] = [];
  let joblibTrace: JoblibTrace | null = null;
  const entry = (
    strategy: StrategyName,
    label: string,
    run: (watch: PoolWatch) => Promise<RunOutcome>,
  ): Entry => ({ strategy, label, run, samples: [], errors: [], timeouts: [] });
  const entries: Entry[] = [
    entry("serial", "main thread loop", () => runSerial(workload, items)),
    entry("naive-pool", "tinypool defaults, 1 item per task", (watch) =>
      runNaivePool(workload, items, watch),
    ),
    entry("pool-map", describeConfig(poolMap), () => runExecutor(api, workload, items, poolMap)),
    entry("joblib", `${nJobs} workers, auto batching`, (watch) =>
      runJoblib(
        workload,
        items,
        nJobs,
        (t) => {
          joblibTrace = t;
        },
        watch,
      ),
    ),
    entry("amorsize", "execute()", () => runAmorsize(api, workload, items)),
    ...candidates.map((c) => entry("oracle", describeConfig(c), () => runExecutor(api, workload, items, c))),
  ];

  for (let rep = 0; rep < plan.repetitions; rep++) {
    for (const e of rotate(entries, rep)) {
      gc?.();
      const watch = new PoolWatch();
      try {
        const outcome = await withTimeout(e.run(watch), timeoutMs, `${e.strategy} (${e.label})`, () =>
          watch.describe(),
        );
        e.samples.push(verify(outcome, e.strategy));
        // Only a verified run's account of itself counts.
        if ("execution" in outcome) {
          runs.push({ execution: (outcome as { execution: ExecuteResult }).execution, ms: outcome.ms });
        }
      } catch (error) {
        recordFailure(e, error, watch);
      }
    }
  }

  const serialEntry = entries[0]!;
  const oracleEntries = entries.filter((e) => e.strategy === "oracle");
  // Serial first: on a tie the oracle is the plain loop.
  const bestOracle = pickOracle([serialEntry, ...oracleEntries]);
  const oracleChoice: OracleChoice | null =
    bestOracle === undefined
      ? null
      : bestOracle === serialEntry
        ? { mode: "serial" }
        : { mode: "parallel", ...configOf(candidates[oracleEntries.indexOf(bestOracle)]!) };
  const byStrategy = (s: StrategyName): Entry | undefined =>
    s === "oracle" ? bestOracle : entries.find((e) => e.strategy === s);

  const oracleMs = bestOracle ? median(bestOracle.samples) : Number.NaN;
  const serialMs = median(serialEntry.samples);
  const strategies = {} as Record<StrategyName, StrategyResult>;
  for (const s of STRATEGIES) {
    const e = byStrategy(s);
    const samples = e?.samples ?? [];
    const m = nullable(median(samples));
    strategies[s] = {
      strategy: s,
      samplesMs: samples,
      medianMs: m,
      madMs: nullable(medianAbsoluteDeviation(samples)),
      ratioToOracle: m === null ? null : nullable(m / oracleMs),
      ratioToSerial: m === null ? null : nullable(m / serialMs),
      config: oracleLabel(s, e, serialEntry),
      errors: s === "oracle" ? oracleEntries.flatMap((x) => x.errors) : (e?.errors ?? []),
      timeouts: s === "oracle" ? oracleEntries.flatMap((x) => x.timeouts) : (e?.timeouts ?? []),
    };
  }
  const amorsizeMs = strategies.amorsize.medianMs;
  log(
    `${d.name}: ${STRATEGIES.map((s) => `${s} ${strategies[s].medianMs?.toFixed(0) ?? "n/a"}`).join(", ")} (ms)`,
  );

  return {
    name: d.name,
    summary: d.summary,
    items: items.length,
    fineGrained: d.fineGrained,
    targetItemUs: d.meanItemUs * (quick ? d.quickScale : 1),
    serialItemUs: Number.isFinite(serialMs) ? (serialMs * 1000) / items.length : null,
    strategies,
    amorsize: amorsizeFigures(runs, serialMs, amorsizeMs),
    oracle: {
      best: oracleChoice,
      candidates: candidates.map((c, i) => ({
        workers: c.workers,
        chunkSize: c.chunkSize,
        sweepMs: c.ms,
        medianMs: nullable(median(oracleEntries[i]!.samples)),
      })),
      sweepRepetitions: plan.sweepRepetitions,
      sweep,
    },
    joblib: joblibTrace,
    moduleLoadMs,
  };
}

function configOf(c: SweepConfig): SweepConfig {
  return { workers: c.workers, chunkSize: c.chunkSize };
}

/** The configuration a strategy ran with; the oracle's names serial when the plain loop won. */
function oracleLabel(s: StrategyName, e: Entry | undefined, serial: Entry): string {
  if (s !== "oracle") return e?.label ?? "n/a";
  if (e === undefined) return "no configuration completed";
  return e === serial ? "serial" : e.label;
}

/** One verified `execute()` call: what it said about itself and the wall time the bench measured. */
export interface AmorsizeRun {
  execution: ExecuteResult;
  ms: number;
}

/** Medians of what `execute()` said about itself, against the measured times. */
export function amorsizeFigures(
  runs: readonly AmorsizeRun[],
  serialMs: number,
  amorsizeMs: number | null,
): AmorsizeFigures {
  const executions = runs.map((r) => r.execution);
  const counts = new Map<string, number>();
  for (const e of executions) {
    const p = describePlan(e);
    counts.set(p, (counts.get(p) ?? 0) + 1);
  }
  const med = (f: (e: ExecuteResult) => number) => nullable(median(executions.map(f)));
  const predictedSpeedup = med((e) => e.check.endToEnd.predictedSpeedup);
  const measuredSpeedup = amorsizeMs !== null && amorsizeMs > 0 ? nullable(serialMs / amorsizeMs) : null;
  const runMs = med((e) => e.report.wallMs);
  const optimizerMs = med((e) => e.overheadMs.sample - (e.overheadMs.filled ?? 0) + e.overheadMs.plan);
  // Items the calling thread ran while a warm-up probe ran are the run's work, not deciding.
  const decidingMs = med((e) => e.overheadMs.total - (e.overheadMs.filled ?? 0));
  const overheadMs =
    executions.length === 0
      ? null
      : {
          probe: med((e) => e.overheadMs.probe)!,
          spawnCost: med((e) => e.overheadMs.spawnCost)!,
          sample: med((e) => e.overheadMs.sample)!,
          plan: med((e) => e.overheadMs.plan)!,
          total: decidingMs!,
        };
  return {
    plans: [...counts].map(([plan, repetitions]) => ({ plan, repetitions })),
    predictedWallMs: med((e) => e.check.endToEnd.predictedMs),
    predictedSpeedup,
    measuredSpeedup,
    measuredRunSpeedup: runMs !== null && runMs > 0 ? nullable(serialMs / runMs) : null,
    predictionError:
      predictedSpeedup !== null && measuredSpeedup !== null
        ? nullable(relativeError(predictedSpeedup, measuredSpeedup))
        : null,
    timeError: nullable(median(runs.map((r) => relativeError(r.execution.check.endToEnd.predictedMs, r.ms)))),
    runPredictionError: nullable(
      median(
        executions
          .filter((e) => e.report.wallMs > 0)
          .map((e) => relativeError(e.check.predictedWallMs, e.report.wallMs)),
      ),
    ),
    overheadMs,
    optimizerMs,
    optimizerShare:
      optimizerMs !== null && amorsizeMs !== null && amorsizeMs > 0 ? optimizerMs / amorsizeMs : null,
    decidingMs,
    decidingShareOfSerial: decidingMs !== null && serialMs > 0 ? nullable(decidingMs / serialMs) : null,
  };
}
