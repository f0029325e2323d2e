import { AmorsizeError } from "@amorsize/types";
import { Queue, QueueEvents } from "bullmq";
import { Redis, type RedisOptions } from "ioredis";
import { RedisLostError, RedisUnreachableError } from "./errors.js";
import type { Connection } from "./options.js";
import { SigningQueue } from "./signing.js";

/** How often a dropped connection is retried, milliseconds. */
const RECONNECT_EVERY_MS = 250;

/** A connected client, and a promise that settles when it is lost for good. */
export interface LiveRedis {
  readonly client: Redis;
  /** `host:port`, for messages. */
  readonly address: string;
  /** Rejects never; resolves with the last connection error once the client has given up. */
  readonly lost: Promise<unknown>;
}

/** `host:port` of a connection, never its password. */
export function addressOf(connection: Connection): string {
  const parts = typeof connection === "string" ? { url: connection } : connection;
  const url = parts.url === undefined ? undefined : new URL(parts.url);
  const host = url?.hostname || parts.host || "127.0.0.1";
  const port = url?.port || parts.port || 6379;
  return `${host}:${port}`;
}

/** An ioredis client, not connected yet. */
function newClient(
  connection: Connection,
  connectTimeoutMs: number,
  retryStrategy: RedisOptions["retryStrategy"],
): Redis {
  const options: RedisOptions = {
    lazyConnect: true,
    connectTimeout: connectTimeoutMs,
    // BullMQ's blocking commands need this; loss is detected by the retry strategy instead.
    maxRetriesPerRequest: null,
    // How long disconnect() waits for a dead socket to close before destroying it (default 2 s).
    disconnectTimeout: 200,
    retryStrategy,
  };
  if (typeof connection === "string") return new Redis(connection, options);
  const { url, tls, ...parts } = connection;
  // ioredis takes TLS options as `tls`; `true` means its defaults (the system's CAs).
  const tlsOptions = tls === true ? { tls: {} } : tls ? { tls } : {};
  // With a URL, ioredis takes what the URL says and fills in the rest from the object.
  return url === undefined
    ? new Redis({ ...parts, ...tlsOptions, ...options })
    : new Redis(url, { ...parts, ...tlsOptions, ...options });
}

/**
 * Makes the client's commands wait for ever, instead of failing at once, after it has
 * given up on Redis (status `end`). BullMQ retries a command that failed for a lost
 * connection with no delay while its worker is closing: against an ended client that
 * loop never yields, holds a core at 100% and starves the timers and signal handlers
 * (issue 16). A command that waits instead lets the process go on to stop.
 */
export function holdCommandsOnceEnded(client: Redis): void {
  const send = client.sendCommand.bind(client);
  client.sendCommand = ((...args: Parameters<Redis["sendCommand"]>) =>
    client.status === "end" ? new Promise<never>(() => {}) : send(...args)) as Redis["sendCommand"];
}

/**
 * Connects one ioredis client. A first connection that fails, or does not succeed within
 * `connectTimeoutMs`, rejects with `RedisUnreachableError` at once: no retries, so a wrong
 * address fails fast instead of hanging. After that, a dropped connection is retried for
 * `lostAfterMs` and then given up, which settles `lost`: ioredis would otherwise retry
 * forever and every pending command would wait with it. Once `stop()` says so, it is given
 * up at the next try.
 */
export async function connectRedis(
  connection: Connection,
  options: { connectTimeoutMs: number; lostAfterMs: number },
  stop: () => boolean = () => false,
): Promise<LiveRedis> {
  const address = addressOf(connection);
  let ready = false;
  let lastError: unknown;
  const maxRetries = Math.max(1, Math.ceil(options.lostAfterMs / RECONNECT_EVERY_MS));
  const client = newClient(connection, options.connectTimeoutMs, (times) =>
    ready && times <= maxRetries && !stop() ? RECONNECT_EVERY_MS : null,
  );
  // Without a listener ioredis prints every connection error to the console.
  client.on("error", (error: unknown) => {
    lastError = error;
  });
  const lost = new Promise<unknown>((resolve) => {
    client.once("end", () => resolve(lastError));
  });
  try {
    await client.connect();
    ready = true;
  } catch (error) {
    // An ended client has no socket left; disconnect() would still arm a 2 s timer.
    if (client.status !== "end") client.disconnect();
    throw new RedisUnreachableError(address, lastError ?? error);
  }
  return { client, address, lost };
}

