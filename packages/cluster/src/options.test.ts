import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { AmorsizeValidationError } from "@amorsize/types";
import { afterAll, describe, expect, it } from "@jest/globals";
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
    expect(
      await asyncIssuesOf(() => startWorkerHost({ connection: "redis://h", allow: ["."], concurrency: 0 })),
    ).toEqual(["options.concurrency: Too small: expected number to be >0, got 0"]);
    // No default that allows everything.
    expect(await asyncIssuesOf(() => startWorkerHost({ connection: "redis://h" } as never))).toEqual([
      "options.allow: Invalid input: expected array, received undefined",
    ]);
    expect(await asyncIssuesOf(() => startWorkerHost({ connection: "redis://h", allow: [] }))).toEqual([
      "options.allow: Too small: expected array to have >=1 items, got []",
    ]);
    expect(
      await asyncIssuesOf(() =>
        startWorkerHost({ connection: "redis://h", allow: [".", "/no/such/folder"] }),
      ),
    ).toEqual(['options.allow[1]: "/no/such/folder" cannot be read (ENOENT)']);
    expect(await asyncIssuesOf(() => measureClusterCost({ connection: "redis://h", samples: 2 }))).toEqual([
      "options.samples: Too small: expected number to be >=3, got 2",
    ]);
    // BullMQ arms timers with these: past 2^31 - 1 ms Node fires them after 1 ms.
    expect(
      await asyncIssuesOf(() =>
        startWorkerHost({
          connection: "redis://h",
          allow: ["."],
          lockDurationMs: 1e12,
          stalledIntervalMs: 1e12,
        }),
      ),
    ).toEqual([
      "options.lockDurationMs: Too big: expected number to be <=2147483647, got 1000000000000",
      "options.stalledIntervalMs: Too big: expected number to be <=2147483647, got 1000000000000",
    ]);
    expect(
      await asyncIssuesOf(() => measureClusterCost({ connection: "redis://h", connectTimeoutMs: 1e12 })),
    ).toEqual(["options.connectTimeoutMs: Too big: expected number to be <=2147483647, got 1000000000000"]);
  });
});

describe("secrets", () => {
  const folder = mkdtempSync(join(tmpdir(), "amorsize-secret-"));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it("are at least 16 bytes, given once, from a file whose whitespace does not count", () => {
    expect(issuesOf(() => cluster({ connection: "redis://h", secret: "short" }))).toEqual([
      "options.secret: Expected at least 16 bytes, got 5",
    ]);
    const short = join(folder, "short.key");
    writeFileSync(short, "  0123456789\n");
    expect(issuesOf(() => cluster({ connection: "redis://h", secretFile: short }))).toEqual([
      `options.secretFile: ${short} holds 10 byte(s) of secret; at least 16 are needed (openssl rand -hex 32 > file)`,
    ]);
    expect(
      issuesOf(() => cluster({ connection: "redis://h", secret: "0123456789abcdef", secretFile: short })),
    ).toEqual(["options: Give secret or secretFile, not both"]);
  });
});

