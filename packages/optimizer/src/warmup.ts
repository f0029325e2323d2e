// A fresh worker's warm-up: V8 runs a library's code slowly until it has compiled it, and
// every worker compiles it again. Measured once per module version and machine by running
// a few items that sampling left in a fresh worker (once each: their results are kept),
// against what the sampled items say they should take warm; cached beside the plans.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import {
  createExecutor,
  type Executor,
  type ResolvedTask,
  type RunError,
  WorkerCrashedError,
} from "@amorsize/executor";
import {
  type MachineKey,
  type ModuleCostEntry,
  ModuleCostEntrySchema,
  messageOf,
  type PlanInput,
  WARMUP_READINGS,
  type Warning,
  type WorkloadSample,
} from "@amorsize/types";
import writeFileAtomic from "write-file-atomic";
import { planOf, wholeSerialMs } from "./decide.js";
import { readJsonFile } from "./json-file.js";
import { cacheEntryPath, sameMachine } from "./plan-cache.js";
import { ownMs } from "./sampling/clock-math.js";
import { shiftError } from "./sampling/shift.js";
import { abortable } from "./sampling/source.js";
import { leastSquares } from "./sampling/stats.js";

/** A fresh worker's measured warm-up, as `WorkloadSample.warmup` holds it. */
export type Warmup = NonNullable<WorkloadSample["warmup"]>;

/** Most units (items, or blocks of them: see `probeBlock`) a probe runs. */
export const PROBE_MAX_ITEMS = 4;
/** A probe is worth its cost only where parallel is predicted to save at least this much, ms. */
export const PROBE_MIN_SAVING_MS = 100;
/**
 * A probe's budget, as a share of the predicted saving: an excess of this much is what a
 * probe's measurement is worth (see `probeBudgetMs`).
 */
export const PROBE_SAVING_SHARE = 0.3;
/** The probe's items, excess and all, take at most this many times its budget. */
export const PROBE_WAIT_SHARES = 3;

/** A sampled item as the calling thread timed it: its wall time and its input's cloned size. */
export interface TimedItem {
  index: number;
  ms: number;
  bytes: number;
  /** Whether the sample's time figures rest on this item (see `timedRecords`); absent: not known. */
  inBasis?: boolean;
}

/** A rule of what items should take warm: `count` items of `bytes` in all, from input index `index` on. */
type ItemRule = (bytes: number, count?: number, index?: number) => number;

/**
 * What an item (or `count` items of `bytes` in all, from input index `index` on) should
 * take in a warm thread, from the sampled items timed alone, by whichever of three rules
 * leaves the least relative spread around it: their mean per item; in proportion to the
 * input's size where the sampled sizes differ (a parser's time follows its source's
 * length); on a line along the input where the times rise or fall along it beyond their
 * noise (see {@link indexTrend}). With that spread (0 for fewer than two items). `along`:
 * false takes no line (items whose indices say nothing of their place). A task whose items
 * cost 0.1 ms at the input's start and 8 ms at its end, and whose inputs are 27 to 29
 * bytes long (the digits of an id), was read by size, and a probe's items taken after
 * sampled ones anywhere in the input read as a warm-up or as none at random.
 */
