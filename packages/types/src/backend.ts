import type { Reason } from "./common.js";
import type { Progress } from "./execution.js";
import type { Plan } from "./plan.js";
import type { WorkloadSample } from "./workload.js";

/** What a run backend decides for one run. */
export interface BackendDecision {
  /** Run there (true) or keep the local plan (false). */
  use: boolean;
  workers: number;
  chunkSize: number;
  /** The backend's predicted wall time of the run, milliseconds. */
  predictedWallMs: number;
  reasons: readonly Reason[];
}

/** Options of {@link RunBackend.map}. */
export interface BackendMapOptions {
  chunkSize: number;
  onError?: "throw" | "collect";
  /** Results already computed (by sampling), by input index: placed, not sent. */
  precomputed?: Map<number, unknown>;
  /** Stops the run: chunks not yet taken are withdrawn, and the call rejects. */
  signal?: AbortSignal;
  /** Called as chunks complete, as the local executor calls it. */
  onProgress?: (progress: Progress) => void;
}

/**
 * What a backend reports of a run: the figures every backend can know. The optimizer
 * turns it into an {@link ExecutionReport} with the decision's workers and chunk size.
 */
export interface BackendReport {
  /** Items read from the input. */
  items: number;
  /** Items that ran and returned a result (precomputed ones not included). */
  succeeded: number;
  /** Items placed from `precomputed`, not run. */
  precomputed: number;
  failed: number;
  wallMs: number;
  chunks: number;
  /** Sum of the chunks' run times where they ran, milliseconds. */
  busyMs: number;
}

/** What {@link RunBackend.map} resolves to. */
export interface BackendMapResult {
  /** One result per input item, in input order (`undefined` where the item failed). */
  results: unknown[];
  /** Failures recorded under `onError: "collect"`; each has `code`, `index` and `range`. */
  errors: readonly Error[];
  report: BackendReport;
}

/**
 * Somewhere other than this machine's worker threads that can run a plan, such as
 * `cluster()` of `@amorsize/cluster`. `execute(task, data, { backend })` asks `plan()`
 * whether it beats the local plan and runs there if so; the caller creates and closes it.
 * This is the one definition of the contract: the optimizer calls it, backends implement it.
 */
export interface RunBackend {
  readonly kind: string;
  plan(input: { workload: WorkloadSample; localPlan: Plan }): Promise<BackendDecision>;
  map(
    task: { module: string; export: string },
    items: Iterable<unknown>,
    options: BackendMapOptions,
  ): Promise<BackendMapResult>;
}
