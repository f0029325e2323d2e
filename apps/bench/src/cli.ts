import { parseArgs } from "node:util";
import { WORKLOAD_NAMES } from "./workloads.js";

export const USAGE = `Usage: npm run bench -- [--quick] [--only name1,name2] [--repetitions N]
       npm run bench -- --service [--quick]
       npm run bench -- --cold [--quick]

  --quick            reduced run (fewer items, 2 repetitions, coarse sweep) for CI;
                     writes results/results.quick.{md,json,svg}
  --only names       run only these workloads (comma-separated); a full run with
                     --only writes results/results.partial.{md,json,svg}
  --repetitions N    repetitions per strategy (default 5, quick 2)
  --service          the service scenario instead: many successive calls in one process
                     (createAmorsize() session vs a warm hand-written tinypool, a plain
                     loop and execute() per call; memory over 100 task modules); writes
                     results/service(.quick).{md,json}
  --cold             the cold scenario instead: a plain loop and execute() each in a fresh
                     process that has never run the task (library workloads and medium);
                     writes results/cold(.quick).{md,json}
  --help             this text

Workloads: ${WORKLOAD_NAMES.join(", ")}`;

export interface CliOptions {
  quick: boolean;
  only: string[] | undefined;
  repetitions: number | undefined;
  help: boolean;
  service: boolean;
  cold: boolean;
}

/** Parses the command line; throws with a readable message on anything it does not know. */
export function parseCli(argv: readonly string[]): CliOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: "boolean", default: false },
      only: { type: "string" },
      repetitions: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
      service: { type: "boolean", default: false },
      cold: { type: "boolean", default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  let only: string[] | undefined;
  if (values.only !== undefined) {
    only = values.only
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
    const unknown = only.filter((n) => !(WORKLOAD_NAMES as readonly string[]).includes(n));
    if (only.length === 0) throw new Error("--only needs at least one workload name");
    if (unknown.length > 0) {
      throw new Error(`--only: unknown workload ${unknown.join(", ")}; known: ${WORKLOAD_NAMES.join(", ")}`);
    }
  }
  let repetitions: number | undefined;
  if (values.repetitions !== undefined) {
    repetitions = Number(values.repetitions);
    if (!Number.isInteger(repetitions) || repetitions < 1) {
      throw new Error(`--repetitions must be a positive integer, got ${JSON.stringify(values.repetitions)}`);
    }
  }
  if (values.service && (only !== undefined || repetitions !== undefined)) {
    throw new Error("--service takes only --quick (its calls and repetitions are fixed by the scenario)");
  }
  if (values.cold && (values.service || only !== undefined || repetitions !== undefined)) {
    throw new Error("--cold takes only --quick (its workloads and repetitions are fixed by the scenario)");
  }
  return {
    quick: values.quick ?? false,
    only,
    repetitions,
    help: values.help ?? false,
    service: values.service ?? false,
    cold: values.cold ?? false,
  };
}

/** Base name of the output files: results, results.quick or results.partial (a full run of a subset). */
export function outputBaseName(options: Pick<CliOptions, "quick" | "only">): string {
  if (options.quick) return "results.quick";
  return options.only ? "results.partial" : "results";
}