export function expectation(
  timed: readonly TimedItem[],
  along = true,
): {
  ms: ItemRule;
  spread: number;
  /** Whether the rule is the line along the input (see {@link indexTrend}). */
  alongInput: boolean;
} {
  const n = timed.length;
  const totalMs = timed.reduce((a, t) => a + t.ms, 0);
  const totalBytes = timed.reduce((a, t) => a + t.bytes, 0);
  const sizes = timed.map((t) => t.bytes);
  const meanMs = totalMs / Math.max(1, n);
  const rules: Array<{ ms: ItemRule; alongInput: boolean }> = [
    { ms: (_bytes, count = 1) => meanMs * count, alongInput: false },
  ];
  if (totalBytes > 0 && Math.min(...sizes) > 0 && Math.max(...sizes) > 1.05 * Math.min(...sizes))
    rules.unshift({ ms: (bytes) => (totalMs / totalBytes) * bytes, alongInput: false });
  const line = along ? indexTrend(timed) : null;
  if (line !== null)
    rules.push({
      ms: (_bytes, count = 1, index) =>
        index === undefined ? meanMs * count : count * line.at(index + (count - 1) / 2),
      alongInput: true,
    });
  if (n < 2) return { ...rules[0]!, spread: 0 };
  let best = { ...rules[0]!, spread: Number.POSITIVE_INFINITY };
  for (const rule of rules) {
    const ratios = timed.map((t) => t.ms / Math.max(Number.MIN_VALUE, rule.ms(t.bytes, 1, t.index)) - 1);
    const mean = ratios.reduce((a, r) => a + r, 0) / n;
    const spread = Math.sqrt(ratios.reduce((a, r) => a + (r - mean) ** 2, 0) / (n - 1));
    if (spread < best.spread) best = { ...rule, spread };
  }
  return best;
}

/** Fewest sampled items a trend along the input is read from. */
export const TREND_MIN_ITEMS = 4;

/**
 * Two-sided 95% points of Student's t for 2, 3, ... 10 degrees of freedom; past them, the
 * normal's 1.96 (near enough at 11 and more: 2.2 at 11, 2.04 at 30).
 */
const T95 = [4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228];

/**
 * The least-squares line of the items' times along the input, when its slope is further
 * from flat than 95% of flat samples of as many items would put it (Student's t on n-2
 * degrees of freedom: at 2 standard errors, flat samples of four items read a slope 18% of
 * the time): `at(index)` is what an item there takes, never under the least sampled time's
 * tenth (the line's end may run below zero). Items marked out of the sample's figures
 * (`inBasis: false`: the first ones it ran, maybe before V8 compiled the task, which in the
 * sample's order lie in the input's first half) are left out. Null with fewer than
 * {@link TREND_MIN_ITEMS} items, all at one index, or no clear slope.
 */
export function indexTrend(
  timed: readonly TimedItem[],
): { at: (index: number) => number; slope: number } | null {
  const basis = timed.filter((t) => t.inBasis !== false).map((t) => ({ ...t, weight: 1 }));
  const n = basis.length;
  if (n < TREND_MIN_ITEMS) return null;
  const fit = leastSquares(
    basis,
    (t) => t.index,
    (t) => t.ms,
  );
  const { meanX: meanIndex, meanY: meanMs, slope, sxx } = fit;
  if (!(sxx > 0)) return null;
  // Mean squares over n: the slope's standard error is sqrt(residual n / (n - 2) / (sxx n)).
  const slopeError = Math.sqrt(fit.residual / (n - 2) / sxx);
  if (!(Math.abs(slope) > (T95[n - 4] ?? 1.96) * slopeError)) return null;
  const floor = Math.min(...basis.map((t) => t.ms)) / 10;
  return { at: (index) => Math.max(floor, meanMs + slope * (index - meanIndex)), slope };
}

/**
 * The warm-up that fresh-worker times (`coldMs`) show against what the same items should
 * take warm (`expectedMs`), given the relative spread of that expectation: the excess
 * less two standard deviations of the expectation (so items that are merely larger than
 * the rule says are not taken for a warm-up), never negative. `settled` when the last
 * item (after the first) ran within 10% of its expectation (or two spreads, or 0.05 ms),
 * and two spreads of it are at most {@link SETTLED_MAX_ALLOWANCE}: an expectation looser
 * than that could not have told a worker still slow from a warm one.
 * `growth` (see {@link warmupGrowth}) when the items show one. The times may be of blocks
 * of items (see {@link probeBlock}), `counts[i]` items in the i-th (1 when absent): a
 * block's relative spread is its items' over the square root of their count, and `items`
 * is how many they held in all.
 */
