import { AmorsizeValidationError } from "@amorsize/types";
import { describe, expect, it } from "@jest/globals";
import { parseWorkerArgs } from "./cli-args.js";
import { cluster, executeOnCluster, measureClusterCost, startWorkerHost } from "./index.js";

function issuesOf(run: () => unknown): readonly string[] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(AmorsizeValidationError);
    return (error as AmorsizeValidationError).issues;
  }
  throw new Error("expected a validation error");
}

async function asyncIssuesOf(run: () => Promise<unknown>): Promise<readonly string[]> {
  const error = await run().catch((e: unknown) => e);
  expect(error).toBeInstanceOf(AmorsizeValidationError);
  return (error as AmorsizeValidationError).issues;
}

describe("option validation", () => {
  it("names a bad connection", () => {
    expect(issuesOf(() => cluster({ connection: "http://x" }))).toEqual([
      'options.connection: Expected a redis:// or rediss:// URL, got "http://x"',
    ]);
    expect(issuesOf(() => cluster({ connection: { port: 0 } }))).toEqual([
      "options.connection.port: Too small: expected number to be >=1, got 0",
    ]);
  });

  it("names unknown and out-of-range backend options", () => {
    expect(
      issuesOf(() => cluster({ connection: "redis://h", queueName: "", lostAfterMs: 0, nope: 1 } as never)),
    ).toEqual([
      'options.queueName: Too small: expected string to have >=1 characters, got ""',
      "options.lostAfterMs: Too small: expected number to be >0, got 0",
      'options: Unknown option "nope"',
    ]);
  });

  it("names bad signal, progress, caller-timeout and stream options", async () => {
    expect(issuesOf(() => cluster({ connection: "redis://h", callerTimeoutMs: 10 }))).toEqual([
      "options.callerTimeoutMs: Too small: expected number to be >=300, got 10",
    ]);
    const backend = cluster({ connection: "redis://127.0.0.1:1" });
    expect(
      await asyncIssuesOf(() =>
        backend.map({ module: "/x.mjs" }, [1], { signal: {} as never, onProgress: 1 as never }),
      ),
    ).toEqual([
      "options.signal: Invalid input: expected AbortSignal, received object, got {}",
      "options.onProgress: Expected a progress callback (a function), got 1",
    ]);
    expect(
      issuesOf(() =>
        backend.stream({ module: "/x.mjs" }, [1], { maxInFlight: 0, precomputed: new Map() } as never),
      ),
    ).toEqual([
      "options.maxInFlight: Too small: expected number to be >0, got 0",
      'options: Unknown option "precomputed"',
    ]);
    expect(issuesOf(() => backend.stream({ module: "/x.mjs" }, new Set([1])))).toEqual([
      "options.chunkSize: required when items is not an array (its length is not known)",
    ]);
    await backend.close();
  });

  it("checks run options before connecting", async () => {
    const backend = cluster({ connection: "redis://127.0.0.1:1" });
    expect(
      await asyncIssuesOf(() =>
        backend.map({ module: "/x.mjs" }, [1], {
          chunkSize: 0,
          onError: "ignore" as never,
          precomputed: {} as never,
        }),
      ),
    ).toEqual([
      "options.chunkSize: Too small: expected number to be >0, got 0",
      'options.onError: Invalid option: expected one of "throw"|"collect", got "ignore"',
      "options.precomputed: Invalid input: expected Map, received object, got {}",
    ]);
    expect(
      await asyncIssuesOf(() => executeOnCluster({ module: "" }, [1], { connection: "redis://h" })),
    ).toEqual(['task.module: Expected a module path or file URL, got ""']);
    await backend.close();
  });

  it("checks worker host and measurement options", async () => {
    expect(await asyncIssuesOf(() => startWorkerHost({ connection: "redis://h", concurrency: 0 }))).toEqual([
      "options.concurrency: Too small: expected number to be >0, got 0",
    ]);
    expect(await asyncIssuesOf(() => measureClusterCost({ connection: "redis://h", samples: 2 }))).toEqual([
      "options.samples: Too small: expected number to be >=3, got 2",
    ]);
  });
});

describe("parseWorkerArgs", () => {
  it("reads every flag", () => {
    expect(
      parseWorkerArgs([
        "--redis",
        "redis://10.0.0.5:6379",
        "--concurrency",
        "8",
        "--queue",
        "q",
        "--prefix",
        "p",
        "--lock-duration",
        "5000",
        "--stalled-interval",
        "2000",
        "--max-stalled",
        "0",
      ]),
    ).toEqual({
      connection: "redis://10.0.0.5:6379",
      concurrency: 8,
      queueName: "q",
      prefix: "p",
      lockDurationMs: 5000,
      stalledIntervalMs: 2000,
      maxStalledCount: 0,
    });
    expect(parseWorkerArgs(["-h"])).toBe("help");
  });

  it("rejects a bad command line with a usage error", () => {
    const messageOf = (argv: string[]) => {
      try {
        parseWorkerArgs(argv);
      } catch (error) {
        return [(error as { code: string }).code, (error as Error).message];
      }
      return null;
    };
    expect(messageOf([])).toEqual([
      "AMORSIZE_CLUSTER_USAGE",
      "--redis: Required (for example --redis redis://127.0.0.1:6379)",
    ]);
    expect(messageOf(["--redis", "localhost"])).toEqual([
      "AMORSIZE_CLUSTER_USAGE",
      '--redis: Expected a redis:// or rediss:// URL, got "localhost"',
    ]);
    expect(messageOf(["--redis", "redis://h", "--concurrency", "two"])).toEqual([
      "AMORSIZE_CLUSTER_USAGE",
      '--concurrency: Expected a positive integer, got "two"',
    ]);
    expect(messageOf(["--redis", "redis://h", "--bogus"])).toEqual([
      "AMORSIZE_CLUSTER_USAGE",
      "unknown option --bogus (see --help)",
    ]);
    expect(messageOf(["--redis", "redis://h", "--concurency", "2"])).toEqual([
      "AMORSIZE_CLUSTER_USAGE",
      "unknown option --concurency (did you mean --concurrency?)",
    ]);
    expect(messageOf(["--redis", "redis://h", "serve"])).toEqual([
      "AMORSIZE_CLUSTER_USAGE",
      'unexpected argument "serve"',
    ]);
  });

  it("reads help and --version", () => {
    expect(parseWorkerArgs(["help"])).toBe("help");
    expect(parseWorkerArgs(["--version"])).toBe("version");
    expect(() => parseWorkerArgs(["help", "redis"])).toThrow('unexpected argument "redis"');
  });
});
