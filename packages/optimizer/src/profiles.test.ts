import { describe, expect, it } from "@jest/globals";
import { workload } from "../test/profiles.js";
import { payloadKind } from "./payload.js";
import {
  BLEND,
  blendScale,
  CONTENTION_MIN_FACTOR,
  CONTENTION_RECHECK_MAX_RUNS,
  CONTENTION_RECHECK_RUNS,
  CONTRADICTING_RUN_MS,
  CONTRADICTING_RUNS,
  CONTRADICTION_RATIO,
  contradicts,
  DECISIVE_RUN_MS,
  itemMedian,
  lostToSerial,
  MAX_PENDING_RUNS,
  MAX_RUN_RATIO,
  PARALLEL_LOSS_RATIO,
  type RunFigures,
  runContradicts,
  SHORT_RUN_MS,
  TaskProfiles,
} from "./profiles.js";

describe("blendScale(): how far one run moves a task's item time", () => {
  it("a long run moves it nearly half way to what it measured", () => {
    // 50 items of 2 ms against a profile of 1 ms: expected 50 ms of work.
    expect(blendScale(1, 2, 50)).toBeCloseTo(1 + BLEND * (50 / 55), 12);
    expect(blendScale(1, 1.5, 50)).toBeCloseTo(1 + 0.5 * BLEND * (50 / 55), 12);
    expect(blendScale(1, 1, 50)).toBe(1);
  });

  it("a short run moves it a little: ten items of 50 us weigh a tenth of what a long run does", () => {
    const weight = (BLEND * 0.5) / (0.5 + SHORT_RUN_MS);
    expect(weight).toBeCloseTo(0.04545, 5);
    expect(blendScale(0.05, 0.06, 0.5)).toBeCloseTo(1 + weight * 0.2, 12);
  });

  it("one run moves it at most toward twice or half of it, however far off it measured", () => {
    const weight = (BLEND * 0.5) / (0.5 + SHORT_RUN_MS);
    // A preempted run of ten 50 us items that read 1.27 ms an item.
    expect(blendScale(0.05, 1.27, 0.5)).toBeCloseTo(1 + weight * (MAX_RUN_RATIO - 1), 12);
    expect(blendScale(1, 0.01, 50)).toBeCloseTo(1 - BLEND * (50 / 55) * (1 - 1 / MAX_RUN_RATIO), 12);
  });
});

describe("TaskProfiles: a sample cut off waiting for items", () => {
  it("makes no profile (its figures are a lower bound): the next call samples again", () => {
    const profiles = new TaskProfiles(4);
    const cut = { ...workload(10, 85), inputKind: payloadKind(1), cutOff: { items: 1, ms: 850 } };
    expect(profiles.sampled("t", cut)).toBeNull();
    const { cutOff: _, ...whole } = cut;
    expect(profiles.sampled("t", whole)).not.toBeNull();
  });
});

