// When sampling stops. Pure functions of plain data: the driver passes the time spent.
import { unitMean } from "./stats.js";

export const SAMPLE_DEFAULTS = { minItems: 3, maxItems: 32, budgetMs: 60 } as const;

/**
 * At most this share of the job's estimated time goes to sampling (known item count). The
 * job's time is its serial time spread over the cores it may use: sampling runs in this
 * thread while the run will not, so on 16 cores a share of the serial time would be 16
 * times that share of the run.
 */
export const SAMPLE_SHARE = 0.03;
/**
 * While the sampled mean is known to worse than this relative standard error, sampling may
 * take {@link UNCERTAIN_SHARE_FACTOR} times {@link SAMPLE_SHARE} of the job, or the limits'
 * own share where that is larger (a cold thread's); the budget and the item cap still
 * hold. Sampled items are the run's own work, kept; what a longer sample costs
 * is running them here rather than spread over the cores. Log-normal items (cv 1.5, 400 of
 * them, mean 3 ms) stopped at the share after 5-6 items: a sample that met a 49 ms item
 * read the mean 2.5 times too high (1.85 s predicted for an 805 ms run), one that met none
 * read it half as high, and the plan's chunk size swung from 13 to 198 items from run to run.
 */
export const UNCERTAIN_ERROR = 0.25;
export const UNCERTAIN_SHARE_FACTOR = 3;

/**
 * The 25th percentile of the chi-square distribution with 1..10 degrees of freedom: a
 * standard deviation from k + 1 units is below sqrt(k / this) times the one they read, 3 times
 * in 4 (see `errorBound`).
 */
const CHI_SQUARE_Q25 = [
  0.1015, 0.5754, 1.2125, 1.9226, 2.6746, 3.4546, 4.2549, 5.0706, 5.8988, 6.7372,
] as const;

/**
 * The relative standard error that the share rule reads against UNCERTAIN_ERROR: the
 * sample's own, raised to what its items' spread may be (its 75% upper bound) where few
 * units read that spread. Two warm units of heavy-tailed items (1.0 and 0.6 ms, of a
 * log-normal whose mean is 2.8 ms and cv 1.5) read ±23%, and the demo's sample stopped at
 * three items and priced the job at half its time; the bound reads ±72%, and sampling goes
 * on at the uncertain share. Uniform items (cv 5%) stay under the line from two units on.
 */
export function errorBound(relativeError: number, timedUnits: number): number {
  const k = timedUnits - 1;
  if (k < 1 || !Number.isFinite(relativeError)) return relativeError;
  // Past the table, Wilson and Hilferty's approximation (z = -0.6745 at the 25th percentile).
  const q = CHI_SQUARE_Q25[k - 1] ?? k * (1 - 2 / (9 * k) - 0.6745 * Math.sqrt(2 / (9 * k))) ** 3;
  return relativeError * Math.sqrt(k / q);
}
/** Stop once this many units give a mean with a relative standard error under PRECISE_ERROR. */
export const PRECISE_UNITS = 8;
export const PRECISE_ERROR = 0.05;

export interface SampleLimits {
  minItems: number;
  maxItems: number;
  budgetMs: number;
  /** Items in the whole input, when known. */
  expectedTotal: number | null;
  /** Cores the run may use. */
  parallelism: number;
  /** Most of the job's time (see SAMPLE_SHARE) sampling may take: SAMPLE_SHARE, larger in a cold thread (see cold-sample.ts). */
  share: number;
  /**
   * Time sampling runs before a precise mean may stop it, ms (absent: none). A cold
   * thread's items can run alike and slow until V8 compiles the task (see cold-sample.ts).
   */
  preciseAfterMs?: number | undefined;
}

/** The limits from the caller's options: defaults filled, `minItems` at most `maxItems`. */
export function resolveLimits(
  options: { minItems?: number | undefined; maxItems?: number | undefined; budgetMs?: number | undefined },
  expectedTotal: number | null,
  parallelism: number,
): SampleLimits {
  const maxItems = options.maxItems ?? SAMPLE_DEFAULTS.maxItems;
  const minItems = Math.min(options.minItems ?? SAMPLE_DEFAULTS.minItems, maxItems);
  return {
    minItems,
    maxItems,
    budgetMs: options.budgetMs ?? SAMPLE_DEFAULTS.budgetMs,
    expectedTotal,
    parallelism,
    share: SAMPLE_SHARE,
  };
}

/** Where sampling stands: units timed, time spent, and each unit's per-item own time. */
export interface SampleProgress {
  units: number;
  elapsedMs: number;
  unitTimes: readonly number[];
  /** How many items each of `unitTimes` stands for (absent: one each). */
  unitItems?: readonly number[] | undefined;
  /** Time spent when the first unit ended, ms (absent: not known). */
  firstUnitMs?: number | undefined;
}

