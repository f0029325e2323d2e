import { describe, expect, it } from "@jest/globals";
import { collectTransferables } from "./transfer.js";

describe("collectTransferables", () => {
  it("finds nothing in primitives and plain data", () => {
    expect(collectTransferables([1, "a", null, undefined, { a: 1 }, [1, 2]])).toBeNull();
  });

  it("collects buffers at the top level and one level down, once each", () => {
    const a = new ArrayBuffer(8);
    const b = new Float64Array(4);
    const c = new Uint8Array(2);
    const d = new Uint16Array(3);
    const found = collectTransferables([a, b, { c, deeper: { x: new Uint8Array(1) } }, [d, a], b]);
    expect(found).toEqual([a, b.buffer, c.buffer, d.buffer]);
  });

  it("leaves views over part of a buffer and shared memory to be copied", () => {
    const whole = new Uint8Array(16);
    const shared = new Int32Array(new SharedArrayBuffer(16));
    expect(collectTransferables([whole.subarray(4), new Uint8Array(whole.buffer, 0, 8), shared])).toBeNull();
  });
});
