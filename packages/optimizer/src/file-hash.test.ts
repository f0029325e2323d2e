import { createHash } from "node:crypto";
import { mkdtempSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "@jest/globals";
import { fileHash } from "./file-hash.js";

const dir = mkdtempSync(join(tmpdir(), "amorsize-file-hash-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sha = (text: string) => createHash("sha256").update(text).digest("hex");

describe("fileHash", () => {
  it("is the file's SHA-256, the same while the file is unchanged", () => {
    const path = join(dir, "a.mjs");
    writeFileSync(path, "export const a = 1;\n");
    expect(fileHash(path)).toBe(sha("export const a = 1;\n"));
    expect(fileHash(path)).toBe(sha("export const a = 1;\n"));
  });

  it("sees an edit of the same size whose modification time was put back", () => {
    const path = join(dir, "b.mjs");
    writeFileSync(path, "export const b = 1;\n");
    const { atime, mtime } = statSync(path);
    expect(fileHash(path)).toBe(sha("export const b = 1;\n"));
    writeFileSync(path, "export const b = 2;\n");
    utimesSync(path, atime, mtime);
    expect(fileHash(path)).toBe(sha("export const b = 2;\n"));
  });

  it("sees a file replaced by a rename, as editors and atomic writers do", () => {
    const path = join(dir, "c.mjs");
    writeFileSync(path, "export const c = 1;\n");
    expect(fileHash(path)).toBe(sha("export const c = 1;\n"));
    writeFileSync(join(dir, "c.tmp"), "export const c = 3;\n");
    renameSync(join(dir, "c.tmp"), path);
    expect(fileHash(path)).toBe(sha("export const c = 3;\n"));
  });

  it("throws for a file that is gone, however it was hashed before", () => {
    const path = join(dir, "d.mjs");
    writeFileSync(path, "export const d = 1;\n");
    fileHash(path);
    rmSync(path);
    expect(() => fileHash(path)).toThrow(/ENOENT/);
  });
});
