// `npm run bench -- --service [--quick]` lands here: the service scenario, written to
// results/service(.quick).{md,json}.
import { mkdir, writeFile } from "node:fs/promises";
import { renderService, runService, SERVICE_PLANS } from "./service.js";

const RESULTS_DIR = new URL("../results/", import.meta.url);

/** Runs the scenario and writes its report; the exit code says whether it ran (not whether targets were met). */
export async function serviceMain(quick: boolean, log: (line: string) => void): Promise<number> {
  const results = await runService(SERVICE_PLANS[quick ? "quick" : "full"], log);
  await writeScenario(quick ? "service.quick" : "service", renderService(results), results);
  return 0;
}

/** Writes a scenario's report as results/<name>.{md,json} and prints the markdown. */
export async function writeScenario(name: string, markdown: string, results: unknown): Promise<void> {
  await mkdir(RESULTS_DIR, { recursive: true });
  await writeFile(new URL(`${name}.md`, RESULTS_DIR), markdown);
  await writeFile(new URL(`${name}.json`, RESULTS_DIR), `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(markdown);
}
