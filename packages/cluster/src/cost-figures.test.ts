import { describe, expect, it } from "@jest/globals";
import { costFigures, figure, hostsFromKeys, median } from "./cost-figures.js";

describe("median and figure", () => {
  it("takes the middle value, or the mean of the two middle ones", () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it("gives the median with its sample count and median absolute deviation", () => {
    // Deviations from 3: 2, 1, 0, 1, 7 -> median 1.
    expect(figure([1, 2, 3, 4, 10])).toEqual({ value: 3, samples: 5, spread: 1 });
  });
});

describe("hostsFromKeys", () => {
  it("reads each host's id and concurrency, sorted by key, skipping keys that expired", () => {
    const pattern = "bull:q:amorsize:host:*";
    expect(
      hostsFromKeys(pattern, [
        ["bull:q:amorsize:host:b:20", '{"concurrency":4}'],
        ["bull:q:amorsize:host:gone:1", null],
        ["bull:q:amorsize:host:a:10", '{"concurrency":2}'],
      ]),
    ).toEqual([
      { id: "a:10", concurrency: 2 },
      { id: "b:20", concurrency: 4 },
    ]);
  });

  it("reads the job item limit a host states, and ignores one that is not a positive integer", () => {
    const pattern = "bull:q:amorsize:host:*";
    expect(
      hostsFromKeys(pattern, [
        ["bull:q:amorsize:host:a:1", '{"concurrency":2,"maxJobBytes":16777216,"maxJobItems":100000}'],
        ["bull:q:amorsize:host:b:2", '{"concurrency":2,"maxJobItems":"lots"}'],
      ]),
    ).toEqual([
      { id: "a:1", concurrency: 2, maxJobItems: 100_000 },
      { id: "b:2", concurrency: 2 },
    ]);
  });
});

describe("costFigures", () => {
  it("derives the round trip, per-job and per-byte figures from the timings", () => {
    const figures = costFigures({
      empty: [2, 1.5, 2.5],
      // 1 MB payload: 3 ms over the 2 ms round trip spread over 2 MB -> 1.5 ns per byte.
      full: [5, 6, 4, 1],
      perJob: [0.5, 0.75, 0.625],
      command: [0.25, 0.5, 0.375],
      payloadBytes: 1_000_000,
    });
    expect(figures.roundTrip).toEqual({ value: 2, samples: 3, spread: 0.5 });
    expect(figures.command).toEqual({ value: 0.375, samples: 3, spread: 0.125 });
    expect(figures.perChunk).toEqual({ value: 0.625, samples: 3, spread: 0.125 });
    // Per payload: 1.5, 2, 1 and (faster than the round trip) 0 ns; median 1.25, deviations 0.25, 0.75, 0.25, 1.25.
    expect(figures.perByte).toEqual({ value: 1.25, samples: 4, spread: 0.5 });
  });
});
