import { ItemError } from "@amorsize/executor";
import { describe, expect, it } from "@jest/globals";
import { ChunkFailedError, ClusterClosedError, RedisLostError } from "./errors.js";
import { type ClusterReport, clusterReport, completedIndices, runErrors, settleRun } from "./report.js";
import type { ChunkState } from "./tally.js";

// Ten items, item 8 precomputed: one chunk completed with one failure, one failed, one
// completed, one never answered.
const chunks = [[0, 1, 2], [3, 4, 5], [6, 7], [9]];
const states: ChunkState[] = ["completed", "failed", "completed", "pending"];
const run = { runId: "r", queueName: "q", chunkSize: 3, wallMs: 40, lost: false };

describe("clusterReport", () => {
  it("counts every item once: precomputed + succeeded + failed + missing", () => {
    const report = clusterReport(run, {
      items: 10,
      chunks,
      states,
      precomputed: 1,
      failed: 1,
      busyMs: 12.5,
      hosts: new Set(["b:2", "a:1"]),
    });
    expect(report).toEqual({
      runId: "r",
      queueName: "q",
      items: 10,
      precomputed: 1,
      chunks: 4,
      chunkSize: 3,
      // Chunks 0 and 2 returned five items, one of which failed.
      succeeded: 4,
      failed: 1,
      // Chunk 1 failed (three items) and chunk 3 never came back (one).
      missing: 4,
      wallMs: 40,
      busyMs: 12.5,
      hosts: ["a:1", "b:2"],
      lost: false,
    });
  });

  it("reports an empty run", () => {
    const report = clusterReport(run, {
      items: 0,
      chunks: [],
      states: [],
      precomputed: 0,
      failed: 0,
      busyMs: 0,
      hosts: [],
    });
    expect(report).toMatchObject({ items: 0, chunks: 0, succeeded: 0, failed: 0, missing: 0, hosts: [] });
  });
});

describe("completedIndices", () => {
  it("lists the precomputed items and those of completed chunks that did not fail, ascending", () => {
    expect(completedIndices(10, chunks, states, [1], new Set([8]))).toEqual([0, 2, 6, 7, 8]);
  });
});

describe("runErrors", () => {
  it("sorts item and chunk failures by their first input index", () => {
    const errors = runErrors(
      [new ItemError(7, new Error("x")), new ItemError(0, new Error("y"))],
      [new ChunkFailedError([3, 5], "gone")],
    );
    expect(errors.map((e) => e.range)).toEqual([
      [0, 0],
      [3, 5],
      [7, 7],
    ]);
  });
});

describe("settleRun", () => {
  const report = { items: 10 } as ClusterReport;
  const tally = {
    results: [0, undefined, 4, undefined, undefined, undefined, 36, 49, 64, undefined],
    itemErrors: [new ItemError(1, new Error("negative"))],
    chunkErrors: [new ChunkFailedError([3, 5], "gone")],
    chunks,
    states,
  };
  const precomputed = new Set([8]);

  it("resolves a finished run with its results, its failures in input order and its report", () => {
    const result = settleRun({ kind: "done" }, tally, report, { collect: true, precomputed });
    expect(result.results).toBe(tally.results);
    expect(result.errors.map((e) => e.code)).toEqual(["AMORSIZE_ITEM_FAILED", "AMORSIZE_CHUNK_FAILED"]);
    expect(result.report).toBe(report);
  });

  it("rejects with the failure that stopped the run, carrying the report", () => {
    const error = new ClusterClosedError();
    expect(() => settleRun({ kind: "failed", error }, tally, report, { collect: true, precomputed })).toThrow(
      error,
    );
    expect(error.report).toBe(report);
  });

  it("keeps what arrived before Redis was lost: resolved under collect, the loss last", () => {
    const lost = new RedisLostError("127.0.0.1:6379");
    const result = settleRun({ kind: "failed", error: lost }, tally, report, { collect: true, precomputed });
    expect(result.errors.at(-1)).toBe(lost);
    expect(result.errors).toHaveLength(3);
    expect(lost.completed).toEqual([0, 2, 6, 7, 8]);
    expect(lost.results).toBe(tally.results);
  });

  it("rejects with the loss under throw, still carrying what arrived", () => {
    const lost = new RedisLostError("127.0.0.1:6379");
    expect(() =>
      settleRun({ kind: "failed", error: lost }, tally, report, { collect: false, precomputed }),
    ).toThrow(lost);
    expect([lost.completed, lost.report]).toEqual([[0, 2, 6, 7, 8], report]);
  });
});
