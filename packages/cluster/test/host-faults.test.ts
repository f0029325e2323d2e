// A worker host that loses Redis mid-chunk stops by itself, and SIGTERM and SIGINT stop it
// too, whatever state its chunk and its connection are in (issue 16, item 3).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { cluster, executeOnCluster, RedisLostError } from "../src/index.js";
import {
  type Child,
  killAll,
  redisServerPath,
  startApiHost,
  startHost,
  startRedis,
  TASK,
  waitForFile,
} from "./helpers.js";

const binary = redisServerPath();
if (!binary) console.warn("NOTICE: redis-server not found: the worker host fault tests are skipped");
const suite = binary ? describe : describe.skip;
const task = { module: TASK, export: "square" };

/**
 * The README's bound: a host exits within `lostAfterMs` (3 s by default) and about a second
 * of Redis going away. A liveness limit, 2.5 times that, so a busy machine does not fail it.
 */
const STOP_BOUND_MS = 10_000;
/** The hosts' `--lost-after`, half the default: each test waits it out. */
const LOST_AFTER_MS = 1500;

type TestRedis = Awaited<ReturnType<typeof startRedis>>;

/** A Redis of its own with one single-thread host on it, for a test that kills that Redis. */
async function doomed(): Promise<{ redis: TestRedis; host: Child }> {
  const redis = await startRedis(binary as string);
  const host = await startHost(redis.url, ["--concurrency", "1", "--lost-after", String(LOST_AFTER_MS)]);
  return { redis, host };
}

/** The host's exit code or signal, or "still running" after `ms`. */
async function exitWithin(child: Child, ms: number): Promise<number | string | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`still running after ${ms} ms`), ms);
  });
  try {
    return await Promise.race([child.exited, late]);
  } finally {
    clearTimeout(timer);
  }
}

suite("a worker host when Redis goes away mid-chunk", () => {
  let scratch: string;
  let hosts: { redis: TestRedis; host: Child }[];

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), "amorsize-host-faults-"));
    hosts = await Promise.all([doomed(), doomed(), doomed()]);
  });

  afterAll(async () => {
    await killAll();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  /** Starts a one-item run whose item holds the host's thread for `holdMs`; resolves once it runs. */
  async function holdChunk(at: { redis: TestRedis }, name: string, holdMs: number): Promise<void> {
    const marker = join(scratch, `${name}.pid`);
    const run = executeOnCluster(task, [{ x: 2, marker, holdMs }], {
      connection: at.redis.url,
      lostAfterMs: 300,
    });
    run.catch(() => {});
    await waitForFile(marker);
  }

  // Each test has a Redis and a host of its own and waits seconds for the host to give Redis
  // up: they run side by side.
  it.concurrent("exits 1 on its own when its chunk ends while Redis is gone", async () => {
    const { redis, host } = hosts[0] as (typeof hosts)[number];
    // The chunk ends about half way through the host's attempts to reconnect.
    await holdChunk({ redis }, "lost", LOST_AFTER_MS / 2);
    redis.process.kill("SIGKILL");
    expect(await exitWithin(host, STOP_BOUND_MS)).toBe(1);
    expect(host.output()).toContain(`lost the connection to Redis at 127.0.0.1:${redis.port}`);
  });

  it.concurrent("stops on SIGTERM while Redis is gone and a long chunk runs", async () => {
    const { redis, host } = hosts[1] as (typeof hosts)[number];
    await holdChunk({ redis }, "term", 60_000);
    redis.process.kill("SIGKILL");
    host.process.kill("SIGTERM");
    const code = await exitWithin(host, STOP_BOUND_MS);
    expect(code).toBe(1);
    expect(host.output()).toContain("SIGTERM, finishing chunks in flight");
  });

  it.concurrent("stops on SIGINT while Redis is gone and its chunk ends meanwhile", async () => {
    const { redis, host } = hosts[2] as (typeof hosts)[number];
    await holdChunk({ redis }, "int", LOST_AFTER_MS / 2);
    redis.process.kill("SIGKILL");
    host.process.kill("SIGINT");
    expect(await exitWithin(host, STOP_BOUND_MS)).toBe(1);
  });
});

