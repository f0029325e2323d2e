import type { BackendDecision, BackendReport, ExecutionReport } from "@amorsize/types";

export type {
  BackendDecision,
  BackendMapOptions,
  BackendMapResult,
  BackendReport,
  RunBackend,
} from "@amorsize/types";

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
    precomputed: report.precomputed,
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
