/**
 * The "cold" scenario: what a one-off job sees, run the way a command-line user runs it.
 * Each run is a fresh Node process that has never run the task: its first calls run while
 * V8 still compiles the task and the library builds its tables, in the sampler as in the
 * workers. The main benchmark warms the task in its own thread first (a second run's
 * view); this one does not. A plain loop and `execute()` are timed in alternation, each
 * in its own process, on the same items; results are checked against the loop's.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { median } from "./stats.js";

/** What a child process reports (one JSON line on stdout). */
export interface ColdRun {
  strategy: "loop" | "amorsize";
  /** From before the call (amorsize: before importing the optimizer) to having the results. */
  wallMs: number;
  /** The call alone (the loop, or `execute()` once the optimizer was imported). */
  callMs: number;
  checksum: string;
  plan?: string;
  predictedMs?: number;
  decidingMs?: number;
  sampled?: number;
  sampledItemMs?: number;
}

export interface ColdPlan {
  workloads: readonly string[];
  repetitions: number;
  quick: boolean;
}

/** The workloads built on npm libraries, whose first calls are the coldest; and one synthetic one. */
export const COLD_PLANS: Record<"full" | "quick", ColdPlan> = {
  full: {
    workloads: [
      "medium",
      "terser-minify",
      "acorn-parse",
      "fflate-deflate",
      "marked-render",
      "hljs-highlight",
    ],
    repetitions: 3,
    quick: false,
  },
  quick: { workloads: ["medium", "marked-render"], repetitions: 1, quick: true },
};

/** One workload's figures: medians over the repetitions. */
export interface ColdFigures {
  workload: string;
  items: number;
  loopMs: number;
  amorsizeMs: number;
  amorsizeCallMs: number;
  /** amorsize's wall time (its import included) over the loop's. */
  ratio: number;
  plans: string[];
  predictedMs: number;
  decidingMs: number;
  sampled: number;
  /** The sampled item time against the loop's time per item. */
  sampledItemMs: number;
  loopItemMs: number;
}

/** Medians of a workload's runs. Throws when a run's results differ from the loop's. */
export function coldFigures(workload: string, items: number, runs: readonly ColdRun[]): ColdFigures {
  const loops = runs.filter((r) => r.strategy === "loop");
  const ams = runs.filter((r) => r.strategy === "amorsize");
  if (loops.length === 0 || ams.length === 0) throw new Error(`${workload}: a strategy has no run`);
  const expected = loops[0]!.checksum;
  for (const r of runs) {
    if (r.checksum !== expected) throw new Error(`${workload}: ${r.strategy} gave results unlike the loop's`);
  }
  const loopMs = median(loops.map((r) => r.wallMs));
  const amorsizeMs = median(ams.map((r) => r.wallMs));
  return {
    workload,
    items,
    loopMs,
    amorsizeMs,
    amorsizeCallMs: median(ams.map((r) => r.callMs)),
    ratio: amorsizeMs / loopMs,
    plans: ams.map((r) => r.plan ?? "?"),
    predictedMs: median(ams.map((r) => r.predictedMs ?? Number.NaN)),
    decidingMs: median(ams.map((r) => r.decidingMs ?? Number.NaN)),
    sampled: median(ams.map((r) => r.sampled ?? Number.NaN)),
    sampledItemMs: median(ams.map((r) => r.sampledItemMs ?? Number.NaN)),
    loopItemMs: loopMs / items,
  };
}

const CHILD = fileURLToPath(new URL("./cold-child.js", import.meta.url));

/** Runs one child and parses its line. */
function runChild(args: readonly string[]): Promise<ColdRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) return reject(new Error(`cold run ${args.join(" ")} exited ${code}: ${err.trim()}`));
      try {
        resolve(JSON.parse(out.trim().split("\n").pop()!) as ColdRun);
      } catch (error) {
        reject(new Error(`cold run ${args.join(" ")} printed no result: ${out}${err}`, { cause: error }));
      }
    });
  });
}

export interface ColdResults {
  itersPerUs: number;
  repetitions: number;
  workloads: ColdFigures[];
}

/** Every workload of the plan, loop and amorsize alternating (the first strategy changes each repetition). */
export async function runCold(
  plan: ColdPlan,
  setup: { itersPerUs: number; seed: number; countOf: (name: string) => number },
  log: (line: string) => void,
): Promise<ColdResults> {
  const workloads: ColdFigures[] = [];
  for (const name of plan.workloads) {
    const count = setup.countOf(name);
    const runs: ColdRun[] = [];
    for (let r = 0; r < plan.repetitions; r++) {
      const order = r % 2 === 0 ? (["loop", "amorsize"] as const) : (["amorsize", "loop"] as const);
      for (const strategy of order) {
        const run = await runChild([
          name,
          strategy,
          String(count),
          String(setup.itersPerUs),
          String(setup.seed),
        ]);
        log(`cold ${name} ${strategy}: ${run.wallMs.toFixed(0)} ms${run.plan ? ` (${run.plan})` : ""}`);
        runs.push(run);
      }
    }
    workloads.push(coldFigures(name, count, runs));
  }
  return { itersPerUs: setup.itersPerUs, repetitions: plan.repetitions, workloads };
}

const ms = (v: number) =>
  Number.isFinite(v) ? (v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(v < 10 ? 2 : 0)} ms`) : "-";

/** The scenario's markdown report. */
export function renderCold(results: ColdResults): string {
  const lines = [
    "# Cold runs: a fresh process per run",
    "",
    `Median of ${results.repetitions} run(s) per strategy, each in a fresh Node process that has neither imported nor run the task before (its items are generated in a worker thread); loop and amorsize alternate. Both times include importing the task module; amorsize's also includes importing the optimizer (the call alone beside it). Sampled item time is what amorsize's sample said an item costs; the loop's is its wall time per item.`,
    "",
    "| workload | items | plain loop | amorsize | amorsize / loop | execute() alone | plans | predicted | deciding | sampled | sampled item | loop item |",
    "| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |",
    ...results.workloads.map(
      (w) =>
        `| ${w.workload} | ${w.items} | ${ms(w.loopMs)} | ${ms(w.amorsizeMs)} | ${w.ratio.toFixed(2)}x | ${ms(w.amorsizeCallMs)} | ${w.plans.join("; ")} | ${ms(w.predictedMs)} | ${ms(w.decidingMs)} | ${w.sampled} | ${ms(w.sampledItemMs)} | ${ms(w.loopItemMs)} |`,
    ),
    "",
  ];
  return lines.join("\n");
}
