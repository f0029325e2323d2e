import { runInNewContext } from "node:vm";
import { describe, expect, it } from "@jest/globals";
import { CLASS_CHECK_BUDGET, classLossError, isClassLoss, lostClassOf } from "./clone-class.js";

class Point {
  constructor(readonly x: number) {}
  norm(): number {
    return Math.abs(this.x);
  }
}
/** A class that holds data only (a parser's AST node): a clone loses nothing of it but its name. */
class Node {
  constructor(
    readonly type: string,
    readonly start: number,
  ) {}
}
class NotFound extends Error {
  get status(): number {
    return 404;
  }
}
class Registry extends Map<string, number> {
  total(): number {
    return [...this.values()].reduce((a, b) => a + b, 0);
  }
}
class Tagged extends Map<string, number> {}

describe("lostClassOf", () => {
  it("finds nothing in what a clone rebuilds as it was", () => {
    for (const value of [
      1,
      "text",
      null,
      undefined,
      { a: 1, b: [1, 2, { c: "d" }] },
      Object.create(null),
      [new Date(0), /x/g, new Map([["k", { v: 1 }]]), new Set([1])],
      [new Uint8Array(4), new Float64Array(2), new ArrayBuffer(8), new DataView(new ArrayBuffer(2))],
      [new Error("e"), new TypeError("t"), new RangeError("r")],
      // A plain object made in another realm (a vm context): its prototype is that realm's.
      runInNewContext("({ a: [1, { b: 2 }] })"),
      // Classes that add nothing to what a clone keeps.
      { body: [new Node("Identifier", 0)] },
      new Tagged([["a", 1]]),
      new (class Quiet extends Error {})("quiet"),
    ]) {
      expect(lostClassOf(value)).toBeNull();
    }
  });

  it("names the first class a clone would not rebuild, itself or within", () => {
    expect(lostClassOf(Buffer.from("abc"))).toBe("Buffer");
    expect(lostClassOf(new Point(1))).toBe("Point");
    expect(lostClassOf({ path: "a", content: Buffer.from("b") })).toBe("Buffer");
    expect(lostClassOf([1, 2, [new Point(3)]])).toBe("Point");
    expect(lostClassOf(new Map([["k", new Point(1)]]))).toBe("Point");
    expect(lostClassOf(new Set([new Point(1)]))).toBe("Point");
    // A getter is lost too, and so are a built-in subclass's own methods.
    expect(lostClassOf(new NotFound("gone"))).toBe("NotFound");
    expect(lostClassOf(new Registry())).toBe("Registry");
    expect(lostClassOf(Object.create({ inherited: 1 }))).toBe("an object with a prototype of its own");
    expect(lostClassOf(Object.create(Object.assign(Object.create(null), { greet() {} })))).toBe(
      "an object with a prototype of its own",
    );
    // An empty prototype gives nothing to lose.
    expect(lostClassOf(Object.create(Object.create(null)))).toBeNull();
  });

  it("finds nothing where reading the value throws", () => {
    const hostile = new Proxy(
      {},
      {
        getPrototypeOf() {
          throw new Error("no");
        },
      },
    );
    expect(lostClassOf({ inner: hostile })).toBeNull();
  });

  it("ends on cycles, and looks at a bounded number of objects", () => {
    const cyclic: { self?: unknown } = {};
    cyclic.self = cyclic;
    expect(lostClassOf(cyclic)).toBeNull();
    // Past the budget, breadth first: the class is not seen (the check is a sample of the value).
    const many = Object.fromEntries(Array.from({ length: CLASS_CHECK_BUDGET }, (_, i) => [`k${i}`, {}]));
    expect(lostClassOf({ ...many, last: new Point(1) })).toBeNull();
    expect(lostClassOf({ first: new Point(1), ...many })).toBe("Point");
  });
});

describe("classLossError", () => {
  it("says what a worker would be given instead, and is told apart from values that cannot be cloned", () => {
    const buffer = classLossError("item", 4, "Buffer");
    expect(buffer).toMatchObject({ code: "AMORSIZE_ITEM_NOT_CLONEABLE", index: 4 });
    expect(buffer.message).toBe(
      "Item 4 cannot be sent to a worker: it is, or holds, an instance of Buffer, and a worker would receive a Uint8Array within it, without Buffer's methods (its toString() lists the bytes)",
    );
    const point = classLossError("result", 2, "Point");
    expect(point).toMatchObject({ code: "AMORSIZE_RESULT_NOT_CLONEABLE", index: 2 });
    expect(point.message).toContain(
      "a worker would send back a plain copy, without Point's prototype and methods",
    );
    expect(isClassLoss(point)).toBe(true);
  });
});
