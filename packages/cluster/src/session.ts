import { openQueueLink, type QueueLink } from "./connection.js";
import { ClusterClosedError, RedisLostError } from "./errors.js";
import type { ClusterSettings } from "./options.js";
import { type ChunkJobResult, parseChunkJobId } from "./protocol.js";

/** A run in flight, as the session sees it: told of its chunks' answers, or ended from outside. */
export interface RunListener {
  completed(chunk: number, value: ChunkJobResult): void;
  failed(chunk: number, reason: string): void;
  /** The connection was lost or the backend closed: the run ends with `error`. */
  abort(error: Error): void;
}

/**
 * The connection of one `cluster()` backend: opened on first use, shared by its runs, each
 * queue event handed to the run whose id its job carries. A lost connection ends every run
 * in flight with `RedisLostError`; the next run connects again.
 */
export class ClusterSession {
  private live: Promise<QueueLink> | undefined;
  private closed = false;
  private readonly runs = new Map<string, RunListener>();

  constructor(private readonly settings: ClusterSettings) {}

  /** The open link, connecting first if there is none. Rejects with `ClusterClosedError` after `close()`. */
  link(): Promise<QueueLink> {
    if (this.closed) return Promise.reject(new ClusterClosedError());
    if (!this.live) {
      const opening = this.open();
      this.live = opening;
      opening.catch(() => {
        if (this.live === opening) this.live = undefined;
      });
    }
    return this.live;
  }

  /** Whether a link is open: false once it was lost or the backend closed. */
  get connected(): boolean {
    return this.live !== undefined;
  }

  /** Adds a run on `link`; one that joins a link already lost ends at once, as the others did, with the loss's cause. */
  join(runId: string, run: RunListener, link: Pick<QueueLink, "gone" | "lossCause" | "address">): void {
    if (link.gone) {
      run.abort(new RedisLostError(link.address, link.lossCause));
      return;
    }
    this.runs.set(runId, run);
  }

  leave(runId: string): void {
    this.runs.delete(runId);
  }

  /** Ends the runs in flight with `ClusterClosedError` and closes the link. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const run of this.runs.values()) run.abort(new ClusterClosedError());
    const live = this.live;
    this.live = undefined;
    const opened = live ? await live.catch(() => undefined) : undefined;
    if (opened) await opened.close();
  }

  private async open(): Promise<QueueLink> {
    const { connection, queueName, prefix, connectTimeoutMs, lostAfterMs, secret } = this.settings;
    const link = await openQueueLink(
      connection,
      { queueName, prefix },
      { connectTimeoutMs, lostAfterMs, secret },
    );
    link.events.on("completed", ({ jobId, returnvalue }: { jobId: string; returnvalue: unknown }) => {
      const id = parseChunkJobId(jobId);
      if (id) this.runs.get(id.runId)?.completed(id.chunk, returnvalue as ChunkJobResult);
    });
    link.events.on("failed", ({ jobId, failedReason }: { jobId: string; failedReason: string }) => {
      const id = parseChunkJobId(jobId);
      if (id) this.runs.get(id.runId)?.failed(id.chunk, failedReason);
    });
    void link.lost.then((cause) => {
      // Closed on purpose (or already replaced): nothing was lost.
      if (this.live === undefined) return;
      this.live = undefined;
      for (const run of this.runs.values()) run.abort(new RedisLostError(link.address, cause));
      void link.close();
    });
    return link;
  }
}
