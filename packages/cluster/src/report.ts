import type { CloneError, ItemError } from "@amorsize/executor";
import type { BackendMapResult, BackendReport } from "@amorsize/types";
import type { ChunkIndices } from "./chunks.js";
import { type ChunkFailedError, RedisLostError } from "./errors.js";
import type { ChunkState, ClusterItemError, RunTally } from "./tally.js";

/** A failure in a cluster run's `errors`: an item's (the task threw, or a value could not travel), a chunk's, or the connection's. */
export type ClusterRunError = ItemError | CloneError | ChunkFailedError | RedisLostError;

/** Result of a cluster run. */
export interface ClusterMapResult<R> extends BackendMapResult {
  /** Results in input order; `undefined` where an item failed or its chunk did not complete (under `collect`). */
  results: R[];
  /** Under `onError: "collect"`: every failure, sorted by input index (a lost connection last). */
  errors: ClusterRunError[];
  report: ClusterReport;
}

/** How a run ended: every chunk answered, or the error that stopped it. */
export type Settle = { readonly kind: "done" } | { readonly kind: "failed"; readonly error: Error };

/** What really happened in a cluster run: the run-backend report and the cluster's own figures. */
export interface ClusterReport extends BackendReport {
  /** Tags every job of the run (job ids are `<runId>-<chunk>`). */
  readonly runId: string;
  readonly queueName: string;
  readonly chunkSize: number;
  /** Items with neither a result nor an item error: their chunk failed, was cancelled, or Redis was lost. */
  readonly missing: number;
  /** Worker hosts (`hostname:pid`) that returned chunks, sorted. */
  readonly hosts: string[];
  /** True when the connection to Redis was lost during the run. */
  readonly lost: boolean;
}

/** What a run did, as plain data: the chunks, how each ended, and what the hosts reported. */
export interface RunFacts {
  readonly items: number;
  readonly chunks: ChunkIndices;
  readonly states: readonly ChunkState[];
  /** Items placed from `precomputed`, not sent. */
  readonly precomputed: number;
  /** Items that failed: the task threw, or the item or its result could not travel. */
  readonly failed: number;
  /** Items that ran and returned; by default, the items of completed chunks less `failed`. */
  readonly succeeded?: number;
  readonly busyMs: number;
  readonly hosts: Iterable<string>;
}

/** The report of a run: `items = precomputed + succeeded + failed + missing`. */
export function clusterReport(
  run: { runId: string; queueName: string; chunkSize: number; wallMs: number; lost: boolean },
  facts: RunFacts,
): ClusterReport {
  let returned = 0;
  facts.chunks.forEach((indices, chunk) => {
    if (facts.states[chunk] === "completed") returned += indices.length;
  });
  const succeeded = facts.succeeded ?? returned - facts.failed;
  return {
    runId: run.runId,
    queueName: run.queueName,
    items: facts.items,
    precomputed: facts.precomputed,
    chunks: facts.chunks.length,
    chunkSize: run.chunkSize,
    succeeded,
    failed: facts.failed,
    missing: facts.items - facts.precomputed - succeeded - facts.failed,
    wallMs: run.wallMs,
    busyMs: facts.busyMs,
    hosts: [...facts.hosts].sort(),
    lost: run.lost,
  };
}

/** Input indices that have a result: precomputed, or in a completed chunk and not failed; ascending. */
export function completedIndices(
  items: number,
  chunks: ChunkIndices,
  states: readonly ChunkState[],
  failed: Iterable<number>,
  precomputed: { has(index: number): boolean },
): number[] {
  const known = new Array<boolean>(items).fill(false);
  for (let index = 0; index < items; index++) known[index] = precomputed.has(index);
  chunks.forEach((indices, chunk) => {
    if (states[chunk] === "completed") for (const index of indices) known[index] = true;
  });
  for (const index of failed) known[index] = false;
  return known.flatMap((has, index) => (has ? [index] : []));
}

/** A run's failures in input order (item and chunk failures cover disjoint ranges). */
export function runErrors(
  itemErrors: readonly ClusterItemError[],
  chunkErrors: readonly ChunkFailedError[],
): Array<ClusterItemError | ChunkFailedError> {
  return [...itemErrors, ...chunkErrors].sort((a, b) => a.range[0] - b.range[0]);
}

/**
 * The result of a run that ended with `outcome`, or the error it rejects with (carrying
 * `report`). A lost connection under `collect` resolves with what arrived and the
 * `RedisLostError` last in `errors`; the loss always carries the results that arrived.
 */
export function settleRun<R>(
  outcome: Settle,
  tally: Pick<RunTally, "results" | "itemErrors" | "chunkErrors" | "chunks" | "states">,
  report: ClusterReport,
  run: { collect: boolean; precomputed: { has(index: number): boolean } },
): ClusterMapResult<R> {
  const errors: ClusterRunError[] = runErrors(tally.itemErrors, tally.chunkErrors);
  if (outcome.kind === "failed") {
    const { error } = outcome;
    if (error instanceof RedisLostError) {
      error.results = tally.results;
      const failed = tally.itemErrors.map((e) => e.range[0]);
      error.completed = completedIndices(report.items, tally.chunks, tally.states, failed, run.precomputed);
    }
    if (!(error instanceof RedisLostError && run.collect)) {
      (error as { report?: ClusterReport }).report = report;
      throw error;
    }
    errors.push(error);
  }
  return { results: tally.results as R[], errors, report };
}
