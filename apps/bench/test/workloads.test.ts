import { serialize } from "node:v8";
import { describe, expect, it } from "@jest/globals";
import { checksum } from "../src/checksum.js";
import { coefficientOfVariation, mean, median } from "../src/stats.js";
import { checkWorkloadModule, loadWorkloads, WORKLOAD_NAMES, type Workload } from "../src/workloads.js";

const itersPerUs = 100;
const options = { seed: 7, itersPerUs };

describe("workload modules", () => {
  let all: Workload[] = [];
  const byName = (name: string) => all.find((w) => w.descriptor.name === name)!;

  it("all load, in the suite's order, with a task function", async () => {
    // Jest's vm loader fails to link a module that several workloads import at once
    // ("request for './_lib.mjs' is not in cache"); Node's own loader does not. Load it first.
    await import("../workloads/_text.mjs");
    all = await loadWorkloads();
    expect(all.map((w) => w.descriptor.name)).toEqual([...WORKLOAD_NAMES]);
    for (const w of all) {
      expect(typeof w.fn).toBe("function");
      expect(w.modulePath).toMatch(new RegExp(`/workloads/${w.descriptor.name}\\.mjs$`));
    }
  });

  it("generate the counts asked for, the same items for the same seed", () => {
    for (const w of all) {
      const { count } = w.descriptor;
      expect(count.quick).toBeLessThanOrEqual(count.full);
      const a = w.descriptor.generate(count.quick, options);
      const b = w.descriptor.generate(count.quick, options);
      expect(a).toHaveLength(count.quick);
      // Byte-equal structured clones: Jest's deep equality takes seconds on the payloads' 512,000 numbers.
      expect(serialize(b).equals(serialize(a))).toBe(true);
    }
  });

  it("carry their cost in the items: iterations = target us x calibrated rate", () => {
    expect(byName("trivial").descriptor.generate(3, options)).toEqual([100, 100 + 1 / 4096, 100 + 2 / 4096]);
    expect(byName("light").descriptor.generate(1, options)).toEqual([1_000]);
    expect(byName("medium").descriptor.generate(1, options)).toEqual([20_000]);
    expect(byName("heavy-uniform").descriptor.generate(2, options)).toEqual([
      { id: 0, iterations: 500_000 },
      { id: 1, iterations: 500_000 },
    ]);
    expect(byName("few-very-heavy").descriptor.generate(3, options)).toHaveLength(3);
    expect(byName("few-very-heavy").descriptor.generate(1, { ...options, scale: 0.1 })).toEqual([
      { id: 0, iterations: 3_000_000 },
    ]);
  });

  it("heavy-skewed: log-normal times with mean 3 ms and cv 1.5 exactly, order set by the seed", () => {
    const d = byName("heavy-skewed").descriptor;
    for (const count of [d.count.full, d.count.quick]) {
      const items = d.generate(count, options) as { iterations: number }[];
      const us = items.map((i) => i.iterations / itersPerUs);
      expect(mean(us)).toBeCloseTo(3_000, 0);
      expect(coefficientOfVariation(us)).toBeCloseTo(1.5, 3);
      // Log-normal: the median item is well below the mean (mean / sqrt(1 + cv^2) = 1664 us for the
      // law itself), the largest far above it.
      expect(median(us)).toBeLessThan(2_000);
      expect(Math.max(...us)).toBeGreaterThan(15_000);
    }
    const other = d.generate(50, { ...options, seed: 8 }) as { iterations: number }[];
    const mine = d.generate(50, options) as { iterations: number }[];
    expect(other).not.toEqual(mine);
    const sorted = (xs: { iterations: number }[]) => xs.map((x) => x.iterations).sort((a, b) => a - b);
    expect(sorted(other)).toEqual(sorted(mine));
  });

  it("growing: cheap first, expensive last, 0.1 ms to 8 ms", () => {
    const items = byName("growing").descriptor.generate(300, options) as { iterations: number }[];
    expect(items[0]!.iterations).toBe(10_000);
    expect(items.at(-1)!.iterations).toBe(800_000);
    for (let i = 1; i < items.length; i++)
      expect(items[i]!.iterations).toBeGreaterThanOrEqual(items[i - 1]!.iterations);
  });

  it("payloads: about 100 KB per item as a plain array and as a Float64Array, and out again", () => {
    for (const name of ["payload-array", "payload-typed"]) {
      const w = byName(name);
      const [item] = w.descriptor.generate(1, options);
      const bytes = serialize(item).length;
      expect(bytes).toBeGreaterThan(100_000);
      expect(bytes).toBeLessThan(120_000);
      const out = w.fn(item);
      expect(serialize(out).length).toBe(bytes);
    }
    const [typed] = byName("payload-typed").descriptor.generate(1, options);
    expect(typed).toBeInstanceOf(Float64Array);
    expect(byName("payload-typed").fn(typed)).toBeInstanceOf(Float64Array);
    expect(Array.isArray(byName("payload-array").descriptor.generate(1, options)[0])).toBe(true);
  });

  it("io-bound: a 2-5 ms timer per item, and a promise from the task", async () => {
    const items = byName("io-bound").descriptor.generate(200, options) as { id: number; delayMs: number }[];
    const delays = new Set(items.map((i) => i.delayMs));
    expect([...delays].sort()).toEqual([2, 3, 4, 5]);
    await expect(byName("io-bound").fn(items[3]) as Promise<number>).resolves.toBe(6);
  });

  it("tasks are deterministic functions of the item, awaited where the task is async", async () => {
    for (const w of all) {
      if (w.descriptor.name === "io-bound") continue;
      // A light item (few-very-heavy: 3,000 iterations): determinism does not depend on the size.
      const [item] = w.descriptor.generate(1, { seed: 1, itersPerUs: 0.01, scale: w.descriptor.quickScale });
      const [a, b] = [await w.fn(item), await w.fn(item)];
      expect(a).not.toBeInstanceOf(Promise);
      expect(checksum(a)).toBe(checksum(b));
    }
    expect(byName("trivial").fn(100)).not.toBe(byName("trivial").fn(100 + 1 / 4096));
  });

  it("a malformed module is rejected with what is wrong", () => {
    const good = { ...byName("light").descriptor };
    const mod = { workload: good, hashLight: () => 1 };
    expect(checkWorkloadModule("light", mod)).toBe(good);
    expect(() => checkWorkloadModule("light", {})).toThrow(
      "Workload module light.mjs: exports no `workload` descriptor",
    );
    expect(() => checkWorkloadModule("medium", mod)).toThrow('descriptor name is "light", expected "medium"');
    expect(() => checkWorkloadModule("light", { workload: good })).toThrow(
      'task export "hashLight" is not a function',
    );
    expect(() =>
      checkWorkloadModule("light", { ...mod, workload: { ...good, count: { full: 10, quick: 0 } } }),
    ).toThrow("count.full and count.quick must be positive integers");
    expect(() => checkWorkloadModule("light", { ...mod, workload: { ...good, quickScale: 0 } })).toThrow(
      "quickScale must be positive",
    );
  });

  it("an unknown workload name is refused with the list of known ones", async () => {
    await expect(loadWorkloads(["light", "nope"])).rejects.toThrow(
      `Unknown workload nope; known: ${WORKLOAD_NAMES.join(", ")}`,
    );
  });
});