describe("TaskProfiles: runs taken in together", () => {
  // A profile of 50 us items, sampled on 10 items: calls of ten items are planned from it.
  const learned = () => {
    const profiles = new TaskProfiles(4);
    const sample = { ...workload(10, 0.05), inputKind: payloadKind(1) };
    const profile = profiles.sampled("t", sample)!;
    return { profiles, profile };
  };
  const run = (itemMs: number) => ({
    mode: "serial" as const,
    busyMs: 10 * itemMs,
    ran: 10,
  });

  it("moves the item time once the runs add up to a short run's time, toward their median", () => {
    const { profiles, profile } = learned();
    const before = profile.workload;
    // Nine runs of ten items (4.5 ms expected): the figure stays where it was.
    for (let k = 0; k < 8; k++) profiles.learn(profile, run(0.06), null);
    profiles.learn(profile, run(1.27), null);
    expect(profile.workload).toBe(before);
    expect(profile.runs).toBe(0);
    // The tenth makes 5 ms: one move toward the median run (0.06; the preempted 1.27 is left
    // out), weighed as one 5 ms run.
    profiles.learn(profile, run(0.06), 0.1);
    const weight = (BLEND * 5) / (5 + SHORT_RUN_MS);
    expect(weight).toBe(0.25);
    expect(profile.workload.itemTimeMs.mean).toBeCloseTo(0.05 * (1 + weight * 0.2), 12);
    expect(profile.runs).toBe(10);
    expect(profile.pending).toEqual({ runs: [], ran: 0 });
    expect(profile.lastError).toBe(0.1);
  });

  it("moves it after MAX_PENDING_RUNS runs, however short", () => {
    const { profiles, profile } = learned();
    // Items of 10 us, a fifth of the profile's (a tenth would contradict it: see below).
    const tiny = { mode: "serial" as const, busyMs: 0.01, ran: 1 };
    for (let k = 0; k < MAX_PENDING_RUNS - 1; k++) profiles.learn(profile, tiny, null);
    expect(profile.runs).toBe(0);
    profiles.learn(profile, tiny, null);
    expect(profile.runs).toBe(MAX_PENDING_RUNS);
    // 64 items expected at 3.2 ms: toward 10 us an item, at most to half of the figure.
    const weight = (BLEND * 3.2) / (3.2 + SHORT_RUN_MS);
    expect(profile.workload.itemTimeMs.mean).toBeCloseTo(0.05 * (1 - weight / MAX_RUN_RATIO), 12);
  });

  it("is contradicted by short runs that read ten times slower together, five or more over 5 ms", () => {
    // A profile of 35 ns items (a plan-cache entry for numbers asking for less work) while
    // each call's ten items take 0.5 ms: no one run is long enough to contradict it.
    const profiles = new TaskProfiles(4);
    const profile = profiles.sampled("t", { ...workload(10, 0.000035), inputKind: payloadKind(1) })!;
    expect(CONTRADICTING_RUNS).toBe(5);
    const verdicts = Array.from({ length: 10 }, () => profiles.learn(profile, run(0.05), null));
    // 5 ms measured at the tenth run: contradicted then, and nothing moved before.
    expect(verdicts).toEqual([...Array<null>(9).fill(null), "contradicted"]);
    expect(profile.workload.itemTimeMs.mean).toBe(0.000035);
    // Four runs long enough together are not enough (two of them may have been preempted); a fifth is.
    const few = profiles.sampled("u", { ...workload(10, 0.01), inputKind: payloadKind(1) })!;
    for (let k = 0; k < 4; k++) expect(profiles.learn(few, run(0.3), null)).toBeNull();
    expect(profiles.learn(few, run(0.3), null)).toBe("contradicted");
    // One preempted run among short ones on time is not their median.
    const once = profiles.sampled("v", { ...workload(10, 0.05), inputKind: payloadKind(1) })!;
    expect(profiles.learn(once, run(2), null)).toBeNull();
    for (let k = 0; k < 8; k++) expect(profiles.learn(once, run(0.05), null)).toBeNull();
    // Nor one large run paused among small ones on time, though it holds most of their items.
    const large = profiles.sampled("w", { ...workload(10, 0.05), inputKind: payloadKind(1) })!;
    for (let k = 0; k < 4; k++) profiles.learn(large, { mode: "serial", busyMs: 0.1, ran: 2 }, null);
    expect(profiles.learn(large, { mode: "serial", busyMs: 11, ran: 20 }, null)).toBeNull();
    // Nor one run ten times slow that fills the blending window alone (100 items of 0.1 ms
    // in 110 ms): a suspect run, which needs a second in a row.
    const alone = profiles.sampled("x", { ...workload(100, 0.1), inputKind: payloadKind(1) })!;
    expect(profiles.learn(alone, { mode: "serial", busyMs: 110, ran: 100 }, null)).toBeNull();
  });

  it("is contradicted by short runs whose median reads a tenth of the profile or less when they are blended", () => {
    const { profiles, profile } = learned();
    // Ten runs of ten 5 us items against 50 us: 5 ms expected, blended at the tenth.
    const verdicts = Array.from({ length: 10 }, () => profiles.learn(profile, run(0.005), null));
    expect(verdicts).toEqual([...Array<null>(9).fill(null), "contradicted"]);
    expect(profile.workload.itemTimeMs.mean).toBe(0.05);
  });

  it("moves it toward the median item over the runs' items: a long run outweighs short ones", () => {
    expect(
      itemMedian([
        { itemMs: 0.06, ran: 10 },
        { itemMs: 1.27, ran: 10 },
        { itemMs: 0.05, ran: 10 },
      ]),
    ).toBe(0.06);
    expect(
      itemMedian([
        { itemMs: 0.06, ran: 10 },
        { itemMs: 0.04, ran: 10 },
        { itemMs: 0.08, ran: 200 },
      ]),
    ).toBe(0.08);
    expect(itemMedian([{ itemMs: 0.5, ran: 1 }])).toBe(0.5);
    const { profiles, profile } = learned();
    profiles.learn(profile, run(0.06), null);
    profiles.learn(profile, run(0.04), null);
    // 200 items of 80 us: 10 ms expected with the two pending, one move toward 80 us.
    profiles.learn(profile, { mode: "serial", busyMs: 16, ran: 200 }, null);
    const weight = (BLEND * 11) / (11 + SHORT_RUN_MS);
    expect(profile.workload.itemTimeMs.mean).toBeCloseTo(0.05 * (1 + weight * 0.6), 12);
    expect(profile.runs).toBe(3);
  });

  it("gives the same learned figures while the profile and the count are the same", () => {
    const { profiles, profile } = learned();
    const first = profiles.known("t", [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 10)!;
    expect(first.workload).toMatchObject({ totalItems: 10, sampleWallMs: 0, indices: [] });
    expect(profiles.known("t", [2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 10)!.workload).toBe(first.workload);
    expect(profiles.known("t", [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 11)!.workload.totalItems).toBe(11);
    for (let k = 0; k < 10; k++) profiles.learn(profile, run(0.06), null);
    const after = profiles.known("t", [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 10)!.workload;
    expect(after).not.toBe(first.workload);
    expect(after.itemTimeMs.mean).toBe(profile.workload.itemTimeMs.mean);
  });
});

describe("TaskProfiles: what items take in workers computing at once", () => {
  // A profile of 0.5 ms items (a Markdown renderer's), sampled on 400 items.
  const learned = () => {
    const profiles = new TaskProfiles(4);
    const profile = profiles.sampled("t", { ...workload(400, 0.5), inputKind: payloadKind("doc") })!;
    return { profiles, profile };
  };
  const parallel = (itemMs: number, extra: Partial<RunFigures> = {}): RunFigures => ({
    mode: "parallel",
    busyMs: 400 * itemMs,
    ran: 400,
    workers: 2,
    freshWorkers: false,
    ...extra,
  });
  // 400 items expected at 200 ms: one long run's weight.
  const weight = (BLEND * 200) / (200 + SHORT_RUN_MS);

  it("learns the slowdown from warm workers' runs, and leaves the item time (a loop's) where it was", () => {
    const { profiles, profile } = learned();
    profiles.learn(profile, parallel(0.9), null);
    expect(profile.workload.itemTimeMs.mean).toBe(0.5);
    expect(profile.workload.contention).toEqual({ factor: 1 + weight * 0.8, threads: 2, runs: 1 });
    expect(profile.runs).toBe(1);
    // The next run moves it from there, toward what the workers measured.
    profiles.learn(profile, parallel(0.9), null);
    const factor = 1 + weight * 0.8;
    const w2 = (BLEND * 200 * factor) / (200 * factor + SHORT_RUN_MS);
    expect(profile.workload.contention?.factor).toBeCloseTo(
      factor * (1 + w2 * (0.9 / (0.5 * factor) - 1)),
      12,
    );
    expect(profile.workload.contention?.runs).toBe(2);
  });

  it("leaves out the workers' waits for a core, and runs on fresh workers (their warm-up is in them)", () => {
    const { profiles, profile } = learned();
    profiles.learn(profile, parallel(0.9, { freshWorkers: true }), null);
    expect(profile.workload.contention).toBeUndefined();
    expect(profile.runs).toBe(0);
    // 0.9 ms an item busy, of which 0.4 waiting for a core: the items took 0.5 ms, as sampled.
    profiles.learn(profile, parallel(0.9, { queuedMs: 400 * 0.4 }), null);
    expect(profile.workload.contention).toBeUndefined();
    expect(profile.workload.itemTimeMs.mean).toBeCloseTo(0.5, 12);
    expect(profile.runs).toBe(1);
  });

  it("takes workers faster than the sample as a slow sample: the item time moves down, no slowdown", () => {
    const { profiles, profile } = learned();
    profiles.learn(profile, parallel(0.9), null);
    expect(profile.workload.contention).toBeDefined();
    // Items far faster in workers than even the sample said: the slowdown goes, the item time falls.
    for (let k = 0; k < 3; k++) profiles.learn(profile, parallel(0.2), null);
    expect(profile.workload.contention).toBeUndefined();
    expect(profile.workload.itemTimeMs.mean).toBeLessThan(0.5);
  });

  it("keeps the workers' item time when a loop's run moves the item time, and across a new sample", () => {
    const { profiles, profile } = learned();
    profiles.learn(profile, parallel(0.9), null);
    const workerMs = 0.5 * profile.workload.contention!.factor;
    // A serial run reads items slower than sampled: the item time rises, the slowdown falls with it.
    profiles.learn(profile, { mode: "serial", busyMs: 400 * 0.6, ran: 400 }, null);
    expect(profile.workload.itemTimeMs.mean).toBeCloseTo(0.5 * (1 + weight * 0.2), 12);
    expect(profile.workload.itemTimeMs.mean * profile.workload.contention!.factor).toBeCloseTo(workerMs, 12);
    // A serial run slower than the workers measured: no slowdown left.
    for (let k = 0; k < 4; k++)
      profiles.learn(profile, { mode: "serial", busyMs: 400 * 1.2, ran: 400 }, null);
    expect(profile.workload.contention).toBeUndefined();
    // Sampled again (other data): the task's slowdown stays with its profile.
    const again = learned();
    again.profiles.learn(again.profile, parallel(0.9), null);
    const resampled = again.profiles.sampled("t", { ...workload(100, 0.4), inputKind: payloadKind("doc") })!;
    expect(resampled.workload.contention).toEqual(again.profile.workload.contention);
    expect(resampled.workload.itemTimeMs.mean).toBe(0.4);
  });
});

describe("TaskProfiles: how closely runs know the mean item time", () => {
  // A first sample of a few items read its mean to ±27% (cv 0.1 between the items).
  const sampled = () => {
    const profiles = new TaskProfiles(4);
    const base = workload(400, 0.5);
    const profile = profiles.sampled("t", {
      ...base,
      itemTimeMs: { ...base.itemTimeMs, cv: 0.1 },
      spread: { relativeError: 0.272, maxOverMean: 1.2, trend: 0.05 },
      inputKind: payloadKind("doc"),
    })!;
    return { profiles, profile };
  };

  it("a loop's runs over 400 items at the profile's time: known to cv / sqrt(400); the tail and trend stay", () => {
    const { profiles, profile } = sampled();
    profiles.learn(profile, { mode: "serial", busyMs: 400 * 0.5, ran: 400 }, null);
    expect(profile.workload.spread).toEqual({ relativeError: 0.1 / 20, maxOverMean: 1.2, trend: 0.05 });
  });

  it("runs that read far from the figure leave it as uncertain as they still read it", () => {
    const { profiles, profile } = sampled();
    profiles.learn(profile, { mode: "serial", busyMs: 400 * 0.6, ran: 400 }, null);
    const moved = profile.workload.itemTimeMs.mean;
    expect(moved).toBeGreaterThan(0.5);
    expect(profile.workload.spread?.relativeError).toBeCloseTo((0.6 - moved) / moved, 12);
    // Twice the time: further off than the sample said; the sample's figure stays.
    const other = sampled();
    other.profiles.learn(other.profile, { mode: "serial", busyMs: 400 * 1.0, ran: 400 }, null);
    expect(other.profile.workload.spread?.relativeError).toBe(0.272);
  });

  it("warm workers' runs know it too, in their own time", () => {
    const { profiles, profile } = sampled();
    const run: RunFigures = {
      mode: "parallel",
      busyMs: 400 * 0.5,
      ran: 400,
      workers: 2,
      freshWorkers: false,
    };
    profiles.learn(profile, run, null);
    expect(profile.workload.spread?.relativeError).toBeCloseTo(0.1 / 20, 12);
  });
});

describe("TaskProfiles: a workers' slowdown that loop runs do not measure ages", () => {
  // A 0.5 ms task whose workers read 2.33 times slower once (other processes loaded the
  // machine then): every plan after that was serial, and serial runs never measure workers.
  const slowed = () => {
    const profiles = new TaskProfiles(4);
    const profile = profiles.sampled("t", { ...workload(400, 0.5), inputKind: payloadKind("doc") })!;
    profile.workload = { ...profile.workload, contention: { factor: 2.33, threads: 2, runs: 2 } };
    return { profiles, profile };
  };
  // A loop's run at the profile's own item time: it moves nothing but the count.
  const loop: RunFigures = { mode: "serial", busyMs: 400 * 0.5, ran: 400 };

  it("halves the slowdown's excess after CONTENTION_RECHECK_RUNS loop runs, then after twice as many each time", () => {
    const { profiles, profile } = slowed();
    for (let k = 1; k < CONTENTION_RECHECK_RUNS; k++) profiles.learn(profile, loop, null);
    expect(profile.workload.contention?.factor).toBeCloseTo(2.33, 12);
    profiles.learn(profile, loop, null);
    expect(profile.workload.contention?.factor).toBeCloseTo(1 + 1.33 / 2, 12);
    expect(profile.workload.contention?.runs).toBe(2);
    expect(profile.workload.itemTimeMs.mean).toBeCloseTo(0.5, 12);
    // The next halving waits twice as many runs.
    for (let k = 1; k < 2 * CONTENTION_RECHECK_RUNS; k++) profiles.learn(profile, loop, null);
    expect(profile.workload.contention?.factor).toBeCloseTo(1 + 1.33 / 2, 12);
    profiles.learn(profile, loop, null);
    expect(profile.workload.contention?.factor).toBeCloseTo(1 + 1.33 / 4, 12);
    expect(profile.contentionCheck.every).toBe(4 * CONTENTION_RECHECK_RUNS);
  });

  it("drops it below CONTENTION_MIN_FACTOR, waiting at most CONTENTION_RECHECK_MAX_RUNS runs, and counts from the start after", () => {
    const { profiles, profile } = slowed();
    let runs = 0;
    const halvings: number[] = [];
    while (profile.workload.contention !== undefined && runs < 10_000) {
      const before = profile.workload.contention.factor;
      profiles.learn(profile, loop, null);
      runs++;
      if (profile.workload.contention?.factor !== before) halvings.push(runs);
    }
    // An excess of 1.33 halved four times (0.083) is kept, a fifth time (0.042) dropped.
    expect(halvings).toHaveLength(5);
    expect(1 + 1.33 / 16).toBeGreaterThanOrEqual(CONTENTION_MIN_FACTOR);
    expect(runs).toBe(4 + 8 + 16 + 32 + CONTENTION_RECHECK_MAX_RUNS);
    // Dropped: a slowdown learned again later ages from the first count.
    expect(profile.contentionCheck).toEqual({ serialRuns: 0, every: CONTENTION_RECHECK_RUNS });
    expect(profile.workload.itemTimeMs.mean).toBeCloseTo(0.5, 12);
  });

  it("counts again from the start when workers measure it: lower, at the first count; confirmed, at the doubled one", () => {
    const { profiles, profile } = slowed();
    for (let k = 0; k < CONTENTION_RECHECK_RUNS; k++) profiles.learn(profile, loop, null);
    expect(profile.contentionCheck.every).toBe(2 * CONTENTION_RECHECK_RUNS);
    // Warm workers read the items at the halved figure's time or slower: confirmed, the count stays doubled.
    const parallel = (itemMs: number): RunFigures => ({
      mode: "parallel",
      busyMs: 400 * itemMs,
      ran: 400,
      workers: 2,
      freshWorkers: false,
    });
    profiles.learn(profile, loop, null);
    profiles.learn(profile, parallel(0.5 * 2.33), null);
    expect(profile.contentionCheck).toEqual({ serialRuns: 0, every: 2 * CONTENTION_RECHECK_RUNS });
    // Workers as fast as a loop: the load went; the next aging comes after the first count.
    profiles.learn(profile, parallel(0.5), null);
    expect(profile.contentionCheck).toEqual({ serialRuns: 0, every: CONTENTION_RECHECK_RUNS });
  });

  it("leaves a profile without a slowdown alone", () => {
    const profiles = new TaskProfiles(4);
    const profile = profiles.sampled("t", { ...workload(400, 0.5), inputKind: payloadKind("doc") })!;
    for (let k = 0; k < 3 * CONTENTION_RECHECK_RUNS; k++) profiles.learn(profile, loop, null);
    expect(profile.workload.contention).toBeUndefined();
    expect(profile.contentionCheck).toEqual({ serialRuns: 0, every: CONTENTION_RECHECK_RUNS });
  });
});

describe("TaskProfiles: a workers' slowdown holds in the load band it was measured in", () => {
  const sampled = () => {
    const profiles = new TaskProfiles(4);
    const profile = profiles.sampled("t", { ...workload(400, 0.5), inputKind: payloadKind("doc") })!;
    return { profiles, profile };
  };
  const loop = (loadPerCore?: number): RunFigures => ({
    mode: "serial",
    busyMs: 400 * 0.5,
    ran: 400,
    ...(loadPerCore === undefined ? {} : { loadPerCore }),
  });

  it("records the load of the parallel run that measured it", () => {
    const { profiles, profile } = sampled();
    profiles.learn(
      profile,
      { mode: "parallel", busyMs: 400 * 0.9, ran: 400, workers: 2, freshWorkers: false, loadPerCore: 1.2 },
      null,
    );
    expect(profile.workload.contention?.loadPerCore).toBe(1.2);
    expect(profile.workload.contention?.factor).toBeGreaterThan(1);
  });

  it("drops one measured beside other processes' work once a run sees the machine quiet, and keeps it in the same band", () => {
    const { profiles, profile } = sampled();
    profile.workload = {
      ...profile.workload,
      contention: { factor: 2.33, threads: 2, runs: 2, loadPerCore: 1.2 },
    };
    // Between the bands (0.5 and 1): kept.
    profiles.learn(profile, loop(0.7), null);
    expect(profile.workload.contention?.factor).toBeCloseTo(2.33, 12);
    // Busy still: kept.
    profiles.learn(profile, loop(1.6), null);
    expect(profile.workload.contention?.factor).toBeCloseTo(2.33, 12);
    // Quiet: dropped, the item time untouched.
    profiles.learn(profile, loop(0.1), null);
    expect(profile.workload.contention).toBeUndefined();
    expect(profile.workload.itemTimeMs.mean).toBeCloseTo(0.5, 12);
  });

  it("drops one recorded without its load once a run tells the load, and keeps it while none does", () => {
    const { profiles, profile } = sampled();
    profile.workload = { ...profile.workload, contention: { factor: 2.33, threads: 2, runs: 2 } };
    profiles.learn(profile, loop(), null);
    expect(profile.workload.contention?.factor).toBeCloseTo(2.33, 12);
    profiles.learn(profile, loop(0.1), null);
    expect(profile.workload.contention).toBeUndefined();
  });
});

describe("TaskProfiles: what a run in the calling thread says", () => {
  const learned = () => {
    const profiles = new TaskProfiles(4);
    const profile = profiles.sampled("t", { ...workload(56, 10), inputKind: payloadKind("src") })!;
    return { profiles, profile };
  };

  it("learns nothing from a serial run whose thread did other work beside its items", () => {
    // Another call in flight, or a stream's consumer running while an async item is awaited:
    // the run's busy time holds that work too.
    const { profiles, profile } = learned();
    for (let k = 0; k < 4; k++) {
      profiles.learn(profile, { mode: "serial", busyMs: 56 * 30, ran: 56, sharedThread: true }, null);
    }
    expect(profile.workload.itemTimeMs.mean).toBe(10);
    expect(profile.runs).toBe(0);
    profiles.learn(profile, { mode: "serial", busyMs: 56 * 12, ran: 56 }, null);
    expect(profile.workload.itemTimeMs.mean).toBeGreaterThan(10);
  });

  it("is contradicted by a run of 20 ms or more whose items took 10 times the profile's, or a tenth", () => {
    expect([CONTRADICTION_RATIO, CONTRADICTING_RUN_MS, DECISIVE_RUN_MS]).toEqual([10, 20, 200]);
    // Expected 20 ms or more: ten times slower, or a tenth, decides.
    expect(contradicts(2, 200, 10)).toBe("contradicts");
    expect(contradicts(2, 2, 10)).toBe("contradicts");
    expect(contradicts(2, 190, 10)).toBeNull();
    // 100 items learned at 3 us that took 4 ms each: 400 ms, past what a pause explains.
    expect(contradicts(0.003, 400, 100)).toBe("contradicts");
    // Expected shorter, 20-200 ms ten times slow: a preemption reads so too.
    expect(contradicts(0.2, 20, 10)).toBe("suspect");
    expect(contradicts(0.01, 199, 10)).toBe("suspect");
    // Nine times; a short run preempted to 12.7 ms; a tenth of a run expected under 20 ms.
    expect(contradicts(0.2, 18, 10)).toBeNull();
    expect(contradicts(0.05, 12.7, 10)).toBeNull();
    expect(contradicts(1, 1, 10)).toBeNull();
  });

  it("says a contradicting serial run so, and moves nothing with it; a suspect one only when two come in a row", () => {
    const { profiles, profile } = learned();
    const before = profile.workload;
    expect(profiles.learn(profile, { mode: "serial", busyMs: 56 * 100, ran: 56 }, 9)).toBe("contradicted");
    expect(profile.workload).toBe(before);
    expect(profile.lastError).toBe(9);
    // A profile of 10 us items: 56 items that read 0.5 ms each (28 ms) are suspect.
    const short = new TaskProfiles(4);
    const fine = short.sampled("f", { ...workload(56, 0.01), inputKind: payloadKind(1) })!;
    const suspect = { mode: "serial" as const, busyMs: 28, ran: 56 };
    expect(short.learn(fine, suspect, null)).toBeNull();
    expect(short.learn(fine, { mode: "serial", busyMs: 0.56, ran: 56 }, null)).toBeNull();
    expect(short.learn(fine, suspect, null)).toBeNull();
    expect(short.learn(fine, suspect, null)).toBe("contradicted");
  });

  it("learns nothing from a run a session's warm-up ran beside, in the calling thread or on the workers", () => {
    const profiles = new TaskProfiles(4);
    const profile = profiles.sampled("w", { ...workload(400, 0.5), inputKind: payloadKind("doc") })!;
    const before = profile.workload;
    profiles.learn(profile, { mode: "serial", busyMs: 400 * 0.9, ran: 400, besideWarm: true }, 0.8);
    profiles.learn(
      profile,
      { mode: "parallel", busyMs: 400 * 0.9, ran: 400, workers: 2, freshWorkers: false, besideWarm: true },
      0.8,
    );
    expect(profile.workload).toBe(before);
    expect(profile.runs).toBe(0);
    // Its prediction error is told all the same.
    expect(profile.lastError).toBe(0.8);
  });

  it("learns nothing of one item's time from a concurrent run, whose items overlap", () => {
    const { profiles, profile } = learned();
    profiles.learn(profile, { mode: "concurrent", busyMs: 5, ran: 56 }, 0.2);
    expect(profile.workload.itemTimeMs.mean).toBe(10);
    expect(profile.runs).toBe(0);
    expect(profile.lastError).toBe(0.2);
  });
});

describe("runContradicts(): one run against the figures it was planned from", () => {
  const run = (
    measuredWallMs: number,
    predictedWallMs: number,
    predictedSerialMs: number,
    parallel = true,
  ) => ({
    measuredWallMs,
    predictedWallMs,
    predictedSerialMs,
    parallel,
  });

  it("a parallel run that took twice its prediction and longer than the figures' own loop lost to serial", () => {
    expect(PARALLEL_LOSS_RATIO).toBe(2);
    // The compressor's cached figures: 95 ms predicted on two workers, 160 ms for a loop; 352 ms ran.
    expect(lostToSerial(95, 160, 352)).toBe(true);
    expect(runContradicts(run(352, 95, 160))).toBe(true);
    // At twice the prediction, and just past the loop's time.
    expect(lostToSerial(100, 199, 200)).toBe(true);
  });

  it("a parallel run that still beat the figures' loop, or took under twice its prediction, or under 20 ms, does not", () => {
    // Slow against its prediction, but faster than the loop the figures predict.
    expect(lostToSerial(95, 400, 352)).toBe(false);
    // Slower than the loop, but within twice the prediction (the plan was a close call).
    expect(lostToSerial(100, 150, 199)).toBe(false);
    // A short run preempted: 19 ms against 5 predicted and 8 for a loop.
    expect(lostToSerial(5, 8, 19)).toBe(false);
    expect(runContradicts(run(19, 5, 8))).toBe(false);
  });

  it("a serial run is judged by the tenfold rule only; tenfold contradicts either mode", () => {
    expect(runContradicts(run(352, 95, 95, false))).toBe(false);
    expect(runContradicts(run(950, 95, 95, false))).toBe(true);
    expect(runContradicts(run(950, 95, 2000))).toBe(true);
    expect(runContradicts(run(9, 95, 160))).toBe(true);
    // No prediction to read against.
    expect(runContradicts(run(352, 0, 160))).toBe(false);
  });
});
