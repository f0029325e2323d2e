// How run prints a result, and how its report counts the results it could not print:
// pure functions, exact values.
import type { ExecutionReport } from "@amorsize/types";
import { describe, expect, it } from "@jest/globals";
import { encodeResult, errorsInOrder, ResultNotPrintableError, withUnprintable } from "../src/output.js";

describe("encodeResult", () => {
  it("prints what JSON holds exactly as JSON", () => {
    const cases: [unknown, string][] = [
      [0, "0"],
      [-0, "0"],
      [1.5e300, "1.5e+300"],
      ["a\nb", '"a\\nb"'],
      ["\ud800", '"\\ud800"'],
      [true, "true"],
      [null, "null"],
      [[], "[]"],
      [{ a: [1, { b: null }], "x-y": "z" }, '{"a":[1,{"b":null}],"x-y":"z"}'],
      [Object.assign(Object.create(null), { k: 1 }), '{"k":1}'],
    ];
    for (const [value, line] of cases) expect(encodeResult(value)).toBe(line);
  });

  it("names what JSON cannot hold exactly, and where", () => {
    const circular: Record<string, unknown> = {};
    circular.inner = { back: circular };
    const shared = { n: 1 };
    const cases: [unknown, string][] = [
      [undefined, "undefined"],
      [10n, "a BigInt"],
      [Number.NaN, "NaN"],
      [Number.NEGATIVE_INFINITY, "-Infinity"],
      [new Map(), "a Map"],
      [new Set(), "a Set"],
      [new Date(0), "a Date"],
      [/x/, "a RegExp"],
      [new Error("e"), "an Error"],
      [new Uint8Array(2), "a Uint8Array"],
      [new ArrayBuffer(2), "an ArrayBuffer"],
      [Object(1), "a Number"],
      [() => 1, "a function"],
      [Symbol("s"), "a symbol"],
      [{ toJSON: () => 1 }, "an object with toJSON()"],
      [circular, "a circular reference at result.inner.back"],
      [{ a: { "b c": [1, 2, Number.NaN] } }, 'NaN at result.a["b c"][2]'],
      [{ a: undefined }, "undefined at result.a"],
      [[1, undefined], "undefined at result[1]"],
      [new Array(2), "a hole at result[0]"],
    ];
    for (const [value, problem] of cases) expect(encodeResult(value)).toEqual({ problem });
    // The same object twice, not inside itself, is printed twice.
    expect(encodeResult([shared, shared])).toBe('[{"n":1},{"n":1}]');
  });

  it("says so when a result is nested too deeply to walk", () => {
    let deep: unknown[] = [];
    for (let i = 0; i < 1_000_000; i++) deep = [deep];
    expect(encodeResult(deep)).toEqual({ problem: "nested too deeply, or too long" });
  });

  it("an error names the item and the problem, with its code", () => {
    const error = new ResultNotPrintableError(4, "a Map at result.m");
    expect({ code: error.code, index: error.index, message: error.message }).toEqual({
      code: "AMORSIZE_RESULT_NOT_PRINTABLE",
      index: 4,
      message: "Item 4: the result cannot be printed as JSON exactly (a Map at result.m)",
    });
  });
});

describe("withUnprintable", () => {
  const report = {
    items: 10,
    succeeded: 8,
    failed: 2,
    precomputed: 0,
    errors: [
      { index: 2, range: null, code: "AMORSIZE_ITEM_FAILED", message: "Item 2 failed: x" },
      { index: null, range: [6, 7], code: "AMORSIZE_WORKER_CRASHED", message: "items 6..7" },
    ],
  } as unknown as ExecutionReport;

  it("counts an unprintable result as a failed item and puts its error in input order", () => {
    const unprintable = [new ResultNotPrintableError(9, "NaN"), new ResultNotPrintableError(0, "a BigInt")];
    const out = withUnprintable(report, unprintable);
    expect({ succeeded: out.succeeded, failed: out.failed, items: out.items }).toEqual({
      succeeded: 6,
      failed: 4,
      items: 10,
    });
    expect(out.errors.map((e) => [e.index, e.range, e.code])).toEqual([
      [0, null, "AMORSIZE_RESULT_NOT_PRINTABLE"],
      [2, null, "AMORSIZE_ITEM_FAILED"],
      [null, [6, 7], "AMORSIZE_WORKER_CRASHED"],
      [9, null, "AMORSIZE_RESULT_NOT_PRINTABLE"],
    ]);
    expect(withUnprintable(report, [])).toBe(report);
  });

  it("errorsInOrder sorts the run's errors and the unprintable results by index", () => {
    const failed = Object.assign(new Error("b"), { index: 5 });
    const chunk = Object.assign(new Error("c"), { range: [1, 3] });
    const late = new ResultNotPrintableError(7, "NaN");
    const early = new ResultNotPrintableError(0, "NaN");
    expect(errorsInOrder([failed, chunk], [late, early])).toEqual([early, chunk, failed, late]);
  });
});
