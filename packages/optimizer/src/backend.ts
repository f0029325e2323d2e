import type { ExecutionReport, Plan, Reason, WorkloadSample } from "@amorsize/types";

/** What a backend decides for one run. */
export interface BackendDecision {
  /** Run there (true) or keep the local plan (false). */
  use: boolean;
  workers: number;
  chunkSize: number;
  /** The backend's predicted wall time of the run, milliseconds. */
  predictedWallMs: number;
  reasons: readonly Reason[];
}

/** What a backend reports of a run (`@amorsize/cluster`'s report has these and more). */
export interface BackendReport {
  items: number;
  succeeded: number;
  failed: number;
  wallMs: number;
  chunks: number;
  busyMs: number;
}

/**
 * Somewhere other than this machine's worker threads that can run a plan, such as
 * `cluster()` of `@amorsize/cluster`. `execute(task, data, { backend })` asks `plan()`
 * whether it beats the local plan and runs there if so; the caller creates and closes it.
 */
export interface RunBackend {
  readonly kind: string;
  plan(input: { workload: WorkloadSample; localPlan: Plan }): Promise<BackendDecision>;
  map(
    task: { module: string; export: string },
    items: Iterable<unknown>,
    options: { chunkSize: number; onError?: "throw" | "collect"; precomputed?: Map<number, unknown> },
  ): Promise<{ results: unknown[]; errors: readonly Error[]; report: BackendReport }>;
}

/**
 * The backend's report in the executor's shape. A backend reports only the total time its
 * chunks took, so the chunk duration figures are that mean (said in the report's docs).
 */
export function backendReport(
  report: BackendReport,
  decision: BackendDecision,
  errors: readonly Error[],
): ExecutionReport {
  const mean = report.chunks > 0 ? report.busyMs / report.chunks : 0;
  return {
    mode: "cluster",
    workers: decision.workers,
    chunkSize: decision.chunkSize,
    adaptive: false,
    items: report.items,
    succeeded: report.succeeded,
    failed: report.failed,
    wallMs: report.wallMs,
    chunks: report.chunks,
    chunkMs: { count: report.chunks, min: mean, mean, median: mean, p90: mean, max: mean },
    busyMs: report.busyMs,
    utilisation:
      decision.workers > 0 && report.wallMs > 0
        ? Math.min(1, report.busyMs / (decision.workers * report.wallMs))
        : 0,
    itemsPerSecond: report.wallMs > 0 ? (report.items / report.wallMs) * 1000 : 0,
    errors: errors.map((e) => {
      const { index, range, code } = e as { index?: number | null; range?: [number, number]; code?: string };
      return {
        index: index ?? null,
        range: range ?? null,
        code: code ?? "AMORSIZE_ITEM_FAILED",
        message: e.message,
      };
    }),
    aborted: false,
  };
}
