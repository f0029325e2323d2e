import { mkdtempSync, rmSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { ItemError } from "@amorsize/executor";
import { execute } from "@amorsize/optimizer";
import type { BackendDecision } from "@amorsize/types";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { Redis } from "ioredis";
import {
  ChunkFailedError,
  type ClusterBackend,
  cluster,
  executeOnCluster,
  measureClusterCost,
  NoWorkerHostsError,
  planCluster,
  RedisLostError,
  RedisUnreachableError,
} from "../src/index.js";
import { decideOnCluster } from "../src/plan.js";
import {
  type Child,
  FIXTURES,
  freePort,
  killAll,
  redisServerPath,
  startHost,
  startRedis,
  TASK,
  waitForFile,
} from "./helpers.js";

const binary = redisServerPath();
if (!binary) console.warn("NOTICE: redis-server not found: the cluster integration tests are skipped");
const suite = binary ? describe : describe.skip;
const task = { module: TASK, export: "square" };
const squares = (items: number[]) => items.map((x) => x * x);
// Short locks so a killed host's chunks move on within about a second.
const fastLocks = ["--lock-duration", "1000", "--stalled-interval", "500"];

type TestRedis = Awaited<ReturnType<typeof startRedis>>;

/** A Redis of its own with one host on `queue`, for a test that kills that Redis. */
async function doomedRedis(queue: string): Promise<{ redis: TestRedis; host: Child }> {
  const redis = await startRedis(binary as string);
  const host = await startHost(redis.url, ["--concurrency", "1", "--queue", queue]);
  return { redis, host };
}

suite("cluster backend on a real Redis", () => {
  let redis: TestRedis;
  let client: Redis;
  let scratch: string;
  let defaultHosts: Child[];
  let lostCollect: { redis: TestRedis; host: Child };
  let lostThrow: { redis: TestRedis; host: Child };

  // Every worker host the suite needs starts at once: on a busy machine one takes seconds to start.
  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), "amorsize-cluster-"));
    const doomed = Promise.all([doomedRedis("lost"), doomedRedis("lost-throw")]);
    redis = await startRedis(binary as string);
    client = new Redis(redis.url);
    const onQueue = (queue: string, args: string[] = []) =>
      startHost(redis.url, ["--queue", queue, "--concurrency", "1", ...args]);
    [[lostCollect, lostThrow], defaultHosts] = await Promise.all([
      doomed,
      // The two hosts of the default queue, with short locks for the test that kills one.
      Promise.all([onQueue("amorsize", fastLocks), onQueue("amorsize", fastLocks)]),
    ]);
  });

  afterAll(async () => {
    client?.disconnect();
    await killAll();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it("runs across two worker hosts and equals a serial map, then removes the run's jobs", async () => {
    const items = Array.from({ length: 120 }, (_, i) => i);
    const backend = cluster({ connection: redis.url });
    try {
      // 5 ms per item (asleep: it takes time, not CPU) makes each chunk outlast a job hand-over,
      // so both one-thread hosts take chunks.
      const input = items.map((x) => ({ x, sleepMs: 5 }));
      const { results, errors, report } = await backend.map<number>(task, input, { chunkSize: 10 });
      expect(results).toEqual(squares(items));
      expect(errors).toEqual([]);
      expect(report).toMatchObject({
        items: 120,
        chunks: 12,
        chunkSize: 10,
        succeeded: 120,
        failed: 0,
        missing: 0,
      });
      expect(report.hosts).toHaveLength(2);
      expect(await client.keys(`bull:amorsize:${report.runId}*`)).toEqual([]);
    } finally {
      await backend.close();
    }
  });

  it("runs execute() of @amorsize/optimizer there when the cluster beats the local plan", async () => {
    const live = cluster({ connection: redis.url });
    // The decision is the pure planner's, on fixed figures of two fast hosts (a live measure
    // of Redis on a busy machine decides either way: plan.test.ts tests the choice); the run
    // itself is the real cluster's.
    const figures = { roundTripMs: 2, perChunkMs: 0.5, perByteNs: 10, totalWorkers: 2 };
    let decided: BackendDecision | undefined;
    const backend: ClusterBackend = {
      ...live,
      async plan(input) {
        decided = decideOnCluster(figures, input, live.queueName);
        return decided;
      },
    };
    try {
      const items = Array.from({ length: 40 }, (_, i) => ({ x: i, ms: 20 }));
      // One local worker against the two hosts' two: the cluster is predicted faster.
      const result = await execute<number>(task, items, {
        backend,
        maxWorkers: 1,
        cache: false,
        cacheDir: scratch,
        // The local plan is one worker whatever the pool costs: a short measurement of it will do.
        spawnCost: { maxWorkers: 1, budgetMs: 50 },
      });
      expect(decided?.use).toBe(true);
      expect(result.backend?.decision).toEqual(decided);
      expect(result.report.mode).toBe("cluster");
      expect(result.results).toEqual(squares(items.map((i) => i.x)));
      expect(result.report.succeeded).toBe(40);
    } finally {
      await live.close();
    }
  });

  it("keeps two concurrent runs on one queue apart", async () => {
    const a = Array.from({ length: 60 }, (_, i) => i);
    const b = Array.from({ length: 45 }, (_, i) => 1000 + i);
    const [ra, rb] = await Promise.all([
      executeOnCluster<number>(task, a, { connection: redis.url, chunkSize: 4 }),
      executeOnCluster<number>(task, b, { connection: redis.url, chunkSize: 3 }),
    ]);
    expect(ra.results).toEqual(squares(a));
    expect(rb.results).toEqual(squares(b));
    expect(ra.report.runId).not.toBe(rb.report.runId);
    expect([ra.report.chunks, rb.report.chunks]).toEqual([15, 15]);
  });

  it("skips precomputed items and reports item failures by index", async () => {
    const items = [1, -2, 3, 4, -5, 6];
    const collected = await executeOnCluster<number>(task, items, {
      connection: redis.url,
      chunkSize: 2,
      onError: "collect",
      precomputed: new Map([[5, 36]]),
    });
    expect(collected.results).toEqual([1, undefined, 9, 16, undefined, 36]);
    expect(collected.errors.map((e) => [e.code, (e as ItemError).index, e.message])).toEqual([
      ["AMORSIZE_ITEM_FAILED", 1, "Item 1 failed: negative item -2"],
      ["AMORSIZE_ITEM_FAILED", 4, "Item 4 failed: negative item -5"],
    ]);
    // items = succeeded + failed + precomputed + missing: the precomputed one is counted once.
    expect(collected.report).toMatchObject({
      precomputed: 1,
      chunks: 3,
      succeeded: 3,
      failed: 2,
      missing: 0,
    });

    const thrown = await executeOnCluster(task, items, { connection: redis.url, chunkSize: 6 }).catch(
      (e) => e,
    );
    // The executor's class: one `instanceof` catches an item's failure wherever it ran.
    expect(thrown).toBeInstanceOf(ItemError);
    expect(thrown).toMatchObject({ index: 1, range: [1, 1], cause: { name: "RangeError" } });

    // Under throw, the first failure ends the run; the other chunks are skipped or removed.
    const many = [-1, ...Array.from({ length: 59 }, (_, i) => ({ x: i, sleepMs: 5 }))];
    const first = await executeOnCluster(task, many, { connection: redis.url, chunkSize: 3 }).catch((e) => e);
    expect(first).toMatchObject({ code: "AMORSIZE_ITEM_FAILED", index: 0 });
    expect(first.report).toMatchObject({ chunks: 20, failed: 1 });
    expect(await client.keys(`bull:amorsize:${first.report.runId}*`)).toEqual([]);
  });

  it("fails a chunk whose task module the hosts cannot load", async () => {
    // In the folder the hosts allow, so they try to import it.
    const missing = { module: join(FIXTURES, "nope.mjs"), export: "square" };
    const error = await executeOnCluster(missing, [1, 2, 3], { connection: redis.url, chunkSize: 3 }).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(ChunkFailedError);
    expect(error.code).toBe("AMORSIZE_CHUNK_FAILED");
    expect(error.range).toEqual([0, 2]);
    expect(error.message).toMatch(/^Chunk of items 0\.\.2 failed on the cluster: .*nope\.mjs/);

    const collected = await executeOnCluster(missing, [1, 2, 3], {
      connection: redis.url,
      chunkSize: 2,
      onError: "collect",
    });
    expect(collected.errors.map((e) => [e.code, (e as ChunkFailedError).range])).toEqual([
      ["AMORSIZE_CHUNK_FAILED", [0, 1]],
      ["AMORSIZE_CHUNK_FAILED", [2, 2]],
    ]);
    expect(collected.results).toEqual([undefined, undefined, undefined]);
    expect(collected.report).toMatchObject({ succeeded: 0, failed: 0, missing: 3 });
  });

  it("measures the round trip, per-job and per-byte costs against the live queue", async () => {
    const profile = await measureClusterCost({ connection: redis.url, samples: 5, payloadBytes: 65_536 });
    expect(profile.hosts.map((h) => h.concurrency)).toEqual([1, 1]);
    expect(profile.totalWorkers).toBe(2);
    expect(profile.roundTrip.samples).toBe(5);
    expect(profile.perChunk.samples).toBe(3);
    expect(profile.roundTrip.value).toBeGreaterThan(0);
    expect(profile.command.samples).toBe(5);
    expect(profile.figures).toEqual({
      roundTripMs: profile.roundTrip.value,
      perChunkMs: profile.perChunk.value,
      perByteNs: profile.perByte.value,
      totalWorkers: 2,
      commandMs: profile.command.value,
    });
    // Probe jobs are removed afterwards.
    expect(await client.keys("bull:amorsize:*-*-*-*-*-*")).toEqual([]);
    const plan = planCluster({
      cluster: profile.figures,
      workload: { items: 1000, itemMs: 1, bytesPerItem: 16 },
    });
    expect(plan.chunks * plan.chunkSize).toBeGreaterThanOrEqual(1000);
  });

  it("refuses to measure a queue without worker hosts", async () => {
    const error = await measureClusterCost({ connection: redis.url, queueName: "empty" }).catch((e) => e);
    expect(error).toBeInstanceOf(NoWorkerHostsError);
    expect(error.message).toBe(
      'No worker host is serving queue "empty": start amorsize-worker on at least one host first',
    );
  });

  it("retries a killed host's chunk on the other host, every result once; that host stops gracefully on SIGTERM", async () => {
    // Last of the tests on the default queue: it kills one of its two hosts and stops the other.
    const pair = defaultHosts;
    const marker = join(scratch, "killed.pid");
    const items = Array.from({ length: 40 }, (_, i) => i);
    const input: unknown[] = items.map((x) => ({ x, sleepMs: 2 }));
    // Item 13 tells the test which host runs it, then holds that host busy long enough to be killed mid-chunk.
    input[13] = { x: 13, marker, holdMs: 1500 };
    const run = executeOnCluster<number>(task, input, {
      connection: redis.url,
      chunkSize: 4,
    });
    const pid = Number(await waitForFile(marker));
    const victim = pair.find((h) => h.process.pid === pid);
    expect(victim).toBeDefined();
    victim?.process.kill("SIGKILL");
    const { results, errors, report } = await run;
    expect(results).toEqual(squares(items));
    expect(errors).toEqual([]);
    expect(report).toMatchObject({ succeeded: 40, missing: 0, chunks: 10 });
    const survivor = pair.find((h) => h !== victim) as Child;
    expect(report.hosts).toContain(`${hostname()}:${survivor.process.pid}`);
    expect(await victim?.exited).toBe("SIGKILL");
    survivor.process.kill("SIGTERM");
    expect({ code: await survivor.exited, output: survivor.output() }).toEqual({
      code: 0,
      output: expect.stringContaining("SIGTERM, finishing chunks in flight"),
    });
  });

  describe("Redis faults", () => {
    /**
     * An `onProgress` that resolves `reached` once `done` items are in: a clock wait before
     * killing Redis would not say that this thread had read the chunk that completed (a
     * caller held up past it would find nothing completed).
     */
    function progressReaches(done: number) {
      let reach = () => {};
      const reached = new Promise<void>((resolve) => {
        reach = resolve;
      });
      return {
        reached,
        onProgress: (progress: { done: number }) => (progress.done >= done ? reach() : undefined),
      };
    }

    it("fails with AMORSIZE_REDIS_UNREACHABLE before any work when Redis is not there", async () => {
      const port = await freePort();
      const backend = cluster({ connection: `redis://127.0.0.1:${port}`, connectTimeoutMs: 500 });
      const error = await backend.map(task, [1, 2]).catch((e) => e);
      expect(error).toBeInstanceOf(RedisUnreachableError);
      expect(error.code).toBe("AMORSIZE_REDIS_UNREACHABLE");
      expect(error.message).toMatch(`Redis at 127.0.0.1:${port} is unreachable: connect ECONNREFUSED`);
      await backend.close();
    });

    it("returns the completed results and a clear error when Redis is lost mid-run (collect)", async () => {
      const { redis } = lostCollect;
      const marker = join(scratch, "lost.pid");
      const items = Array.from({ length: 12 }, (_, i) => i);
      const input: unknown[] = [...items];
      // Chunk 0 completes first (one thread, FIFO); item 4 in chunk 1 signals, then holds the host.
      input[4] = { x: 4, marker, markAfterMs: 300, holdMs: 3000 };
      const chunk0 = progressReaches(4);
      const run = executeOnCluster<number>(task, input, {
        connection: redis.url,
        queueName: "lost",
        chunkSize: 4,
        onError: "collect",
        lostAfterMs: 300,
        onProgress: chunk0.onProgress,
      });
      // Killed once item 4 holds its host and this thread has taken chunk 0's results in.
      await Promise.all([waitForFile(marker), chunk0.reached]);
      redis.process.kill("SIGKILL");
      const { results, errors, report } = await run;
      const lost = errors.at(-1) as RedisLostError;
      expect(lost).toBeInstanceOf(RedisLostError);
      expect(lost.code).toBe("AMORSIZE_REDIS_LOST");
      expect(lost.message).toContain(`Lost the connection to Redis at 127.0.0.1:${redis.port}`);
      expect(lost.completed).toEqual([0, 1, 2, 3]);
      expect(results).toEqual([0, 1, 4, 9, ...new Array(8).fill(undefined)]);
      expect(report).toMatchObject({ lost: true, succeeded: 4, missing: 8 });
    });

    it("rejects with AMORSIZE_REDIS_LOST when Redis is lost mid-run (throw)", async () => {
      const { redis } = lostThrow;
      const marker = join(scratch, "lost-throw.pid");
      const input: unknown[] = Array.from({ length: 8 }, (_, i) => i);
      input[4] = { x: 4, marker, markAfterMs: 300, holdMs: 3000 };
      const chunk0 = progressReaches(4);
      const run = executeOnCluster<number>(task, input, {
        connection: redis.url,
        queueName: "lost-throw",
        chunkSize: 4,
        lostAfterMs: 300,
        onProgress: chunk0.onProgress,
      });
      await Promise.all([waitForFile(marker), chunk0.reached]);
      redis.process.kill("SIGKILL");
      const error = await run.catch((e) => e);
      expect(error).toBeInstanceOf(RedisLostError);
      expect(error.code).toBe("AMORSIZE_REDIS_LOST");
      // Chunk 0 had completed: the error still carries which items did.
      expect(error.completed).toEqual([0, 1, 2, 3]);
      expect(error.results.slice(0, 4)).toEqual([0, 1, 4, 9]);
    });
  });
});
