// The Amorsize demo: first the composition step by step, each step a call into its own
// package; then the full optimizer on a set of built-in workloads of different character.
// `runDemo()` prints what users see and returns what it printed about, so the tests can
// run it once, on a fraction of the data, and check it.
import { performance } from "node:perf_hooks";
import { explain, planExecution } from "@amorsize/cost-model";
import { createExecutor } from "@amorsize/executor";
import { probeHardware } from "@amorsize/hardware-probe";
import { type ExecuteResult, execute, formatTable, planSummary, sampleTask } from "@amorsize/optimizer";
import { measureSpawnCost } from "@amorsize/spawn-cost";
import type { ExecutionReport, HardwareProfile, Plan, SpawnCostProfile } from "@amorsize/types";
import { type DemoWorkload, TASKS, workloads } from "./workloads.js";

export interface DemoOptions {
  /** Multiplies every workload's item count; the demo users run is 1, the tests run a twentieth. */
  scale?: number;
  /** Where each printed line goes; stdout by default. */
  say?: (line: string) => void;
  /** Cache folder (the spawn-cost profile); the packages' default when absent. */
  cacheDir?: string;
}

/** Part 1: what each package returned for the step-by-step workload. */
export interface StepByStep {
  workload: DemoWorkload;
  hardware: HardwareProfile;
  spawnCost: SpawnCostProfile;
  plan: Plan;
  results: unknown[];
  report: ExecutionReport;
}

/** Part 2: one workload through `execute()`, next to the plain serial loop. */
export interface WorkloadRun {
  workload: DemoWorkload;
  items: number;
  serial: { ms: number; results: unknown[] };
  result: ExecuteResult<unknown>;
}

export interface DemoRun {
  stepByStep: StepByStep;
  workloads: WorkloadRun[];
}

const ms = (x: number) => (x >= 100 ? `${x.toFixed(0)} ms` : `${x.toFixed(1)} ms`);

const stdout = (line: string) => {
  process.stdout.write(`${line}\n`);
};

interface Context {
  scale: number;
  say: (line?: string) => void;
  cacheDir: { cacheDir: string } | Record<string, never>;
}

async function stepByStep({ scale, say, cacheDir }: Context): Promise<StepByStep> {
  const workload = workloads.find((w) => w.name === "heavy skewed")!;
  const task = { module: TASKS, export: workload.exportName };
  const items = workload.data(scale);
  say(`Part 1: the packages, one call each, on "${workload.name}" (${workload.description})`);
  say();

  let t = performance.now();
  const hardware = await probeHardware();
  say(`1. @amorsize/hardware-probe  probeHardware()  ${ms(performance.now() - t)}`);
  say(
    `   ${hardware.cores.logical.value} logical, ${hardware.cores.physical.value ?? "?"} physical, ` +
      `quota ${hardware.cores.quota.cpus ?? "none"} -> ${hardware.cores.usable.value} usable cores ` +
      `(bounded by ${hardware.cores.usable.source}); usable memory ${(hardware.memory.usable.value / 2 ** 30).toFixed(1)} GiB`,
  );

  t = performance.now();
  const spawnCost = await measureSpawnCost({ hardware, ...cacheDir });
  say(`2. @amorsize/spawn-cost      measureSpawnCost()  ${ms(performance.now() - t)} (${spawnCost.source})`);
  say(
    `   worker start ${spawnCost.workerStart.fixedMs.value.toFixed(1)} ms + ${spawnCost.workerStart.perWorkerMs.value.toFixed(1)} ms/worker, ` +
      `dispatch ${spawnCost.dispatch.throughputUs.value.toFixed(0)} us/task, ` +
      `small-object clone ${spawnCost.clone.object?.perItemUs.value.toFixed(2)} us/item`,
  );

  t = performance.now();
  // This process has not run the task yet: V8 compiles it on its first items, which run
  // slower than the rest (`cold` reads the figures as the task runs once compiled).
  const sample = await sampleTask(task, items, { cold: true });
  const w = sample.workload;
  say(`3. @amorsize/optimizer       sampleTask(task, items, { cold: true })  ${ms(performance.now() - t)}`);
  say(
    `   ${w.sampled} items sampled (indices ${w.indices.slice(0, 6).join(", ")}${w.sampled > 6 ? ", ..." : ""}): ` +
      `mean ${ms(w.itemTimeMs.mean)}, cv ${w.itemTimeMs.cv.toFixed(2)}, cpu/wall ${w.cpuToWall.toFixed(2)}; results kept for reuse`,
  );
  say(
    w.warmup === undefined
      ? "   no warm-up read: the first items ran no slower than the later ones' spread explains"
      : `   the first items ran slower while V8 compiled the task: ${ms(w.warmup.excessMs)} more, which each fresh worker pays too`,
  );

  t = performance.now();
  const plan = planExecution({ hardware, spawnCost, workload: w });
  say(`4. @amorsize/cost-model      planExecution()  ${ms(performance.now() - t)}, then explain(plan):`);
  for (const line of explain(plan).split("\n")) say(`   | ${line}`);

  say("5. @amorsize/executor        createExecutor() + map()");
  const executor =
    plan.mode === "parallel"
      ? createExecutor({ mode: "parallel", workers: plan.workers })
      : createExecutor({
          mode: "serial",
          ...(plan.mode === "concurrent" ? { concurrency: plan.concurrency } : {}),
        });
  try {
    t = performance.now();
    const { results, report } = await executor.map(task, sample.data, {
      ...(plan.mode === "parallel" ? { chunkSize: plan.adaptive ? "auto" : plan.chunkSize } : {}),
      precomputed: sample.precomputed,
    });
    const wall = performance.now() - t;
    say(
      `   ${results.length} results in ${ms(wall)} (predicted ${ms(plan.predicted.wallMs)}, serial predicted ${ms(plan.predicted.serialMs)}); ` +
        `${report.chunks} chunks, median chunk ${ms(report.chunkMs.median)}, utilisation ${(report.utilisation * 100).toFixed(0)}%`,
    );
    say();
    return { workload, hardware, spawnCost, plan, results, report };
  } finally {
    await executor.close();
  }
}