/**
 * Time that does not count against sampling's limits: a first unit that ran past the
 * budget, when the job, priced at that unit's item time, is long enough that sampling on
 * for another budget, or another item as slow, stays within its share (`limits.share`) of it; else 0.
 *
 * A task's first call in a thread runs cold: V8 compiles it as it goes, and a library
 * builds its tables on first use. In a fresh process a Markdown renderer's first item took
 * 58 ms against 0.4 ms warm, a parser's 56 ms against 2.9 ms: the budget was spent, sampling
 * stopped at that one item, and the plan priced every item at the cold one's time (73 s
 * predicted for a 2.2 s job, run in parallel at 1.4x a plain loop's time). A first item
 * that slow is an upper bound when it ran cold and a lower bound when items are slow; only
 * a second one tells, and where the job is long enough the second one costs little. Three
 * items of 300 ms get no such allowance: the first one decides, as before.
 */
export function coldStartMs(progress: SampleProgress, limits: SampleLimits): number {
  const { units, firstUnitMs, unitTimes } = progress;
  const firstItemMs = unitTimes[0];
  if (units < 1 || firstUnitMs === undefined || firstItemMs === undefined) return 0;
  if (limits.expectedTotal === null || firstUnitMs < limits.budgetMs) return 0;
  const allowanceMs = (limits.share * limits.expectedTotal * firstItemMs) / limits.parallelism;
  // The next item cannot be cut short in the calling thread: room for one as slow as the first.
  return firstUnitMs + Math.max(limits.budgetMs, firstUnitMs) <= allowanceMs ? firstUnitMs : 0;
}

export type StopReason = "max-items" | "slow-items" | "budget" | "job-share" | "precise";

/** Why sampling stops now, or null to sample on. */
export function stopReason(progress: SampleProgress, limits: SampleLimits): StopReason | null {
  const { units } = progress;
  // A cold first unit (see coldStartMs) is work the run needed anyway: the limits count from its end.
  const elapsedMs = progress.elapsedMs - coldStartMs(progress, limits);
  if (units >= limits.maxItems) return "max-items";
  if (units < limits.minItems) {
    // Slow items: one more would cost more than the budget that sampling is allowed.
    const slow =
      units > 0 && elapsedMs >= limits.budgetMs && elapsedMs / units > limits.budgetMs / limits.minItems;
    return slow ? "slow-items" : null;
  }
  if (elapsedMs >= limits.budgetMs) return "budget";
  const { relativeError } = unitMean(progress.unitTimes);
  if (jobShareSpent(progress, limits, elapsedMs, relativeError)) return "job-share";
  // Uniform items: the mean is already known well enough.
  const precise = units >= PRECISE_UNITS && relativeError < PRECISE_ERROR;
  return precise && elapsedMs >= (limits.preciseAfterMs ?? 0) ? "precise" : null;
}

/**
 * The mean item time the units say, each unit counted by its items (the first left out
 * once there are others: it ran cold), milliseconds: the job's time over its items. Lone
 * items count one each, as in the units' own mean; a block of 1,347 tiny items counts as
 * 1,347 of them, not as one figure beside a lone item that ran cold. A cold sample of
 * 200,000 multiplies read 6.1 us for its second item alone and 0.08-0.09 us an item in its
 * blocks: the units' mean priced the job at 332 ms where a loop takes 3.5, and sampling went
 * on to spend its share of that: 12,700-23,400 items in 16-27 ms (1,600-2,000 items in
 * 9-10 ms counted by items, six fresh processes each).
 */
export function itemMean(unitTimes: readonly number[], unitItems?: readonly number[]): number {
  const from = unitTimes.length > 1 ? 1 : 0;
  let time = 0;
  let items = 0;
  for (let i = from; i < unitTimes.length; i++) {
    const n = unitItems?.[i] ?? 1;
    time += unitTimes[i]! * n;
    items += n;
  }
  return items > 0 ? time / items : 0;
}

/**
 * Whether sampling has spent its share of the job: it runs items one after another in this
 * thread, and is kept a small share of the job's time on the cores it may use, when the
 * item count is known (a larger one while the mean is far from known). Before `minItems`
 * units this does not stop sampling; it makes the units still owed small (see
 * `nextBlockSize`).
 */
export function jobShareSpent(
  progress: SampleProgress,
  limits: SampleLimits,
  // Time spent as the limits count it (a cold first unit's allowance left out: see coldStartMs).
  elapsedMs = progress.elapsedMs - coldStartMs(progress, limits),
  // The units' relative error (see unitMean), when the caller has it.
  relativeError = unitMean(progress.unitTimes).relativeError,
): boolean {
  if (limits.expectedTotal === null) return false;
  const meanItemMs = itemMean(progress.unitTimes, progress.unitItems);
  const timedUnits =
    progress.unitTimes.length > 1 ? progress.unitTimes.length - 1 : progress.unitTimes.length;
  const share =
    errorBound(relativeError, timedUnits) > UNCERTAIN_ERROR
      ? Math.max(limits.share, UNCERTAIN_SHARE_FACTOR * SAMPLE_SHARE)
      : limits.share;
  return elapsedMs >= (share * limits.expectedTotal * meanItemMs) / limits.parallelism;
}
