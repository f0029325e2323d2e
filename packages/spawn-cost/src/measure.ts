import { fileURLToPath } from "node:url";
import v8 from "node:v8";
import { Worker } from "node:worker_threads";
import type { CloneCost, MeasuredFigure, PayloadKind, Warning } from "@amorsize/types";
import { Tinypool, type Options as TinypoolOptions } from "tinypool";
import { SpawnCostMeasurementError, SpawnCostWarningCode } from "./errors.js";
import { estimatedCloneCost, estimatedFigure, SPAWN_COST_ESTIMATES } from "./estimates.js";
import type { EchoTask, MeasureTask } from "./protocol.js";
import { distinctCount, mad, median, rejectOutliers, robustFitLine } from "./stats.js";

/** The built worker entry: from dist/ next to this module, or ../dist when the sources run (under Jest). */
export function defaultWorkerFile(): string {
  const url = import.meta.url.endsWith(".ts")
    ? new URL("../dist/worker.js", import.meta.url)
    : new URL("./worker.js", import.meta.url);
  return fileURLToPath(url);
}

/** What to measure and within what time. */
export interface MeasurePlan {
  /** Time budget, milliseconds. */
  budgetMs: number;
  /** Largest pool to time for start-up (k = 1..maxWorkers). */
  maxWorkers: number;
}

/** What the measurement runs on; replaceable in tests. */
export interface MeasureDeps {
  /** Worker entry file (absolute path). Default: the package's built dist/worker.js. */
  workerFile?: string;
  /** Creates each pool; tests pass one that records the pools to check they were destroyed. */
  createPool?: (options: TinypoolOptions) => Tinypool;
  /** Longest wait for any one pool start or task, milliseconds. Default max(5000, 2 x budget). */
  timeoutMs?: number;
}

/** The measured part of a profile. */
export interface MeasureOutcome {
  workerStart: { fixedMs: MeasuredFigure; perWorkerMs: MeasuredFigure };
  dispatch: { latencyUs: MeasuredFigure; throughputUs: MeasuredFigure };
  clone: Record<PayloadKind, CloneCost>;
  warnings: Warning[];
  /** Whether at least one figure was measured rather than estimated. */
  anyMeasured: boolean;
}

/** Relative MAD at which a set of samples counts as settled. */
const SETTLED = 0.1;
/** Timings closer than this fraction of their median are never outliers (see rejectOutliers' minScale). */
const JITTER_FLOOR = 0.05;
const OUTLIER_THRESHOLD = 3;
/** Shares of the time left after the first pool is up at which each phase should end (the rest is start-up). */
const PHASE_END = { latency: 0.06, throughput: 0.1, clone: 0.35 } as const;
const MIN_SAMPLES = { latency: 20, throughputBatches: 3, clonePerGroup: 2, startupPoints: 3 } as const;
const WARMUP_TASKS = 20;
const LATENCY_BATCH = 25;
const MAX_LATENCY_SAMPLES = 400;
const THROUGHPUT_BATCH = 64;
const MAX_THROUGHPUT_BATCHES = 20;
const MAX_CLONE_SAMPLES_PER_GROUP = 15;
/** A clone cell is settled with this many samples within this relative MAD (its timings are short, so noisier). */
const CLONE_SETTLE = { samples: 4, relative: 0.05 } as const;
/** Share of the time between the clone phase's end and the deadline that an implausible kind may still use. */
const CLONE_EXTENSION = 0.5;
const MAX_STARTUP_ROUNDS = 25;
/** Target extra time of a clone chunk over an empty task, microseconds: long enough to stand out of the noise. */
const CLONE_TARGET_US = 250;
const CLONE_MAX_CHUNK_BYTES = 1 << 20;
const CLONE_MAX_ITEMS = 20_000;
const MAX_CLONE_PROBES = 4;
/** The clone baseline: the median of this many latest empty tasks, topped up by this many fresh ones each time. */
const BASELINE = { window: 12, refresh: 4 } as const;

/** A figure in the making: measured, or estimated with a reason (and the documented value unless `estimate` is set). */
type Draft =
  | { value: number; samples: number; spread: number | null }
  | { reason: string; estimate?: number };

