import type { Redis } from "ioredis";
import { settlesWithin } from "./connection.js";
import { NoWorkerHostsError } from "./errors.js";
import { liveHosts } from "./measure.js";
import { runKey } from "./protocol.js";

/** Why a live run's chunk was skipped by a host: its run key had expired. */
export const SKIPPED_REASON =
  "a host skipped it: the run's key had expired (its caller was not heard from for callerTimeoutMs)";

/**
 * The worker threads of the hosts serving the queue now, and the most items every one of
 * them takes in a job (null when none says).
 * @throws {NoWorkerHostsError} none is: a run would wait for ever, so it fails before sending anything.
 */
export async function requireHosts(
  client: Redis,
  prefix: string,
  queueName: string,
): Promise<{ threads: number; maxJobItems: number | null }> {
  const hosts = await liveHosts(client, prefix, queueName);
  if (hosts.length === 0) throw new NoWorkerHostsError(queueName);
  const limits = hosts.flatMap((host) => (host.maxJobItems === undefined ? [] : [host.maxJobItems]));
  return {
    threads: hosts.reduce((sum, host) => sum + host.concurrency, 0),
    maxJobItems: limits.length === 0 ? null : Math.min(...limits),
  };
}

/**
 * The key that keeps a run live for the hosts (`runKey`): set before the run's first job,
 * refreshed every third of `ttlMs` while the caller lives, deleted when the run ends or
 * stops. A caller that dies stops refreshing it, so it expires within `ttlMs` and the hosts
 * skip whatever of the run is left.
 */
export class RunKeeper {
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly key: string;

  constructor(
    private readonly client: Redis,
    where: { prefix: string; queueName: string; runId: string },
    private readonly ttlMs: number,
  ) {
    this.key = runKey(where.prefix, where.queueName, where.runId);
  }

  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(
      () => {
        this.refresh().catch(() => {});
      },
      Math.max(100, Math.floor(this.ttlMs / 3)),
    );
    // The run's own connection keeps the process alive while it lasts; this timer must not.
    this.timer.unref();
  }

  /** Stops refreshing; the key expires by itself (the connection is gone). */
  drop(): void {
    clearInterval(this.timer);
  }

  /** Stops refreshing and deletes the key: hosts skip every chunk of the run not started yet. */
  async end(): Promise<void> {
    this.drop();
    await this.client.del(this.key);
  }

  private async refresh(): Promise<void> {
    await this.client.set(this.key, "1", "PX", this.ttlMs);
  }
}

/**
 * Ends a stopped run: deletes its key (hosts skip the chunks they have not started), then
 * `removeJobs`. Each is bounded: a Redis that does not answer the deletion within
 * `connectTimeoutMs` has stopped answering (or the network to it has), and waiting on it
 * would hold the run for good; the removal gets `cleanupTimeoutMs` and `connectTimeoutMs`.
 */
export async function endStoppedRun(
  keeper: RunKeeper,
  times: { cleanupTimeoutMs: number; connectTimeoutMs: number },
  removeJobs: () => Promise<void>,
): Promise<void> {
  const { cleanupTimeoutMs, connectTimeoutMs } = times;
  if (await settlesWithin(keeper.end(), connectTimeoutMs)) {
    await settlesWithin(removeJobs(), cleanupTimeoutMs + connectTimeoutMs);
  }
}
