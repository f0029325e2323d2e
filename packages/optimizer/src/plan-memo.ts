// A session's recent plans, reused while a learned task's figures stay where they were.

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
}

/** The memo key of a plan's shape: equal keys, equal inputs but for the item time. */
export function planKey(shape: PlanShape): string {
  const { profileKey, totalItems, done, warm, loaded, constraints } = shape;
  return `${profileKey}|${totalItems}|${done}|${warm ? 1 : 0}${loaded ? 1 : 0}|${JSON.stringify(constraints ?? {})}`;
}

/** Plans by shape, at most `capacity` (least recently used dropped first). Pure bookkeeping. */
export class PlanMemo<T> {
  readonly #entries = new Map<string, { itemMs: number; value: T }>();

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.#entries.size;
  }

  /** The value planned for `key` when `itemMs` is within PLAN_REUSE_DRIFT of what it was planned with. */
  get(key: string, itemMs: number): T | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (!(Math.abs(itemMs / entry.itemMs - 1) <= PLAN_REUSE_DRIFT)) return undefined;
    this.#entries.set(key, entry);
    return entry.value;
  }

  set(key: string, itemMs: number, value: T): void {
    this.#entries.delete(key);
    this.#entries.set(key, { itemMs, value });
    while (this.#entries.size > this.capacity)
      this.#entries.delete(this.#entries.keys().next().value as string);
  }

  /** Forgets every plan of a task (its profile was replaced by a new sample). */
  forget(profileKey: string): void {
    const prefix = `${profileKey}|`;
    for (const key of [...this.#entries.keys()]) if (key.startsWith(prefix)) this.#entries.delete(key);
  }
}