const now = () => performance.now();

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function settled(samples: readonly number[], min: number, relative = SETTLED): boolean {
  if (samples.length < min) return false;
  const m = median(samples);
  return m > 0 && mad(samples) <= relative * m;
}

/** A tinypool pool whose every wait is bounded by a timeout and ends early if a worker fails. */
class MeasuringPool {
  readonly pool: Tinypool;
  readonly #timeoutMs: number;
  readonly #failed: Promise<never>;
  readonly #threads: Worker[];

  constructor(create: (options: TinypoolOptions) => Tinypool, options: TinypoolOptions, timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
    let fail!: (error: unknown) => void;
    this.#failed = new Promise<never>((_, reject) => {
      fail = reject;
    });
    // Raced against every wait; this handler only keeps an unobserved failure from being reported as unhandled.
    this.#failed.catch(() => {});
    this.pool = create(options);
    // Workers that fail at start-up leave the pool's list at once; remember them to wait for their exit.
    this.#threads = threadsOf(this.pool);
    // tinypool emits "error" for a worker that fails with no task assigned; unheard, it would crash the process.
    this.pool.on("error", (error: unknown) => {
      fail(new SpawnCostMeasurementError(`a measuring worker failed: ${errorText(error)}`, { cause: error }));
    });
  }

  async guard<T>(promise: Promise<T>, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new SpawnCostMeasurementError(`${what} took longer than ${this.#timeoutMs} ms`)),
        this.#timeoutMs,
      );
    });
    try {
      return await Promise.race([promise, this.#failed, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  run(task: MeasureTask, what: string, transferList?: ArrayBuffer[]): Promise<unknown> {
    return this.guard(this.pool.run(task, transferList ? { transferList } : undefined), what);
  }

  /**
   * Destroys the pool and waits until every one of its threads has exited,
   * also when a worker fails while being stopped.
   */
  async destroy(): Promise<void> {
    let threads = new Set([...this.#threads, ...threadsOf(this.pool)]);
    // A worker that fails replaces itself (tinypool's error handler starts a new one, even while
    // destroy() runs), so destroy again until no thread is left; replacements that fail while
    // booting are not replaced again, so this ends after a round or two.
    for (let round = 0; round < 5 && threads.size > 0; round++) {
      for (const wrapper of this.pool.threads) lendRemoveListener(wrapper);
      try {
        await this.pool.destroy();
      } catch {
        // Only a worker's own failure rejects here, and that was reported when it happened;
        // what matters is that every thread is gone, which the next line makes sure of.
      }
      // terminate() resolves on exit, also for a thread already exiting or gone.
      await Promise.all([...threads].map((thread) => thread.terminate().catch(() => 0)));
      threads = new Set(threadsOf(this.pool));
    }
  }
}

/**
 * tinypool's destroy() waits with events.once(wrapper, "exit"), whose error path
 * calls wrapper.removeListener, which tinypool's thread wrapper lacks: a worker
 * failing during destroy() would throw a TypeError from an event handler,
 * uncaught. Lend the wrapper its thread's removeListener.
 */
function lendRemoveListener(wrapper: unknown): void {
  const patchable = wrapper as { removeListener?: unknown; thread?: unknown };
  const thread = patchable.thread;
  if (typeof patchable.removeListener !== "function" && thread instanceof Worker) {
    patchable.removeListener = (event: string, listener: (...args: unknown[]) => void) =>
      thread.removeListener(event, listener);
  }
}

/** The node:worker_threads Workers behind a pool's thread wrappers (a tinypool internal, read defensively). */
function threadsOf(pool: Tinypool): Worker[] {
  return pool.threads
    .map((wrapper) => (wrapper as unknown as { thread?: unknown }).thread)
    .filter((thread): thread is Worker => thread instanceof Worker);
}

/** How a clone chunk's items are made for one payload kind. */
interface KindSpec {
  kind: PayloadKind;
  /** Item sizes (elements, fields or characters); one size means the serialised size cannot vary. */
  sizes: number[];
  make: (size: number, index: number) => unknown;
  transfer: boolean;
}

const KIND_SPECS: KindSpec[] = [
  // Distinct doubles: small integers serialise shorter than the doubles real data holds.
  { kind: "number", sizes: [1], make: (_, i) => i + 0.5, transfer: false },
  {
    kind: "plain-array",
    sizes: [4, 64],
    make: (size, i) => Array.from({ length: size }, (_, j) => i + j + 0.5),
    transfer: false,
  },
  {
    kind: "object",
    sizes: [2, 16],
    make: (size, i) => {
      const item: Record<string, number | string> = {};
      for (let j = 0; j < size; j++) item[`f${j}`] = j % 2 === 0 ? i + j + 0.5 : `v${j}`;
      return item;
    },
    transfer: false,
  },
  {
    kind: "string",
    sizes: [16, 4096],
    make: (size, i) => String.fromCharCode(97 + (i % 26)).repeat(size),
    transfer: false,
  },
  {
    kind: "typed-array",
    sizes: [4, 2048],
    make: (size, i) => new Float64Array(size).fill(i),
    transfer: false,
  },
  {
    kind: "typed-array-transfer",
    sizes: [4, 2048],
    make: (size, i) => new Float64Array(size).fill(i),
    transfer: true,
  },
];

/** One (kind, size, item count) cell of the clone measurement. */
interface CloneGroup {
  spec: KindSpec;
  size: number;
  /** Structured-clone size of one item, bytes. */
  bytes: number;
  count: number;
  items: unknown[];
  /** Extra microseconds per item over an empty task, one per run. */
  samples: number[];
}

/** Runs the whole measurement within `plan.budgetMs` (give or take one pool start). Never throws. */
export async function runMeasurements(plan: MeasurePlan, deps: MeasureDeps = {}): Promise<MeasureOutcome> {
  const started = now();
  const deadline = started + plan.budgetMs;
  const workerFile = deps.workerFile ?? defaultWorkerFile();
  const createPool = deps.createPool ?? ((options: TinypoolOptions) => new Tinypool(options));
  // Generous: the budget governs how much is measured, the timeout only catches a worker that never answers.
  const timeoutMs = deps.timeoutMs ?? Math.max(5_000, 2 * plan.budgetMs);
  const benchWorkers = Math.min(2, plan.maxWorkers);
  const failures: string[] = [];
  const budgetShort: string[] = [];
  const implausible: string[] = [];

  const startup: { k: number; ms: number }[] = [];
  /** Latest empty-task times, microseconds (see baselineUs). */
  const recentEmptyUs: number[] = [];
  const destroyMs: number[] = [];
  let latency: Draft = { reason: "not measured" };
  let throughput: Draft = { reason: "not measured" };
  const clone = new Map<PayloadKind, { perItemUs: Draft; perByteNs: Draft }>();

  async function startPool(k: number): Promise<MeasuringPool> {
    const barrier = new Int32Array(new SharedArrayBuffer(4));
    const t0 = now();
    const pool = new MeasuringPool(
      createPool,
      { filename: workerFile, minThreads: k, maxThreads: k },
      timeoutMs,
    );
    try {
      const task: MeasureTask = { op: "barrier", items: [], barrier, parties: k, timeoutMs };
      await pool.guard(
        Promise.all(Array.from({ length: k }, () => pool.pool.run(task))),
        `starting a pool of ${k} worker${k > 1 ? "s" : ""}`,
      );
      startup.push({ k, ms: now() - t0 });
      return pool;
    } catch (error) {
      await destroyTimed(pool);
      throw error;
    }
  }

  async function destroyTimed(pool: MeasuringPool): Promise<void> {
    const t0 = now();
    await pool.destroy();
    destroyMs.push(now() - t0);
  }

  // Phase A: one small pool for dispatch and clone figures (its start is also a start-up sample).
  let pool: MeasuringPool | undefined;
  let startupFailure: string | undefined;
  try {
    try {
      pool = await startPool(benchWorkers);
    } catch (error) {
      // Further pools would fail the same way (and a hanging one would cost a timeout each).
      startupFailure = errorText(error);
      throw error;
    }
    const ready = now();
    const left = Math.max(0, deadline - ready);
    const phaseEnd = (share: number) => ready + share * left;
    latency = await step("dispatch latency", () => measureLatency(pool!, phaseEnd(PHASE_END.latency)));
    throughput = await step("dispatch throughput", () =>
      measureThroughput(pool!, phaseEnd(PHASE_END.throughput)),
    );
    if ("value" in latency) {
      await measureClone(pool, phaseEnd(PHASE_END.clone));
    } else {
      for (const spec of KIND_SPECS) {
        const reason = `clone figures need the empty-task latency, which was not measured (${latency.reason})`;
        clone.set(spec.kind, { perItemUs: { reason }, perByteNs: { reason } });
      }
    }
  } catch (error) {
    failures.push(errorText(error));
  } finally {
    if (pool) await destroyTimed(pool).catch((error: unknown) => failures.push(errorText(error)));
  }

  // Phase B: pools of 1..K workers, round after round, until settled or out of time.
  if (startupFailure === undefined) {
    try {
      await measureStartup();
    } catch (error) {
      startupFailure = errorText(error);
      failures.push(`worker start-up: ${startupFailure}`);
    }
  }

  return assemble();

  async function step(what: string, run: () => Promise<Draft>): Promise<Draft> {
    try {
      return await run();
    } catch (error) {
      failures.push(`${what}: ${errorText(error)}`);
      return { reason: `measuring ${what} failed: ${errorText(error)}` };
    }
  }

  function shortOfTime(figure: string, have: number, need: number): Draft {
    budgetShort.push(figure);
    return {
      reason: `the ${plan.budgetMs} ms budget ran out after ${have} sample${have === 1 ? "" : "s"} (needs ${need})`,
    };
  }

  async function measureLatency(p: MeasuringPool, softEnd: number): Promise<Draft> {
    const empty: EchoTask = { op: "echo", items: [], transfer: false };
    for (let i = 0; i < WARMUP_TASKS && now() < deadline; i++) await p.run(empty, "an empty task");
    const samples: number[] = [];
    while (samples.length < MAX_LATENCY_SAMPLES && now() < deadline) {
      for (let i = 0; i < LATENCY_BATCH; i++) {
        const t0 = now();
        await p.run(empty, "an empty task");
        samples.push((now() - t0) * 1000);
      }
      if (settled(samples, 2 * MIN_SAMPLES.latency)) break;
      if (now() >= softEnd && samples.length >= MIN_SAMPLES.latency) break;
    }
    recentEmptyUs.push(...samples.slice(-BASELINE.window));
    if (samples.length < MIN_SAMPLES.latency)
      return shortOfTime("dispatch.latencyUs", samples.length, MIN_SAMPLES.latency);
    return { value: median(samples), samples: samples.length, spread: mad(samples) };
  }

  async function measureThroughput(p: MeasuringPool, softEnd: number): Promise<Draft> {
    const empty: EchoTask = { op: "echo", items: [], transfer: false };
    const batch = () =>
      p.guard(
        Promise.all(Array.from({ length: THROUGHPUT_BATCH }, () => p.pool.run(empty))),
        "a batch of empty tasks",
      );
    if (now() < deadline) await batch(); // warm-up: the second worker has not run a task yet
    const samples: number[] = [];
    while (samples.length < MAX_THROUGHPUT_BATCHES && now() < deadline) {
      const t0 = now();
      await batch();
      samples.push(((now() - t0) * 1000) / THROUGHPUT_BATCH);
      if (settled(samples, MIN_SAMPLES.throughputBatches)) break;
      if (now() >= softEnd && samples.length >= MIN_SAMPLES.throughputBatches) break;
    }
    if (samples.length < MIN_SAMPLES.throughputBatches)
      return shortOfTime("dispatch.throughputUs", samples.length, MIN_SAMPLES.throughputBatches);
    return { value: median(samples), samples: samples.length, spread: mad(samples) };
  }

  async function runChunk(p: MeasuringPool, group: CloneGroup, baselineUs: number): Promise<number> {
    const task: EchoTask = { op: "echo", items: group.items, transfer: group.spec.transfer };
    const transferList = group.spec.transfer
      ? (group.items as Float64Array[]).map((view) => view.buffer as ArrayBuffer)
      : undefined;
    const t0 = now();
    const result = await p.run(task, `a ${group.spec.kind} chunk`, transferList);
    const us = (now() - t0) * 1000;
    // Moved buffers came back: they are the only live copies, so they feed the next run.
    if (group.spec.transfer) {
      if (!Array.isArray(result) || result.length !== group.count)
        throw new SpawnCostMeasurementError("a transferred chunk came back incomplete");
      group.items = result;
    }
    return (us - baselineUs) / group.count;
  }

  /**
   * The empty-task time that clone runs are measured against: the median of the
   * latest empty tasks, topped up with a few fresh ones, so that the baseline
   * follows a machine whose load changes while it is measured.
   */
  async function baselineUs(p: MeasuringPool): Promise<number> {
    const empty: EchoTask = { op: "echo", items: [], transfer: false };
    for (let i = 0; i < BASELINE.refresh; i++) {
      const t0 = now();
      await p.run(empty, "an empty task");
      recentEmptyUs.push((now() - t0) * 1000);
    }
    recentEmptyUs.splice(0, Math.max(0, recentEmptyUs.length - BASELINE.window));
    return median(recentEmptyUs);
  }

  function makeItems(spec: KindSpec, size: number, count: number): unknown[] {
    return Array.from({ length: count }, (_, i) => spec.make(size, i));
  }

  async function measureClone(p: MeasuringPool, softEnd: number): Promise<void> {
    const groups = new Map<PayloadKind, CloneGroup[]>();
    for (const spec of KIND_SPECS) {
      try {
        const kindGroups: CloneGroup[] = [];
        const baseline = await baselineUs(p);
        for (const size of spec.sizes) {
          if (now() >= deadline) break;
          const bytes = v8.serialize(spec.make(size, 0)).byteLength;
          const cap = Math.max(4, Math.min(CLONE_MAX_ITEMS, Math.floor(CLONE_MAX_CHUNK_BYTES / bytes)));
          const estimate = SPAWN_COST_ESTIMATES.clone[spec.kind];
          const guessUs = estimate.perItemUs + (estimate.perByteNs * bytes) / 1000;
          // Calibration runs (also the warm-up of this shape): size the chunks to stand out of the
          // noise. A probe whose extra time is itself within the noise says little about the
          // per-item cost, so grow it until it clearly stands out (or reaches the cap).
          let n = Math.max(4, Math.min(cap, Math.round(CLONE_TARGET_US / 2 / guessUs)));
          let perItem = 0;
          for (let probe = 0; probe < MAX_CLONE_PROBES; probe++) {
            const group: CloneGroup = {
              spec,
              size,
              bytes,
              count: n,
              items: makeItems(spec, size, n),
              samples: [],
            };
            perItem = await runChunk(p, group, baseline);
            const extraUs = perItem * n;
            if (extraUs >= CLONE_TARGET_US / 2 || n >= cap || now() >= deadline) break;
            n = Math.min(cap, extraUs > 0 ? Math.ceil((n * CLONE_TARGET_US) / extraUs) : 8 * n, 8 * n);
          }
          const n1 = perItem > 0 ? Math.max(4, Math.min(cap, Math.round(CLONE_TARGET_US / perItem))) : cap;
          const counts = 2 * n1 <= cap ? [n1, 2 * n1] : [Math.max(2, Math.ceil(cap / 2)), cap];
          for (const count of counts) {
            kindGroups.push({ spec, size, bytes, count, items: makeItems(spec, size, count), samples: [] });
          }
        }
        groups.set(spec.kind, kindGroups);
      } catch (error) {
        failures.push(`clone ${spec.kind}: ${errorText(error)}`);
        const reason = `measuring ${spec.kind} clone cost failed: ${errorText(error)}`;
        clone.set(spec.kind, { perItemUs: { reason }, perByteNs: { reason } });
      }
    }

    // A kind whose fit is implausible (see cloneFit) was unlucky with the noise: it keeps
    // sampling past the phase's end, into part of the time left for start-up.
    const extendedEnd = softEnd + CLONE_EXTENSION * Math.max(0, deadline - softEnd);
    const done = (g: CloneGroup, plausible: boolean) =>
      g.samples.length >= MAX_CLONE_SAMPLES_PER_GROUP ||
      (plausible && settled(g.samples, CLONE_SETTLE.samples, CLONE_SETTLE.relative));
    const failedKinds = new Set<PayloadKind>();
    let ran = true;
    rounds: while (ran) {
      ran = false;
      for (const [kind, kindGroups] of groups) {
        if (failedKinds.has(kind)) continue;
        const plausible = clonePlausible(kindGroups);
        let baseline: number | undefined;
        for (const group of kindGroups) {
          if (now() >= deadline) break rounds;
          if (done(group, plausible)) continue;
          if (
            now() >= (plausible ? softEnd : extendedEnd) &&
            group.samples.length >= MIN_SAMPLES.clonePerGroup
          )
            continue;
          try {
            baseline ??= await baselineUs(p);
            group.samples.push(await runChunk(p, group, baseline));
            ran = true;
          } catch (error) {
            failedKinds.add(kind);
            failures.push(`clone ${kind}: ${errorText(error)}`);
            const reason = `measuring ${kind} clone cost failed: ${errorText(error)}`;
            clone.set(kind, { perItemUs: { reason }, perByteNs: { reason } });
            break;
          }
        }
      }
    }

    for (const [kind, kindGroups] of groups) {
      if (failedKinds.has(kind)) continue;
      clone.set(kind, fitClone(kind, kindGroups));
    }
  }

  /**
   * The clone figures of one kind from its samples: a robust line of extra
   * microseconds per item against serialised bytes per item (or, for a kind of
   * one size, the median). `implausible` says why the figures cannot be right:
   * every item costs something to clone, and copying more bytes costs more.
   * Null until every size has a sample.
   */
  function cloneFit(kindGroups: CloneGroup[]): {
    perItemUs: Draft & { value: number };
    perByteNs: (Draft & { value: number }) | null;
    implausible: string | null;
  } | null {
    const spec = kindGroups[0]?.spec;
    if (!spec) return null;
    const xs: number[] = [];
    const ys: number[] = [];
    for (const group of kindGroups) {
      for (const y of group.samples) {
        xs.push(group.bytes);
        ys.push(y);
      }
    }
    if (spec.sizes.length < 2) {
      if (ys.length === 0) return null;
      const { kept } = rejectOutliers(ys, OUTLIER_THRESHOLD, JITTER_FLOOR * Math.abs(median(ys)));
      const perItem = median(kept);
      return {
        perItemUs: { value: perItem, samples: kept.length, spread: mad(kept) },
        perByteNs: null,
        implausible:
          perItem > 0 ? null : `the ${kept.length} samples were too noisy: an item measured no cost`,
      };
    }
    if (distinctCount(xs) < 2) return null;
    const fit = robustFitLine(xs, ys, OUTLIER_THRESHOLD, JITTER_FLOOR);
    let implausible: string | null = null;
    if (!spec.transfer && fit.slope <= 0) {
      implausible = `the ${fit.n} samples were too noisy: ${spec.sizes[1]}-element items measured no dearer per byte than ${spec.sizes[0]}-element ones`;
    } else if (fit.intercept <= 0) {
      implausible = `the ${fit.n} samples were too noisy: the fixed cost per item came out at ${fit.intercept.toFixed(3)} us`;
    }
    return {
      perItemUs: { value: fit.intercept, samples: fit.n, spread: fit.residualMad },
      // A transfer's per-byte cost is ~0 and its fit dips below zero within the noise; costs are not negative.
      perByteNs: { value: Math.max(0, fit.slope * 1000), samples: fit.n, spread: fit.slopeSpread * 1000 },
      implausible,
    };
  }

  function clonePlausible(kindGroups: CloneGroup[]): boolean {
    const fit = cloneFit(kindGroups);
    return fit === null || fit.implausible === null;
  }

  function fitClone(kind: PayloadKind, kindGroups: CloneGroup[]): { perItemUs: Draft; perByteNs: Draft } {
    const spec = KIND_SPECS.find((s) => s.kind === kind)!;
    const fewest = kindGroups.length === 0 ? 0 : Math.min(...kindGroups.map((g) => g.samples.length));
    const needGroups = spec.sizes.length * 2;
    const fit = cloneFit(kindGroups);
    if (fit === null || kindGroups.length < needGroups || fewest < MIN_SAMPLES.clonePerGroup) {
      const short = shortOfTime(
        `clone.${kind}`,
        kindGroups.reduce((sum, g) => sum + g.samples.length, 0),
        needGroups * MIN_SAMPLES.clonePerGroup,
      );
      return { perItemUs: short, perByteNs: short };
    }
    const fixedSize: Draft = {
      reason: `a ${kind} always serialises to the same ${kindGroups[0]!.bytes} bytes, so its whole cost is in perItemUs`,
    };
    if (fit.implausible !== null) {
      implausible.push(`clone.${kind}`);
      const noisy: Draft = { reason: fit.implausible };
      return { perItemUs: noisy, perByteNs: fit.perByteNs ? noisy : fixedSize };
    }
    return { perItemUs: fit.perItemUs, perByteNs: fit.perByteNs ?? fixedSize };
  }

  async function measureStartup(): Promise<void> {
    const fallbackStart = (k: number) =>
      SPAWN_COST_ESTIMATES.workerStart.fixedMs + SPAWN_COST_ESTIMATES.workerStart.perWorkerMs * k;
    const predictMs = (k: number) => {
      const same = startup.filter((s) => s.k === k).map((s) => s.ms);
      const start = same.length > 0 ? median(same) : fallbackStart(k);
      return start + (destroyMs.length > 0 ? median(destroyMs) : 0);
    };
    rounds: for (let round = 0; round < MAX_STARTUP_ROUNDS; round++) {
      for (let k = 1; k <= plan.maxWorkers; k++) {
        if (now() + predictMs(k) > deadline) break rounds;
        const p = await startPool(k);
        await destroyTimed(p);
      }
      if (startupSettled()) break;
    }
  }

  /**
   * Whether every pool size has been timed consistently: at least two samples
   * each (and the minimum in all), within SETTLED of their median. This bounds the measurement noise; the
   * line's residuals also hold the model's own misfit (start-up is not linear in
   * k around the core count), which more samples would not reduce.
   */
  function startupSettled(): boolean {
    if (startup.length < MIN_SAMPLES.startupPoints) return false;
    for (let k = 1; k <= plan.maxWorkers; k++) {
      if (
        !settled(
          startup.filter((s) => s.k === k).map((s) => s.ms),
          2,
        )
      )
        return false;
    }
    return true;
  }

  function startupDrafts(): { fixedMs: Draft; perWorkerMs: Draft } {
    const xs = startup.map((s) => s.k);
    const ys = startup.map((s) => s.ms);
    if (startupFailure !== undefined && (ys.length < MIN_SAMPLES.startupPoints || distinctCount(xs) < 2)) {
      const failed = { reason: `measuring worker start-up failed: ${startupFailure}` };
      return { fixedMs: failed, perWorkerMs: failed };
    }
    if (plan.maxWorkers === 1) {
      // One pool size cannot separate the parts: the start of a pool of one goes into perWorkerMs
      // (so a plan for one worker is exact, and more workers are charged as if started one by one).
      const fixedMs = {
        reason:
          "maxWorkers is 1: one pool size cannot separate the fixed part, so it is 0 and all is in perWorkerMs",
        estimate: 0,
      };
      if (ys.length < MIN_SAMPLES.startupPoints) {
        const short = shortOfTime("workerStart", ys.length, MIN_SAMPLES.startupPoints);
        return { fixedMs: short, perWorkerMs: short };
      }
      const { kept } = rejectOutliers(ys, OUTLIER_THRESHOLD, JITTER_FLOOR * median(ys));
      return { fixedMs, perWorkerMs: { value: median(kept), samples: kept.length, spread: mad(kept) } };
    }
    if (ys.length < MIN_SAMPLES.startupPoints || distinctCount(xs) < 2) {
      const short = shortOfTime("workerStart", ys.length, MIN_SAMPLES.startupPoints);
      return { fixedMs: short, perWorkerMs: short };
    }
    // Starting k workers on c cores is flat up to c and steeper after, so the straight line's
    // value at k = 0 can fall below zero: then the best line with a non-negative fixed part.
    const fit = robustFitLine(xs, ys, OUTLIER_THRESHOLD, JITTER_FLOOR, { nonNegativeIntercept: true });
    if (fit.slope <= 0) {
      // Every worker is an isolate to start: a larger pool that measured no slower than a
      // smaller one is noise (a busy machine), not a free worker. Keep the measured level
      // (the line through the samples' mean) and take the documented per-worker estimate.
      if (!implausible.includes("workerStart")) implausible.push("workerStart");
      const perWorker = SPAWN_COST_ESTIMATES.workerStart.perWorkerMs;
      const meanK = xs.reduce((a, b) => a + b, 0) / xs.length;
      const meanMs = ys.reduce((a, b) => a + b, 0) / ys.length;
      const reason = `the ${fit.n} start-up samples were too noisy: larger pools measured no slower to start than smaller ones`;
      return {
        fixedMs: {
          reason: `${reason}; fixed part derived from their mean start`,
          estimate: Math.max(0, meanMs - perWorker * meanK),
        },
        perWorkerMs: { reason, estimate: perWorker },
      };
    }
    return {
      fixedMs: { value: fit.intercept, samples: fit.n, spread: fit.residualMad },
      perWorkerMs: { value: fit.slope, samples: fit.n, spread: fit.slopeSpread },
    };
  }

  function assemble(): MeasureOutcome {
    let anyMeasured = false;
    const failureReason =
      failures.length > 0 ? `measuring failed: ${failures[0]}` : "not measured: the budget ran out first";
    const final = (draft: Draft | undefined, fallback: number): MeasuredFigure => {
      if (draft && "value" in draft && Number.isFinite(draft.value) && Number.isFinite(draft.spread ?? 0)) {
        anyMeasured = true;
        return { value: draft.value, provenance: "measured", samples: draft.samples, spread: draft.spread };
      }
      if (!draft || !("reason" in draft) || draft.reason === "not measured") {
        return estimatedFigure(fallback, failureReason);
      }
      return estimatedFigure(draft.estimate ?? fallback, draft.reason);
    };
    const est = SPAWN_COST_ESTIMATES;
    const start = startupDrafts();
    const cloneCosts = {} as Record<PayloadKind, CloneCost>;
    for (const spec of KIND_SPECS) {
      const drafts = clone.get(spec.kind);
      if (!drafts) {
        if (!failures.length) budgetShort.push(`clone.${spec.kind}`);
        cloneCosts[spec.kind] = estimatedCloneCost(spec.kind, failureReason);
        continue;
      }
      cloneCosts[spec.kind] = {
        perItemUs: final(drafts.perItemUs, est.clone[spec.kind].perItemUs),
        perByteNs: final(drafts.perByteNs, est.clone[spec.kind].perByteNs),
      };
    }
    const outcome: MeasureOutcome = {
      workerStart: {
        fixedMs: final(start.fixedMs, est.workerStart.fixedMs),
        perWorkerMs: final(start.perWorkerMs, est.workerStart.perWorkerMs),
      },
      dispatch: {
        latencyUs: final(latency, est.dispatch.latencyUs),
        throughputUs: final(throughput, est.dispatch.throughputUs),
      },
      clone: cloneCosts,
      warnings: [],
      anyMeasured,
    };
    outcome.anyMeasured = anyMeasured;
    if (failures.length > 0) {
      outcome.warnings.push({
        code: SpawnCostWarningCode.measurementFailed,
        message: `Measuring failed (${failures.join("; ")}); the figures it concerned are documented estimates.`,
      });
    }
    if (implausible.length > 0) {
      outcome.warnings.push({
        code: SpawnCostWarningCode.implausibleFit,
        message: `The samples of ${implausible.join(", ")} were too noisy to fit (a busy machine?); those figures are documented estimates.`,
      });
    }
    if (budgetShort.length > 0) {
      outcome.warnings.push({
        code: SpawnCostWarningCode.budgetExhausted,
        message: `The ${plan.budgetMs} ms budget ran out before ${[...new Set(budgetShort)].join(", ")} had enough samples; those figures are documented estimates (raise budgetMs to measure them).`,
      });
    }
    return outcome;
  }
}
