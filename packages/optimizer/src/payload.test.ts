import { describe, expect, it } from "@jest/globals";
import { workload } from "../test/profiles.js";
import { CloneMeter, payloadKind } from "./payload.js";
import { withCloneCosts } from "./sample.js";

describe("payloadKind", () => {
  it("tells numbers, strings, typed arrays, arrays of numbers and object graphs apart", () => {
    expect([1, true, 1n, null, undefined].map(payloadKind)).toEqual(Array(5).fill("number"));
    expect(payloadKind("text")).toBe("string");
    expect(payloadKind(new Float64Array(4))).toBe("typed-array");
    expect(payloadKind(new ArrayBuffer(4))).toBe("typed-array");
    expect(payloadKind([1, 2.5, 3])).toBe("plain-array");
    expect(payloadKind([])).toBe("plain-array");
    expect(payloadKind({ a: 1 })).toBe("object");
  });

  it("reads every element of an array: one object at the end makes it a graph", () => {
    const numbers = Array.from({ length: 12_800 }, (_, i) => i + 0.5);
    expect(payloadKind(numbers)).toBe("plain-array");
    expect(payloadKind([...numbers, { x: 1 }])).toBe("object");
    expect(payloadKind([...numbers, "1"])).toBe("object");
  });
});

describe("withCloneCosts", () => {
  const meters = () => {
    const clone = { item: new CloneMeter(), result: new CloneMeter() };
    clone.item.measure(7);
    clone.result.measure({ nodes: [{ a: 1 }, { b: 2 }] });
    return clone;
  };

  it("times the sampled values when items or results are object graphs, the model's only use of them", () => {
    for (const kinds of [
      { inputKind: "object", outputKind: "number" },
      { inputKind: "number", outputKind: "object" },
    ] as const) {
      const timed = withCloneCosts({ ...workload(100, 1), ...kinds }, meters());
      expect(Object.keys(timed.cloneMs ?? {}).sort()).toEqual([
        "itemDeserialize",
        "itemSerialize",
        "resultDeserialize",
        "resultSerialize",
      ]);
    }
  });

  it("leaves numbers, strings and arrays to the spawn-cost figures: nothing timed", () => {
    for (const kind of ["number", "string", "typed-array", "plain-array"] as const) {
      const base = { ...workload(100, 1), inputKind: kind, outputKind: kind };
      const clone = meters();
      let timings = 0;
      for (const meter of [clone.item, clone.result]) {
        const means = meter.means.bind(meter);
        meter.means = () => {
          timings++;
          return means();
        };
      }
      expect(withCloneCosts(base, clone)).toBe(base);
      expect(timings).toBe(0);
    }
  });

  it("adds nothing to figures that were not measured", () => {
    const given = { ...workload(100, 1), inputKind: "object", source: "given" } as const;
    expect(withCloneCosts(given, meters())).toBe(given);
  });
});

describe("CloneMeter", () => {
  // A clock that reads the given times in turn: three reads a round (before, between, after).
  const clock = (times: number[]) => {
    let k = 0;
    const now = () => {
      if (k >= times.length) throw new Error(`the clock was read ${k + 1} times`);
      return times[k++]!;
    };
    return { now, reads: () => k };
  };
  const meter = (times: number[]) => {
    const c = clock(times);
    const m = new CloneMeter(c.now);
    m.measure({ a: 1 });
    m.measure({ b: 2 });
    return { m, reads: c.reads };
  };

  it("keeps the least of three rounds, per value, each direction on its own", () => {
    // Rounds: serialise 0.6, 0.2, 0.3 ms; read back 0.1, 0.4, 0.2 ms (2 values).
    const { m, reads } = meter([0, 0.6, 0.7, 1, 1.2, 1.6, 2, 2.3, 2.5]);
    const means = m.means()!;
    expect(means.serializeMs).toBeCloseTo(0.1, 12);
    expect(means.deserializeMs).toBeCloseTo(0.05, 12);
    expect(reads()).toBe(9);
  });

  it("times no further round once the rounds so far took 2 ms", () => {
    // A first round of 2.5 ms (a large batch, or a collection in it): one round only.
    const one = meter([0, 2, 2.5]);
    expect(one.m.means()).toEqual({ serializeMs: 1, deserializeMs: 0.25 });
    expect(one.reads()).toBe(3);
    // Rounds of 1.5 and 0.75 ms: 2.25 ms after two, so no third.
    const two = meter([0, 1, 1.5, 2, 2.5, 2.75]);
    expect(two.m.means()).toEqual({ serializeMs: 0.25, deserializeMs: 0.125 });
    expect(two.reads()).toBe(6);
  });

  it("says nothing when no value was measured", () => {
    expect(new CloneMeter(clock([]).now).means()).toBeNull();
  });
});
