import { describe, expect, it } from "@jest/globals";
import { BENCH_PLANS, runBench } from "../src/bench.js";
import { STRATEGIES } from "../src/strategies.js";
import { fakeAmorsize } from "./fixtures/fake-amorsize.js";

const plan = { ...BENCH_PLANS.quick, repetitions: 1 };
// A fixed hash-loop speed: the harness is under test, not the machine. Calibrating under
// Jest took seconds (its vm makes the loop about 40x slower) and made every item lighter anyway.
const itersPerUs = 1;

describe("runBench with a stand-in for the Amorsize packages", () => {
  it("fills every workload x strategy cell and checks the targets", async () => {
    const api = fakeAmorsize();
    const lines: string[] = [];
    const results = await runBench({
      plan,
      only: ["few-very-heavy", "io-bound"],
      api,
      itersPerUs,
      log: (l) => lines.push(l),
    });

    expect(results.complete).toBe(true);
    expect(results.missing).toEqual([]);
    expect(results.workloads.map((w) => w.name)).toEqual(["few-very-heavy", "io-bound"]);
    for (const w of results.workloads) {
      for (const s of STRATEGIES) {
        expect(w.strategies[s].errors).toEqual([]);
        expect(w.strategies[s].samplesMs).toHaveLength(1);
        expect(w.strategies[s].medianMs).toBeGreaterThan(0);
      }
      expect(w.strategies.oracle.ratioToOracle).toBe(1);
      // workers 1..4 (2 x the fake's 2 cores) x the chunk grid for 3 and 24 items.
      expect(w.oracle.sweep.length).toBe(w.name === "few-very-heavy" ? 6 : 13);
      expect(w.amorsize.plans).toEqual([
        { plan: `2 workers x ${w.items === 3 ? 1 : 3} per chunk`, repetitions: 1 },
      ]);
      expect(w.amorsize.predictedSpeedup).toBe(2);
      // Sampling and planning, less the items run while the probe ran: 2 - 1 + 0.5.
      expect(w.amorsize.optimizerMs).toBe(1.5);
      // The stand-in predicts 14 ms end to end and spends 4 ms before its run, 1 ms of it
      // running items while a probe ran: 3 ms deciding; one repetition.
      const [measured] = w.strategies.amorsize.samplesMs;
      expect(w.amorsize.timeError).toBeCloseTo(Math.abs(14 - measured!) / measured!, 10);
      expect(w.amorsize.decidingMs).toBe(3);
      expect(w.amorsize.decidingShareOfSerial).toBeCloseTo(3 / w.strategies.serial.medianMs!, 10);
      expect(w.moduleLoadMs).toBeGreaterThan(0);
      // The oracle is the fastest of serial and the sweep's best, and says which it is.
      const best = w.oracle.best!;
      const serialWon = best.mode === "serial";
      expect(w.strategies.oracle.config).toBe(
        serialWon
          ? "serial"
          : `${best.workers} worker${best.workers === 1 ? "" : "s"} x ${best.chunkSize} per chunk`,
      );
      expect(w.strategies.oracle.medianMs).toBeLessThanOrEqual(w.strategies.serial.medianMs!);
    }
    expect(results.targets.map((t) => t.id)).toEqual([
      "oracle-each",
      "oracle-median",
      "no-negative-scaling",
      "prediction-worst",
      "prediction-median",
      "deciding-long",
      "deciding-short",
      "fine-grained-vs-naive",
    ]);
    expect(api.calls.slice(0, 2)).toEqual(["probeHardware", "measureSpawnCost"]);
    expect(lines[0]).toMatch(/^bench: quick run, 2 usable cores/);
  });

  it("counts a run that returns wrong results as a failure, not a time", async () => {
    const results = await runBench({
      plan,
      only: ["io-bound"],
      api: fakeAmorsize({ corrupt: true }),
      itersPerUs,
      log: () => {},
    });
    const w = results.workloads[0]!;
    expect(w.strategies.serial.medianMs).toBeGreaterThan(0);
    expect(w.strategies["naive-pool"].medianMs).toBeGreaterThan(0);
    expect(w.strategies.joblib.medianMs).toBeGreaterThan(0);
    expect(w.strategies["pool-map"]).toMatchObject({
      medianMs: null,
      errors: ["pool-map returned wrong results"],
    });
    expect(w.strategies.amorsize).toMatchObject({
      medianMs: null,
      errors: ["amorsize returned wrong results"],
    });
    expect(w.oracle.sweep.every((p) => p.ms === null && /wrong results/.test(p.note ?? ""))).toBe(true);
    // Every parallel configuration failed: the oracle is the plain loop, a candidate like any other.
    expect(w.oracle.best).toEqual({ mode: "serial" });
    expect(w.strategies.oracle).toMatchObject({ config: "serial", medianMs: w.strategies.serial.medianMs });
    expect(results.complete).toBe(false);
    expect(results.missing).toEqual([
      "io-bound/pool-map",
      "io-bound/amorsize",
      "io-bound/amorsize.predictedSpeedup",
      "io-bound/amorsize.optimizerMs",
      "io-bound/amorsize.timeError",
    ]);
  });
});
