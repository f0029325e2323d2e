import { describe, expect, it } from "@jest/globals";
import {
  callersTime,
  perTask,
  renderService,
  type ServiceResults,
  serviceTargets,
  strategyTime,
} from "../src/service.js";

const time = (totalMs: number) => ({ totalMs, firstCallMs: totalMs / 10, medianCallMs: totalMs / 10 });

/** Fixed figures: the targets and the report are pure functions of them. */
function results(overrides: Partial<ServiceResults> = {}): ServiceResults {
  return {
    cores: 2,
    itersPerUs: 100,
    plan: {
      manyMedium: { calls: 30, items: 200, itemUs: 1000 },
      manyTiny: { calls: 200, items: 10, itemUs: 50 },
      concurrent: { callers: 4, calls: 10, items: 200, itemUs: 1000 },
      alternatingPairs: 30,
      memory: { calls: 10_000, modules: 100, items: 4 },
      repetitions: 3,
    },
    manyMedium: {
      loop: time(6000),
      tinypool: time(3100),
      session: time(3200),
      sessionWarm: time(3150),
      execute: time(6100),
    },
    manyTiny: { loop: time(100), session: time(109), sessionWarm: time(112), execute: time(400) },
    concurrent: {
      loop: { totalMs: 8000, firstDoneMs: 7900 },
      tinypool: { totalMs: 4200, firstDoneMs: 4100 },
      session: { totalMs: 4300, firstDoneMs: 3300 },
      sessionRuns: { "parallel x2": 118, serial: 2 },
    },
    alternating: {
      loop: { a: 6000, b: 15 },
      tinypool: { a: 3100, b: 20 },
      session: { a: 3300, b: 16 },
    },
    stream: { mode: "parallel", workers: 2, learned: true, wallMs: 104 },
    memory: {
      calls: 10_000,
      modules: 100,
      heapAfterFirstPassBytes: 20 * 2 ** 20,
      heapAtEndBytes: 21 * 2 ** 20,
      growthBytes: 2 ** 20,
      heapByCalls: [
        { calls: 5_000, bytes: 20.5 * 2 ** 20 },
        { calls: 10_000, bytes: 21 * 2 ** 20 },
      ],
      rssAtEndBytes: 120 * 2 ** 20,
      profiles: 64,
      maxProfiles: 64,
      wallMs: 5000,
    },
    sessionStats: { medium: null, tiny: null, concurrent: null, alternating: null },
    ...overrides,
  };
}

describe("service scenario figures", () => {
  it("sums a strategy's calls, its first call apart", () => {
    expect(strategyTime([50, 10, 12, 11])).toEqual({ totalMs: 83, firstCallMs: 50, medianCallMs: 11 });
    expect(callersTime([410, 395, 430, 402])).toEqual({ totalMs: 430, firstDoneMs: 395 });
    expect(perTask([5, 1, 7, 2])).toEqual({ a: 12, b: 3 });
  });

  it("judges each target on the measured ratio, against the best fixed choice per task", () => {
    const targets = serviceTargets(results());
    expect(targets.map((t) => [t.name, Number(t.ratio.toFixed(3)), t.met])).toEqual([
      ["medium calls: session / warm tinypool", 1.032, true],
      ["medium calls: loop / session", 1.875, true],
      ["medium calls: session warmed before the timing / warm tinypool", 1.016, true],
      ["tiny calls: session / loop", 1.09, true],
      ["tiny calls: session warmed before the timing / loop", 1.12, false],
      ["calls in flight together: session / warm tinypool", 1.024, true],
      // The session's callers finished 1.303x apart, the tinypool's 1.024x: one was starved.
      ["calls in flight together: spread of the callers' finishes, session / warm tinypool", 1.272, false],
      // The best fixed choice for the medium task is the pool (3100), for the fine one the loop (15).
      ["alternating, medium task: session / best fixed", 1.065, true],
      ["alternating, fine task: session / best fixed", 1.067, true],
    ]);
    const slow = serviceTargets(
      results({
        manyTiny: { loop: time(100), session: time(200), sessionWarm: time(100), execute: time(400) },
      }),
    );
    expect(slow.find((t) => t.name.startsWith("tiny"))).toMatchObject({ ratio: 2, met: false });
  });

  it("leaves out the speedup target on one core, where no pool can give it", () => {
    expect(serviceTargets(results({ cores: 1 })).some((t) => t.name.includes("loop / session"))).toBe(false);
  });

  it("reports every figure and every target", () => {
    const text = renderService(results());
    expect(text).toContain("| createAmorsize() session | 3200 ms | 320 ms | 320 ms |");
    expect(text).toContain("| session, warm() before the timing | 3150 ms | 315 ms | 315 ms |");
    expect(text).toContain("| tiny calls: session warmed before the timing / loop | 1.120 | <= 1.1 | no |");
    expect(text).toContain("profiles held 64 of at most 64");
    expect(text).toContain("Heap after a full collection, by calls: 5000: 20.5 MiB, 10000: 21.0 MiB.");
    expect(text).toContain("| tiny calls: session / loop | 1.090 | <= 1.1 | yes |");
    expect(text).toContain("## 4 callers in flight together, each making 10 successive calls of 200 items");
    expect(text).toContain("| session | 4300 ms | 3300 ms | 1.303 |");
    expect(text).toContain("The session's runs over every repetition: parallel x2 118, serial 2.");
    expect(text).toContain(
      "Planned from the profile (nothing sampled); ran parallel on 2 workers in 104 ms (the medium calls' median later call: session 320 ms, warm tinypool 310 ms).",
    );
  });
});