export function warmupOf(
  coldMs: readonly number[],
  expectedMs: readonly number[],
  spread: number,
  counts?: readonly number[],
): Pick<Warmup, "excessMs" | "items" | "settled" | "growth"> {
  const count = (i: number) => counts?.[i] ?? 1;
  let excess = 0;
  let squares = 0;
  let items = 0;
  for (let i = 0; i < coldMs.length; i++) {
    excess += (coldMs[i] ?? 0) - (expectedMs[i] ?? 0);
    squares += (expectedMs[i] ?? 0) ** 2 / count(i);
    items += count(i);
  }
  const last = coldMs.length - 1;
  const lastSpread = (2 * spread) / Math.sqrt(count(last));
  const settled =
    last >= 1 &&
    lastSpread <= SETTLED_MAX_ALLOWANCE &&
    (coldMs[last] ?? 0) <= (expectedMs[last] ?? 0) * (1 + Math.max(SETTLED_SHARE, lastSpread)) + 0.05;
  const growth = warmupGrowth(coldMs, expectedMs, spread, counts);
  return {
    excessMs: Math.max(0, excess - 2 * spread * Math.sqrt(squares)),
    items,
    settled,
    ...(growth === null ? {} : { growth }),
  };
}

/** Fewest probe units (items or blocks) whose halves say how the warm-up grows. */
export const GROWTH_MIN_UNITS = 4;

/**
 * How much a fresh worker's excess grows per doubling of its items, in times itself, as
 * its own units (items, or blocks of `counts[i]` items) show it: from the first half of the
 * units to all of them, the later half's excess over the first half's, per doubling of the
 * items (log2 of all the items over the first half's), when the later half lost less than
 * the first, the sign of V8 catching up with the task's code. Null with fewer than
 * {@link GROWTH_MIN_UNITS} units, when the first half's excess is within two spreads of its
 * expectation (nothing to grow from), or when the later half lost as much or more: then
 * nothing says the warm-up slows, and the model keeps its assumption (one time itself per
 * doubling, as a parser meeting new code keeps losing). Four items spread over the input,
 * in fresh workers on the reference machine (2 cores, 2026-12-06), read a compressor at
 * 0.18-0.24 (0.06-0.22 from four to eight items), a parser at 0.32-0.50 (0.54-0.60), a
 * highlighter at 0.53-0.77 (0.33-0.61), a minifier at 0.62-0.94 (0.62-0.86): all below the
 * assumed 1, and each near what the next doubling showed; over the doublings after that,
 * fresh workers lost more than it says (see the cost model's `warmupGrowthPerDoubling`),
 * and the model takes halfway between the two.
 */
export function warmupGrowth(
  coldMs: readonly number[],
  expectedMs: readonly number[],
  spread = 0,
  counts?: readonly number[],
): number | null {
  const n = coldMs.length;
  if (n < GROWTH_MIN_UNITS) return null;
  const half = Math.floor(n / 2);
  let first = 0;
  let later = 0;
  let firstItems = 0;
  let items = 0;
  let firstSquares = 0;
  for (let i = 0; i < n; i++) {
    const count = counts?.[i] ?? 1;
    const excess = (coldMs[i] ?? 0) - (expectedMs[i] ?? 0);
    items += count;
    if (i < half) {
      first += excess;
      firstItems += count;
      firstSquares += (expectedMs[i] ?? 0) ** 2 / count;
    } else later += excess;
  }
  if (!(first > 2 * spread * Math.sqrt(firstSquares)) || !(later < first)) return null;
  return Math.max(0, later / first) / Math.log2(items / firstItems);
}

/** A last item within this share of its expected time (or 0.05 ms) shows a worker warmed up. */
export const SETTLED_SHARE = 0.1;

/**
 * The most two spreads of a last unit's expectation may be for it to show a worker warmed
 * up. A Markdown renderer's fresh worker ran its items at 1.5-3x their warm time for its
 * first 1,000 (2 cores, 2026-12-07); its probe's last block of 16-32 items, read against
 * items whose spread was 1.2-2.4 (heavy-tailed sizes, garbage collections in some items),
 * had an allowance of 60-100% and read as settled at 1.3-1.8x: the model charged its first
 * 100 items' excess once, ~35 ms a worker, where the run's two workers lost 240-290 ms each.
 */
