import { PlanInputSchema } from "@amorsize/types";
import { describe, expect, it } from "@jest/globals";
import { type InputOptions, unitInput } from "../test/fixtures.js";
import { deriveParams, type ModelParams } from "./params.js";
import { largestChunkWithin, slowChunkMs, timeoutChunkLimit } from "./timeout.js";

const params = (options: InputOptions): ModelParams =>
  deriveParams(PlanInputSchema.parse(unitInput(options)));

// Unit costs: a number costs 2 us to clone there and back, half of it again in the worker,
// so an item of 1 ms is 1.001 ms on a worker's timeline; a chunk's envelope is 0.06 ms; a
// chunk is planned at 3 standard deviations, x 1.15 for the workers' 5% speed variation.
describe("a chunk at the slow end", () => {
  it("is its items' time, stretched for the workers' speed, plus the envelope", () => {
    const p = params({ workload: { itemMs: 1 } });
    expect(slowChunkMs(p, 2, 1)).toBeCloseTo(1.001 * 1.15 + 0.06, 12);
    expect(slowChunkMs(p, 2, 434)).toBeCloseTo(434 * 1.001 * 1.15 + 0.06, 9);
  });

  it("adds the items' spread: 3 standard deviations of the sum, or the slowest item's excess", () => {
    // cv 1: 3 sqrt(100) x 1 ms = 30 ms beats the slowest item's 2 ms over the mean.
    const p = params({ workload: { itemMs: 1, cv: 1 } });
    expect(slowChunkMs(p, 2, 100)).toBeCloseTo((100.1 + 30) * 1.15 + 0.06, 9);
    // cv 0.1 and a slowest sampled item of 5 ms: its 4 ms over the mean beats 3 x 0.1 ms.
    const skewed = { ...params({ workload: { itemMs: 1, cv: 0.1 } }), maxItemMs: 5 };
    expect(slowChunkMs(skewed, 2, 1)).toBeCloseTo((1.001 + 4) * 1.15 + 0.06, 12);
    expect(slowChunkMs(skewed, 2, 4900)).toBeCloseTo((4900 * 1.001 + 21) * 1.15 + 0.06, 9);
  });

  it("adds what holding a chunk's object graphs costs its worker", () => {
    // Graph items of 1,000 serialised bytes: 131 items (131,000 bytes) are held at no cost;
    // 1,049 items (1,049,000 bytes, past 1 MiB) at the whole 4.5 ns a byte.
    const plain = params({ workload: { itemMs: 1, inputBytes: 1000, inputKind: "string" } });
    const graphs = { ...plain, graphBytesPerItem: 1000 };
    expect(slowChunkMs(graphs, 2, 131)).toBeCloseTo(slowChunkMs(plain, 2, 131), 12);
    expect(slowChunkMs(graphs, 2, 1049) - slowChunkMs(plain, 2, 1049)).toBeCloseTo(
      ((1_049_000 * 4.5) / 1e6) * 1.15,
      9,
    );
  });

  it("stretches the CPU part when the workers outnumber the cores", () => {
    // 3 workers on 2 cores share them: each computes at 2/3 speed.
    const p = params({ workload: { itemMs: 1 } });
    expect(slowChunkMs(p, 3, 10)).toBeCloseTo(10 * 1.001 * 1.5 * 1.15 + 0.06, 9);
  });

  it("stretches only the computing part of an item that waits", () => {
    // CPU-to-wall 0.25: 0.25 ms of each 1 ms item computes (plus the worker's 0.001 ms of
    // cloning); on 4 workers sharing 2 cores that part takes twice as long.
    const p = params({ workload: { itemMs: 1, cpuToWall: 0.25 } });
    expect(slowChunkMs(p, 4, 10)).toBeCloseTo(10 * (0.251 * 2 + 0.75) * 1.15 + 0.06, 9);
  });
});

describe("the largest chunk within a time-out", () => {
  it("bisects to the last chunk size that fits", () => {
    const p = params({ workload: { itemMs: 1 } });
    expect(largestChunkWithin(p, 2, 500, 20_000)).toBe(434);
    expect(slowChunkMs(p, 2, 434)).toBeLessThanOrEqual(500);
    expect(slowChunkMs(p, 2, 435)).toBeGreaterThan(500);
  });

  it("is the whole input when it all fits, and 1 when not even one item does", () => {
    const p = params({ workload: { itemMs: 1 } });
    expect(largestChunkWithin(p, 2, 500, 100)).toBe(100);
    expect(largestChunkWithin(p, 2, 1, 100)).toBe(1);
  });

  it("is half the time-out's worth under constraints.chunkTimeoutMs, and unbounded without one", () => {
    expect(timeoutChunkLimit(params({ workload: { itemMs: 1, totalItems: 20_000 } }), 2)).toBe(
      Number.POSITIVE_INFINITY,
    );
    const bounded = params({
      workload: { itemMs: 1, totalItems: 20_000 },
      constraints: { chunkTimeoutMs: 1000 },
    });
    expect(timeoutChunkLimit(bounded, 2)).toBe(434);
    // A stream has no item count to cap the search: the same bound.
    const stream = params({
      workload: { itemMs: 1, totalItems: null },
      constraints: { chunkTimeoutMs: 1000 },
    });
    expect(timeoutChunkLimit(stream, 2)).toBe(434);
  });
});
