// A session's recent plans, reused while a learned task's figures stay where they were.
import type { Plan } from "@amorsize/types";

/**
 * A learned task's plan is reused while its item time is within this share of the time it
 * was planned with. Every run blends its measured item time into the profile, so the figure
 * moves on each call (measured over 400 calls of ten 50 us items: a median step of 1.5%,
 * 7% at the 90th percentile, 29% at most; steps are larger for microsecond items, whose
 * measured time is mostly timer and call overhead); planning again costs such a call more than its items do
 * (0.1-0.4 ms a plan). A move within this share is inside the model's own error, and it
 * changes the choice only where the choices are predicted within that much of each other.
 */
export const PLAN_REUSE_DRIFT = 0.2;

/** How a remembered plan may be reused. */
export interface MemoEntry<T> {
  /** The item time the plan was made with, milliseconds. */
  itemMs: number;
  value: T;
  /**
   * The plan holds for any cheaper item too: a serial plan (parallel gains only less when
   * items cost less, since start-up, dispatch and clones cost the same: the cost model's
   * property tests check it), whose predicted times scale with the item time.
   */
  cheaper: boolean;
}

/** What a plan of a learned call was made from, besides the task's figures. */
export interface PlanShape {
  /** The task's profile key (its module's content hash included). */
  profileKey: string;
  totalItems: number | null;
  /** Items sampling ran (none for a learned call). */
  done: number;
  /** Whether the pool was up, and had imported the task, when the plan was made. */
  warm: boolean;
  loaded: boolean;
  /** The caller's plan constraints. */
  constraints: unknown;
  /** false for a stream, whose plan keeps no results (`PlanInput.resultsKept`). */
  resultsKept?: boolean | undefined;
  /** The slowdown of workers computing at once the plan was made with (`WorkloadSample.contention`); absent: none. */
  contention?: number | undefined;
}

/** The memo key of a plan's shape: equal keys, equal inputs but for the item time. */
export function planKey(shape: PlanShape): string {
  const { profileKey, totalItems, done, warm, loaded, constraints, resultsKept } = shape;
  const kept = resultsKept === false ? 0 : 1;
  const contention = contentionBucket(shape.contention);
  return `${profileKey}|${totalItems}|${done}|${warm ? 1 : 0}${loaded ? 1 : 0}${kept}|${contention}|${JSON.stringify(constraints ?? {})}`;
}

/** Slowdowns within PLAN_REUSE_DRIFT of each other share a plan key, as item times do (none: 0). */
export function contentionBucket(factor: number | undefined): number {
  return factor === undefined ? 0 : Math.round(Math.log(factor) / LOG_DRIFT);
}

const LOG_DRIFT = Math.log(1 + PLAN_REUSE_DRIFT);

/** Plans by shape, at most `capacity` (least recently used dropped first). Pure bookkeeping. */
export class PlanMemo<T> {
  readonly #entries = new Map<string, MemoEntry<T>>();

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.#entries.size;
  }

  /** The value planned for `key` when `itemMs` is within PLAN_REUSE_DRIFT of what it was planned with. */
  get(key: string, itemMs: number): T | undefined {
    return this.entry(key, itemMs)?.value;
  }

  /**
   * The entry for `key` when `itemMs` is within PLAN_REUSE_DRIFT of what its plan was made
   * with, or below it for a plan that holds for cheaper items. An entry past that is dropped.
   */
  entry(key: string, itemMs: number): MemoEntry<T> | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    const ratio = itemMs / entry.itemMs;
    if (!(ratio <= 1 + PLAN_REUSE_DRIFT && (ratio >= 1 - PLAN_REUSE_DRIFT || (entry.cheaper && ratio >= 0))))
      return undefined;
    this.#entries.set(key, entry);
    return entry;
  }

  set(key: string, itemMs: number, value: T, cheaper = false): void {
    this.#entries.delete(key);
    this.#entries.set(key, { itemMs, value, cheaper });
    while (this.#entries.size > this.capacity)
      this.#entries.delete(this.#entries.keys().next().value as string);
  }

  /** Forgets every plan (the machine figures they were made with moved). */
  clear(): void {
    this.#entries.clear();
  }

  /** Forgets every plan of a task (its profile was replaced by a new sample). */
  forget(profileKey: string): void {
    const prefix = `${profileKey}|`;
    for (const key of [...this.#entries.keys()]) if (key.startsWith(prefix)) this.#entries.delete(key);
  }
}

/**
 * A serial plan made for items of one time, for items `ratio` times that: its predicted
 * times scale with the item time (a loop's time is the items' time), and so does the
 * estimate of the whole input's serial time. What the plan says of its alternatives
 * (their figures, and the reasons quoting them) stays as planned.
 */
export function scaleSerial<P extends { plan: Plan; wholeSerialMs: number }>(planned: P, ratio: number): P {
  const { plan } = planned;
  if (plan.mode !== "serial" || ratio === 1) return planned;
  const { predicted } = plan;
  const breakdown = {
    ...predicted.breakdown,
    computeMs: predicted.breakdown.computeMs * ratio,
    totalMs: predicted.breakdown.totalMs * ratio,
  };
  return {
    ...planned,
    plan: {
      ...plan,
      predicted: {
        ...predicted,
        wallMs: predicted.wallMs * ratio,
        serialMs: predicted.serialMs * ratio,
        breakdown,
      },
    },
    wholeSerialMs: planned.wholeSerialMs * ratio,
  };
}
