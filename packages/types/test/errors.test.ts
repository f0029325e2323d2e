import { describe, expect, it } from "@jest/globals";
import { messageOf } from "../src/index.js";

describe("messageOf()", () => {
  it("gives an error's message, a value's own text, and a plain object's fields on one line", () => {
    expect(messageOf(new TypeError("bad type"))).toBe("bad type");
    // Rebuilt from a worker: not an Error, but it has a message.
    expect(messageOf({ name: "Error", message: "from a worker" })).toBe("from a worker");
    expect(messageOf("plain text")).toBe("plain text");
    expect(messageOf(42)).toBe("42");
    expect(messageOf(undefined)).toBe("undefined");
    // It read "[object Object]".
    expect(messageOf({ code: "E_BAD", detail: "nope" })).toBe("{ code: 'E_BAD', detail: 'nope' }");
    expect(messageOf(Object.create(null))).toBe("[Object: null prototype] {}");
    expect(messageOf([1, 2])).toBe("1,2");
    const long = messageOf({ text: "x".repeat(1000), list: Array.from({ length: 50 }, (_, i) => i) });
    expect(long.length).toBeLessThan(400);
    expect(long).not.toContain("\n");
    const wide = messageOf(Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`key${i}`, i])));
    expect(wide.length).toBe(300);
    expect(wide.endsWith("…")).toBe(true);
  });
});
