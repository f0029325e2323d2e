import { describe, expect, it } from "@jest/globals";
import { measuredProfileFixture } from "../test/profile-fixture.js";
import { implausibleFigure, outsideRange, PLAUSIBLE_FIGURES } from "./cache-bounds.js";
import { SPAWN_COST_ESTIMATES } from "./estimates.js";
import { machineKeyFor } from "./machine-key.js";

describe("outsideRange", () => {
  it("accepts a closed range's ends, and refuses an open range's lower end", () => {
    const closed = { min: 1, max: 10, unit: "us" } as const;
    expect(outsideRange("x", 1, closed)).toBeNull();
    expect(outsideRange("x", 10, closed)).toBeNull();
    expect(outsideRange("x", 0.5, closed)).toBe("x is 0.5 us, outside [1, 10] us");
    expect(outsideRange("x", 11, closed)).toBe("x is 11 us, outside [1, 10] us");
    const open = { min: 0, max: 10, unit: "ms", open: true } as const;
    expect(outsideRange("y", 0, open)).toBe("y is 0 ms, outside (0, 10] ms");
    expect(outsideRange("y", 1e-9, open)).toBeNull();
    expect(outsideRange("z", 1e300, PLAUSIBLE_FIGURES.fixedMs)).toBe("z is 1e+300 ms, outside [0, 10000] ms");
  });
});

describe("implausibleFigure", () => {
  const key = machineKeyFor();

  it("passes a measured profile and the documented estimates", () => {
    expect(implausibleFigure(measuredProfileFixture(key))).toBeNull();
    const { workerStart, dispatch, clone } = SPAWN_COST_ESTIMATES;
    const ranges = PLAUSIBLE_FIGURES;
    expect(outsideRange("a", workerStart.fixedMs, ranges.fixedMs)).toBeNull();
    expect(outsideRange("b", workerStart.perWorkerMs, ranges.perWorkerMs)).toBeNull();
    expect(outsideRange("c", dispatch.latencyUs, ranges.latencyUs)).toBeNull();
    expect(outsideRange("d", dispatch.throughputUs, ranges.throughputUs)).toBeNull();
    for (const cost of Object.values(clone)) {
      expect(outsideRange("e", cost.perItemUs, ranges.clonePerItemUs)).toBeNull();
      expect(outsideRange("f", cost.perByteNs, ranges.clonePerByteNs)).toBeNull();
    }
  });

  it("names the first figure out of range, clone figures by kind", () => {
    const profile = measuredProfileFixture(key);
    const withFigure = (path: "object" | "string", field: "perItemUs" | "perByteNs", value: number) => ({
      ...profile,
      clone: {
        ...profile.clone,
        [path]: { ...profile.clone[path], [field]: { ...profile.clone[path][field], value } },
      },
    });
    expect(implausibleFigure(withFigure("object", "perItemUs", 0))).toBe(
      "clone.object.perItemUs is 0 us, outside (0, 1000000] us",
    );
    expect(implausibleFigure(withFigure("string", "perByteNs", 20_000))).toBe(
      "clone.string.perByteNs is 20000 ns/B, outside [0, 10000] ns/B",
    );
    const slowStart = {
      ...profile,
      workerStart: { ...profile.workerStart, fixedMs: { ...profile.workerStart.fixedMs, value: 20_000 } },
    };
    expect(implausibleFigure(slowStart)).toBe("workerStart.fixedMs is 20000 ms, outside [0, 10000] ms");
  });

  it("names a measured pace gap that a measurement would now refuse as a busy machine's", () => {
    const profile = measuredProfileFixture(key);
    const withGap = (value: number, spread: number, provenance: "measured" | "estimated" = "measured") => ({
      ...profile,
      pace: { ...profile.pace!, gapUs: { ...profile.pace!.gapUs, value, spread, provenance } },
    });
    // Beside other work (2 cores): 1,872 us deviating by 1,373. Quiet: 499 by 125.
    expect(implausibleFigure(withGap(1872, 1373))).toBe(
      "pace.gapUs is 1872 us deviating by 1373 us: a busy machine's",
    );
    expect(implausibleFigure(withGap(499, 125))).toBeNull();
    expect(implausibleFigure(withGap(1872, 1373, "estimated"))).toBeNull();
  });
});
