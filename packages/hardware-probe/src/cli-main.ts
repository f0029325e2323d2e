import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { messageOf } from "@amorsize/types";
import { closestMatch } from "leven";
import { AmorsizeProbeUsageError } from "./errors.js";
import { formatHardwareProfile } from "./format.js";
import { probeHardware } from "./probe.js";

export const CLI_HELP = `Usage: amorsize-probe [options]

Prints what this machine can give to a Node.js process: cores (logical, affinity,
cpuset, physical, cgroup quota, usable), memory (total, available, cgroup limits,
usable), load and runtime, each figure with its source.

Options:
  --json           print the profile as JSON (the HardwareProfile schema)
  --sample-load    also sample the CPU-busy fraction (takes about a second)
  --root <dir>     read /proc and /sys under <dir> instead of / (fixture trees)
  -h, --help       print this help (also: amorsize-probe help)
  --version        print the version of amorsize-probe

Exit codes: 0 done, 1 a failure the probe cannot recover from, 2 a usage mistake
(an unknown option, a missing value, an argument it does not take).`;

const OPTIONS = {
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
  "sample-load": { type: "boolean" },
  root: { type: "string" },
} as const;

/** Where the CLI writes; the real streams, or strings in tests. */
export interface CliOutput {
  out(text: string): void;
  err(text: string): void;
}

function firstLine(error: unknown): string {
  const message = messageOf(error);
  return message.split("\n")[0] ?? message;
}

/** This package's version, from its package.json (one folder above src/ and dist/). */
function packageVersion(): string {
  const text = readFileSync(new URL("../package.json", import.meta.url), "utf8");
  return (JSON.parse(text) as { version: string }).version;
}

/**
 * A parse failure as a usage error. An unknown option names the option it looks like:
 * the first one parseArgs does not know, found by a lenient second parse.
 */
function usageError(args: readonly string[], error: unknown): AmorsizeProbeUsageError {
  const { tokens } = parseArgs({ args: [...args], options: OPTIONS, strict: false, tokens: true });
  const unknown = tokens.find((t) => t.kind === "option" && !Object.hasOwn(OPTIONS, t.name));
  if (unknown?.kind !== "option")
    return new AmorsizeProbeUsageError(`${firstLine(error)} (see --help)`, { cause: error });
  const names = Object.keys(OPTIONS).map((name) => `--${name}`);
  const guess = closestMatch(unknown.rawName, names, { maxDistance: 2 });
  const hint = guess ? `did you mean ${guess}?` : "see --help";
  return new AmorsizeProbeUsageError(`unknown option ${unknown.rawName} (${hint})`, { cause: error });
}

function parseFlags(args: readonly string[]) {
  try {
    return parseArgs({ args: [...args], strict: true, allowPositionals: true, options: OPTIONS });
  } catch (error) {
    throw usageError(args, error);
  }
}

/** The parsed flags, "help" or "version"; a usage mistake throws. */
function parse(args: readonly string[]) {
  const { values, positionals } = parseFlags(args);
  // `help` is the one argument taken, as `amorsize help` takes it.
  const extra = positionals.find((word, i) => i > 0 || word !== "help");
  if (extra !== undefined) throw new AmorsizeProbeUsageError(`unexpected argument "${extra}" (see --help)`);
  if (values.help || positionals[0] === "help") return "help" as const;
  if (values.version) return "version" as const;
  return values;
}

/** Runs `amorsize-probe` with the given arguments; resolves with the exit code. */
export async function runCli(args: readonly string[], output: CliOutput): Promise<number> {
  let values: Exclude<ReturnType<typeof parse>, "help" | "version">;
  try {
    const parsed = parse(args);
    if (parsed === "help") {
      output.out(`${CLI_HELP}\n`);
      return 0;
    }
    if (parsed === "version") {
      output.out(`${packageVersion()}\n`);
      return 0;
    }
    values = parsed;
  } catch (error) {
    output.err(`amorsize-probe: ${messageOf(error)}\n`);
    return 2;
  }
  try {
    const profile = await probeHardware({
      ...(values.root === undefined ? {} : { root: values.root }),
      sampleLoad: values["sample-load"] === true,
    });
    output.out(values.json ? `${JSON.stringify(profile, null, 2)}\n` : `${formatHardwareProfile(profile)}\n`);
    return 0;
  } catch (error) {
    output.err(`amorsize-probe: ${firstLine(error)}\n`);
    return 1;
  }
}