// Each test has a Redis of its own: they run side by side.
suite("when Redis goes away or stops answering, hosts and runs still end", () => {
  afterAll(killAll);

  // Without Redis, BullMQ's close never finishes and would leave its lock and stalled-job
  // timers (a minute each in this host) keeping the process alive after close() resolved.
  // A stopped Redis holds its connections open and answers nothing, as one behind a
  // network that drops packets without a reset: no connection is lost, and the close waited
  // for ever.
  it.concurrent.each([
    ["as Redis goes", "SIGKILL", 0],
    ["once the host has lost Redis", "SIGKILL", 2500],
    ["while Redis is stopped", "SIGSTOP", 0],
  ] as const)("a host of the API lets its process exit when closed %s", async (_when, signal, afterMs) => {
    const redis = await startRedis(binary as string);
    const host = await startApiHost(redis.url);
    // As an idle host is: its worker waits on Redis for a job.
    await new Promise((resolve) => setTimeout(resolve, 500));
    redis.process.kill(signal);
    if (signal === "SIGKILL") await redis.exited;
    await new Promise((resolve) => setTimeout(resolve, afterMs));
    host.process.stdin?.write("close\n");
    expect(await exitWithin(host, STOP_BOUND_MS)).toBe(0);
    expect(host.output()).toContain("closed");
  });

  it.concurrent("amorsize-worker exits 1 on its own when Redis stops answering", async () => {
    const redis = await startRedis(binary as string);
    const host = await startHost(redis.url, ["--concurrency", "1", "--lost-after", String(LOST_AFTER_MS)]);
    redis.process.kill("SIGSTOP");
    // It served nothing and waited for ever: no connection is lost when the server stops.
    expect(await exitWithin(host, STOP_BOUND_MS)).toBe(1);
    expect(host.output()).toContain(`answered no PING for ${LOST_AFTER_MS} ms with the connection up`);
  });

  it.concurrent("amorsize-worker stops on SIGTERM while Redis is stopped, exiting 1 as Redis answered nothing", async () => {
    const redis = await startRedis(binary as string);
    const host = await startHost(redis.url, ["--concurrency", "1", "--lost-after", String(LOST_AFTER_MS)]);
    redis.process.kill("SIGSTOP");
    host.process.kill("SIGTERM");
    // It waited for ever for BullMQ's close, which waited on Redis. Whether that close or
    // the silence watch ends first is a race; either way Redis answered nothing: exit 1.
    expect(await exitWithin(host, STOP_BOUND_MS)).toBe(1);
    expect(host.output()).toMatch(
      /lost the connection to Redis at .*(answered no PING|answered nothing to the close)/,
    );
  });

  it.concurrent.each(["map", "stream"] as const)(
    "a %s run aborted while Redis is stopped rejects, and its backend closes",
    async (kind) => {
      const redis = await startRedis(binary as string);
      await startHost(redis.url, ["--concurrency", "1"]);
      const backend = cluster({ connection: redis.url });
      const abort = new AbortController();
      const items = Array.from({ length: 20 }, (_, x) => ({ x, sleepMs: 100 }));
      const options = { chunkSize: 1, signal: abort.signal };
      const run =
        kind === "map"
          ? backend.map(task, items, options)
          : (async () => {
              for await (const _ of backend.stream(task, items, options)) {
                // drained
              }
            })();
      run.catch(() => {});
      await new Promise((resolve) => setTimeout(resolve, 300));
      redis.process.kill("SIGSTOP");
      abort.abort();
      // Each waited for ever on the answers of a Redis that holds the connection.
      expect(await settledWithin(run, STOP_BOUND_MS)).toMatchObject({
        rejected: { code: "AMORSIZE_RUN_ABORTED" },
      });
      expect(await settledWithin(backend.close(), STOP_BOUND_MS)).toEqual({ resolved: undefined });
    },
  );

  it.concurrent("a run whose Redis stops answering rejects with RedisLostError and keeps what arrived", async () => {
    const redis = await startRedis(binary as string);
    await startHost(redis.url, ["--concurrency", "1"]);
    const backend = cluster({ connection: redis.url, lostAfterMs: LOST_AFTER_MS });
    const items = Array.from({ length: 40 }, (_, x) => ({ x, sleepMs: x < 3 ? 0 : 100 }));
    let done = 0;
    const run = backend.map(task, items, {
      chunkSize: 1,
      onProgress: (progress) => {
        done = progress.done;
      },
    });
    run.catch(() => {});
    while (done < 3) await new Promise((resolve) => setTimeout(resolve, 20));
    redis.process.kill("SIGSTOP");
    // It waited for ever: no connection is lost when the server stops answering.
    const settled = (await settledWithin(run, STOP_BOUND_MS)) as { rejected?: RedisLostError };
    expect(settled.rejected).toBeInstanceOf(RedisLostError);
    expect(settled.rejected?.message).toMatch(/answered no PING for 1500 ms with the connection up/);
    const { completed = [], results = [] } = settled.rejected ?? {};
    expect(completed.length).toBeGreaterThanOrEqual(3);
    for (const index of completed) expect(results[index]).toBe(index * index);
    expect(await settledWithin(backend.close(), STOP_BOUND_MS)).toEqual({ resolved: undefined });
  });
});

/** How `promise` settled, or "still pending" after `ms`. */
async function settledWithin(promise: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`still pending after ${ms} ms`), ms);
  });
  try {
    return await Promise.race([
      promise.then(
        (resolved) => ({ resolved }),
        (rejected: unknown) => ({ rejected }),
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
