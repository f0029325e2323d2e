import type { ItemError } from "@amorsize/executor";
import { type ChunkIndices, chunkRange } from "./chunks.js";
import { ChunkFailedError, type RemoteError, remoteItemError } from "./errors.js";
import type { ChunkJobResult } from "./protocol.js";

/** How a chunk of a run stands: not yet answered, returned by a host, or failed on the hosts. */
export type ChunkState = "pending" | "completed" | "failed";

/** What one answer for a chunk did to its run. */
export type TallyStep =
  /** A second answer for a chunk (a recovered host's), or a chunk a host skipped as cancelled. */
  | { readonly kind: "ignored" }
  | { readonly kind: "progress" }
  /** Every chunk has been answered. */
  | { readonly kind: "done" }
  /** Under `onError: "throw"`: the failure that ends the run. */
  | { readonly kind: "stop"; readonly error: ItemError | ChunkFailedError };

/**
 * The state of one run as its chunks are answered: results placed in input order, item
 * and chunk failures, hosts and busy time. Plain data, no clock and no I/O: the driver
 * feeds it the queue's answers and acts on the returned steps.
 */
export class RunTally {
  /** Results by input index; precomputed ones placed from the start. */
  readonly results: unknown[];
  readonly itemErrors: ItemError[] = [];
  readonly chunkErrors: ChunkFailedError[] = [];
  readonly states: ChunkState[];
  /** Chunks whose jobs have ended in any way, skipped ones included (cleanup waits for the others). */
  readonly ended: boolean[];
  readonly hosts = new Set<string>();
  /** Sum of the hosts' chunk wall times, milliseconds. */
  busyMs = 0;
  /** Chunks not answered yet. */
  pending: number;

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
  }

  /** A host returned `chunk`: places its results and records its item failures. */
  completed(chunk: number, value: ChunkJobResult): TallyStep {
    this.ended[chunk] = true;
    // A chunk recovered from a dead host may report twice; the first answer wins.
    if (this.states[chunk] !== "pending" || value.cancelled) return { kind: "ignored" };
    this.states[chunk] = "completed";
    this.pending -= 1;
    this.hosts.add(value.host);
    this.busyMs += value.ms;
    const indices = this.chunks[chunk] as readonly number[];
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
    indices.forEach((index, position) => {
      if (!failedAt.has(position)) this.results[index] = value.results[position];
    });
    if (errors.length > 0 && !this.collect) {
      return { kind: "stop", error: errors.reduce((a, b) => (b.index < a.index ? b : a)) };
    }
    return this.pending === 0 ? { kind: "done" } : { kind: "progress" };
  }

  /** `chunk` failed on the hosts as a whole, for BullMQ's `reason`. */
  failed(chunk: number, reason: string): TallyStep {
    this.ended[chunk] = true;
    if (this.states[chunk] !== "pending") return { kind: "ignored" };
    this.states[chunk] = "failed";
    this.pending -= 1;
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