export const SETTLED_MAX_ALLOWANCE = 0.5;

/**
 * Where a probe's units start: for each sampled item, the next one after it that has not
 * run (one each, in the sample's order), spread over the input as the sample is; then the
 * next after those, round after round, until PROBE_MAX_ITEMS (a start inside an earlier
 * block moves on past it: see `probeUnits`). Two sampled items of a
 * compressor gave a probe of two, both slower than warm in a fresh worker; the third and
 * fourth ran as fast as warm, which only a longer probe can see (`Warmup.settled`).
 */
export function probeIndices(
  timed: readonly TimedItem[],
  done: (index: number) => boolean,
  total: number,
): number[] {
  const chosen = new Set<number>();
  const skip = (i: number) => done(i) || chosen.has(i);
  let cursors = timed.map((t) => t.index);
  while (chosen.size < PROBE_MAX_ITEMS && cursors.length > 0) {
    const next: number[] = [];
    for (const at of cursors) {
      let index = at + 1;
      while (index < total && skip(index)) index++;
      if (index >= total) continue;
      chosen.add(index);
      next.push(index);
      if (chosen.size === PROBE_MAX_ITEMS) break;
    }
    cursors = next;
  }
  return [...chosen];
}

/**
 * How long the probe's items may take, milliseconds, or null when no probe is worth it:
 * the plan does not start workers, or parallel saves too little over serial to pay for a
 * worker of its own. `pooled`: a pool started while sampling has fresh workers already (its
 * start and the module's import are under way), so any saving pays for a probe there: a
 * minifier's plan saved a predicted 60-73 ms, went parallel unprobed, and its fresh workers
 * ran items 6.5 times slower than the calling thread (889 ms against a 285 ms loop).
 * `fills(budgetMs)`: whether this thread would run items of the input beside a probe of
 * that budget (see `fillWhile`), which then costs the call little but a worker's start on
 * another core, so a smaller saving is probed too: a Markdown renderer's plan saved a
 * predicted 96 ms, went parallel unprobed, and ran 524 ms against a 351 ms loop.
 */
export function probeBudgetMs(
  input: PlanInput,
  pooled = false,
  fills: (budgetMs: number) => boolean = () => false,
): number | null {
  const { totalItems, itemTimeMs } = input.workload;
  // Parallel saves less than the whole serial time: a job shorter than the least saving
  // worth a probe needs no model run (two of them, half a millisecond per call warm).
  if (totalItems === null || totalItems * itemTimeMs.mean < PROBE_MIN_SAVING_MS) return null;
  const plan = planOf(input);
  if (plan.mode !== "parallel") return null;
  const saving = wholeSerialMs(input) - plan.predicted.wallMs;
  if (saving <= 0) return null;
  const budgetMs = PROBE_SAVING_SHARE * saving;
  return saving >= PROBE_MIN_SAVING_MS || pooled || fills(budgetMs) ? budgetMs : null;
}

/** A probe's units: the fresh worker's times, their inputs' cloned sizes and their items' count. */
export interface ProbeTimings {
  coldMs: number[];
  bytes: number[];
  counts: number[];
}

/** What a probe runs at a time: an item, or a block of items with no gap between their indices. */
export interface ProbeUnit {
  /** The first item's input index; the others follow it. */
  index: number;
  items: readonly unknown[];
  /** The items' inputs' cloned sizes, in all. */
  bytes: number;
}

/** A probe's unit of items that take less than this, ms, is a block of them: about this long. */
export const PROBE_BLOCK_MS = 5;
/** Most items in a probe's block. */
export const PROBE_MAX_BLOCK = 256;

