/**
 * Messages between the measuring main thread and its workers (dist/worker.js).
 * Every task carries an `items` array and the worker answers with an array, as
 * the executor's chunks do, so the figures are those of the executor's path.
 */

/**
 * Wait until `parties` tasks have arrived at `barrier` (a shared counter), so
 * that k such tasks submitted together land on k distinct workers and the
 * last answer arrives only when k workers are up.
 */
export interface BarrierTask {
  op: "barrier";
  items: [];
  barrier: Int32Array;
  parties: number;
  /** Give up (and fail the task) after this long, milliseconds. */
  timeoutMs: number;
}

/** Map the identity over `items` and return the result; `transfer` moves typed arrays back. */
export interface EchoTask {
  op: "echo";
  items: unknown[];
  transfer: boolean;
}

/** How long each computing task behind the gap between chunks runs, milliseconds (see pace.ts). */
export const PACE_AFTER_MS = 10;

/**
 * Compute, then answer how long that took on the worker: for `ms` of wall time (counting
 * the loop's iterations, which gives the worker's pace), or for `iterations` of the same
 * loop. With `barrier`, first wait there for `parties` tasks, as a barrier task does, so
 * that tasks submitted together start together on distinct workers.
 */
export interface PaceTask {
  op: "pace";
  items: [];
  ms?: number;
  iterations?: number;
  barrier?: Int32Array;
  parties?: number;
  timeoutMs: number;
}

/**
 * A pace task's answer: the time spent computing (after any barrier), the loop's
 * iterations, and when the computing started and ended on the worker's own clock
 * (`performance.now()` of the thread `thread`).
 */
export interface PaceAnswer {
  busyMs: number;
  iterations: number;
  startMs: number;
  endMs: number;
  thread: number;
  /** The loop's result, sent back so that the loop is never dead code (not read). */
  sink?: number;
}

export type MeasureTask = BarrierTask | EchoTask | PaceTask;

/** A task of no items: what dispatch costs, and the baseline clone runs are measured against. */
export const EMPTY_TASK: EchoTask = { op: "echo", items: [], transfer: false };