describe("parseWorkerArgs", () => {
  const folder = mkdtempSync(join(tmpdir(), "amorsize-worker-args-"));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    writeFileSync(join(folder, name), text);
    return join(folder, name);
  };

  it("reads the trust, limit and Redis secret flags, and the environment", () => {
    const key = file("amorsize.key", "0123456789abcdef0123456789abcdef\n");
    const pass = file("redis.pass", "pa ss\n");
    const ca = file("ca.pem", "-----BEGIN CERTIFICATE-----\n");
    expect(
      parseWorkerArgs(
        [
          "--allow",
          folder,
          "--allow",
          key,
          "--secret-file",
          key,
          "--max-job-bytes",
          "1000",
          "--max-job-items",
          "10",
          "--redis",
          "rediss://10.0.0.5:6380",
          "--redis-password-file",
          pass,
          "--redis-tls-ca-file",
          ca,
        ],
        {},
      ),
    ).toEqual({
      connection: {
        url: "rediss://10.0.0.5:6380",
        password: "pa ss",
        tls: { ca: "-----BEGIN CERTIFICATE-----\n" },
      },
      allow: [folder, key],
      secret: new Uint8Array(Buffer.from("0123456789abcdef0123456789abcdef")),
      maxJobBytes: 1000,
      maxJobItems: 10,
    });
    // From the environment, where ps does not look; a relative --allow is made absolute.
    expect(
      parseWorkerArgs(["--allow", "."], {
        AMORSIZE_REDIS_URL: "redis://user:pw@10.0.0.5:6379",
        AMORSIZE_REDIS_PASSWORD: "pw2",
      }),
    ).toEqual({
      connection: { url: "redis://user:pw@10.0.0.5:6379", password: "pw2" },
      allow: [resolve(".")],
    });
    expect(
      parseWorkerArgs(["--redis", "redis://h", "--allow", "."], { AMORSIZE_REDIS_URL: "redis://x" }),
    ).toEqual({
      connection: "redis://h",
      allow: [resolve(".")],
    });
  });

  it("refuses a missing --allow path, an unreadable file and a short secret", () => {
    const usage = (argv: string[]) => {
      try {
        parseWorkerArgs(["--redis", "redis://h", ...argv], {});
      } catch (error) {
        return [(error as { code: string }).code, (error as Error).message];
      }
      return null;
    };
    expect(usage(["--allow", "/no/such/tasks"])).toEqual([
      "AMORSIZE_CLUSTER_USAGE",
      '--allow: "/no/such/tasks" does not exist',
    ]);
    expect(usage(["--allow", ".", "--redis-password-file", "/no/such/file"])).toEqual([
      "AMORSIZE_CLUSTER_USAGE",
      '--redis-password-file: cannot read "/no/such/file" (ENOENT)',
    ]);
    const short = file("short.key", "abc\n");
    expect(usage(["--allow", ".", "--secret-file", short])).toEqual([
      "AMORSIZE_CLUSTER_USAGE",
      `--secret-file: ${short} holds 3 byte(s) of secret; at least 16 are needed (openssl rand -hex 32 > file)`,
    ]);
    expect(usage(["--allow", ".", "--max-job-items", "0"])).toEqual([
      "AMORSIZE_CLUSTER_USAGE",
      '--max-job-items: Expected a positive integer, got "0"',
    ]);
    expect(usage(["--allow", ".", "--lost-after", "0"])).toEqual([
      "AMORSIZE_CLUSTER_USAGE",
      '--lost-after: Expected a positive integer, got "0"',
    ]);
    // Past an option's bound: a usage mistake naming the flag, not a host that fails to start.
    expect(usage(["--allow", ".", "--concurrency", "5000"])).toEqual([
      "AMORSIZE_CLUSTER_USAGE",
      '--concurrency: Too big: expected number to be <=1024, got "5000"',
    ]);
    expect(usage(["--allow", ".", "--lost-after", "4000000"])).toEqual([
      "AMORSIZE_CLUSTER_USAGE",
      '--lost-after: Too big: expected number to be <=3600000, got "4000000"',
    ]);
    expect(usage(["--allow", ".", "--max-stalled", "1001"])).toEqual([
      "AMORSIZE_CLUSTER_USAGE",
      '--max-stalled: Too big: expected number to be <=1000, got "1001"',
    ]);
  });

  it("reads every flag", () => {
    expect(
      parseWorkerArgs([
        "--redis",
        "redis://10.0.0.5:6379",
        "--allow",
        "/",
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
        "--lost-after",
        "10000",
      ]),
    ).toEqual({
      connection: "redis://10.0.0.5:6379",
      allow: ["/"],
      concurrency: 8,
      queueName: "q",
      prefix: "p",
      lockDurationMs: 5000,
      stalledIntervalMs: 2000,
      maxStalledCount: 0,
      lostAfterMs: 10000,
    });
    expect(parseWorkerArgs(["-h"])).toBe("help");
  });

  it("rejects a bad command line with a usage error", () => {
    const messageOf = (argv: string[]) => {
      try {
        parseWorkerArgs(argv, {});
      } catch (error) {
        return [(error as { code: string }).code, (error as Error).message];
      }
      return null;
    };
    expect(messageOf([])).toEqual([
      "AMORSIZE_CLUSTER_USAGE",
      "--redis: Required (for example --redis redis://127.0.0.1:6379, or AMORSIZE_REDIS_URL in the environment)",
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
