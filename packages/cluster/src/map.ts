import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { type ResolvedTask, resolveTask } from "@amorsize/executor";
import { parseInput, type TaskRefInput } from "@amorsize/types";
import { type ChunkIndices, chunkJobs, defaultChunkSize, JOBS_PER_BATCH, layChunks } from "./chunks.js";
import type { QueueLink } from "./connection.js";
import { RedisLostError } from "./errors.js";
import {
  CLUSTER_DEFAULTS,
  type ClusterRunOptions,
  ClusterRunOptionsSchema,
  type ClusterSettings,
} from "./options.js";
import { type ChunkJobResult, cancelKey, chunkJobId } from "./protocol.js";
import { type ClusterMapResult, clusterReport, type Settle, settleRun } from "./report.js";
import type { ClusterSession, RunListener } from "./session.js";
import { RunTally, type TallyStep } from "./tally.js";

/** Chunks looked up at once when the event stream has been silent for `pollIntervalMs`. */
const POLL_BATCH = 256;
/** A cancelled run's mark outlives any chunk a host could still pick up, milliseconds. */
const CANCEL_MARK_MS = 3_600_000;

/** One run in flight: its tally, fed by the queue's events and by polling, and how it ended. */
class ActiveRun implements RunListener {
  readonly runId = randomUUID();
  readonly startedAt = performance.now();
  lastEventAt = this.startedAt;
  private end!: (outcome: Settle) => void;
  /** Resolves once, with the first outcome: later answers still update the tally. */
  readonly settled = new Promise<Settle>((resolve) => {
    this.end = resolve;
  });

  constructor(readonly tally: RunTally) {
    if (tally.pending === 0) this.end({ kind: "done" });
  }

  completed(chunk: number, value: ChunkJobResult): void {
    this.step(this.tally.completed(chunk, value));
  }

  failed(chunk: number, reason: string): void {
    this.step(this.tally.failed(chunk, reason));
  }

  abort(error: Error): void {
    this.end({ kind: "failed", error });
  }

  private step(step: TallyStep): void {
    if (step.kind === "ignored") return;
    this.lastEventAt = performance.now();
    if (step.kind === "done") this.end({ kind: "done" });
    else if (step.kind === "stop") this.end({ kind: "failed", error: step.error });
  }
}

/** Runs `task` over `items` on the session's queue: `map()` of a `cluster()` backend. */
export async function mapOnCluster<R>(
  session: ClusterSession,
  settings: ClusterSettings,
  task: TaskRefInput,
  items: Iterable<unknown>,
  runOptions: ClusterRunOptions,
): Promise<ClusterMapResult<R>> {
  const resolved = resolveTask(task);
  const options = parseInput(ClusterRunOptionsSchema, runOptions, "options");
  const input = Array.from(items);
  const precomputed = (options.precomputed ?? new Map()) as Map<number, unknown>;
  const chunkSize = options.chunkSize ?? defaultChunkSize(input.length);
  const collect = (options.onError ?? CLUSTER_DEFAULTS.onError) === "collect";
  const link = await session.link();
  const { chunks, precomputed: known } = layChunks(input.length, chunkSize, precomputed);
  const run = new ActiveRun(new RunTally(chunks, input.length, precomputed, collect));
  session.join(run.runId, run);
  const outcome = await untilSettled(link, run, settings.pollIntervalMs, () =>
    addJobs(link, run.runId, resolved, input, chunks),
  );
  const lost = outcome.kind === "failed" && outcome.error instanceof RedisLostError;
  if (!lost && session.connected) {
    const stopped = outcome.kind === "failed" || run.tally.pending > 0;
    // Best effort: the jobs' age limits remove whatever is left.
    await removeJobs(link, run, settings, stopped).catch(() => {});
  }
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
    add().catch((error: unknown) => run.abort(error as Error));
    return await run.settled;
  } finally {
    clearInterval(timer);
  }
}

async function addJobs(
  link: QueueLink,
  runId: string,
  task: ResolvedTask,
  input: readonly unknown[],
  chunks: ChunkIndices,
): Promise<void> {
  const run = { runId, module: task.href, exportName: task.exportName };
  for (let first = 0; first < chunks.length; first += JOBS_PER_BATCH) {
    await link.queue.addBulk(chunkJobs(run, input, chunks, first, JOBS_PER_BATCH));
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
 * Removes the run's jobs. A stopped run is marked cancelled first, so hosts skip the chunks
 * they have not started; chunks still locked by a host cannot be removed, so it waits for
 * them to end, within `cleanupTimeoutMs`, and removes again.
 */
async function removeJobs(
  link: QueueLink,
  run: ActiveRun,
  settings: ClusterSettings,
  stopped: boolean,
): Promise<void> {
  const { prefix, queueName, cleanupTimeoutMs, pollIntervalMs } = settings;
  if (stopped) await link.commands.set(cancelKey(prefix, queueName, run.runId), "1", "PX", CANCEL_MARK_MS);
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
