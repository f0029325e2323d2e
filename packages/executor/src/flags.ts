// Which of the parent's Node flags a pool's workers start with. A worker given no
// `execArgv` inherits the parent's options as they are, including those that only make
// sense for the main thread: under `node --input-type=module -e ...` every worker then
// fails to load any module. Given an explicit `execArgv`, Node refuses process-wide
// options (V8 flags, `--title`...) with ERR_WORKER_INVALID_EXEC_ARGV, so those are left
// out too: they are the process's, and already apply to its workers.

/** Options that choose what the main thread runs, or debug, watch or test it. */
const MAIN_THREAD_ONLY = new Set([
  "--debug-port",
  "--eval",
  "--experimental-repl-await",
  "--input-type",
  "--inspect",
  "--inspect-brk",
  "--inspect-port",
  "--inspect-publish-uid",
  "--inspect-wait",
  "--interactive",
  "--print",
  "--prof-process",
  "--test",
  "--test-only",
  "--test-reporter",
  "--test-reporter-destination",
  "--test-shard",
  "--watch",
  "--watch-path",
  "--watch-preserve-output",
  "-e",
  "-i",
  "-p",
  "-pe",
]);

/**
 * Options Node accepts in `NODE_OPTIONS` that are the process's, not a thread's: V8 flags
 * (heap size, `--expose-gc`, `--stack-trace-limit`...) and Node's per-process options.
 * A worker refuses them in its `execArgv`; set by the parent, they apply to its workers.
 * Per-worker heap limits are the executor's `resourceLimits`.
 */
const PROCESS_WIDE = new Set([
  "--abort-on-uncaught-exception",
  "--debug-arraybuffer-allocations",
  "--disable-wasm-trap-handler",
  "--disable-proto",
  "--disallow-code-generation-from-strings",
  "--enable-etw-stack-walking",
  "--enable-fips",
  "--experimental-report",
  "--experimental-shadow-realm",
  "--expose-gc",
  "--force-fips",
  "--huge-max-old-generation-size",
  "--icu-data-dir",
  "--interpreted-frames-native-stack",
  "--jitless",
  "--max-old-space-size",
  "--max-semi-space-size",
  "--node-memory-debug",
  "--node-snapshot",
  "--openssl-config",
  "--openssl-legacy-provider",
  "--openssl-shared-config",
  "--perf-basic-prof",
  "--perf-basic-prof-only-functions",
  "--perf-prof",
  "--perf-prof-unwinding-info",
  "--report-compact",
  "--report-dir",
  "--report-directory",
  "--report-exclude-network",
  "--report-filename",
  "--report-on-fatalerror",
  "--report-on-signal",
  "--report-signal",
  "--report-uncaught-exception",
  "--secure-heap",
  "--secure-heap-min",
  "--snapshot-blob",
  "--stack-trace-limit",
  "--title",
  "--tls-cipher-list",
  "--trace-event-categories",
  "--trace-event-file-pattern",
  "--trace-events-enabled",
  "--trace-sigint",
  "--use-bundled-ca",
  "--use-largepages",
  "--use-openssl-ca",
  "--v8-pool-size",
  "--zero-fill-buffers",
]);

/** Options whose value is the next argument whatever it looks like (a script may start with "-"). */
const TEXT_VALUE = new Set(["--eval", "--print", "-e", "-p", "-pe"]);

/** `--no-foo` is the negation of `--foo`: both are classified as `--foo`. */
function baseName(name: string): string {
  return name.startsWith("--no-") ? `--${name.slice(5)}` : name;
}

/**
 * The flags of `execArgv` (the parent's `process.execArgv`) that a worker starts with:
 * the Node options that configure a thread, in their order with their values (`--import`,
 * `--require`, loaders, `--conditions`, `--experimental-*`, warnings and deprecation
 * flags, `--enable-source-maps`...). Left out: options that only make sense for the main
 * thread (`-e`/`--eval`, `-p`/`--print`, `--input-type`, `--test*`, `--watch*`,
 * `--inspect*`...), process-wide ones (V8 flags, per-process options), and any flag Node
 * does not list in `nodeOptions` (`process.allowedNodeEnvironmentFlags`: the options
 * that may configure a Node environment), which can only be a V8 flag or a main-thread one.
 *
 * Pure: `execArgv` and `nodeOptions` are passed in.
 */
export function workerExecArgv(execArgv: readonly string[], nodeOptions: ReadonlySet<string>): string[] {
  const kept: string[] = [];
  let i = 0;
  while (i < execArgv.length) {
    const token = execArgv[i++]!;
    const equals = token.indexOf("=");
    const name = equals < 0 ? token : token.slice(0, equals);
    const flag = [token];
    // execArgv holds options and their values only (the script and its arguments are in
    // argv), so an argument that is not an option is the value of the one before it.
    const next = execArgv[i];
    if (equals < 0 && next !== undefined && (TEXT_VALUE.has(name) || !next.startsWith("-"))) {
      flag.push(next);
      i++;
    }
    const base = baseName(name);
    if (nodeOptions.has(name) && !MAIN_THREAD_ONLY.has(base) && !PROCESS_WIDE.has(base)) kept.push(...flag);
  }
  return kept;
}
