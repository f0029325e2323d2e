import { mkdir, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { messageOf } from "@amorsize/types";
import { amorsize } from "./amorsize.js";
import { BENCH_PLANS, runBench } from "./bench.js";
import { outputBaseName, parseCli, USAGE } from "./cli.js";
import { coldMain } from "./cold-main.js";
import { renderMarkdown } from "./markdown.js";
import { serviceMain } from "./service-main.js";
import { renderSvg } from "./svg.js";
import { benchVerdict } from "./verdict.js";

const RESULTS_DIR = new URL("../results/", import.meta.url);

/** Writes and waits until it is flushed: the process exits explicitly right after. */
function print(stream: NodeJS.WriteStream, text: string): Promise<void> {
  return new Promise((resolve) => stream.write(text, () => resolve()));
}

async function main(): Promise<number> {
  let cli: ReturnType<typeof parseCli>;
  try {
    cli = parseCli(process.argv.slice(2));
  } catch (error) {
    await print(process.stderr, `${messageOf(error)}\n\n${USAGE}\n`);
    return 2;
  }
  if (cli.help) {
    await print(process.stdout, `${USAGE}\n`);
    return 0;
  }
  if (cli.service) return serviceMain(cli.quick, (line) => process.stderr.write(`${line}\n`));
  if (cli.cold) return coldMain(cli.quick, (line) => process.stderr.write(`${line}\n`));
  const base = BENCH_PLANS[cli.quick ? "quick" : "full"];
  const plan = cli.repetitions === undefined ? base : { ...base, repetitions: cli.repetitions };
  const results = await runBench({
    plan,
    ...(cli.only ? { only: cli.only } : {}),
    api: amorsize,
    log: (line) => process.stderr.write(`${line}\n`),
  });

  await mkdir(RESULTS_DIR, { recursive: true });
  const name = outputBaseName(cli);
  const files = {
    md: new URL(`${name}.md`, RESULTS_DIR),
    json: new URL(`${name}.json`, RESULTS_DIR),
    svg: new URL(`${name}.svg`, RESULTS_DIR),
  };
  await writeFile(files.md, renderMarkdown(results));
  await writeFile(files.json, `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(files.svg, renderSvg(results));
  await print(process.stdout, renderMarkdown(results));
  const notes = [
    `bench: wrote ${Object.values(files)
      .map((f) => fileURLToPath(f))
      .join(", ")}`,
  ];

  const { failures, findings } = benchVerdict(results);
  if (!results.complete) notes.push(`bench: INCOMPLETE, no figure for ${results.missing.join(", ")}`);
  for (const f of failures) notes.push(`bench: FAILED ${f}`);
  for (const f of findings) notes.push(`bench: a baseline overran (reported, not failed): ${f}`);
  await print(process.stderr, `${notes.join("\n")}\n`);
  return results.complete && failures.length === 0 ? 0 : 1;
}

// Exit explicitly: a pool a failed strategy left behind must not keep the process alive.
main().then(
  (code) => process.exit(code),
  async (error: unknown) => {
    await print(
      process.stderr,
      `bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