/**
 * How many items a probe runs at a time, for items of `itemMs`: one where an item takes
 * {@link PROBE_BLOCK_MS} or more, else a block of about that long. A fine task's warm-up is
 * spread over hundreds of items that single items cannot show: a Markdown renderer's first
 * item in a fresh worker lost 13-20 ms and its next three 0.4-1.2 ms each, read as settled
 * (21-32 ms charged to a worker of 1,250 items), while the next 1,250 items lost 136-213 ms
 * more; four blocks of 21 items lost 41-62 ms, growing 0.31-0.66 times per doubling, which
 * stretched over 1,250 items gives 90-226 ms against 95-172 measured after them (in the
 * probe, beside the calling thread: 33-96 ms over 73 items, growing 0.56-0.63).
 */
export function probeBlock(itemMs: number): number {
  if (!(itemMs > 0) || itemMs >= PROBE_BLOCK_MS) return 1;
  return Math.min(PROBE_MAX_BLOCK, Math.ceil(PROBE_BLOCK_MS / itemMs));
}

/** What a probe did: the warm-up (null when no item gave a time), the worker's import, and the items it ran. */
export interface ProbeResult {
  warmup: Warmup | null;
  /** The item times the warm-up was read from (see {@link warmupBeside}). */
  timings: ProbeTimings;
  moduleLoadMs: number | null;
  /** Results of the items the probe ran, by input index: kept, so no item runs twice. */
  results: Map<number, unknown>;
  /** Items that failed in the probe (under `onError: "collect"`), by input index. */
  failures: Map<number, unknown>;
}

/**
 * Runs `units` (items, or blocks of consecutive items: see {@link probeBlock}) one unit at a
 * time in a fresh worker, each as one chunk, all of them (PROBE_MAX_ITEMS at most) unless
 * they took PROBE_WAIT_SHARES times `budgetMs` in all (a unit expected to take longer than
 * the wait left is not started, the first one included), and measures the warm-up against
 * what `timed` says they should take warm. It runs on past units that lost `budgetMs` to
 * the warm-up: their results are kept, the calling thread runs items beside it, and only
 * its later units show whether the warm-up slows (`Warmup.growth`): a compressor stopped
 * after two items that lost 97 ms read as a warm-up still growing, and its 30 items of
 * 34 ms, 1.57 times faster on two workers, were planned serial. The items run once: their
 * results are kept for the run. A failing item ends the probe, the other results of its
 * unit kept; under `onError: "throw"` its error (by input index) rejects, as it would in
 * sampling; `signal` stops it as it stops sampling. The worker is `pool`'s when given (a
 * pool started while sampling, not closed here), else a one-worker pool's.
 */
