// `npm run bench -- --cold [--quick]` lands here: the cold scenario, written to
// results/cold(.quick).{md,json}.
import { measureItersPerUs } from "../workloads/_lib.mjs";
import { BENCH_PLANS } from "./bench.js";
import { COLD_PLANS, renderCold, runCold } from "./cold.js";
import { writeScenario } from "./service-main.js";
import { loadWorkloads } from "./workloads.js";

/** Runs the scenario and writes its report; the exit code says whether it ran. */
export async function coldMain(quick: boolean, log: (line: string) => void): Promise<number> {
  const plan = COLD_PLANS[quick ? "quick" : "full"];
  const workloads = await loadWorkloads(plan.workloads);
  const counts = new Map(
    workloads.map((w) => [w.descriptor.name, w.descriptor.count[quick ? "quick" : "full"]]),
  );
  const results = await runCold(
    plan,
    { itersPerUs: measureItersPerUs(), seed: BENCH_PLANS.full.seed, countOf: (name) => counts.get(name)! },
    log,
  );
  await writeScenario(quick ? "cold.quick" : "cold", renderCold(results), results);
  return 0;
}
