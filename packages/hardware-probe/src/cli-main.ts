import { parseArgs } from "node:util";
import { messageOf } from "@amorsize/types";
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
  -h, --help       print this help

Exit status: 0 on success, 1 on an unknown option or a failure the probe cannot recover from.`;

/** Where the CLI writes; the real streams, or strings in tests. */
export interface CliOutput {
  out(text: string): void;
  err(text: string): void;
}

function firstLine(error: unknown): string {
  const message = messageOf(error);
  return message.split("\n")[0] ?? message;
}

/** Runs `amorsize-probe` with the given arguments; resolves with the exit code. */
export async function runCli(args: readonly string[], output: CliOutput): Promise<number> {
  let values: { json?: boolean; help?: boolean; "sample-load"?: boolean; root?: string };
  try {
    ({ values } = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: {
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
        "sample-load": { type: "boolean" },
        root: { type: "string" },
      },
    }));
  } catch (error) {
    const usage = new AmorsizeProbeUsageError(firstLine(error), { cause: error });
    output.err(`amorsize-probe: ${usage.message} (see --help)\n`);
    return 1;
  }
  if (values.help) {
    output.out(`${CLI_HELP}\n`);
    return 0;
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