async function serialLoop(exportName: string, items: readonly unknown[]): Promise<WorkloadRun["serial"]> {
  const module = (await import(TASKS)) as Record<string, (x: unknown) => unknown>;
  const fn = module[exportName]!;
  // Keep the results, as execute() does: dropping them would leave the loop less garbage to collect.
  const results = new Array(items.length);
  const t = performance.now();
  for (let i = 0; i < items.length; i++) results[i] = fn(items[i]);
  return { ms: performance.now() - t, results };
}

async function allWorkloads({ scale, say, cacheDir }: Context): Promise<WorkloadRun[]> {
  say("Part 2: execute() on each built-in workload (spawn cost cached, plan cache off)");
  say();
  const runs: WorkloadRun[] = [];
  const rows: string[][] = [];
  const why: string[] = [];
  for (const workload of workloads) {
    const items = workload.data(scale);
    const serial = await serialLoop(workload.exportName, items);
    const task = { module: TASKS, export: workload.exportName };
    const result = await execute(task, items, { cache: false, ...cacheDir });
    runs.push({ workload, items: items.length, serial, result });
    rows.push([
      workload.name,
      planSummary(result.plan),
      ms(result.check.predictedWallMs),
      ms(result.check.measuredWallMs),
      ms(result.overheadMs.total),
      ms(serial.ms),
      `${(serial.ms / result.wallMs).toFixed(2)}x`,
    ]);
    why.push(`  ${workload.name} (${workload.description}):`);
    for (const r of result.plan.reasons) why.push(`    ${r.code}: ${r.message}`);
  }
  say(formatTable(["workload", "plan", "predicted", "measured", "optimizing", "serial", "vs serial"], rows));
  say();
  say("Why each plan:");
  for (const line of why) say(line);
  say();
  say('"measured" is the run itself; "vs serial" divides the serial loop by optimizing + running.');
  return runs;
}

/** Runs both parts and prints them, then how long the demo took. */
export async function runDemo(options: DemoOptions = {}): Promise<DemoRun> {
  const print = options.say ?? stdout;
  const ctx: Context = {
    scale: options.scale ?? 1,
    say: (line = "") => print(line),
    cacheDir: options.cacheDir === undefined ? {} : { cacheDir: options.cacheDir },
  };
  const started = performance.now();
  const run = { stepByStep: await stepByStep(ctx), workloads: await allWorkloads(ctx) };
  ctx.say(`Demo finished in ${((performance.now() - started) / 1000).toFixed(1)} s.`);
  return run;
}
