import { describe, expect, it } from "@jest/globals";
import {
  ALLOWED_CPUS_SOURCE,
  computeUsableCores,
  quotaToCores,
  resolveLogicalAndAffinity,
  USABLE_CORES_RULE,
} from "./cores.js";
import { WarningList } from "./warnings.js";

describe("quotaToCores", () => {
  it.each([
    [0.1, 1],
    [0.5, 1],
    [0.99, 1],
    [1, 1],
    [1.1, 1],
    [1.49, 1],
    [1.5, 2],
    [2.4, 2],
    [2.5, 3],
    [150000 / 100000, 2],
    [33333 / 100000, 1],
    [0.49999999999, 1],
    [1.49999999999, 2],
    [16, 16],
  ])("%d CPUs of quota are worth %d cores", (cpus, cores) => {
    expect(quotaToCores(cpus)).toBe(cores);
  });
});

describe("computeUsableCores", () => {
  it("takes the minimum and names the figures that reach it, quota first", () => {
    expect(computeUsableCores({ affinity: 8, cpuset: 6, quotaCpus: 2.5, physical: 4 })).toEqual({
      value: 3,
      source: "cpu quota",
      rule: USABLE_CORES_RULE,
    });
    expect(computeUsableCores({ affinity: 2, cpuset: 2, quotaCpus: null, physical: 2 })).toEqual({
      value: 2,
      source: "cpuset = affinity = physical cores",
      rule: USABLE_CORES_RULE,
    });
    expect(computeUsableCores({ affinity: 8, cpuset: null, quotaCpus: 1.5, physical: 2 }).source).toBe(
      "cpu quota = physical cores",
    );
    expect(computeUsableCores({ affinity: 3, cpuset: 4, quotaCpus: null, physical: null }).source).toBe(
      "affinity",
    );
  });

  it("never goes below 1, even for a quota of a tenth of a CPU", () => {
    expect(computeUsableCores({ affinity: 4, cpuset: null, quotaCpus: 0.1, physical: 4 }).value).toBe(1);
  });

  it("falls back to 1 when nothing is known", () => {
    expect(computeUsableCores({ affinity: null, cpuset: null, quotaCpus: null, physical: null })).toEqual({
      value: 1,
      source: "fallback",
      rule: USABLE_CORES_RULE,
    });
  });
});

describe("resolveLogicalAndAffinity", () => {
  const codes = (w: WarningList) => w.items.map((i) => i.code);

  it("takes os.cpus() and os.availableParallelism() when present", () => {
    const warnings = new WarningList();
    expect(resolveLogicalAndAffinity({ logicalCpus: 8, availableParallelism: 6 }, null, warnings)).toEqual({
      logical: { value: 8, source: "os.cpus()" },
      affinity: { value: 6, source: "os.availableParallelism()" },
    });
    expect(codes(warnings)).toEqual([]);
  });

  it("takes the CPUs /proc/self/status allows over os.availableParallelism(), which Node 24 bounds by a v2 quota", () => {
    const warnings = new WarningList();
    // A 2-CPU affinity under a cgroup v2 quota of 1.5 CPUs: Node 24's libuv says 1.
    expect(resolveLogicalAndAffinity({ logicalCpus: 4, availableParallelism: 1 }, null, warnings, 2)).toEqual(
      {
        logical: { value: 4, source: "os.cpus()" },
        affinity: { value: 2, source: ALLOWED_CPUS_SOURCE },
      },
    );
    expect(codes(warnings)).toEqual([]);
    // An unreadable or empty list leaves os.availableParallelism() in charge.
    expect(
      resolveLogicalAndAffinity({ logicalCpus: 4, availableParallelism: 3 }, null, new WarningList(), null)
        .affinity,
    ).toEqual({ value: 3, source: "os.availableParallelism()" });
  });

  it("counts /proc/cpuinfo entries when os.cpus() lists nothing", () => {
    const warnings = new WarningList();
    const cpuinfo = { logical: 3, packages: null, physicalCores: null, modelName: null };
    expect(
      resolveLogicalAndAffinity({ logicalCpus: null, availableParallelism: 3 }, cpuinfo, warnings),
    ).toEqual({
      logical: { value: 3, source: "/proc/cpuinfo" },
      affinity: { value: 3, source: "os.availableParallelism()" },
    });
    expect(codes(warnings)).toEqual(["LOGICAL_CPUS_FALLBACK"]);
  });

  it("falls back to the affinity, then to 1, and the affinity to the logical count", () => {
    const first = new WarningList();
    expect(
      resolveLogicalAndAffinity({ logicalCpus: null, availableParallelism: 2 }, null, first).logical,
    ).toEqual({
      value: 2,
      source: "os.availableParallelism()",
    });
    expect(codes(first)).toEqual(["LOGICAL_CPUS_FALLBACK"]);
    const second = new WarningList();
    expect(
      resolveLogicalAndAffinity({ logicalCpus: null, availableParallelism: null }, null, second),
    ).toEqual({
      logical: { value: 1, source: "fallback" },
      affinity: { value: 1, source: "fallback" },
    });
    expect(second.items).toEqual([
      {
        code: "LOGICAL_CPUS_FALLBACK",
        message: "os.cpus() listed no CPUs and /proc/cpuinfo gave no count; assumed 1",
      },
      {
        code: "AFFINITY_FALLBACK",
        message: "os.availableParallelism() is not available; the logical count stands in for the affinity",
      },
    ]);
  });
});