export async function probeWarmup(
  task: ResolvedTask,
  units: readonly ProbeUnit[],
  timed: readonly TimedItem[],
  options: {
    budgetMs: number;
    onError: "throw" | "collect";
    pool?: Executor | undefined;
    signal?: AbortSignal | undefined;
    /**
     * Told once the task is imported in every worker of the pool (the least of their
     * imports is the probe's `moduleLoadMs`), just before the first unit's map, which then
     * sends its chunk within the same turn; told also where that unit is then not started
     * (it would outlast the wait), never where the import fails or `signal` aborts first.
     */
    onDispatch?: (() => void) | undefined;
  },
): Promise<ProbeResult> {
  const { budgetMs, onError, pool, signal, onDispatch } = options;
  const expected = expectation(timed);
  const executor = pool ?? createExecutor({ workers: 1 });
  const cold: number[] = [];
  const warm: number[] = [];
  const sizes: number[] = [];
  const counts: number[] = [];
  const timings = { coldMs: cold, bytes: sizes, counts };
  const result: ProbeResult = {
    warmup: null,
    timings,
    moduleLoadMs: null,
    results: new Map(),
    failures: new Map(),
  };
  /** The wall time the units took in their worker, waits for a core included: what the decision waited. */
  let waitedMs = 0;
  /** Whether a unit's waits for a core could not be told apart (no schedstat): its time is its wall time. */
  let waits = false;
  try {
    if (onDispatch !== undefined) {
      // Every worker of the pool imports the task (the run that takes the pool needs them
      // all; side by side, one round where the pool fits the cores), an abort meanwhile
      // rejecting at once; the first unit's map then finds it checked and sends its chunk
      // within this turn. One worker's import: the least of theirs (the others may have
      // shared a core with it).
      const loads = await abortable(executor.preload({ module: task.href, export: task.exportName }), signal);
      if (loads.length > 0) result.moduleLoadMs = Math.min(...loads);
      onDispatch();
    }
    for (const { index, items, bytes } of units) {
      const expectedMs = expected.ms(bytes, items.length, index);
      // A unit expected to outlast the wait left is not started: three items of 300 ms
      // would otherwise wait out one in the probe, alone, instead of side by side.
      if (expectedMs > PROBE_WAIT_SHARES * budgetMs - waitedMs) break;
      const outcome = await executor.map({ module: task.href, export: task.exportName }, items, {
        chunkSize: items.length,
        onError: "collect",
        measureCpu: true,
        ...(signal === undefined ? {} : { signal }),
      });
      // A failure is that item's (a crash or a time-out, its chunk's: every item of its
      // range). A worker killed by what a chunk left behind once it had returned (`after`:
      // reported when the worker dies before the map has ended) fails none of its items,
      // whose results are kept; the probe ends there, and the run meets and reports it.
      const failed = new Set<number>();
      let crashedAfter = false;
      for (const raw of outcome.errors) {
        if (raw instanceof WorkerCrashedError && raw.after) {
          crashedAfter = true;
          continue;
        }
        const error = shiftError(raw as RunError, index);
        if (onError === "throw") throw error;
        for (let at = error.range[0]; at <= error.range[1]; at++) {
          failed.add(at);
          result.failures.set(at, error);
        }
      }
      for (let k = 0; k < items.length; k++) {
        if (!failed.has(index + k)) result.results.set(index + k, outcome.results[k]);
      }
      if (failed.size > 0 || crashedAfter) break;
      result.moduleLoadMs ??= outcome.report.taskLoads?.maxMs ?? null;
      // The unit's own time, as the sampled items' is: time the worker waited for a core
      // on a busy machine is no warm-up (1 ms items read 7 ms each beside busy processes).
      cold.push(ownMs(outcome.report));
      if (outcome.report.queuedMs === undefined) waits = true;
      sizes.push(bytes);
      counts.push(items.length);
      warm.push(expectedMs);
      waitedMs += outcome.report.busyMs;
      // The items' time is work done, but it holds up the decision, waits for a core and all.
      if (waitedMs >= PROBE_WAIT_SHARES * budgetMs) break;
    }
  } finally {
    if (pool === undefined) await executor.close();
  }
  if (cold.length > 0)
    result.warmup = {
      ...warmupOf(cold, warm, expected.spread, counts),
      ...(waits ? { waits: true as const } : {}),
      source: "probe",
    };
  return result;
}

/** The least work, ms, the calling thread must have run beside a probe for its items to be the probe's warm reference. */
export const BESIDE_MIN_MS = 5;

/**
 * A probe's warm-up read against items the calling thread ran beside it, warm, while the
 * probe's worker ran (see `fillWhile`): what the probe's items take warm, by input size as
 * {@link expectation} says, with both threads computing side by side. They are a truer
 * reference than the sampled items: those ran alone (two threads side by side share caches
 * and memory bandwidth: a compressor's items ran 10-40% slower beside the probe), and the
 * first of them often before V8 had compiled the task (a compressor's first sampled item
 * took 40 ms for 237 KB, its items beside the probe 0.11 us a byte, 27 ms for that size).
 * Against the sampled items, a compressor's probe read 85-180 ms of warm-up that never
 * settled (the same worker alone: 77 ms, settled). Null when the calling thread ran less
 * than {@link BESIDE_MIN_MS} beside the probe, or when the sampled items (`sampled`) put
 * item time on a line along the input ({@link expectation}'s `alongInput`): the items run
 * beside crowd the input's start and say nothing of what the probe's items, taken after
 * sampled ones all over it, take warm (a task rising from 0.1 ms to 8 ms along its input
 * read 18-24 ms of warm-up where its probe's items ran as warm ones, and once 91 ms, which
 * its cached entry kept until every later plan of it was serial). The probe's own reading
 * stands. The items' own times are taken, their waits for a core left out, as the probe's
 * units' are: beside a compressor's probe this thread waited 5-63 ms of its 220-320 ms.
 */
