import { describe, expect, it } from "@jest/globals";
import { facts, failingRunner, fixtureRoot } from "../test/helpers.js";
import { AmorsizeProbeError } from "./errors.js";
import { probeHardware } from "./probe.js";
import { checkedProfile, resolveCpuModel } from "./profile.js";
import { WarningList } from "./warnings.js";

describe("resolveCpuModel", () => {
  it("takes os.cpus(), then /proc/cpuinfo, then says it is unknown", () => {
    const warnings = new WarningList();
    const cpuinfo = { modelName: "From cpuinfo" } as Parameters<typeof resolveCpuModel>[1];
    expect(resolveCpuModel({ cpuModel: "From os" }, cpuinfo, warnings)).toEqual({
      value: "From os",
      source: "os.cpus()",
    });
    expect(resolveCpuModel({ cpuModel: null }, cpuinfo, warnings)).toEqual({
      value: "From cpuinfo",
      source: "/proc/cpuinfo",
    });
    expect(warnings.items).toEqual([]);
    expect(resolveCpuModel({ cpuModel: null }, null, warnings)).toEqual({ value: null, source: "unknown" });
    expect(warnings.items.map((w) => w.code)).toEqual(["CPU_MODEL_UNKNOWN"]);
  });
});

describe("checkedProfile", () => {
  it("passes a valid profile and calls an invalid one the probe's own failure", async () => {
    const profile = await probeHardware({
      root: fixtureRoot("v2-quota"),
      runCommand: failingRunner(),
      runtimeFacts: facts,
    });
    expect(checkedProfile(profile)).toEqual(profile);
    const broken = { ...profile, durationMs: -1 };
    expect(() => checkedProfile(broken)).toThrow(AmorsizeProbeError);
    expect(() => checkedProfile(broken)).toThrow(
      /^the probe assembled a profile that fails its schema: durationMs: /,
    );
  });
});
