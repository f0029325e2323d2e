import { describe, expect, it } from "@jest/globals";
import { ownSpanMs, rebuildError, serializeError } from "./protocol.js";

describe("serializeError / rebuildError", () => {
  it("keeps name, message, stack and primitive properties of an Error", () => {
    class Custom extends Error {
      code = "E_X";
      errno = 4;
      detail = { nested: true };
    }
    const original = new Custom("broken");
    original.name = "Custom";
    const serialized = serializeError(original);
    expect(structuredClone(serialized)).toEqual(serialized);
    expect(serialized).toEqual({
      error: true,
      name: "Custom",
      message: "broken",
      stack: original.stack,
      props: { code: "E_X", errno: 4 },
    });
    const rebuilt = rebuildError(serialized) as Error & { code: string };
    expect(rebuilt).toBeInstanceOf(Error);
    expect([rebuilt.name, rebuilt.message, rebuilt.stack, rebuilt.code]).toEqual([
      "Custom",
      "broken",
      original.stack,
      "E_X",
    ]);
  });

  it("keeps a thrown value that is not an Error, or its string when it cannot be cloned", () => {
    expect(rebuildError(serializeError("text"))).toBe("text");
    expect(rebuildError(serializeError({ reason: 1 }))).toEqual({ reason: 1 });
    const uncloneable = { toString: () => "uncloneable thing", f: () => 1 };
    const serialized = serializeError(uncloneable);
    expect(serialized).toEqual({
      error: false,
      name: "Error",
      message: "uncloneable thing",
      value: "uncloneable thing",
    });
  });
});

describe("ownSpanMs: a span's own time in a worker", () => {
  it("takes the waits read around the span off the window that holds the reads, never above the span", () => {
    // A 10 ms span in a 10.2 ms window that counted 4 ms of waiting: 6.2 ms its own.
    expect(ownSpanMs(10, 10.2, 4)).toBeCloseTo(6.2, 12);
    // Waits counted in the reads only: the span keeps its whole time.
    expect(ownSpanMs(10, 12, 1.5)).toBe(10);
    // More waiting counted than the window held (a clock's grain): nothing left.
    expect(ownSpanMs(10, 10.2, 11)).toBe(0);
  });
});
