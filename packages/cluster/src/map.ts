import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { type ResolvedTask, resolveTask } from "@amorsize/executor";
import type { Progress } from "@amorsize/types";
import { parseInput, type TaskRefInput } from "@amorsize/types";
import { type ChunkIndices, chunkJobs, defaultChunkSize, JOBS_PER_BATCH, layChunks } from "./chunks.js";
import type { Refused } from "./codec.js";
import { linkFailure, onLink, type QueueLink } from "./connection.js";
import { RedisLostError, RunAbortedError } from "./errors.js";
import { endStoppedRun, RunKeeper, requireHosts, SKIPPED_REASON } from "./liveness.js";
import {
  CLUSTER_DEFAULTS,
  type ClusterRunOptions,
  ClusterRunOptionsSchema,
  type ClusterSettings,
} from "./options.js";
import { type ChunkJobResult, chunkJobId } from "./protocol.js";
import { type ClusterMapResult, clusterReport, type Settle, settleRun } from "./report.js";
import type { ClusterSession, RunListener } from "./session.js";
import { RunTally, type TallyStep } from "./tally.js";

/** Chunks looked up at once when the event stream has been silent for `pollIntervalMs`. */
const POLL_BATCH = 256;

/** One run in flight: its tally, fed by the queue's events and by polling, and how it ended. */
class ActiveRun implements RunListener {
  readonly runId = randomUUID();
  readonly startedAt = performance.now();
  lastEventAt = this.startedAt;
  /** True once the run has an outcome: nothing more is sent, and skipped chunks are expected. */
  ended = false;
  private resolve!: (outcome: Settle) => void;
  /** Resolves once, with the first outcome: later answers still update the tally. */
  readonly settled = new Promise<Settle>((resolve) => {
    this.resolve = resolve;
  });

  constructor(
    readonly tally: RunTally,
    private readonly onProgress?: (progress: Progress) => void,
  ) {
    if (tally.pending === 0) this.end({ kind: "done" });
  }

  sent(chunk: number, kept: readonly number[], refused: readonly Refused[]): void {
    this.step(this.tally.sent(chunk, kept, refused));
  }

  completed(chunk: number, value: ChunkJobResult): void {
    // Skipped while the run still wanted it: its key expired under a caller that was blocked.
    if (value.cancelled && !this.ended) this.failed(chunk, SKIPPED_REASON);
    else this.step(this.tally.completed(chunk, value));
  }

  failed(chunk: number, reason: string): void {
    this.step(this.tally.failed(chunk, reason));
  }

  abort(error: Error): void {
    this.end({ kind: "failed", error });
  }

  private end(outcome: Settle): void {
    this.ended = true;
    this.resolve(outcome);
  }

  private step(step: TallyStep): void {
    if (step.kind === "ignored") return;
    this.lastEventAt = performance.now();
    if (this.onProgress && !this.ended) {
      try {
        this.onProgress(this.tally.progress(performance.now() - this.startedAt));
      } catch (error) {
        this.end({ kind: "failed", error: error as Error });
        return;
      }
    }
    if (step.kind === "done") this.end({ kind: "done" });
    else if (step.kind === "stop") this.end({ kind: "failed", error: step.error });
  }
}

/**
 * Runs `task` over `items` on the session's queue: `map()` of a `cluster()` backend.
 *
 * @throws {RunAbortedError} `signal` was aborted already.
 * @throws {NoWorkerHostsError} no worker host serves the queue; nothing was sent.
 */
