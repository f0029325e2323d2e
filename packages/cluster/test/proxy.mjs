// A TCP proxy that adds a fixed latency each way, for the latency tests and
// scripts/latency-bench.mjs (plain JavaScript so that both can load it; types in proxy.d.mts).
// node:net only: every chunk of data read on one side is written to the other side no
// sooner than `delayMs` after it was read, in the order it was read.
import { connect, createServer } from "node:net";
import { performance } from "node:perf_hooks";

/**
 * One direction of a connection: chunks read from `from` wait `delayMs` in a FIFO, then go
 * to `to`; `from`'s end and close are passed on, delayed alike, after its last chunk. One
 * timer at a time, armed for the head of the queue: every entry waits the same time, so
 * the head is always due first.
 */
class DelayedPipe {
  /** @type {{ due: number; chunk: Buffer | "end" | "close" }[]} */
  #queue = [];
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #timer;

  /** When the last chunk queued is due, for the rate limit. */
  #lastDue = 0;

  /**
   * @param {import("node:net").Socket} from
   * @param {import("node:net").Socket} to
   * @param {number} delayMs
   * @param {number} [bytesPerSecond] at most this many bytes a second go on, each chunk after the last
   */
  constructor(from, to, delayMs, bytesPerSecond) {
    this.to = to;
    this.delayMs = delayMs;
    this.bytesPerSecond = bytesPerSecond;
    from.on("data", (chunk) => this.#push(chunk));
    from.on("end", () => this.#push("end"));
    from.on("close", () => this.#push("close"));
  }

  /** @param {Buffer | "end" | "close"} chunk */
  #push(chunk) {
    let due = performance.now() + this.delayMs;
    if (this.bytesPerSecond !== undefined && typeof chunk !== "string") {
      due = Math.max(due, this.#lastDue + (chunk.length / this.bytesPerSecond) * 1000);
      this.#lastDue = due;
    }
    this.#queue.push({ due, chunk });
    if (this.#timer === undefined) this.#arm();
  }

  #arm() {
    const head = this.#queue[0];
    if (head === undefined) return;
    // setTimeout counts from the event loop's cached clock, which may lag the real one:
    // a chunk found early waits again, so no chunk ever goes sooner than `delayMs`.
    this.#timer = setTimeout(() => this.#flush(), Math.max(0, Math.ceil(head.due - performance.now())));
  }

  #flush() {
    this.#timer = undefined;
    const now = performance.now();
    while (this.#queue.length > 0 && /** @type {{ due: number }} */ (this.#queue[0]).due <= now) {
      const { chunk } = /** @type {{ chunk: Buffer | "end" | "close" }} */ (this.#queue.shift());
      if (this.to.destroyed) continue;
      if (chunk === "end") this.to.end();
      // The other side is gone: this one closes once what it was sent has been flushed.
      else if (chunk === "close") this.to.end(() => this.to.destroy());
      else this.to.write(chunk);
    }
    this.#arm();
  }

  /** Drops what is still waiting and its timer. */
  clear() {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#queue = [];
  }
}

/**
 * Starts a proxy on a free loopback port that forwards every connection to
 * `upstreamHost:upstreamPort`, each chunk delayed `delayMs` in each direction (a round trip
 * through it costs at least `2 x delayMs` more). A side that closes closes the other after
 * the data sent before it; a side that fails drops both at once. With `passFirst`, only the
 * first `passFirst` connections go through: every later one is dropped as it is accepted.
 * With `bytesPerSecond`, each direction of each connection moves at most that many bytes a
 * second (a chunk waits for the ones before it to have gone at that rate).
 *
 * @param {{ upstreamHost?: string; upstreamPort: number; delayMs: number; passFirst?: number; bytesPerSecond?: number }} options
 * @returns {Promise<import("./proxy.d.mts").DelayProxy>}
 */
export async function startDelayProxy({
  upstreamHost = "127.0.0.1",
  upstreamPort,
  delayMs,
  passFirst,
  bytesPerSecond,
}) {
  if (!Number.isFinite(delayMs) || delayMs < 0)
    throw new RangeError(`delayMs: expected >= 0, got ${delayMs}`);
  /** @type {Set<{ client: import("node:net").Socket; upstream: import("node:net").Socket; pipes: DelayedPipe[] }>} */
  const links = new Set();
  /** @type {Set<Promise<void>>} */
  const closing = new Set();
  let accepted = 0;

  const server = createServer({ allowHalfOpen: true }, (client) => {
    accepted += 1;
    if (passFirst !== undefined && accepted > passFirst) {
      client.destroy();
      return;
    }
    const upstream = connect({ host: upstreamHost, port: upstreamPort, allowHalfOpen: true });
    const link = {
      client,
      upstream,
      pipes: [
        new DelayedPipe(client, upstream, delayMs, bytesPerSecond),
        new DelayedPipe(upstream, client, delayMs, bytesPerSecond),
      ],
    };
    links.add(link);
    const closed = Promise.all(
      [client, upstream].map((socket) => new Promise((resolve) => socket.once("close", resolve))),
    ).then(() => {
      for (const pipe of link.pipes) pipe.clear();
      links.delete(link);
      closing.delete(closed);
    });
    closing.add(closed);
    // A failure on either side drops both at once (a clean close reaches the other side
    // through its pipe, after the data sent before it).
    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", drop);
    upstream.on("error", drop);
  });

  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve(undefined));
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;

  /** Drops every connection open now, both sides at once. */
  const dropAll = () => {
    for (const link of links) {
      for (const pipe of link.pipes) pipe.clear();
      link.client.destroy();
      link.upstream.destroy();
    }
  };
  /** @type {Promise<void> | undefined} */
  let closed;
  return {
    port,
    delayMs,
    url: `redis://127.0.0.1:${port}`,
    get connections() {
      return links.size;
    },
    get accepted() {
      return accepted;
    },
    async drop() {
      dropAll();
      await Promise.all(closing);
    },
    close() {
      closed ??= (async () => {
        const stopped = new Promise((resolve) => server.close(() => resolve(undefined)));
        dropAll();
        await Promise.all([stopped, ...closing]);
      })();
      return closed;
    },
  };
}