export function warmupBeside(
  timings: ProbeTimings,
  beside: readonly { ownMs: number; bytes: number }[],
  sampled: readonly TimedItem[] = [],
): Pick<Warmup, "excessMs" | "items" | "settled" | "growth"> | null {
  const ranMs = beside.reduce((a, item) => a + item.ownMs, 0);
  if (!(ranMs >= BESIDE_MIN_MS) || expectation(sampled).alongInput) return null;
  const warm = expectation(
    beside.map((item, index) => ({ index, ms: item.ownMs, bytes: item.bytes })),
    false,
  );
  return warmupOf(
    timings.coldMs,
    timings.bytes.map((bytes, i) => warm.ms(bytes, timings.counts[i])),
    warm.spread,
    timings.counts,
  );
}

/**
 * A probe's warm-up once this thread ran items beside it for most of its time: measured with
 * two threads computing (`busyThreads: 2`), and read against those items where
 * {@link warmupBeside} could, that reading replacing the probe's own whole: a growth read
 * against the sampled items does not belong with an excess read against these.
 */
export function readBeside(probed: Warmup, beside: ReturnType<typeof warmupBeside>): Warmup {
  if (beside === null) return { ...probed, busyThreads: 2 };
  return {
    ...beside,
    busyThreads: 2,
    ...(probed.waits ? { waits: true as const } : {}),
    source: probed.source,
  };
}

/**
 * How the cached warm-ups were measured, part of each entry's file name (as the plan
 * cache's `FIGURES`): an entry measured another way is a miss, and the next call that
 * would start workers probes again. 2: items run beside the probe are its warm reference
 * (`warmupBeside`); before that, the sampled items were, and a sample whose first item ran
 * cold read fflate's warm-up at 85-180 ms, still growing, where the beside reading gives
 * 53-63 ms, settled. Entries from 1 (unnumbered names) would keep that misreading for as
 * long as the module stays unchanged. 3: the probe runs on past a lost budget and reads the
 * warm-up's growth from its later items (`Warmup.growth`); a version-2 entry stopped where
 * its first items lost the budget and would keep the assumed growth. 4: a fine task's probe
 * runs blocks of items (`probeBlock`); a Markdown renderer's four single items read a
 * warm-up of 19-24 ms, settled, where four blocks of 21 read 33-96 ms, still growing.
 * 5: a probe unit's time is its own, its worker's waits for a core left out (`ownMs`), and
 * so is the module's load in it (`report.taskLoads` of a run with `measureCpu`); a version-4
 * entry probed on a busy machine counted them as warm-up and as loading.
 * 6: where the sampled item times lie on a line along the input, a probe's items are
 * expected on that line, and the items run beside it are not its reference (see
 * `expectation`, `warmupBeside`); a version-5 entry of such a task read the cheap items at
 * the input's start against dearer ones later on as warm-up (91 ms, every plan serial).
 * 7: the items run beside a probe are read by their own time, and a last unit read against
 * a loose expectation is not settled (`SETTLED_MAX_ALLOWANCE`); a version-6 entry of a
 * Markdown renderer read settled at 1.3-1.8x its warm time and kept every plan parallel.
 */
const MODULE_FIGURES = 7;

function entryPath(dir: string, key: string): string {
  return cacheEntryPath(dir, "modules", MODULE_FIGURES, key);
}

/** The cached warm-up of a module version on this machine; null for a miss or anything unreadable. */
export function readWarmup(dir: string, key: string, machineKey: MachineKey): Warmup | null {
  return readModuleCost(dir, key, machineKey)?.warmup ?? null;
}

