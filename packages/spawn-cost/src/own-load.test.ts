import { describe, expect, it } from "@jest/globals";
import { keptReadings, OWN_LOAD_WINDOW_MS, othersLoadPerCore, ownCores } from "./own-load.js";

describe("ownCores(): this process's CPU, in cores, over the last minute or more", () => {
  it("averages since the process started when no reading is a minute old", () => {
    // 45 s old, 72 s of CPU: 1.6 cores.
    expect(ownCores([], { wallMs: 45_000, cpuMs: 72_000 })).toBeCloseTo(1.6, 12);
    expect(ownCores([{ wallMs: 1_000, cpuMs: 800 }], { wallMs: 45_000, cpuMs: 72_000 })).toBeCloseTo(1.6, 12);
  });

  it("averages from the newest reading at least a minute old", () => {
    const earlier = [
      { wallMs: 10_000, cpuMs: 5_000 },
      { wallMs: 100_000, cpuMs: 30_000 },
      { wallMs: 150_000, cpuMs: 90_000 },
    ];
    // From 100 s (a minute and a half before 190 s): 90 s of CPU over 90 s of wall time.
    expect(ownCores(earlier, { wallMs: 190_000, cpuMs: 120_000 })).toBeCloseTo(1, 12);
    // A window of 30 s: from 150 s, 30 s of CPU over 40 s.
    expect(ownCores(earlier, { wallMs: 190_000, cpuMs: 120_000 }, 30_000)).toBeCloseTo(0.75, 12);
  });

  it("is 0 when no time passed, never below 0", () => {
    expect(ownCores([], { wallMs: 0, cpuMs: 0 })).toBe(0);
    expect(ownCores([{ wallMs: 0, cpuMs: 10 }], { wallMs: 70_000, cpuMs: 5 })).toBe(0);
  });
});

describe("othersLoadPerCore(): the load others put on the machine", () => {
  it("takes own cores from the load average, per usable core, at least 0", () => {
    // The bench after a minute of its own runs on 2 cores: 1.8 of the load of 1.9 was its own.
    expect(othersLoadPerCore(1.9, 1.8, 2)).toBeCloseTo(0.05, 12);
    // One busy process per core beside a quiet caller.
    expect(othersLoadPerCore(2.1, 0.02, 2)).toBeCloseTo(1.04, 12);
    expect(othersLoadPerCore(0.5, 1.5, 2)).toBe(0);
    expect(othersLoadPerCore(3, 0, 0)).toBe(3);
  });
});

describe("keptReadings(): what the next window starts from", () => {
  it("keeps the newest reading a window old and every later one, then the new one", () => {
    const earlier = [
      { wallMs: 10_000, cpuMs: 1 },
      { wallMs: 20_000, cpuMs: 2 },
      { wallMs: 90_000, cpuMs: 3 },
    ];
    const now = { wallMs: 20_000 + OWN_LOAD_WINDOW_MS, cpuMs: 4 };
    expect(keptReadings(earlier, now)).toEqual([earlier[1], earlier[2], now]);
    expect(keptReadings([], now)).toEqual([now]);
    // None a window old: all kept.
    expect(keptReadings(earlier, { wallMs: 60_000, cpuMs: 5 })).toEqual([
      ...earlier,
      { wallMs: 60_000, cpuMs: 5 },
    ]);
  });
});