/**
 * A command's failure as `RedisLostError` when the client gave up on Redis while it waited
 * (ioredis fails the commands it held with a bare "Connection is closed."); else as it is.
 */
export function lostOr(error: unknown, client: Redis, address: string): unknown {
  return client.status === "end" && !(error instanceof AmorsizeError)
    ? new RedisLostError(address, error)
    : error;
}

/**
 * Runs the link's commands of `work`; a failure because Redis was lost reads as
 * `RedisLostError`, as does any failure once the link counts Redis as lost (a silent Redis
 * whose connection the link dropped: the client has not always ended by then).
 */
export async function onLink<T>(link: QueueLink, work: (commands: Redis) => Promise<T>): Promise<T> {
  try {
    return await work(link.commands);
  } catch (error) {
    throw linkFailure(link, error);
  }
}

/** A failure of the link's commands, as `onLink` reads it. */
export function linkFailure(link: QueueLink, error: unknown): unknown {
  if (link.gone && !(error instanceof AmorsizeError)) return new RedisLostError(link.address, error);
  return lostOr(error, link.commands, link.address);
}

/**
 * Resolves once `client` has ended, and a turn of the event loop later: by then the
 * commands its end failed have failed, and what awaited them has run.
 */
function untilEnded(client: Redis): Promise<void> {
  const end =
    client.status === "end"
      ? Promise.resolve()
      : new Promise<void>((resolve) => client.once("end", () => resolve()));
  return end.then(() => new Promise<void>((resolve) => setImmediate(resolve)));
}

/** The silence watch's shortest time between questions, ms. */
const MIN_TICK_MS = 50;

/** How long a client's close waits for Redis to answer its QUIT before it drops the connection. */
const QUIT_ANSWER_MS = 1000;

/**
 * How long a close waits, once it has dropped the connections of a Redis that stopped
 * answering, for what waited on them to fail: ioredis's `disconnectTimeout` and a margin.
 */
const DROP_SETTLE_MS = 500;

