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