export async function mapOnCluster<R>(
  session: ClusterSession,
  settings: ClusterSettings,
  task: TaskRefInput,
  items: Iterable<unknown>,
  runOptions: ClusterRunOptions,
): Promise<ClusterMapResult<R>> {
  const resolved = resolveTask(task);
  const options = parseInput(ClusterRunOptionsSchema, runOptions, "options");
  const { signal } = options;
  if (signal?.aborted) throw new RunAbortedError(signal.reason);
  const input = Array.from(items);
  const precomputed = (options.precomputed ?? new Map()) as Map<number, unknown>;
  const collect = (options.onError ?? CLUSTER_DEFAULTS.onError) === "collect";
  const link = await session.link();
  const { maxJobItems } = await onLink(link, (commands) =>
    requireHosts(commands, settings.prefix, settings.queueName),
  );
  const chunkSize = options.chunkSize ?? defaultChunkSize(input.length, maxJobItems);
  const { chunks, precomputed: known } = layChunks(input.length, chunkSize, precomputed);
  const run = new ActiveRun(new RunTally(chunks, input.length, precomputed, collect), options.onProgress);
  const keeper = new RunKeeper(link.commands, { ...settings, runId: run.runId }, settings.callerTimeoutMs);
  await onLink(link, () => keeper.start());
  session.join(run.runId, run, link);
  const onAbort = () => run.abort(new RunAbortedError(signal?.reason));
  signal?.addEventListener("abort", onAbort, { once: true });
  if (signal?.aborted) onAbort();
  const outcome = await untilSettled(link, run, settings.pollIntervalMs, () =>
    addJobs(link, run, resolved, input, chunks),
  ).finally(() => signal?.removeEventListener("abort", onAbort));
  const lost = outcome.kind === "failed" && outcome.error instanceof RedisLostError;
  if (!lost && session.connected) {
    // Best effort: the run key's expiry and the jobs' age limits remove whatever is left.
    await endStoppedRun(keeper, settings, () => removeJobs(link, run, settings));
  } else keeper.drop();
  session.leave(run.runId);
  const { runId, tally } = run;
  const report = clusterReport(
    { runId, queueName: settings.queueName, chunkSize, wallMs: performance.now() - run.startedAt, lost },
    {
      items: input.length,
      chunks,
      states: tally.states,
      precomputed: known,
      failed: tally.itemErrors.length,
      succeeded: tally.succeeded,
      busyMs: tally.busyMs,
      hosts: tally.hosts,
    },
  );
  return settleRun<R>(outcome, tally, report, { collect, precomputed });
}

/** Adds the run's jobs in batches while its answers come in; polls when the event stream is silent. */
async function untilSettled(
  link: QueueLink,
  run: ActiveRun,
  pollIntervalMs: number,
  add: () => Promise<void>,
): Promise<Settle> {
  const timer = setInterval(
    () => {
      poll(link, run, pollIntervalMs).catch(() => {});
    },
    Math.max(50, Math.floor(pollIntervalMs / 2)),
  );
  try {
    add().catch((error: unknown) => run.abort(linkFailure(link, error) as Error));
    return await run.settled;
  } finally {
    clearInterval(timer);
  }
}

/** Adds the jobs batch by batch, items encoded; stops adding once the run has ended. */
async function addJobs(
  link: QueueLink,
  run: ActiveRun,
  task: ResolvedTask,
  input: readonly unknown[],
  chunks: ChunkIndices,
): Promise<void> {
  const names = { runId: run.runId, module: task.href, exportName: task.exportName };
  for (let first = 0; first < chunks.length && !run.ended; first += JOBS_PER_BATCH) {
    const laid = chunkJobs(names, input, chunks, first, JOBS_PER_BATCH);
    for (const { chunk, kept, refused } of laid) run.sent(chunk, kept, refused);
    if (run.ended) return;
    await link.queue.addBulk(laid.flatMap(({ job }) => (job ? [job] : [])));
  }
}

/** A safety net under the event stream: after `pollIntervalMs` without news, reads the outstanding jobs. */
async function poll(link: QueueLink, run: ActiveRun, pollIntervalMs: number): Promise<void> {
  if (performance.now() - run.lastEventAt < pollIntervalMs) return;
  run.lastEventAt = performance.now();
  await Promise.all(
    run.tally.outstanding(POLL_BATCH).map(async (chunk) => {
      const job = await link.queue.getJob(chunkJobId(run.runId, chunk));
      if (!job?.finishedOn) return;
      if (job.failedReason) run.failed(chunk, job.failedReason);
      else run.completed(chunk, job.returnvalue as ChunkJobResult);
    }),
  );
}

/**
 * Removes the run's jobs, once its run key has gone (hosts skip the chunks they have not
 * started: a stopped run's); chunks still locked by a host cannot be removed, so it waits
 * for them to end, within `cleanupTimeoutMs`, and removes again.
 */
async function removeJobs(link: QueueLink, run: ActiveRun, settings: ClusterSettings): Promise<void> {
  const { cleanupTimeoutMs, pollIntervalMs } = settings;
  const all = run.tally.chunks.map((_, chunk) => chunk);
  const removeAll = () =>
    Promise.all(all.map(async (chunk) => (await link.queue.remove(chunkJobId(run.runId, chunk))) > 0));
  const removed = await removeAll();
  let left = all.filter((chunk) => !removed[chunk] && !run.tally.ended[chunk]);
  const deadline = performance.now() + cleanupTimeoutMs;
  while (left.length > 0 && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    await poll(link, run, pollIntervalMs);
    left = left.filter((chunk) => !run.tally.ended[chunk]);
  }
  await removeAll();
}
