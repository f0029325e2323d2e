import { describe, expect, it } from "@jest/globals";
import { chunkJobs, chunkRange, defaultChunkSize, layChunks } from "./chunks.js";
import { decodeChunkItems, encodeAll } from "./codec.js";
import { chunkJobId, parseChunkJobId } from "./protocol.js";

describe("defaultChunkSize", () => {
  it("stays within the most items the live hosts take in one job", () => {
    // 10 M items: ceil(n / 64) is 156,250, over the hosts' default limit of 100,000.
    expect(defaultChunkSize(10_000_000)).toBe(156_250);
    expect(defaultChunkSize(10_000_000, 100_000)).toBe(100_000);
    expect(defaultChunkSize(1000, 100_000)).toBe(16);
    expect(defaultChunkSize(1000, null)).toBe(16);
  });

  it("splits a run into at most 64 jobs of at least one item", () => {
    expect([0, 1, 64, 65, 1000].map((n) => defaultChunkSize(n))).toEqual([1, 1, 1, 2, 16]);
  });
});

describe("layChunks", () => {
  it("cuts the input into chunks of chunkSize in input order, the last one shorter", () => {
    expect(layChunks(10, 3, new Set())).toEqual({
      chunks: [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]],
      precomputed: 0,
    });
  });

  it("leaves precomputed items out (a chunk may span the gap) and counts those inside the input", () => {
    const precomputed = new Map<number, unknown>([
      [1, "a"],
      [4, "b"],
      [9, "beyond the input"],
    ]);
    expect(layChunks(7, 2, precomputed)).toEqual({ chunks: [[0, 2], [3, 5], [6]], precomputed: 2 });
  });

  it("has no chunk when every item is precomputed, or there is none", () => {
    expect(layChunks(3, 2, new Set([0, 1, 2]))).toEqual({ chunks: [], precomputed: 3 });
    expect(layChunks(0, 5, new Set())).toEqual({ chunks: [], precomputed: 0 });
  });
});

describe("chunkRange", () => {
  it("is the first and last input index of a chunk", () => {
    expect(chunkRange([3, 5, 8])).toEqual([3, 8]);
    expect(chunkRange([6])).toEqual([6, 6]);
  });
});

describe("chunkJobs", () => {
  it("makes one job per chunk of the batch, carrying its items encoded and the run's id", () => {
    const run = { runId: "r", module: "file:///task.mjs", exportName: "square" };
    const input = [10, 11, 12, 13, 14, 15, 16];
    const laid = chunkJobs(run, input, [[0, 2], [3, 5], [6]], 1, 5);
    const opts = (jobId: string) => ({
      jobId,
      attempts: 1,
      removeOnComplete: { age: 86_400 },
      removeOnFail: { age: 86_400 },
    });
    const data = (chunk: number, payload: string) => ({
      runId: "r",
      chunk,
      module: "file:///task.mjs",
      export: "square",
      codec: "v8+base64",
      payload,
    });
    expect(laid).toEqual([
      {
        chunk: 1,
        kept: [0, 1],
        refused: [],
        job: { name: "amorsize-chunk", data: data(1, encodeAll([13, 15])), opts: opts("r-1") },
      },
      {
        chunk: 2,
        kept: [0],
        refused: [],
        job: { name: "amorsize-chunk", data: data(2, encodeAll([16])), opts: opts("r-2") },
      },
    ]);
    expect(decodeChunkItems(laid[0]?.job?.data ?? {})).toEqual([13, 15]);
  });

  it("leaves out the items that cannot travel, by position, and makes no job when none can", () => {
    const run = { runId: "r", module: "file:///task.mjs", exportName: "square" };
    const fn = () => 1;
    const [some, none] = chunkJobs(run, [1n, fn, undefined, Symbol("s")], [[0, 1, 2], [3]], 0, 2);
    expect(some?.kept).toEqual([0, 2]);
    expect(some?.refused.map((r) => [r.position, r.reason])).toEqual([
      [1, `${String(fn)} could not be cloned.`],
    ]);
    expect(decodeChunkItems(some?.job?.data ?? {})).toEqual([1n, undefined]);
    expect(none).toMatchObject({ chunk: 1, job: null, kept: [] });
    expect(none?.refused.map((r) => r.position)).toEqual([0]);
  });
});

describe("chunk job ids", () => {
  it("reads back the run id (a UUID, dashes and all) and the chunk number", () => {
    const runId = "0f8fad5b-d9cb-469f-a165-70867728950e";
    expect(chunkJobId(runId, 12)).toBe(`${runId}-12`);
    expect(parseChunkJobId(chunkJobId(runId, 12))).toEqual({ runId, chunk: 12 });
  });

  it("is null for a job id that is not a chunk's", () => {
    expect(["42", "-3", "run-", "run-x", "run-1.5", "run-1e3"].map(parseChunkJobId)).toEqual([
      null,
      null,
      null,
      null,
      null,
      null,
    ]);
  });
});
