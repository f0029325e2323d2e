import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { type ResolvedTask, resolveTask, type StreamItem } from "@amorsize/executor";
import { AmorsizeValidationError, type Progress, parseInput, type TaskRefInput } from "@amorsize/types";
import { chunkJob, defaultChunkSize } from "./chunks.js";
import { decodeAll } from "./codec.js";
import { linkFailure, onLink, type QueueLink } from "./connection.js";
import { ChunkFailedError, RedisLostError, RunAbortedError, remoteItemError } from "./errors.js";
import { endStoppedRun, RunKeeper, requireHosts, SKIPPED_REASON } from "./liveness.js";
import {
  CLUSTER_DEFAULTS,
  type ClusterSettings,
  type ClusterStreamOptions,
  ClusterStreamOptionsSchema,
} from "./options.js";
import { type ChunkJobResult, chunkJobId } from "./protocol.js";
import type { ClusterReport, ClusterRunError } from "./report.js";
import type { ClusterSession, RunListener } from "./session.js";
import { type ClusterItemError, itemNotCloneable } from "./tally.js";

/**
 * Results of `stream()` over the cluster, as an async iterable of `{ index, value }` in
 * input order. Iterate it once. Leaving the loop early (`break`, `return`, a throw) stops
 * the run: nothing more is read or sent, its jobs are removed and hosts skip the rest.
 */
export interface ClusterStream<R> extends AsyncIterableIterator<StreamItem<R>, undefined, undefined> {
  /** Tags every job of the run (job ids are `<runId>-<chunk>`). */
  readonly runId: string;
  /** Failures so far under `onError: "collect"`, in input order (failed items are not yielded). */
  readonly errors: readonly ClusterRunError[];
  /** What the run did: available once the stream has ended; throws before. */
  report(): ClusterReport;
}

/** A chunk between reading and yielding: items `first..first+size-1` of the input. */
interface Slot {
  readonly chunk: number;
  readonly first: number;
  readonly size: number;
  /** Positions in the chunk its job carries; the others failed as not cloneable. */
  readonly kept: readonly number[];
  state: "pending" | "completed" | "failed";
  values: unknown[];
  readonly failed: Set<number>;
  /** Next position to yield. */
  next: number;
}

/** The source's iterator, sync or async. */
type Source = Iterator<unknown> | AsyncIterator<unknown>;

/** Items and chunks a run has counted, for its report and `onProgress`. */
interface Counts {
  read: number;
  chunks: number;
  succeeded: number;
  /** Items that failed themselves (reported as `failed`). */
  failed: number;
  /** Items of chunks that failed as a whole (reported as `missing`). */
  lost: number;
  busyMs: number;
  readonly hosts: Set<string>;
}

/**
 * A run that reads its input only as fast as its consumer takes results: at most
 * `maxInFlight` chunks between reading and yielding (queued, on a host, or answered and
 * waiting), each chunk's job removed as soon as its answer arrives.
 */
export class StreamRun<R> implements ClusterStream<R>, RunListener {
  readonly runId = randomUUID();
  private readonly task: ResolvedTask;
  private readonly options: ReturnType<typeof ClusterStreamOptionsSchema.parse>;
  private chunkSize: number;
  private readonly total: number | undefined;
  private readonly collect: boolean;
  private readonly source: Source;
  private readonly window = new Map<number, Slot>();
  private readonly failures: Array<ClusterItemError | ChunkFailedError> = [];
  private readonly counts: Counts = {
    read: 0,
    chunks: 0,
    succeeded: 0,
    failed: 0,
    lost: 0,
    busyMs: 0,
    hosts: new Set(),
  };
  private started: Promise<void> | undefined;
  private link: QueueLink | undefined;
  private keeper: RunKeeper | undefined;
  private maxInFlight = 1;
  private yieldChunk = 0;
  private sourceDone = false;
  private pumping = false;
  private failure: Error | null = null;
  private stopping: Promise<void> | undefined;
  private final: ClusterReport | null = null;
  private waiter: (() => void) | null = null;
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly startedAt = performance.now();
  private lastEventAt = this.startedAt;
  private readonly onAbort = () => this.fail(new RunAbortedError(this.options.signal?.reason));

