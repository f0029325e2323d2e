import { type Progress, parseInput, RUN_CONSTANTS, type RunOptions, RunOptionsSchema } from "@amorsize/types";

/** Defaults of {@link RunOptions}. */
export const RUN_DEFAULTS = {
  chunkSize: "auto",
  ordered: true,
  onError: "throw",
  transfer: "none",
  /**
   * Node hands a task to a worker in ~50 us (tinypool), not the milliseconds a
   * process pool costs, so chunks far shorter than joblib's 0.2-2 s pay off: a 10 ms
   * chunk spends under 1% on dispatch, while long chunks cost idle workers at the
   * end of a run, coarse progress and slow cancellation.
   */
  targetChunkMs: [10, RUN_CONSTANTS.streamChunkMaxMs] as const,
} as const;

/** {@link RunOptions} with every default filled. */
export interface ResolvedRunOptions {
  readonly chunkSize: number | "auto";
  readonly ordered: boolean;
  readonly maxInFlight: number;
  readonly collect: boolean;
  readonly signal: AbortSignal | undefined;
  readonly chunkTimeoutMs: number | undefined;
  readonly onProgress: ((progress: Progress) => void) | undefined;
  readonly transfer: boolean;
  readonly targetChunkMs: readonly [number, number];
  readonly totalItems: number | undefined;
  readonly measureCpu: boolean;
  readonly firstChunkSize: number | undefined;
  /** Undefined when absent or empty, so the hot path tests one value. */
  readonly precomputed: ReadonlyMap<number, unknown> | undefined;
}

/** Validates run options (once per run, never per chunk) and fills the defaults. */
export function resolveRunOptions(options: RunOptions | undefined, workers: number): ResolvedRunOptions {
  const parsed = parseInput(RunOptionsSchema, options ?? {}, "options");
  const precomputed = parsed.precomputed as ReadonlyMap<number, unknown> | undefined;
  return {
    chunkSize: parsed.chunkSize ?? RUN_DEFAULTS.chunkSize,
    ordered: parsed.ordered ?? RUN_DEFAULTS.ordered,
    maxInFlight: parsed.maxInFlight ?? Math.max(1, RUN_CONSTANTS.inFlightPerWorker * workers),
    collect: (parsed.onError ?? RUN_DEFAULTS.onError) === "collect",
    signal: parsed.signal,
    chunkTimeoutMs: parsed.chunkTimeoutMs,
    onProgress: parsed.onProgress,
    transfer: (parsed.transfer ?? RUN_DEFAULTS.transfer) === "auto",
    targetChunkMs: parsed.targetChunkMs ?? RUN_DEFAULTS.targetChunkMs,
    totalItems: parsed.totalItems,
    measureCpu: parsed.measureCpu ?? false,
    firstChunkSize: parsed.firstChunkSize,
    precomputed: precomputed !== undefined && precomputed.size > 0 ? precomputed : undefined,
  };
}
