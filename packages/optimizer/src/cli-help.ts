// The amorsize command's help texts, its version, and the "did you mean" of a mistyped name.
import { readFileSync } from "node:fs";
import { closestMatch } from "leven";

const COMMON_HELP = `Input (one of):
  --data FILE        a JSON array, or JSON lines (.jsonl / .ndjson), one item per line
  --stdin            read a JSON array or JSON lines from standard input (it must not
                     be empty: give [] for no items)
  --range N          the numbers 0 .. N-1
Options:
  --workers N        a parallel plan uses exactly N workers (the API's workers option);
                     serial still wins when N workers are not --min-speedup faster
  --max-workers N    use at most N workers
  --min-speedup X    run in parallel only if at least X times faster (default 1.2)
  --chunk-size N     fix the items per task
  --chunk-timeout MS fail a chunk (and a sampled item) that runs longer than MS; implies --isolate
  --max-memory-mb MB heap limit of each worker (an item past it fails as that item); implies --isolate
  --isolate          never run the task in this process: sampled items and a serial plan
                     run in a worker, so an item that exits or aborts fails as that item
  --no-cache         neither read nor write the plan cache
  --json             machine-readable output
  -h, --help         this help
  --version          the version of amorsize`;

export const HELP: Record<string, string> = {
  main: `amorsize: decide how to parallelise a function over worker threads, then run it that way.

Usage: amorsize <command> [options]

Commands:
  probe                       what this machine can give (cores, quota, memory)
  calibrate                   measure what parallelism costs here and cache it
  optimize <module#export>    decide: serial or parallel, workers, chunk size, and why
  explain <module#export>     the decision explained step by step
  run <module#export>         decide and run; results as JSON lines
  compare <module#export>     run the plan against serial, one task per item and alternatives
  worker --redis URL          serve chunks of cluster runs on this host (needs @amorsize/cluster)
  help <command>              a command's options and an example (also: <command> --help)

Options: -h, --help (this help), --version (the version of amorsize).
Exit codes: 0 done, 1 failed, 2 a usage mistake (the command line), 130/143 interrupted.`,
  probe: `Usage: amorsize probe [--json]

Prints the cores (logical, affinity, physical, quota, usable) and memory this process can use.

Example:
  amorsize probe --json`,
  calibrate: `Usage: amorsize calibrate [--refresh] [--budget MS] [--json]

Measures worker start-up, dispatch and structured-clone costs on this machine and caches them.
  --refresh          measure even if a valid cached profile exists
  --budget MS        time budget of the measurement (default 600)

Example:
  amorsize calibrate --refresh`,
  optimize: `Usage: amorsize optimize <module#export> (--data FILE | --stdin | --range N) [options]

Samples the task, models the run, and prints the plan.

${COMMON_HELP}

Example:
  amorsize optimize ./hash.js#sha256 --data items.json`,
  explain: `Usage: amorsize explain <module#export> (--data FILE | --stdin | --range N) [options]

Like optimize, then explains the decision term by term. Sampled items run in a worker; one
still running at the sampling budget + 800 ms is cut off and taken as at least that slow,
so the answer always comes.

${COMMON_HELP}

Example:
  amorsize explain ./fib.js#fib --range 5000`,
  run: `Usage: amorsize run <module#export> (--data FILE | --stdin | --range N) [--out FILE] [options]

Decides and runs. Each result is printed as one JSON line, in input order, as soon as it
and those before it are done, to standard output or to --out FILE; the report and any
cache warnings go to standard error at the end (--json: as JSON). When standard error is
a terminal and the results go elsewhere, a progress line is drawn there while it runs.
Sampled items always run in a worker, so one that exits, aborts or runs out of memory fails
as that item. A serial plan runs on that worker too when the cost model says it is
sooner there (the task is imported there, not here), unless --serial-here.
  --serial-here      run a serial plan in this process's own thread, never on the
                     sampling worker (not with --isolate, --chunk-timeout, --max-memory-mb)
  --on-error MODE    throw (default): stop at the first failure met (the results in
                     order up to there are printed; items run out of order, so some
                     before the failure may not have run); collect: run every item, a
                     failed item's line is null
  --out FILE         write to a new file beside FILE and rename it over FILE once the run
                     ended; a failed or interrupted (Ctrl-C) run leaves FILE as it was.
                     FILE is checked before the run. A device or FIFO is written in place.

How values are printed: JSON as it is when it reads back the same: null, true/false,
finite numbers (-0 as 0), strings, arrays and plain objects of these. A result JSON
cannot hold exactly (undefined, a BigInt, NaN, Infinity, a Map, Set, Date or other
built-in object, a function, an array with holes, a circular reference, an object with
toJSON()) is printed as null and reported as that item's error,
AMORSIZE_RESULT_NOT_PRINTABLE, with its index; the other results are kept (exit code 1).
A function or a symbol computed in a worker cannot come back at all: that item fails,
AMORSIZE_RESULT_NOT_CLONEABLE, as a throwing item does (under throw, the run stops).

When standard output's reader goes away (| head -1) the run stops quietly, exit code 141
as for SIGPIPE; an output that cannot be written (disk full) is one line, exit code 1.

${COMMON_HELP}

Example:
  amorsize run ./fib.js#fib --range 36 --out results.jsonl`,
  compare: `Usage: amorsize compare <module#export> (--data FILE | --stdin | --range N) [--repeat N] [options]

Runs the plan against serial, one task per item, four chunks per worker and nearby
alternatives on this machine, and prints predicted and measured times side by side.
  --repeat N         runs of each strategy; the median is shown (default 1)

${COMMON_HELP}

Example:
  amorsize compare ./fib.js#fib --range 36 --repeat 3`,
};

/** The commands that have a help text of their own (`worker`'s is @amorsize/cluster's). */
export const COMMANDS = Object.keys(HELP).filter((name) => name !== "main");

/** This package's version, from its package.json (one folder above src/ and dist/). */
export function packageVersion(): string {
  const text = readFileSync(new URL("../package.json", import.meta.url), "utf8");
  return (JSON.parse(text) as { version: string }).version;
}

/** The name among `names` that `typed` was probably meant to be: at most two edits away. */
export function closestName(typed: string, names: readonly string[]): string | undefined {
  return closestMatch(typed, names, { maxDistance: 2 });
}
