import { deserialize, serialize } from "node:v8";
import { describe, expect, it } from "@jest/globals";
import { checksum } from "../src/checksum.js";

/** What a worker's result looks like once it is back: a structured clone. */
const cloned = <T>(value: T): T => deserialize(serialize(value)) as T;

class Node {
  constructor(
    public type: string,
    public start: number,
    public end: number,
    public body: Node[] = [],
  ) {}
}

function tree(depth: number, seed = 0): Node {
  const node = new Node(depth === 0 ? "Literal" : "Block", seed, seed + depth * 10);
  if (depth > 0) for (let i = 0; i < 3; i++) node.body.push(tree(depth - 1, seed * 3 + i));
  return node;
}

describe("checksum", () => {
  it("is equal for equal results, whatever the key order", () => {
    expect(checksum([{ id: 1, hash: 2 }, 3.5, "x"])).toBe(checksum([{ hash: 2, id: 1 }, 3.5, "x"]));
    expect(checksum(new Float64Array([1, 2]))).toBe(checksum(new Float64Array([1, 2])));
  });

  it("differs when any value, the order or the kind differs", () => {
    const base = checksum([1, 2, 3]);
    expect(checksum([1, 2, 4])).not.toBe(base);
    expect(checksum([1, 3, 2])).not.toBe(base);
    expect(checksum([1, 2, 3.0000001])).not.toBe(base);
    expect(checksum(new Float64Array([1, 2, 3]))).not.toBe(base);
    expect(checksum(["1", "2", "3"])).not.toBe(base);
    expect(checksum([1, 2, 3, undefined])).not.toBe(base);
    expect(checksum([null])).not.toBe(checksum([undefined]));
    expect(checksum([0])).not.toBe(checksum([-0]));
    expect(checksum([1n])).not.toBe(checksum([1]));
    expect(checksum({ a: 1, b: 2 })).not.toBe(checksum({ a: 2, b: 1 }));
    expect(checksum({ a: 1 })).not.toBe(checksum({ a: 1, b: undefined }));
  });

  it("is a 16-digit hex string", () => {
    expect(checksum({ a: [true, false] })).toMatch(/^[0-9a-f]{16}$/);
  });

  it("object graphs: a syntax tree of class instances equals its clone, and any changed node shows", () => {
    const ast = tree(5);
    const back = cloned(ast);
    expect(back).not.toBeInstanceOf(Node);
    expect(checksum(back)).toBe(checksum(ast));
    back.body[2]!.body[1]!.body[0]!.end += 1;
    expect(checksum(back)).not.toBe(checksum(ast));
    const renamed = cloned(ast);
    renamed.body[0]!.body[0]!.type = "Identifier";
    expect(checksum(renamed)).not.toBe(checksum(ast));
  });

  it("object graphs: an object shared between results hashes as its value, as cloning per chunk leaves it", () => {
    const shared = { kind: "shared", list: [1, 2] };
    const serial = [shared, shared, shared];
    // Two chunks: the first two results were cloned together, the third alone.
    const parallel = [...cloned([shared, shared]), cloned(shared)];
    expect(checksum(parallel)).toBe(checksum(serial));
  });

  it("object graphs: a cycle hashes as its distance back, equal after cloning and no endless recursion", () => {
    const a: Record<string, unknown> = { name: "a" };
    const b: Record<string, unknown> = { name: "b", parent: a };
    a.child = b;
    a.self = a;
    expect(checksum(cloned(a))).toBe(checksum(a));
    // The same shape with b pointing to itself instead of its parent.
    const c: Record<string, unknown> = { name: "a" };
    const d: Record<string, unknown> = { name: "b" };
    d.parent = d;
    c.child = d;
    c.self = c;
    expect(checksum(c)).not.toBe(checksum(a));
  });

  it("Uint8Arrays: by their bytes and their kind, a view only over its own window", () => {
    const bytes = Uint8Array.from({ length: 30_001 }, (_, i) => (i * 31) & 0xff);
    expect(checksum(cloned(bytes))).toBe(checksum(bytes));
    const changed = bytes.slice();
    changed[15_000]! ^= 1;
    expect(checksum(changed)).not.toBe(checksum(bytes));
    const last = bytes.slice();
    last[30_000]! ^= 0x80;
    expect(checksum(last)).not.toBe(checksum(bytes));
    expect(checksum(new Int8Array(bytes.buffer))).not.toBe(checksum(bytes));
    const window = bytes.subarray(5, 1_005);
    expect(checksum(window)).toBe(checksum(bytes.slice(5, 1_005)));
    expect(checksum(new DataView(bytes.buffer, 5, 1_000))).not.toBe(checksum(window));
    expect(checksum(bytes.buffer)).not.toBe(checksum(bytes));
  });

  it("strings: every code unit counts, odd lengths and surrogate pairs included", () => {
    const html = `<p>${"x".repeat(40_001)}</p>`;
    expect(checksum(cloned(html))).toBe(checksum(html));
    expect(checksum(`${html.slice(0, 20_000)}y${html.slice(20_001)}`)).not.toBe(checksum(html));
    expect(checksum("abc")).not.toBe(checksum("abd"));
    expect(checksum("ab")).not.toBe(checksum("ab\u0000"));
    expect(checksum("😀")).toBe(checksum(cloned("😀")));
    expect(checksum("😀")).not.toBe(checksum("😁"));
    expect(checksum(["ab", "c"])).not.toBe(checksum(["a", "bc"]));
  });

  it("Maps, Sets, Dates and RegExps by their contents", () => {
    const value = {
      map: new Map<unknown, unknown>([
        ["a", 1],
        [2, { b: [3] }],
      ]),
      set: new Set([1, "two"]),
      date: new Date(1_700_000_000_000),
      pattern: /ab+c/gi,
    };
    expect(checksum(cloned(value))).toBe(checksum(value));
    expect(checksum({ ...value, map: new Map([["a", 1]]) })).not.toBe(checksum(value));
    expect(checksum({ ...value, set: new Set([1, "three"]) })).not.toBe(checksum(value));
    expect(checksum({ ...value, date: new Date(1_700_000_000_001) })).not.toBe(checksum(value));
    expect(checksum({ ...value, pattern: /ab+c/g })).not.toBe(checksum(value));
    expect(checksum(new Map())).not.toBe(checksum(new Set()));
    expect(checksum(new Map())).not.toBe(checksum({}));
  });

  it("NaN is NaN, whatever its bits", () => {
    const bits = new Float64Array(new BigUint64Array([0x7ff8_0000_0000_0001n]).buffer)[0]!;
    expect(Number.isNaN(bits)).toBe(true);
    expect(checksum([bits])).toBe(checksum([Number.NaN]));
  });
});
