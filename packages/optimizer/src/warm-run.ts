// What a short run on a session's warm workers costs beyond what the model predicts for it.
import { median } from "./sampling/stats.js";

/**
 * Runs predicted shorter than this, milliseconds, are taken in. What a run on warm workers
 * costs whatever its items (the session's call, the executor's run and report, waking the
 * workers and being woken by them) is tenths of a millisecond, beside which a long run's
 * residual is its figures' error, not this cost.
 */
export const WARM_RUN_SHORT_MS = 20;
/**
 * A residual is counted at most this, milliseconds: what a warm run costs the session and
 * the executor is tenths of a millisecond (0.2-0.3 ms for an executor's run of two chunks
 * here, back to back), and a residual past this is another cost (a first run's cold code
 * read 4 ms, a preempted run more), which would otherwise hold every short parallel plan
 * serial for the session's life: once plans are serial, no run measures it again.
 */
export const WARM_RUN_MAX_MS = 5;
/**
 * The figure before the session's runs measured it, milliseconds (estimated): an
 * executor's run of two chunks on warm workers took 0.22-0.28 ms here back to back, and a
 * session's call adds its own deciding and report (short calls' residuals read 0.3-0.6 ms
 * once their code was hot). Without it, a session's first short calls on warm workers ran
 * there at 0.7-4.4 ms each where a loop took 0.5 ms, until three of them had measured it.
 */
export const WARM_RUN_ESTIMATE_MS = 0.5;
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
  #valueMs = WARM_RUN_ESTIMATE_MS;
  #measured = false;

  /** The figure in use, milliseconds: {@link WARM_RUN_ESTIMATE_MS} until {@link WARM_RUN_MIN_RUNS} runs were taken in. */
  get valueMs(): number {
    return this.#valueMs;
  }

  /** Whether the figure in use is the runs' (else the estimate). */
  get measured(): boolean {
    return this.#measured;
  }

  /** Short runs taken in (at most {@link WARM_RUN_KEPT} kept). */
  get runs(): number {
    return this.#residuals.length;
  }

  /**
   * Takes in a parallel run on warm workers: its wall time, the model's prediction, and the
   * part of it that was this cost (`chargedMs`, the plan's start-up); a run is short by the
   * prediction without that part. True when the figure in use moved, or was first measured:
   * plans made with the old one are stale.
   */
  takeIn(wallMs: number, predictedMs: number, chargedMs: number): boolean {
    // Short by the model's own figures: the charge does not push a run out of the count.
    const ownMs = Math.max(0, predictedMs - chargedMs);
    if (!(ownMs < WARM_RUN_SHORT_MS) || !(wallMs >= 0)) return false;
    this.#residuals.push(Math.min(WARM_RUN_MAX_MS, Math.max(0, wallMs - ownMs)));
    if (this.#residuals.length > WARM_RUN_KEPT) this.#residuals.shift();
    if (this.#residuals.length < WARM_RUN_MIN_RUNS) return false;
    const next = median(this.#residuals);
    const moved = Math.abs(next - this.#valueMs);
    // The first measurement replaces the estimate whatever it reads (its source changes).
    if (this.#measured && (moved <= WARM_RUN_MOVE_MS || moved <= WARM_RUN_MOVE_RATIO * this.#valueMs))
      return false;
    this.#measured = true;
    this.#valueMs = next;
    return true;
  }
}
