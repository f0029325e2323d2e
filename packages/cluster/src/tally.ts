import { CloneError, type ItemError } from "@amorsize/executor";
import type { Progress } from "@amorsize/types";
import { type ChunkIndices, chunkRange } from "./chunks.js";
import { decodeAll, type Refused } from "./codec.js";
import { ChunkFailedError, type RemoteError, remoteItemError } from "./errors.js";
import type { ChunkJobResult } from "./protocol.js";

/** An item's failure in a cluster run: the task threw on it, or it or its result could not travel. */
export type ClusterItemError = ItemError | CloneError;

/** The executor's `CloneError` for an item of the caller's that cannot travel. */
export function itemNotCloneable(index: number, refused: Refused): CloneError {
  return new CloneError("AMORSIZE_ITEM_NOT_CLONEABLE", index, [index, index], refused.reason, refused.cause);
}

/** How a chunk of a run stands: not yet answered, returned by a host, or failed on the hosts. */
export type ChunkState = "pending" | "completed" | "failed";

/** What one answer for a chunk did to its run. */
export type TallyStep =
  /** A second answer for a chunk (a recovered host's), a chunk a host skipped as cancelled, or a chunk sent whole. */
  | { readonly kind: "ignored" }
  | { readonly kind: "progress" }
  /** Every chunk has been answered. */
  | { readonly kind: "done" }
  /** Under `onError: "throw"`: the failure that ends the run. */
  | { readonly kind: "stop"; readonly error: ClusterItemError | ChunkFailedError };

/**
 * The state of one run as its chunks are answered: results placed in input order, item
 * and chunk failures, hosts and busy time. Plain data, no clock and no I/O: the driver
 * feeds it the queue's answers and acts on the returned steps.
 */
export class RunTally {
  /** Results by input index; precomputed ones placed from the start. */
  readonly results: unknown[];
  readonly itemErrors: ClusterItemError[] = [];
  readonly chunkErrors: ChunkFailedError[] = [];
  readonly states: ChunkState[];
  /** Chunks whose jobs have ended in any way, skipped ones included (cleanup waits for the others). */
  readonly ended: boolean[];
  readonly hosts = new Set<string>();
  /** Sum of the hosts' chunk wall times, milliseconds. */
  busyMs = 0;
  /** Chunks not answered yet. */
  pending: number;
  /** Items finished (returned, failed, or precomputed), and of those failed: for `onProgress`. */
  done: number;
  failedItems = 0;
  /** Items that ran and returned a result. */
  succeeded = 0;
  /** By chunk: positions in the chunk of the items its job carries; unset while it carries all. */
  private readonly kept: (readonly number[] | undefined)[] = [];

  constructor(
    readonly chunks: ChunkIndices,
    items: number,
    precomputed: ReadonlyMap<number, unknown>,
    private readonly collect: boolean,
  ) {
    this.results = new Array(items);
    for (const [index, value] of precomputed) if (index < items) this.results[index] = value;
    this.states = new Array<ChunkState>(chunks.length).fill("pending");
    this.ended = new Array<boolean>(chunks.length).fill(false);
    this.pending = chunks.length;
    this.done = items - chunks.reduce((sum, indices) => sum + indices.length, 0);
  }

  /**
   * `chunk` is sent carrying the items at positions `kept`; the `refused` ones cannot travel
   * and fail here as the executor's `CloneError`. A chunk none of whose items can travel is
   * never sent, and ends here.
   */
  sent(chunk: number, kept: readonly number[], refused: readonly Refused[]): TallyStep {
    if (refused.length === 0) return { kind: "ignored" };
    this.kept[chunk] = kept;
    const indices = this.chunks[chunk] as readonly number[];
    const errors = refused.map((r) => itemNotCloneable(indices[r.position] as number, r));
    this.itemErrors.push(...errors);
    this.done += errors.length;
    this.failedItems += errors.length;
    if (kept.length === 0) {
      this.ended[chunk] = true;
      this.states[chunk] = "completed";
      this.pending -= 1;
    }
    if (!this.collect) return { kind: "stop", error: errors[0] as CloneError };
    return this.pending === 0 ? { kind: "done" } : { kind: "progress" };
  }

  /** What `onProgress` is told: items done (of `total`) and failed, and the time since `startedAt`. */
  progress(elapsedMs: number): Progress {
    const total = this.results.length;
    const progress: Progress = { done: this.done, total, failed: this.failedItems, elapsedMs };
    if (this.done > 0) progress.etaMs = Math.max(0, (elapsedMs / this.done) * (total - this.done));
    return progress;
  }

  /** A host returned `chunk`: places its results and records its item failures. */
  completed(chunk: number, value: ChunkJobResult): TallyStep {
    this.ended[chunk] = true;
    // A chunk recovered from a dead host may report twice; the first answer wins.
    if (this.states[chunk] !== "pending" || value.cancelled) return { kind: "ignored" };
    let values: unknown[];
    try {
      values = decodeAll(value.payload);
    } catch (error) {
      return this.failed(chunk, `cannot read the results the host sent: ${(error as Error).message}`);
    }
    this.states[chunk] = "completed";
    this.pending -= 1;
    this.hosts.add(value.host);
    this.busyMs += value.ms;
    const all = this.chunks[chunk] as readonly number[];
    const kept = this.kept[chunk];
    // Positions in the payload sent, as input indices.
    const indices = kept ? kept.map((position) => all[position] as number) : all;
    const failedAt = new Set<number>();
    // A refused chunk (not allowed, unsigned, too large) fails each of its items with the refusal.
    const remote = value.refused
      ? indices.map((_, position) => ({ position, ...(value.refused as RemoteError) }))
      : value.errors;
    const errors = remote.map((error) => {
      failedAt.add(error.position);
      return remoteItemError(indices[error.position] as number, error);
    });
    this.itemErrors.push(...errors);
    this.done += indices.length;
    this.failedItems += errors.length;
    this.succeeded += indices.length - errors.length;
    indices.forEach((index, position) => {
      if (!failedAt.has(position)) this.results[index] = values[position];
    });
    if (errors.length > 0 && !this.collect) {
      return { kind: "stop", error: errors.reduce((a, b) => (b.range[0] < a.range[0] ? b : a)) };
    }
    return this.pending === 0 ? { kind: "done" } : { kind: "progress" };
  }

  /** `chunk` failed on the hosts as a whole, for BullMQ's `reason`. */
  failed(chunk: number, reason: string): TallyStep {
    this.ended[chunk] = true;
    if (this.states[chunk] !== "pending") return { kind: "ignored" };
    this.states[chunk] = "failed";
    this.pending -= 1;
    const lost = this.kept[chunk]?.length ?? (this.chunks[chunk] as readonly number[]).length;
    this.done += lost;
    this.failedItems += lost;
    const error = new ChunkFailedError(chunkRange(this.chunks[chunk] as readonly number[]), reason);
    this.chunkErrors.push(error);
    if (!this.collect) return { kind: "stop", error };
    return this.pending === 0 ? { kind: "done" } : { kind: "progress" };
  }

  /** The first `limit` chunks whose jobs have not ended, to look up directly. */
  outstanding(limit: number): number[] {
    const out: number[] = [];
    for (let chunk = 0; chunk < this.ended.length && out.length < limit; chunk++) {
      if (!this.ended[chunk]) out.push(chunk);
    }
    return out;
  }
}