/** One probe's reading as the module-cost cache keeps it (see `ModuleCostEntry.readings`). */
export type WarmupReading = ModuleCostEntry["warmup"];

/** A warm-up as the cache keeps it: its figures, without where it came from. */
export function readingOf(warmup: Warmup | WarmupReading): WarmupReading {
  return {
    excessMs: warmup.excessMs,
    items: warmup.items,
    settled: warmup.settled,
    ...(warmup.busyThreads === undefined ? {} : { busyThreads: warmup.busyThreads }),
    ...(warmup.waits === true ? { waits: true as const } : {}),
    ...(warmup.growth === undefined ? {} : { growth: warmup.growth }),
  };
}

/** The earlier readings and a new one, the latest {@link WARMUP_READINGS} kept, oldest first. */
export function withReading(earlier: readonly WarmupReading[], warmup: Warmup): WarmupReading[] {
  return [...earlier, readingOf(warmup)].slice(-WARMUP_READINGS);
}

/**
 * The reading that stands for several: the middle one by excess, of an even number the
 * lesser of the middle two. One probe slowed by a busy moment (a task whose probes read
 * 0.6-1.4 ms of warm-up read 72 ms once, and every plan made with it was serial) gives way
 * to the next probe's lesser one (an entry is probed again while it holds one reading:
 * see `decidesAlone`); a module whose fresh workers do lose that much reads so every time.
 */
export function middleReading(readings: readonly WarmupReading[]): WarmupReading | null {
  if (readings.length === 0) return null;
  const sorted = [...readings].sort((a, b) => a.excessMs - b.excessMs);
  return sorted[(sorted.length - 1) >> 1]!;
}

/**
 * The module-cost cache's entry for `key`: the warm-up (the middle of its readings, see
 * {@link middleReading}), the readings, and a fresh worker's import when the entry has it.
 */
export function readModuleCost(
  dir: string,
  key: string,
  machineKey: MachineKey,
): { warmup: Warmup; readings: WarmupReading[]; moduleLoadMs: number | null } | null {
  const read = readJsonFile(entryPath(dir, key), ModuleCostEntrySchema);
  if (read.status !== "ok") return null;
  const entry = read.value;
  if (entry.key !== key || !sameMachine(entry.machineKey, machineKey)) return null;
  const readings = entry.readings ?? [entry.warmup];
  return {
    warmup: { ...(middleReading(readings) ?? entry.warmup), source: "cached" },
    readings,
    moduleLoadMs: entry.moduleLoadMs ?? null,
  };
}

/**
 * Writes a measured warm-up atomically (see `writePlanCache`) after the readings the entry
 * holds now (see {@link withReading}; read again here, just before the write, so that a
 * call that probed meanwhile keeps its reading), with a fresh worker's import: this probe's,
 * else the entry's. A warning when it cannot.
 */
export async function writeWarmup(
  dir: string,
  key: string,
  machineKey: MachineKey,
  warmup: Warmup,
  moduleLoadMs: number | null = null,
): Promise<Warning | null> {
  const held = readModuleCost(dir, key, machineKey);
  const readings = withReading(held?.readings ?? [], warmup);
  const loadMs = moduleLoadMs ?? held?.moduleLoadMs ?? null;
  const entry: ModuleCostEntry = {
    version: 1,
    key,
    machineKey,
    createdAt: new Date().toISOString(),
    warmup: middleReading(readings) ?? readingOf(warmup),
    readings,
    ...(loadMs === null ? {} : { moduleLoadMs: loadMs }),
  };
  try {
    await mkdir(join(dir, "modules"), { recursive: true });
    await writeFileAtomic(entryPath(dir, key), `${JSON.stringify(entry)}\n`);
    return null;
  } catch (error) {
    return {
      code: "MODULE_CACHE_UNWRITABLE",
      message: `Could not write the module-cost cache in ${dir}: ${messageOf(error)}`,
    };
  }
}
