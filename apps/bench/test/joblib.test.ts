import { describe, expect, it } from "@jest/globals";
import { JoblibAutoBatcher, JoblibDispatcher } from "../src/joblib.js";

describe("JoblibAutoBatcher (joblib's batch_size='auto' rule)", () => {
  it("starts at 1 and keeps it until a batch has been timed", () => {
    const b = new JoblibAutoBatcher();
    expect(b.computeBatchSize()).toBe(1);
    expect(b.computeBatchSize()).toBe(1);
  });

  it("grows to min(2 * old, 2 * int(old * 0.2 s / duration)) while batches run under 0.2 s", () => {
    const b = new JoblibAutoBatcher();
    b.batchCompleted(1, 10);
    expect(b.computeBatchSize()).toBe(2); // min(2, 2 * 20)
    expect(b.smoothedBatchMs).toBe(0); // reset with the new size
    b.batchCompleted(1, 5); // an old-size batch: ignored
    expect(b.smoothedBatchMs).toBe(0);
    b.batchCompleted(2, 20);
    b.batchCompleted(2, 30);
    expect(b.smoothedBatchMs).toBeCloseTo(22, 12); // 0.8 * 20 + 0.2 * 30
    expect(b.computeBatchSize()).toBe(4); // min(4, 2 * int(400 / 22) = 36)
    b.batchCompleted(4, 150);
    expect(b.computeBatchSize()).toBe(8); // min(8, 2 * int(800 / 150) = 10)
    b.batchCompleted(8, 190);
    expect(b.computeBatchSize()).toBe(16); // min(16, 2 * int(1600 / 190) = 16)
  });

  it("doubles in the grow branch: 2 * int(old * 0.2 s / d) >= 2 * old whenever d < 0.2 s", () => {
    for (const [old, duration] of [
      [1, 199],
      [7, 199.9],
      [100, 150],
      [3, 0.01],
    ] as const) {
      const b = new JoblibAutoBatcher();
      b.effectiveBatchSize = old;
      b.batchCompleted(old, duration);
      expect(b.computeBatchSize()).toBe(2 * old);
    }
  });

  it("holds the size inside the 0.2-2 s window and shrinks to 2 * int(old * 0.2 s / duration) above it", () => {
    const b = new JoblibAutoBatcher();
    b.effectiveBatchSize = 16;
    b.batchCompleted(16, 500);
    expect(b.computeBatchSize()).toBe(16);
    b.batchCompleted(16, 5_000);
    expect(b.smoothedBatchMs).toBeCloseTo(1_400, 9); // 0.8 * 500 + 0.2 * 5000
    expect(b.computeBatchSize()).toBe(16);
    b.batchCompleted(16, 10_000); // smoothed 3120 ms
    expect(b.computeBatchSize()).toBe(2); // 2 * int(3200 / 3120)
    b.batchCompleted(2, 3_000);
    expect(b.computeBatchSize()).toBe(1); // max(1, 2 * int(400 / 3000))
    b.batchCompleted(1, 5_000);
    expect(b.computeBatchSize()).toBe(1); // a batch of 1 is never shrunk
  });
});

describe("JoblibDispatcher", () => {
  const sizes = (batches: { start: number; end: number }[]) => batches.map((b) => [b.start, b.end]);

  it("pre-dispatches 2 * n_jobs items in batches of one, then one batch per completion", () => {
    const b = new JoblibAutoBatcher();
    const d = new JoblibDispatcher(20, 2, b);
    expect(sizes(d.initialBatches())).toEqual([
      [0, 1],
      [1, 2],
      [2, 3],
      [3, 4],
    ]);
    b.batchCompleted(1, 10);
    // Batch size 2: a slice of 2 * n_jobs = 4 items, cut into n_jobs batches.
    expect(d.nextBatch()).toEqual({ start: 4, end: 6 });
    b.batchCompleted(1, 10); // a batch of the old size: does not count
    expect(d.nextBatch()).toEqual({ start: 6, end: 8 });
    b.batchCompleted(2, 20);
    expect(d.nextBatch()).toEqual({ start: 8, end: 12 });
    expect(d.nextBatch()).toEqual({ start: 12, end: 16 });
    // Only 4 items are left for a slice of 8: pieces of max(1, int(4 / (10 * 2))) = 1.
    const rest: [number, number][] = [];
    for (let batch = d.nextBatch(); batch !== null; batch = d.nextBatch())
      rest.push([batch.start, batch.end]);
    expect(rest).toEqual([
      [16, 17],
      [17, 18],
      [18, 19],
      [19, 20],
    ]);
    expect(d.remaining).toBe(0);
  });

  it("cuts the last short slice into pieces of len / (10 * n_jobs)", () => {
    const b = new JoblibAutoBatcher();
    const n = 4 + 7 * 128 + 40;
    const d = new JoblibDispatcher(n, 2, b);
    expect(d.initialBatches()).toHaveLength(4);
    b.effectiveBatchSize = 64;
    b.smoothedBatchMs = 500; // inside the window: the size stays 64
    const out: number[] = [];
    for (let batch = d.nextBatch(); batch !== null; batch = d.nextBatch()) out.push(batch.end - batch.start);
    expect(out).toEqual([...new Array(14).fill(64), ...new Array(20).fill(2)]);
  });

  it("covers every item exactly once, in order", () => {
    const b = new JoblibAutoBatcher();
    const d = new JoblibDispatcher(1_000, 3, b);
    const seen: number[] = [];
    for (const batch of d.initialBatches()) for (let i = batch.start; i < batch.end; i++) seen.push(i);
    for (let batch = d.nextBatch(); batch !== null; batch = d.nextBatch()) {
      b.batchCompleted(batch.end - batch.start, 1);
      for (let i = batch.start; i < batch.end; i++) seen.push(i);
    }
    expect(seen).toEqual(Array.from({ length: 1_000 }, (_, i) => i));
  });

  it("dispatches nothing for an empty input", () => {
    const d = new JoblibDispatcher(0, 2, new JoblibAutoBatcher());
    expect(d.initialBatches()).toEqual([]);
    expect(d.nextBatch()).toBeNull();
  });
});
