import { connect, type Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { cluster, measureClusterCost, RUN_COMMANDS } from "../src/index.js";
import { killAll, redisServerPath, startHost, startProxyProcess, startRedis, TASK } from "./helpers.js";
import { type DelayProxy, startDelayProxy } from "./proxy.mjs";

const binary = redisServerPath();
if (!binary) console.warn("NOTICE: redis-server not found: the latency tests are skipped");
const suite = binary ? describe : describe.skip;
/** Milliseconds the proxy adds each way. */
const D = 10;
const task = { module: TASK, export: "square" };

/** A raw connection to `port` and what it has read so far. */
async function rawClient(
  port: number,
): Promise<{ socket: Socket; text: () => string; closed: Promise<void> }> {
  const socket = connect({ host: "127.0.0.1", port });
  let text = "";
  socket.on("data", (chunk) => {
    text += chunk.toString();
  });
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", () => resolve());
    socket.once("error", reject);
  });
  return { socket, text: () => text, closed };
}

async function until(test: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!test()) {
    if (performance.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

suite("the cluster through a proxy adding latency", () => {
  let redis: Awaited<ReturnType<typeof startRedis>>;
  // Caller and host both reach Redis through it: every crossing of a job pays D.
  let proxy: DelayProxy;

  beforeAll(async () => {
    redis = await startRedis(binary as string);
    proxy = await startDelayProxy({ upstreamPort: redis.port, delayMs: D });
    await startHost(proxy.url, ["--concurrency", "1", "--queue", "latency"]);
  });

  afterAll(async () => {
    await killAll();
    await proxy?.close();
  });

  it("delays each way by at least its delay, keeps the order, and closes both sides cleanly", async () => {
    const own = await startDelayProxy({ upstreamPort: redis.port, delayMs: D });
    const client = await rawClient(own.port);
    const t0 = performance.now();
    client.socket.write("PING\r\n");
    await until(() => client.text() === "+PONG\r\n");
    expect(performance.now() - t0).toBeGreaterThanOrEqual(2 * D);
    // 200 pipelined commands, each answer in its place.
    client.socket.write("DEL n\r\n");
    for (let i = 0; i < 200; i++) client.socket.write("INCR n\r\n");
    const answers = `+PONG\r\n:0\r\n${Array.from({ length: 200 }, (_, i) => `:${i + 1}\r\n`).join("")}`;
    await until(() => client.text().length >= answers.length);
    expect(client.text()).toBe(answers);
    // A client that ends its side: Redis closes, and so does the proxy's connection.
    expect(own.connections).toBe(1);
    client.socket.end();
    await client.closed;
    await until(() => own.connections === 0);
    // Closing the proxy drops a connection still open and stops listening.
    const open = await rawClient(own.port);
    await until(() => own.connections === 1);
    await own.close();
    await open.closed;
    expect([own.connections, own.accepted]).toEqual([0, 2]);
    const refused = await rawClient(own.port).catch((error: NodeJS.ErrnoException) => error.code);
    expect(refused).toBe("ECONNREFUSED");
  });

  it("measures a command as two crossings and a job's round trip as at least six", async () => {
    const profile = await measureClusterCost({
      connection: proxy.url,
      queueName: "latency",
      samples: 3,
      payloadBytes: 1024,
    });
    // PING: caller -> Redis -> caller.
    expect(profile.command.value).toBeGreaterThanOrEqual(2 * D);
    // A job: caller adds it (1), Redis wakes the host (1), the host fetches it (2), and its
    // completion goes to Redis (1) and from there to the caller's event reader (1).
    expect(profile.roundTrip.value).toBeGreaterThanOrEqual(6 * D);
    expect(profile.figures).toMatchObject({ totalWorkers: 1, commandMs: profile.command.value });
  });

  it("returns every result in input order through it, map() and stream() alike", async () => {
    const backend = cluster({ connection: proxy.url, queueName: "latency" });
    try {
      await backend.connect();
      const items = Array.from({ length: 30 }, (_, i) => i);
      const t0 = performance.now();
      const { results, report } = await backend.map<number>(task, items, { chunkSize: 4 });
      const wallMs = performance.now() - t0;
      expect(results).toEqual(items.map((x) => x * x));
      expect(report.chunks).toBe(8);
      // What predictClusterWallMs counts, one crossing after another on one host of one thread:
      // the run's own commands (2 crossings each), the first chunk's job round trip (6) and
      // liveness check (2), and 4 crossings for each later chunk (its fetch with the previous
      // one's completion, its check, its completion).
      expect(wallMs).toBeGreaterThanOrEqual((2 * RUN_COMMANDS + 8 + 4 * 7) * D);
      const streamed: Array<{ index: number; value: number }> = [];
      for await (const item of backend.stream<number>(task, items, { chunkSize: 4, maxInFlight: 2 })) {
        streamed.push(item);
      }
      expect(streamed).toEqual(items.map((x, index) => ({ index, value: x * x })));
    } finally {
      await backend.close();
    }
  });

  /**
   * Connects a backend through a proxy of its own that lets the first `passFirst`
   * connections through, runs `meanwhile`, closes the backend, and expects no try to
   * connect in the second after the close.
   */
  async function closesForGood(
    passFirst: number,
    meanwhile: (proxy: DelayProxy) => Promise<void>,
  ): Promise<void> {
    const own = await startDelayProxy({ upstreamPort: redis.port, delayMs: 0, passFirst });
    try {
      const backend = cluster({ connection: own.url, queueName: `pass-${passFirst}` });
      await backend.connect();
      await meanwhile(own);
      await backend.close();
      const tries = own.accepted;
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(own.accepted).toBe(tries);
    } finally {
      await own.close();
    }
  }

  it("closes a backend whose event reader never connected, and nothing of it retries after", async () => {
    // The backend's own connection and its silence watch's go through; the queue's event
    // reader, which connects next, is dropped at every try (as when Redis goes away just
    // after the first ones). The reader retried every 250 ms for ever after the close.
    await closesForGood(2, (own) => until(() => own.accepted >= 4));
  });

  it("closes a backend while its Redis is away, and nothing of it retries after", async () => {
    // The backend's three connections (its own, its silence watch's and the event reader's)
    // go through; then they are dropped, and every try to reconnect is dropped too. The
    // reader retried for ever after the close returned.
    await closesForGood(3, async (own) => {
      await until(() => own.connections === 3);
      await own.drop();
      await until(() => own.accepted >= 5);
    });
  });

  it("does not read its own thread blocked past lostAfterMs as a silent Redis", async () => {
    // 100 ms each way, in a process of its own: a PING is on its way for 200 ms of each
    // 500 ms between the watch's questions, and when this thread blocks then, its answer
    // waits in the socket. (Connecting through it takes a few round trips: a margin of
    // five to `lostAfterMs` on a busy machine.)
    const own = await startProxyProcess(redis.port, 100);
    const backend = cluster({ connection: own.url, queueName: "latency", lostAfterMs: 1000 });
    try {
      const items = Array.from({ length: 6 }, (_, x) => ({ x, sleepMs: 1000 }));
      const run = backend.map<number>(task, items, { chunkSize: 1 });
      run.catch(() => {});
      // Three times 2 s of this thread blocked while the run waits on its chunks (as by its
      // own work, without spending a core on it: Atomics.wait holds the event loop as a busy
      // loop does): the answers to its PINGs arrive meanwhile and are read before any verdict.
      const blocker = new Int32Array(new SharedArrayBuffer(4));
      for (let block = 0; block < 3; block++) {
        await new Promise((resolve) => setTimeout(resolve, 300));
        Atomics.wait(blocker, 0, 0, 2000);
      }
      expect((await run).results).toEqual(items.map(({ x }) => x * x));
    } finally {
      await backend.close();
      own.process.kill();
      await own.exited;
    }
  });

  it("runs over a slow link: jobs that take seconds to send are no silence", async () => {
    // 2 MB/s each way: the run's 8 MB of jobs take 4 s to send on its own connection, where
    // a PING would wait behind them four times `lostAfterMs` (the run failed with
    // RedisLostError when the silence watch pinged there).
    const own = await startDelayProxy({ upstreamPort: redis.port, delayMs: 0, bytesPerSecond: 2_000_000 });
    const backend = cluster({ connection: own.url, queueName: "latency", lostAfterMs: 1000 });
    try {
      const pad = "x".repeat(100_000);
      const items = Array.from({ length: 80 }, (_, x) => ({ x, pad }));
      const { results } = await backend.map<number>(task, items, { chunkSize: 10 });
      expect(results).toEqual(items.map(({ x }) => x * x));
    } finally {
      await backend.close();
      await own.close();
    }
  });
});
