import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CloneError } from "@amorsize/executor";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { Redis } from "ioredis";
import { ChunkFailedError, cluster, executeOnCluster, NoWorkerHostsError } from "../src/index.js";
import { type Child, killAll, redisServerPath, startHost, startRedis } from "./helpers.js";

const binary = redisServerPath();
if (!binary) console.warn("NOTICE: redis-server not found: the cluster parity tests are skipped");
const suite = binary ? describe : describe.skip;
const TASKS = fileURLToPath(new URL("./fixtures/parity-tasks.mjs", import.meta.url));
const DIST = fileURLToPath(new URL("../dist/index.js", import.meta.url));
const echo = { module: TASKS, export: "echo" };
const logged = { module: TASKS, export: "logged" };
// Short locks so a killed host's chunk goes back to the queue within about a second.
const fastLocks = ["--lock-duration", "1000", "--stalled-interval", "500"];

type TestRedis = Awaited<ReturnType<typeof startRedis>>;

/** Lines `<pid> <x>` the `logged` task wrote to `file`. */
function ran(file: string): Array<{ pid: number; x: number }> {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [pid, x] = line.split(" ").map(Number);
      return { pid: pid as number, x: x as number };
    });
}

/** Resolves once `check()` holds, polling; rejects after `timeoutMs` (liveness only). */
async function until(
  check: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

suite("a cluster run does what a local run does", () => {
  let redis: TestRedis;
  let client: Redis;
  let scratch: string;
  let orphanHost: Child;

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), "amorsize-parity-"));
    redis = await startRedis(binary as string);
    client = new Redis(redis.url);
    const onQueue = (queue: string) =>
      startHost(redis.url, ["--queue", queue, "--concurrency", "1", ...fastLocks]);
    [orphanHost] = await Promise.all([
      onQueue("orphans"),
      onQueue("amorsize"),
      onQueue("amorsize"),
      onQueue("stream"),
    ]);
  });

  afterAll(async () => {
    client?.disconnect();
    await killAll();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  const runKeys = async (queue: string, runId: string) =>
    (await client.keys(`bull:${queue}:*`)).filter((key) => key.includes(runId));

  describe("values", () => {
    it("round-trips what structured clone keeps: BigInt, undefined, NaN, -0, Infinity, Map, Set, Date, typed arrays", async () => {
      const cyclic: { self?: unknown; n: number } = { n: 1 };
      cyclic.self = cyclic;
      const items = [
        2n ** 70n,
        undefined,
        Number.NaN,
        -0,
        Number.NEGATIVE_INFINITY,
        new Map<unknown, unknown>([
          [1, { a: undefined }],
          ["k", [1n]],
        ]),
        new Set([1, "a"]),
        new Date(1_700_000_000_000),
        new Float64Array([1.5, Number.NaN]),
        { nested: [null, undefined, new Uint8Array([1, 2])] },
        cyclic,
      ];
      const { results, errors, report } = await executeOnCluster(echo, items, {
        connection: redis.url,
        chunkSize: 4,
      });
      expect(errors).toEqual([]);
      expect(report).toMatchObject({ succeeded: items.length, failed: 0, missing: 0 });
      expect(results).toStrictEqual(items);
      expect(Object.is(results[3], -0)).toBe(true);
      const back = results[10] as typeof cyclic;
      expect(back.self).toBe(back);
    });

    it("fails an item that cannot travel as that item's CloneError, the other items kept", async () => {
      const fn = () => 1;
      const items: unknown[] = [1, fn, 3, Symbol("s"), { f() {} }, 6];
      const collected = await executeOnCluster(echo, items, {
        connection: redis.url,
        chunkSize: 2,
        onError: "collect",
      });
      expect(collected.results).toEqual([1, undefined, 3, undefined, undefined, 6]);
      expect(collected.errors.map((e) => [e.constructor, e.code, (e as CloneError).index])).toEqual([
        [CloneError, "AMORSIZE_ITEM_NOT_CLONEABLE", 1],
        [CloneError, "AMORSIZE_ITEM_NOT_CLONEABLE", 3],
        [CloneError, "AMORSIZE_ITEM_NOT_CLONEABLE", 4],
      ]);
      expect(collected.errors[0]?.message).toBe(
        `Item 1 cannot be sent to a worker: ${String(fn)} could not be cloned.`,
      );
      expect(collected.report).toMatchObject({ succeeded: 3, failed: 3, missing: 0 });

      const thrown = await executeOnCluster(echo, items, { connection: redis.url, chunkSize: 2 }).catch(
        (e) => e,
      );
      expect(thrown).toBeInstanceOf(CloneError);
      expect(thrown).toMatchObject({ code: "AMORSIZE_ITEM_NOT_CLONEABLE", index: 1, range: [1, 1] });
    });

    it("fails an item whose result cannot travel back as AMORSIZE_RESULT_NOT_CLONEABLE", async () => {
      const task = { module: TASKS, export: "badResult" };
      const { results, errors, report } = await executeOnCluster(task, ["a", "fn", "c"], {
        connection: redis.url,
        chunkSize: 3,
        onError: "collect",
      });
      expect(results).toEqual(["a", undefined, "c"]);
      expect(errors.map((e) => [e.constructor, e.code, (e as CloneError).index])).toEqual([
        [CloneError, "AMORSIZE_RESULT_NOT_CLONEABLE", 1],
      ]);
      expect(report).toMatchObject({ succeeded: 2, failed: 1 });
    });
  });

  describe("caller faults", () => {
    it("fails fast with NoWorkerHostsError when no host serves the queue, leaving no job", async () => {
      const started = Date.now();
      let timer: NodeJS.Timeout | undefined;
      const outcome = await Promise.race([
        executeOnCluster(echo, [1, 2, 3], { connection: redis.url, queueName: "nobody" }).catch((e) => e),
        new Promise((resolve) => {
          timer = setTimeout(() => resolve("still waiting after 10 s"), 10_000);
        }),
      ]);
      // A timer left running would hold Jest open for the rest of its 10 s.
      clearTimeout(timer);
      expect(outcome).toBeInstanceOf(NoWorkerHostsError);
      expect((outcome as NoWorkerHostsError).code).toBe("AMORSIZE_NO_WORKER_HOSTS");
      expect(Date.now() - started).toBeLessThan(10_000);
      // The queue's own meta key aside, nothing: no job, no wait list.
      expect((await client.keys("bull:nobody:*")).filter((key) => !key.endsWith(":meta"))).toEqual([]);
    });

    it("leaves nothing that a host started later runs when its caller is killed mid-run", async () => {
      const log = join(scratch, "orphans.log");
      const items = Array.from({ length: 12 }, (_, x) => ({ x, sleepMs: 300, log }));
      // The caller is a process of its own, killed without a chance to clean up.
      const script = `
        import { executeOnCluster } from ${JSON.stringify(DIST)};
        await executeOnCluster(${JSON.stringify(logged)}, ${JSON.stringify(items)}, {
          connection: ${JSON.stringify(redis.url)}, queueName: "orphans", chunkSize: 1, callerTimeoutMs: 1000,
        });`;
      const caller = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: "ignore" });
      const callerGone = new Promise((resolve) => caller.once("exit", resolve));
      try {
        await until(() => ran(log).length >= 1, "the first item ran");
      } finally {
        caller.kill("SIGKILL");
      }
      await callerGone;
      orphanHost.process.kill("SIGKILL");
      await orphanHost.exited;
      const before = ran(log).length;
      expect(await client.llen("bull:orphans:wait")).toBeGreaterThan(0);
      // Past the caller's timeout, a new host drains the queue without running any of it.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const late = await startHost(redis.url, ["--queue", "orphans", "--concurrency", "1", ...fastLocks]);
      await until(async () => (await client.llen("bull:orphans:wait")) === 0, "the queue drained");
      await until(async () => (await client.llen("bull:orphans:active")) === 0, "no chunk active");
      const lateRuns = ran(log).filter((entry) => entry.pid === late.process.pid);
      expect({ lateRuns, total: ran(log).length }).toEqual({ lateRuns: [], total: before });
    });
  });

  describe("a caller blocked past callerTimeoutMs", () => {
    it("fails the chunks hosts skipped meanwhile as ChunkFailedError instead of waiting for them", async () => {
      // 3 s of work per host: chunks are left when the key expires, however late the first answer is read.
      const log = join(scratch, "blocked.log");
      const items = Array.from({ length: 60 }, (_, x) => ({ x, sleepMs: 100, log }));
      let blocked = false;
      const error = await executeOnCluster(logged, items, {
        connection: redis.url,
        chunkSize: 1,
        callerTimeoutMs: 300,
        onProgress: () => {
          if (blocked) return;
          blocked = true;
          // A blocked event loop (asleep, not spinning): the run key cannot be refreshed, and expires.
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1500);
        },
      }).catch((e) => e);
      expect(error).toBeInstanceOf(ChunkFailedError);
      expect(error.message).toMatch(/a host skipped it: the run's key had expired/);
    });
  });

  describe("signal and progress", () => {
    it("tells onProgress the items done out of the total after each chunk", async () => {
      const seen: Array<{ done: number; total?: number; failed: number }> = [];
      const items = [1, 2, -3, 4, 5, 6, 7];
      await executeOnCluster(echo, items, {
        connection: redis.url,
        chunkSize: 2,
        precomputed: new Map([[6, 7]]),
        onProgress: ({ done, total, failed }) => seen.push({ done, total, failed }),
      });
      expect(seen.map((p) => p.total)).toEqual([7, 7, 7]);
      expect(seen.map((p) => p.done)).toEqual([3, 5, 7]);
      expect(seen.at(-1)).toEqual({ done: 7, total: 7, failed: 0 });
    });

    it("cancels a run on abort: rejects with an AbortError, hosts skip its remaining chunks, no job is left", async () => {
      const log = join(scratch, "aborted.log");
      const items = Array.from({ length: 20 }, (_, x) => ({ x, sleepMs: 100, log }));
      const controller = new AbortController();
      const error = await executeOnCluster(logged, items, {
        connection: redis.url,
        chunkSize: 1,
        signal: controller.signal,
        onProgress: ({ done }) => {
          if (done >= 2) controller.abort();
        },
      }).catch((e) => e);
      expect(error).toMatchObject({ name: "AbortError", code: "AMORSIZE_RUN_ABORTED" });
      expect(error.cause).toBe(controller.signal.reason);
      expect(error.report.succeeded).toBeLessThan(20);
      expect(await runKeys("amorsize", error.report.runId)).toEqual([]);
      // Whatever was running when it was aborted finishes; nothing after it starts.
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(ran(log).length).toBeLessThan(20);
    });

    it("rejects at once with an AbortError when the signal was aborted already", async () => {
      const error = await executeOnCluster(echo, [1], {
        connection: redis.url,
        signal: AbortSignal.abort(),
      }).catch((e) => e);
      expect(error).toMatchObject({ name: "AbortError", code: "AMORSIZE_RUN_ABORTED" });
    });
  });

  describe("stream()", () => {
    it("yields results in input order with at most maxInFlight chunks between reading and yielding", async () => {
      const backend = cluster({ connection: redis.url, queueName: "stream" });
      let read = 0;
      function* source() {
        for (let x = 0; x < 30; x++) {
          read += 1;
          yield x;
        }
      }
      const chunkSize = 2;
      const maxInFlight = 3;
      const got: Array<{ index: number; value: unknown }> = [];
      let widest = 0;
      let jobsSeen = 0;
      try {
        const stream = backend.stream(echo, source(), { chunkSize, maxInFlight });
        for await (const item of stream) {
          widest = Math.max(widest, read - got.length);
          got.push(item);
          if (got.length % 7 === 0) {
            // A slow consumer: the hosts are idle, but nothing more is read or queued.
            await new Promise((resolve) => setTimeout(resolve, 100));
            const runId = stream.runId;
            jobsSeen = Math.max(
              jobsSeen,
              (await runKeys("stream", runId)).filter((k) => /-\d+$/.test(k)).length,
            );
          }
        }
        expect(got).toEqual(Array.from({ length: 30 }, (_, x) => ({ index: x, value: x })));
        // Reached (the first chunks are all read before any answer can come) and never passed.
        expect(widest).toBe(maxInFlight * chunkSize);
        expect(jobsSeen).toBeLessThanOrEqual(maxInFlight);
        expect(stream.report()).toMatchObject({ items: 30, succeeded: 30, chunks: 15, missing: 0 });
        expect(await runKeys("stream", stream.runId)).toEqual([]);
      } finally {
        await backend.close();
      }
    });

    it("skips failed items under collect, stops on break, and rejects with an AbortError on abort", async () => {
      const backend = cluster({ connection: redis.url, queueName: "stream" });
      try {
        const collected = backend.stream(echo, [1, () => 2, 3], { chunkSize: 2, onError: "collect" });
        const values: unknown[] = [];
        for await (const { value } of collected) values.push(value);
        expect(values).toEqual([1, 3]);
        expect(collected.errors.map((e) => [e.code, (e as CloneError).index])).toEqual([
          ["AMORSIZE_ITEM_NOT_CLONEABLE", 1],
        ]);

        const early = backend.stream(
          echo,
          Array.from({ length: 40 }, (_, x) => x),
          { chunkSize: 2 },
        );
        for await (const { index } of early) if (index === 3) break;
        expect(early.report().succeeded).toBeLessThan(40);
        expect(await runKeys("stream", early.runId)).toEqual([]);

        const controller = new AbortController();
        const aborted = backend.stream(
          echo,
          Array.from({ length: 40 }, (_, x) => x),
          {
            chunkSize: 2,
            signal: controller.signal,
          },
        );
        const error = await (async () => {
          for await (const { index } of aborted) if (index === 1) controller.abort();
        })().catch((e) => e);
        expect(error).toMatchObject({ name: "AbortError", code: "AMORSIZE_RUN_ABORTED" });
        expect(await runKeys("stream", aborted.runId)).toEqual([]);
      } finally {
        await backend.close();
      }
    });
  });
});
