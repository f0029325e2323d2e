import { ItemError } from "@amorsize/executor";
import { describe, expect, it } from "@jest/globals";
import { encodeAll } from "./codec.js";
import { ChunkFailedError } from "./errors.js";
import type { ChunkJobResult } from "./protocol.js";
import { RunTally } from "./tally.js";

// Items 0..6 with item 2 precomputed: chunks of two over what is left.
const chunks = [
  [0, 1],
  [3, 4],
  [5, 6],
];
const precomputed = new Map<number, unknown>([[2, 4]]);

function answer(results: unknown[], extra: Partial<ChunkJobResult> = {}): ChunkJobResult {
  return { host: "h:1", payload: encodeAll(results), errors: [], ms: 10, ...extra };
}

describe("RunTally", () => {
  it("places each chunk's results at their input indices, beside the precomputed ones", () => {
    const tally = new RunTally(chunks, 7, precomputed, false);
    expect(tally.completed(1, answer([9, 16], { host: "h:2", ms: 7.5 }))).toEqual({ kind: "progress" });
    expect(tally.completed(0, answer([0, 1]))).toEqual({ kind: "progress" });
    expect(tally.completed(2, answer([25, 36]))).toEqual({ kind: "done" });
    expect(tally.results).toEqual([0, 1, 4, 9, 16, 25, 36]);
    expect(tally.states).toEqual(["completed", "completed", "completed"]);
    expect([tally.pending, tally.busyMs, [...tally.hosts]]).toEqual([0, 27.5, ["h:2", "h:1"]]);
  });

  it("records an item's failure as the executor's ItemError at its input index, under collect", () => {
    const tally = new RunTally(chunks, 7, precomputed, true);
    const failed = answer([9, null], {
      errors: [{ position: 1, name: "RangeError", message: "negative item -5", code: "E_NEG" }],
    });
    expect(tally.completed(1, failed)).toEqual({ kind: "progress" });
    const [error] = tally.itemErrors;
    expect(error).toBeInstanceOf(ItemError);
    expect([error?.index, error?.range, error?.message]).toEqual([
      4,
      [4, 4],
      "Item 4 failed: negative item -5",
    ]);
    expect(error?.cause).toBeInstanceOf(Error);
    expect(error?.cause).toMatchObject({ name: "RangeError", message: "negative item -5", code: "E_NEG" });
    expect(tally.results).toEqual([undefined, undefined, 4, 9, undefined, undefined, undefined]);
  });

  it("stops a throw run at its first failing item, the lowest index of the chunk", () => {
    const tally = new RunTally(chunks, 7, precomputed, false);
    const step = tally.completed(
      2,
      answer([null, null], {
        errors: [
          { position: 1, name: "Error", message: "b" },
          { position: 0, name: "Error", message: "a" },
        ],
      }),
    );
    expect(step).toMatchObject({ kind: "stop", error: { index: 5, message: "Item 5 failed: a" } });
  });

  it("takes the first answer of a chunk and ignores a second one, or a cancelled chunk", () => {
    const tally = new RunTally(chunks, 7, precomputed, true);
    expect(tally.completed(0, answer([0, 1]))).toEqual({ kind: "progress" });
    expect(tally.completed(0, answer([7, 7], { host: "h:2" }))).toEqual({ kind: "ignored" });
    expect(tally.failed(0, "stalled")).toEqual({ kind: "ignored" });
    expect(tally.completed(1, answer([], { cancelled: true }))).toEqual({ kind: "ignored" });
    expect(tally.results.slice(0, 2)).toEqual([0, 1]);
    expect([tally.pending, tally.busyMs, [...tally.hosts]]).toEqual([2, 10, ["h:1"]]);
    expect(tally.states).toEqual(["completed", "pending", "pending"]);
    // The cancelled chunk's job has ended, so cleanup does not wait for it.
    expect(tally.ended).toEqual([true, true, false]);
    expect(tally.outstanding(10)).toEqual([2]);
  });

  it("fails a whole chunk with its input range: a stop under throw, a record under collect", () => {
    const thrown = new RunTally(chunks, 7, precomputed, false).failed(1, "module not found");
    expect(thrown).toMatchObject({ kind: "stop", error: { range: [3, 4] } });
    expect((thrown as { error: Error }).error).toBeInstanceOf(ChunkFailedError);

    const tally = new RunTally(chunks, 7, precomputed, true);
    expect(tally.failed(1, "module not found")).toEqual({ kind: "progress" });
    expect(tally.failed(0, "module not found")).toEqual({ kind: "progress" });
    expect(tally.completed(2, answer([25, 36]))).toEqual({ kind: "done" });
    expect(tally.chunkErrors.map((e) => e.message)).toEqual([
      "Chunk of items 3..4 failed on the cluster: module not found",
      "Chunk of items 0..1 failed on the cluster: module not found",
    ]);
    expect(tally.states).toEqual(["failed", "failed", "completed"]);
  });

  it("lists the chunks not ended yet, at most `limit`", () => {
    const tally = new RunTally([[0], [1], [2], [3]], 4, new Map(), true);
    tally.completed(1, answer([1]));
    expect(tally.outstanding(2)).toEqual([0, 2]);
    expect(tally.outstanding(10)).toEqual([0, 2, 3]);
  });

  it("fails the items that cannot travel as CloneError at their input index, and maps the rest back", () => {
    const tally = new RunTally(chunks, 7, precomputed, true);
    const refused = [{ position: 0, reason: "() => 1 could not be cloned.", cause: null }];
    expect(tally.sent(1, [1], refused)).toEqual({ kind: "progress" });
    expect(tally.itemErrors.map((e) => [e.code, e.index, e.message])).toEqual([
      ["AMORSIZE_ITEM_NOT_CLONEABLE", 3, "Item 3 cannot be sent to a worker: () => 1 could not be cloned."],
    ]);
    // The job carried only item 4: its one result is item 4's.
    expect(tally.completed(1, answer([16]))).toEqual({ kind: "progress" });
    expect(tally.results.slice(3, 5)).toEqual([undefined, 16]);
    expect([tally.succeeded, tally.failedItems]).toEqual([1, 1]);
    // A chunk none of whose items can travel ends at once.
    expect(tally.sent(2, [], [refused[0]!, { ...refused[0]!, position: 1 }])).toEqual({ kind: "progress" });
    expect(tally.states).toEqual(["pending", "completed", "completed"]);
    expect(tally.sent(0, [0, 1], [])).toEqual({ kind: "ignored" });
    const stop = new RunTally(chunks, 7, precomputed, false).sent(0, [1], refused);
    expect(stop).toMatchObject({ kind: "stop", error: { code: "AMORSIZE_ITEM_NOT_CLONEABLE", index: 0 } });
  });

  it("reports a result that could not travel as the item's CloneError", () => {
    const tally = new RunTally(chunks, 7, precomputed, true);
    const clone = {
      position: 1,
      name: "CloneError",
      message: "x could not be cloned.",
      code: "AMORSIZE_RESULT_NOT_CLONEABLE",
    };
    tally.completed(0, answer([0, undefined], { errors: [clone] }));
    expect(tally.itemErrors.map((e) => [e.name, e.code, e.index])).toEqual([
      ["CloneError", "AMORSIZE_RESULT_NOT_CLONEABLE", 1],
    ]);
  });

  it("counts progress: precomputed items done from the start, failed chunks' items as failed", () => {
    const tally = new RunTally(chunks, 7, precomputed, true);
    expect(tally.progress(0)).toEqual({ done: 1, total: 7, failed: 0, elapsedMs: 0, etaMs: 0 });
    tally.completed(0, answer([0, 1]));
    tally.failed(1, "module not found");
    expect(tally.progress(50)).toEqual({ done: 5, total: 7, failed: 2, elapsedMs: 50, etaMs: 20 });
  });
});
