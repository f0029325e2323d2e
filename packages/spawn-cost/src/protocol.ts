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

export type MeasureTask = BarrierTask | EchoTask;

/** A task of no items: what dispatch costs, and the baseline clone runs are measured against. */
export const EMPTY_TASK: EchoTask = { op: "echo", items: [], transfer: false };
