import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "@jest/globals";
import { readJsonFile } from "./json-file.js";

const dir = mkdtempSync(join(tmpdir(), "amorsize-json-file-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
interface Entry {
  key: string;
  figures: { ms: number };
}

/** A schema (zod's safeParse) that counts the values it checked: `{ key, figures: { ms >= 0 } }`. */
function entrySchema() {
  const schema = {
    checked: 0,
    safeParse(value: unknown): { success: true; data: Entry } | { success: false } {
      schema.checked++;
      const v = value as Entry;
      const ok = typeof v?.key === "string" && typeof v.figures?.ms === "number" && v.figures.ms >= 0;
      return ok ? { success: true, data: { key: v.key, figures: { ms: v.figures.ms } } } : { success: false };
    },
  };
  return schema;
}
const Entry = entrySchema();

describe("readJsonFile", () => {
  it("returns the validated value, a copy of its own to each caller", () => {
    const path = join(dir, "a.json");
    writeFileSync(path, JSON.stringify({ key: "a", figures: { ms: 2 } }));
    const first = readJsonFile(path, Entry);
    expect(first).toEqual({ status: "ok", value: { key: "a", figures: { ms: 2 } } });
    if (first.status !== "ok") throw new Error("unreachable");
    first.value.figures.ms = 99;
    const second = readJsonFile(path, Entry);
    expect(second).toEqual({ status: "ok", value: { key: "a", figures: { ms: 2 } } });
    if (second.status !== "ok") throw new Error("unreachable");
    second.value.figures.ms = 98;
    expect(readJsonFile(path, Entry)).toEqual({ status: "ok", value: { key: "a", figures: { ms: 2 } } });
  });

  it("validates a file once while its text is unchanged, and again once it changed", () => {
    const path = join(dir, "b.json");
    const schema = entrySchema();
    writeFileSync(path, JSON.stringify({ key: "b", figures: { ms: 1 } }));
    expect(readJsonFile(path, schema).status).toBe("ok");
    expect(readJsonFile(path, schema).status).toBe("ok");
    expect(schema.checked).toBe(1);
    writeFileSync(path, JSON.stringify({ key: "b", figures: { ms: 2 } }));
    expect(readJsonFile(path, schema)).toEqual({ status: "ok", value: { key: "b", figures: { ms: 2 } } });
    expect(schema.checked).toBe(2);
    writeFileSync(path, JSON.stringify({ key: "b", figures: { ms: -1 } }));
    expect(readJsonFile(path, Entry)).toEqual({ status: "invalid" });
    writeFileSync(path, '{"key": "b", ');
    expect(readJsonFile(path, Entry)).toEqual({ status: "notJson" });
    writeFileSync(path, JSON.stringify({ key: "b", figures: { ms: 3 } }));
    expect(readJsonFile(path, Entry)).toEqual({ status: "ok", value: { key: "b", figures: { ms: 3 } } });
  });

  it("checks a text validated against one schema against another schema anew", () => {
    const path = join(dir, "c.json");
    writeFileSync(path, JSON.stringify({ key: "c", figures: { ms: 1 } }));
    expect(readJsonFile(path, Entry).status).toBe("ok");
    const strict = { safeParse: (): { success: false } => ({ success: false }) };
    expect(readJsonFile(path, strict)).toEqual({ status: "invalid" });
  });

  it("says missing for a file that is not there or cannot be read", () => {
    expect(readJsonFile(join(dir, "none.json"), Entry)).toEqual({ status: "missing" });
    expect(readJsonFile(dir, Entry)).toEqual({ status: "missing" });
  });
});
