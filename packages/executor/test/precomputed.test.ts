import type { ExecutionReport, Progress } from "@amorsize/types";
import { afterAll, describe, expect, it } from "@jest/globals";
import type { Executor } from "../src/index.js";
import { closeAll, closeShared, range, shared, task, track } from "./helpers.js";

afterAll(closeAll);
afterAll(closeShared);

// Items 0..11. The task fails for 5 and 10 (multiples of five); 5 is precomputed, so
// only 10 runs and fails. Collected: 7 succeeded, 1 failed, 4 precomputed.
const ITEMS = 12;
const precomputed = new Map<number, unknown>([
  [0, "zero"],
  [5, "five"],
  [6, "six"],
  [11, "eleven"],
]);
const expectedCounts = { items: 12, succeeded: 7, failed: 1, precomputed: 4 };
const expectedValue = (index: number) => precomputed.get(index) ?? index * 2;

function sources(): Array<[string, () => Iterable<number> | AsyncIterable<number>]> {
  return [
    ["an array", () => range(ITEMS)],
    [
      "a generator",
      function* () {
        yield* range(ITEMS);
      },
    ],
    [
      "an async generator",
      async function* () {
        yield* range(ITEMS);
      },
    ],
  ];
}

const executors: Array<[string, () => Executor, string]> = [
  ["serial", () => track({ mode: "serial" }), "failOnMultiplesOfFive"],
  ["serial, concurrency 3", () => track({ mode: "serial", concurrency: 3 }), "rejectOnMultiplesOfFive"],
  ["parallel", () => shared({ workers: 2 }), "failOnMultiplesOfFive"],
];

function counts(report: ExecutionReport) {
  const { items, succeeded, failed, precomputed: placed } = report;
  expect(items).toBe(succeeded + failed + placed);
  return { items, succeeded, failed, precomputed: placed };
}

describe.each(executors)("precomputed items, %s", (_name, create, exportName) => {
  const executor = create();
  const run = task("tasks.mjs", exportName);

  it.each(sources())(
    "map() from %s: placed, counted apart from succeeded, and done in progress",
    async (_source, items) => {
      const seen: Progress[] = [];
      const { results, errors, report } = await executor.map(run, items(), {
        chunkSize: 3,
        onError: "collect",
        precomputed,
        totalItems: ITEMS,
        onProgress: (progress) => seen.push(progress),
      });
      expect(results).toEqual(range(ITEMS).map((i) => (i === 10 ? undefined : expectedValue(i))));
      expect(errors.map((error) => error.index)).toEqual([10]);
      expect(counts(report)).toEqual(expectedCounts);
      expect(seen.at(-1)).toMatchObject({ done: ITEMS, total: ITEMS, failed: 1 });
    },
  );

  it.each(sources())(
    "stream() from %s: yields them, counted apart from succeeded",
    async (_source, items) => {
      const stream = executor.stream(run, items(), { chunkSize: 3, onError: "collect", precomputed });
      const yielded: Array<[number, unknown]> = [];
      for await (const { index, value } of stream) yielded.push([index, value]);
      const expected = range(ITEMS).filter((i) => i !== 10);
      expect(yielded).toEqual(expected.map((i) => [i, expectedValue(i)]));
      expect(counts(stream.report())).toEqual(expectedCounts);
    },
  );

  it("unordered stream(): every item once, same counts", async () => {
    const stream = executor.stream(run, range(ITEMS), {
      chunkSize: 3,
      onError: "collect",
      ordered: false,
      precomputed,
    });
    const indices: number[] = [];
    for await (const { index } of stream) indices.push(index);
    expect(indices.sort((a, b) => a - b)).toEqual(range(ITEMS).filter((i) => i !== 10));
    expect(counts(stream.report())).toEqual(expectedCounts);
  });
});
