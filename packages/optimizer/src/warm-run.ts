// What a short run on a session's warm workers costs beyond what the model predicts for it.
import { median } from "./sampling/stats.js";

/**
 * Runs predicted shorter than this, milliseconds, are taken in. What a run on warm workers
 * costs whatever its items (the session's call, the executor's run and report, waking the
 * workers and being woken by them) is tenths of a millisecond, beside which a long run's
 * residual is its figures' error, not this cost.
 */
export const WARM_RUN_SHORT_MS = 20;
/** The residuals kept, the newest: the figure is their median. */
export const WARM_RUN_KEPT = 16;
/** Residuals needed before the figure is used (a first run after the workers started reads their code cold). */
export const WARM_RUN_MIN_RUNS = 3;
/** The figure in use moves only when the median moved more than this, milliseconds, and more than {@link WARM_RUN_MOVE_RATIO} of it. */
export const WARM_RUN_MOVE_MS = 0.05;
/** See {@link WARM_RUN_MOVE_MS}. */
export const WARM_RUN_MOVE_RATIO = 0.25;

/**
 * A session's fixed cost of a run on its warm workers, learned from its short parallel
 * runs: each one's wall time less what the model predicted without this cost. The model
 * charged a warm run its dispatch round trips only (an empty task's, 40-130 us), and
 * planned ten items of 50 us on two warm workers at 0.32 ms, where such calls took
 * 0.9-1.4 ms against 0.5 ms for a loop, every call of a session that had warmed its
 * workers for the task. Charged as the warm pool's start-up (`workerStart.fixedMs`), it
 * costs a parallel plan what it costs the run, and a serial plan nothing.
 */
export class WarmRunCost {
  readonly #residuals: number[] = [];
  #valueMs = 0;

  /** The figure in use, milliseconds: 0 until {@link WARM_RUN_MIN_RUNS} runs were taken in. */
  get valueMs(): number {
    return this.#valueMs;
  }

  /** Short runs taken in (at most {@link WARM_RUN_KEPT} kept). */
  get runs(): number {
    return this.#residuals.length;
  }

  /**
   * Takes in a parallel run on warm workers: its wall time, the model's prediction, and the
   * part of it that was this cost (`chargedMs`, the plan's start-up). True when the figure
   * in use moved: plans made with the old one are stale.
   */
  takeIn(wallMs: number, predictedMs: number, chargedMs: number): boolean {
    if (!(predictedMs < WARM_RUN_SHORT_MS) || !(wallMs >= 0)) return false;
    this.#residuals.push(Math.max(0, wallMs - Math.max(0, predictedMs - chargedMs)));
    if (this.#residuals.length > WARM_RUN_KEPT) this.#residuals.shift();
    if (this.#residuals.length < WARM_RUN_MIN_RUNS) return false;
    const next = median(this.#residuals);
    const moved = Math.abs(next - this.#valueMs);
    if (moved <= WARM_RUN_MOVE_MS || moved <= WARM_RUN_MOVE_RATIO * this.#valueMs) return false;
    this.#valueMs = next;
    return true;
  }
}
