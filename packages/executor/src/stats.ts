import type { DurationStats } from "@amorsize/types";

/** Samples kept exactly; beyond, a uniform reservoir of this size. */
export const RESERVOIR_SIZE = 4096;

/**
 * Duration statistics in bounded memory: count, min, max and mean are exact; median
 * and p90 are exact up to {@link RESERVOIR_SIZE} samples and come from a uniform
 * reservoir sample beyond (seeded, so a run's figures are reproducible).
 */
export class DurationRecorder {
  private readonly samples: number[] = [];
  private n = 0;
  private sum = 0;
  private lo = Number.POSITIVE_INFINITY;
  private hi = 0;
  private seed = 0x9e3779b9;

  get count(): number {
    return this.n;
  }

  get total(): number {
    return this.sum;
  }

  add(ms: number): void {
    this.n++;
    this.sum += ms;
    if (ms < this.lo) this.lo = ms;
    if (ms > this.hi) this.hi = ms;
    if (this.samples.length < RESERVOIR_SIZE) {
      this.samples.push(ms);
      return;
    }
    const slot = this.random() % this.n;
    if (slot < RESERVOIR_SIZE) this.samples[slot] = ms;
  }

  stats(): DurationStats {
    if (this.n === 0) return { count: 0, min: 0, mean: 0, median: 0, p90: 0, max: 0 };
    const sorted = [...this.samples].sort((a, b) => a - b);
    return {
      count: this.n,
      min: this.lo,
      mean: this.sum / this.n,
      median: quantile(sorted, 0.5),
      p90: quantile(sorted, 0.9),
      max: this.hi,
    };
  }

  // xorshift32: deterministic and allocation-free.
  private random(): number {
    let x = this.seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.seed = x >>> 0;
    return this.seed;
  }
}

/** Linear-interpolated quantile of sorted values. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const pos = (sorted.length - 1) * q;
  const below = Math.floor(pos);
  const above = Math.min(sorted.length - 1, below + 1);
  const weight = pos - below;
  return sorted[below]! * (1 - weight) + sorted[above]! * weight;
}