/** Resolves true once `work` has settled, or false after `ms`, whichever comes first. */
export async function settlesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([
      work.then(
        () => true,
        () => true,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The copies that BullMQ makes of `client` (`duplicate()`: a worker's blocking connection,
 * a queue event reader's), kept in the array returned, so that a close can drop those that
 * BullMQ could not close.
 */
export function keepCopies(client: Redis): Redis[] {
  const copies: Redis[] = [];
  const duplicate = client.duplicate.bind(client);
  client.duplicate = ((override?: Partial<RedisOptions>) => {
    const copy = duplicate(override);
    copies.push(copy);
    return copy;
  }) as Redis["duplicate"];
  return copies;
}

/**
 * Watches `live` for a Redis that stopped answering without dropping the connection (a
 * stopped server, a network that drops packets without a reset), which no retry strategy
 * sees. A connection of its own (on the watched one a PING would wait behind the run's
 * own commands: a large batch of jobs on a slow link takes seconds to send) asks Redis one
 * question at a time, a PING every `silentMs / 2` or, while it is not connected, its
 * connection; one left unanswered for `silentMs` of this thread's time (a thread blocked
 * longer cannot have read the answer) while the watched client is connected counts as the
 * connection lost. `lost` settles with the first of the client's own loss
 * and such a silence; `stop()` ends the watch and its connection (its timers never hold
 * the process).
 */
export function watchSilence(live: LiveRedis, silentMs: number): { lost: Promise<unknown>; stop(): void } {
  const { client } = live;
  // However small `lostAfterMs`, at most one question every `MIN_TICK_MS`.
  const tick = Math.max(MIN_TICK_MS, silentMs / 2);
  const watch = new AbortController();
  const pinger = client.duplicate();
  /** Whether a question waits for its answer (at first, the connection being made). */
  let waiting = true;
  /** How long it has waited while this thread could have read the answer, ms. */
  let waited = 0;
  const answered = () => {
    waiting = false;
    waited = 0;
  };
  pinger.on("ready", answered);
  // While the watched client is down its own loss rule counts; once it is back, the
  // question waiting starts its count again.
  const back = () => {
    waited = 0;
  };
  client.on("ready", back);
  // Its failures are the watched client's to report.
  pinger.on("error", () => {});
  pinger.connect().catch(() => {});
  const unanswered = () => waiting && client.status === "ready" && waited >= silentMs;
  const silent = (async () => {
    while (!watch.signal.aborted) {
      if (!waiting && pinger.status === "ready") {
        waiting = true;
        pinger.ping().then(answered, answered);
      }
      const before = performance.now();
      await new Promise((resolve) => setTimeout(resolve, tick).unref());
      // A late tick (this thread was blocked) counts as one: an answer that came meanwhile
      // waits unread in the socket.
      if (waiting) waited += Math.min(performance.now() - before, tick);
      if (!unanswered()) continue;
      // Timers run before the socket is read: read it first.
      await new Promise((resolve) => setImmediate(resolve));
      if (unanswered() && !watch.signal.aborted) {
        return new Error(
          `Redis at ${live.address} answered no PING for ${silentMs} ms with the connection up`,
        );
      }
    }
    return new Promise<never>(() => {});
  })();
  return {
    lost: Promise.race([live.lost, silent]),
    stop: () => {
      watch.abort();
      client.off("ready", back);
      pinger.disconnect();
    },
  };
}

/**
 * Closes a client politely, or drops it when the server is gone or does not answer the
 * QUIT within `QUIT_ANSWER_MS`.
 */
export async function closeRedis(client: Redis): Promise<void> {
  if (client.status === "ready") {
    let quit = false;
    // A QUIT that fails (the server went away meanwhile) or goes unanswered falls through.
    await settlesWithin(
      client.quit().then(() => {
        quit = true;
      }),
      QUIT_ANSWER_MS,
    );
    if (quit) return;
  }
  if (client.status !== "end") client.disconnect();
}

/** A queue and its event stream, on one connection of ours. */
export interface QueueLink {
  readonly queue: Queue;
  readonly events: QueueEvents;
  /** The queue's connection, for commands of our own. */
  readonly commands: Redis;
  readonly address: string;
  /**
   * Settles when the connection is lost for good, with the last connection error, or when
   * Redis has answered nothing for `lostAfterMs` with the connection up (see `watchSilence`).
   */
  readonly lost: Promise<unknown>;
  /** True once `lost` has settled. */
  readonly gone: boolean;
  /** What `lost` settled with (the last connection error, or the silence); undefined before. */
  readonly lossCause: unknown;
  /** Closes the queue, the event reader and the connection; never rejects. */
  close(): Promise<void>;
}

/**
 * Opens `queueName` and reads its events from the newest one now in the stream, so that
 * nothing that happens from here on is missed, however long the reader takes to start.
 *
 * @throws {RedisUnreachableError} Redis cannot be reached.
 */
export async function openQueueLink(
  connection: Connection,
  queue: { queueName: string; prefix: string },
  options: { connectTimeoutMs: number; lostAfterMs: number; secret?: Uint8Array | undefined },
): Promise<QueueLink> {
  const { queueName, prefix } = queue;
  /** Set by close(): the link's clients retry no more. */
  let closing = false;
  const live = await connectRedis(connection, options, () => closing);
  const client = live.client;
  let newest: [string, string[]][];
  try {
    newest = (await client.xrevrange(`${prefix}:${queueName}:events`, "+", "-", "COUNT", 1)) as [
      string,
      string[],
    ][];
  } catch (error) {
    const failure = lostOr(error, client, live.address);
    await closeRedis(client);
    throw failure;
  }
  const silence = watchSilence(live, options.lostAfterMs);
  // Set before anything that awaits `lost` runs: it was registered first.
  let gone = false;
  let lossCause: unknown;
  void silence.lost.then((cause) => {
    gone = true;
    lossCause = cause;
  });
  // With a secret, every chunk job leaves signed, however the run adds it.
  const bull = options.secret
    ? new SigningQueue(queueName, { connection: client, prefix }, options.secret)
    : new Queue(queueName, { connection: client, prefix });
  // Failures surface through the commands that fail, and a loss through `lost`.
  bull.on("error", () => {});
  // QueueEvents reads on a duplicate, with the same options, of the client it is given, and
  // opens and closes it itself. Made from ours, the reader would give up with it when Redis
  // goes away; BullMQ then waits 5 s on a timer that close() cannot cancel, which holds the
  // process. So it gets a template (never connected) whose copies retry until the link
  // closes: the loss is detected on our connection. A copy whose first try failed is out
  // of QueueEvents' reach (its close() returns at once) and retried every 250 ms for ever:
  // a run that failed at once, its Redis killed 10-20 ms in, kept its process alive. So
  // the copies stop retrying when the link closes, and the close stops any left.
  const reader = newClient(connection, options.connectTimeoutMs, () => (closing ? null : RECONNECT_EVERY_MS));
  const readers = keepCopies(reader);
  const events = new QueueEvents(queueName, {
    connection: reader,
    prefix,
    lastEventId: newest[0]?.[0] ?? "0-0",
  });
  events.on("error", () => {});
  return {
    queue: bull,
    events,
    commands: client,
    address: live.address,
    lost: silence.lost,
    get gone() {
      return gone;
    },
    get lossCause() {
      return lossCause;
    },
    async close() {
      closing = true;
      silence.stop();
      const politely = closeLink(client, bull, events, readers);
      // A Redis that holds the connections but answers nothing (a stopped server, a network
      // that drops packets without a reset) would hold the close for as long: past the
      // connect timeout every connection is dropped, which fails what still waits on them.
      if (await settlesWithin(politely, options.connectTimeoutMs)) return;
      client.disconnect();
      for (const copy of readers) copy.disconnect();
      await settlesWithin(politely, DROP_SETTLE_MS);
    },
  };
}

/** What `QueueLink.close()` does while Redis answers. */
async function closeLink(client: Redis, bull: Queue, events: QueueEvents, readers: Redis[]): Promise<void> {
  // BullMQ reports a connection's failed start as an 'error' event, and a closed queue
  // has no listener left: a start still under way when the close ran (its Redis gone in
  // the meantime) threw that error out of the process. So each start settles first, or
  // its client ends (a client that waits to retry gives up at its next try): the end
  // fails the commands it held, and a start that awaited one of them fails with it. (A
  // command in flight when the connection dropped is neither answered nor failed once
  // the client ends, and a start that awaits it never settles.)
  await Promise.all([
    Promise.race([bull.waitUntilReady().catch(() => {}), untilEnded(client)]),
    Promise.race([events.waitUntilReady().catch(() => {}), Promise.all(readers.map(untilEnded))]),
  ]);
  // A reader that lost its connection ends before QueueEvents closes it: it would
  // disconnect it as it waits to retry, and such a client never ends, nor answers the
  // QUIT that the close may send next.
  await Promise.all(readers.filter((copy) => copy.status === "reconnecting").map(untilEnded));
  await Promise.allSettled([events.close(), bull.close()]);
  // Stops a reader that QueueEvents let go still retrying. (A reader waiting to retry
  // never reaches `end` once disconnected: it keeps no timer or socket, so nothing is
  // waited for here.)
  for (const copy of readers) if (copy.status !== "end") copy.disconnect();
  await closeRedis(client);
}