  constructor(
    private readonly session: ClusterSession,
    private readonly settings: ClusterSettings,
    task: TaskRefInput,
    items: Iterable<unknown> | AsyncIterable<unknown>,
    streamOptions: ClusterStreamOptions,
  ) {
    this.task = resolveTask(task);
    this.options = parseInput(ClusterStreamOptionsSchema, streamOptions, "options");
    this.total = Array.isArray(items) ? items.length : undefined;
    const chunkSize =
      this.options.chunkSize ?? (this.total === undefined ? undefined : defaultChunkSize(this.total));
    if (chunkSize === undefined) {
      throw new AmorsizeValidationError([
        "options.chunkSize: required when items is not an array (its length is not known)",
      ]);
    }
    this.chunkSize = chunkSize;
    this.collect = (this.options.onError ?? CLUSTER_DEFAULTS.onError) === "collect";
    this.source =
      Symbol.asyncIterator in items
        ? (items as AsyncIterable<unknown>)[Symbol.asyncIterator]()
        : (items as Iterable<unknown>)[Symbol.iterator]();
  }

  get errors(): readonly ClusterRunError[] {
    return [...this.failures].sort((a, b) => a.range[0] - b.range[0]);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  report(): ClusterReport {
    if (this.final === null) {
      throw new Error(
        "stream.report() is available once the stream has ended: read it to the end or leave the loop first",
      );
    }
    return this.final;
  }

  async next(): Promise<IteratorResult<StreamItem<R>, undefined>> {
    if (this.final !== null) return { done: true, value: undefined };
    this.started ??= this.start();
    await this.started.catch((error: unknown) => this.fail(error as Error));
    for (;;) {
      if (this.failure) {
        await this.stop();
        throw this.failure;
      }
      const slot = this.window.get(this.yieldChunk);
      if (slot === undefined) {
        if (this.sourceDone && !this.pumping) {
          await this.stop();
          return { done: true, value: undefined };
        }
      } else if (slot.state !== "pending") {
        while (slot.state === "completed" && slot.next < slot.size) {
          const position = slot.next++;
          if (!slot.failed.has(position)) {
            return {
              done: false,
              value: { index: slot.first + position, value: slot.values[position] as R },
            };
          }
        }
        // Every item of the chunk handed over (or it failed under collect): room for one more.
        this.window.delete(this.yieldChunk);
        this.yieldChunk += 1;
        this.pump();
        continue;
      }
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
    }
  }

  async return(): Promise<IteratorResult<StreamItem<R>, undefined>> {
    await this.stop();
    return { done: true, value: undefined };
  }

  completed(chunk: number, value: ChunkJobResult): void {
    const slot = this.window.get(chunk);
    if (slot?.state !== "pending") return;
    if (value.cancelled) {
      if (this.stopping === undefined) this.failed(chunk, SKIPPED_REASON);
      return;
    }
    let values: unknown[];
    try {
      values = decodeAll(value.payload);
    } catch (error) {
      this.failed(chunk, `cannot read the results the host sent: ${(error as Error).message}`);
      return;
    }
    this.settle(slot, "completed");
    this.counts.hosts.add(value.host);
    this.counts.busyMs += value.ms;
    const failedAt = new Map(value.errors.map((error) => [error.position, error]));
    slot.kept.forEach((position, sent) => {
      const error = failedAt.get(sent);
      if (error === undefined) slot.values[position] = values[sent];
      else {
        slot.failed.add(position);
        this.itemFailed(remoteItemError(slot.first + position, error));
      }
    });
    this.counts.succeeded += slot.kept.length - failedAt.size;
    this.progress();
  }

  failed(chunk: number, reason: string): void {
    const slot = this.window.get(chunk);
    if (slot?.state !== "pending") return;
    this.settle(slot, "failed");
    this.counts.lost += slot.kept.length;
    const error = new ChunkFailedError([slot.first, slot.first + slot.size - 1], reason);
    if (this.collect) this.failures.push(error);
    else this.fail(error);
    this.progress();
  }

  abort(error: Error): void {
    this.fail(error);
  }

  /** Connects, checks for hosts, keeps the run key, and starts reading. */
  private async start(): Promise<void> {
    const { signal } = this.options;
    if (signal?.aborted) throw new RunAbortedError(signal.reason);
    const link = await this.session.link();
    this.link = link;
    const { prefix, queueName, callerTimeoutMs, pollIntervalMs } = this.settings;
    const { threads, maxJobItems } = await onLink(link, (commands) =>
      requireHosts(commands, prefix, queueName),
    );
    // A chunk size chosen here, not by the caller, stays within what every live host takes.
    if (this.options.chunkSize === undefined && maxJobItems !== null) {
      this.chunkSize = Math.min(this.chunkSize, maxJobItems);
    }
    this.maxInFlight = this.options.maxInFlight ?? Math.max(2, 2 * threads);
    const keeper = new RunKeeper(link.commands, { prefix, queueName, runId: this.runId }, callerTimeoutMs);
    this.keeper = keeper;
    await onLink(link, () => keeper.start());
    this.session.join(this.runId, this, link);
    signal?.addEventListener("abort", this.onAbort, { once: true });
    if (signal?.aborted) this.onAbort();
    this.timer = setInterval(
      () => {
        this.poll().catch(() => {});
      },
      Math.max(50, Math.floor(pollIntervalMs / 2)),
    );
    this.pump();
  }

  /** Reads and sends chunks while fewer than `maxInFlight` are between reading and yielding. */
  private pump(): void {
    if (this.pumping || this.failure || this.stopping || !this.link) return;
    this.pumping = true;
    const link = this.link;
    this.fill(link)
      .catch((error: unknown) => this.fail(linkFailure(link, error) as Error))
      .finally(() => {
        this.pumping = false;
        this.wake();
      });
  }

  private async fill(link: QueueLink): Promise<void> {
    const names = { runId: this.runId, module: this.task.href, exportName: this.task.exportName };
    while (!this.sourceDone && !this.failure && !this.stopping && this.window.size < this.maxInFlight) {
      const jobs = [];
      while (!this.sourceDone && this.window.size < this.maxInFlight) {
        const items = await this.read();
        if (items.length === 0) break;
        const first = this.counts.read;
        this.counts.read += items.length;
        const chunk = this.counts.chunks++;
        const { job, kept, refused } = chunkJob(names, chunk, items);
        const slot: Slot = {
          chunk,
          first,
          size: items.length,
          kept,
          state: "pending",
          values: [],
          failed: new Set(),
          next: 0,
        };
        this.window.set(chunk, slot);
        for (const r of refused) {
          slot.failed.add(r.position);
          this.itemFailed(itemNotCloneable(first + r.position, r));
        }
        if (job) jobs.push(job);
        else this.settle(slot, "completed");
        if (refused.length > 0) this.progress();
      }
      if (this.failure || this.stopping) return;
      if (jobs.length > 0) await link.queue.addBulk(jobs);
    }
  }

  /** The next `chunkSize` items of the source; fewer at its end. */
  private async read(): Promise<unknown[]> {
    const items: unknown[] = [];
    while (items.length < this.chunkSize) {
      const next = await this.source.next();
      if (next.done) {
        this.sourceDone = true;
        break;
      }
      items.push(next.value);
    }
    return items;
  }

  private settle(slot: Slot, state: "completed" | "failed"): void {
    slot.state = state;
    this.lastEventAt = performance.now();
    // Its answer is in: the job goes now, so Redis holds no more than the window.
    if (this.link && slot.kept.length > 0) {
      this.link.queue.remove(chunkJobId(this.runId, slot.chunk)).catch(() => {});
    }
    this.wake();
  }

  private itemFailed(error: ClusterItemError): void {
    this.counts.failed += 1;
    if (this.collect) this.failures.push(error);
    else this.fail(error);
  }

  private progress(): void {
    const { onProgress } = this.options;
    if (!onProgress || this.failure) return;
    const failed = this.counts.failed + this.counts.lost;
    const done = this.counts.succeeded + failed;
    const elapsedMs = performance.now() - this.startedAt;
    const progress: Progress = { done, failed, elapsedMs };
    if (this.total !== undefined) {
      progress.total = this.total;
      if (done > 0) progress.etaMs = Math.max(0, (elapsedMs / done) * (this.total - done));
    }
    try {
      onProgress(progress);
    } catch (error) {
      this.fail(error as Error);
    }
  }

  private fail(error: Error): void {
    if (this.failure || this.final) return;
    this.failure = error;
    this.wake();
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.();
  }

  /** A safety net under the event stream: after `pollIntervalMs` without news, reads the pending jobs. */
  private async poll(): Promise<void> {
    const link = this.link;
    if (!link || performance.now() - this.lastEventAt < this.settings.pollIntervalMs) return;
    this.lastEventAt = performance.now();
    const pending = [...this.window.values()].filter((slot) => slot.state === "pending");
    await Promise.all(
      pending.map(async ({ chunk }) => {
        const job = await link.queue.getJob(chunkJobId(this.runId, chunk));
        if (!job?.finishedOn) return;
        if (job.failedReason) this.failed(chunk, job.failedReason);
        else this.completed(chunk, job.returnvalue as ChunkJobResult);
      }),
    );
  }

  /** Ends the run once: the run key goes (hosts skip the rest), then the jobs still there. */
  private stop(): Promise<void> {
    this.stopping ??= (async () => {
      clearInterval(this.timer);
      this.options.signal?.removeEventListener("abort", this.onAbort);
      const lost = this.failure instanceof RedisLostError;
      const pending = [...this.window.values()].filter(
        (slot) => slot.state === "pending" && slot.kept.length > 0,
      );
      const { link, keeper, settings } = this;
      if (link && keeper && !lost && this.session.connected) {
        const chunks = pending.map((slot) => slot.chunk);
        await endStoppedRun(keeper, settings, () =>
          removeRunJobs(link, this.runId, chunks, settings.cleanupTimeoutMs),
        );
      } else keeper?.drop();
      this.session.leave(this.runId);
      this.final = this.finalReport(lost);
    })();
    return this.stopping;
  }

  private finalReport(lost: boolean): ClusterReport {
    const { read, chunks, succeeded, failed, busyMs, hosts } = this.counts;
    const { queueName } = this.settings;
    return {
      runId: this.runId,
      queueName,
      items: read,
      precomputed: 0,
      chunks,
      chunkSize: this.chunkSize,
      succeeded,
      failed,
      missing: read - succeeded - failed,
      wallMs: performance.now() - this.startedAt,
      busyMs,
      hosts: [...hosts].sort(),
      lost,
    };
  }
}

/**
 * Removes the jobs of `chunks`. One still locked by a host cannot be removed: it waits for
 * it to end (the host runs or skips it), within `timeoutMs`, and removes it then.
 */
async function removeRunJobs(
  link: QueueLink,
  runId: string,
  chunks: number[],
  timeoutMs: number,
): Promise<void> {
  let left = chunks.map((chunk) => chunkJobId(runId, chunk));
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const removed = await Promise.all(left.map((id) => link.queue.remove(id).catch(() => 0)));
    left = left.filter((_, i) => removed[i] === 0);
    const there = await Promise.all(left.map((id) => link.queue.getJob(id).catch(() => undefined)));
    left = left.filter((_, i) => there[i] !== undefined && there[i] !== null);
    if (left.length === 0 || performance.now() >= deadline) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
