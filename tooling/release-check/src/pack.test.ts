import { execFileSync } from "node:child_process";
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import { type NpmPackEntry, packedTarballs, packKey } from "./pack.js";
import type { WorkspacePackage } from "./workspace.js";

let root: string;
let cacheDir: string;
let packed: string[];
const lib: WorkspacePackage = { dir: "packages/lib", manifest: { name: "@demo/lib", version: "1.0.0" } };
const app: WorkspacePackage = { dir: "packages/app", manifest: { name: "@demo/app", version: "2.0.0" } };
const packer = "npm@0.0.0-test";

function writePackage(pkg: WorkspacePackage): void {
  const folder = join(root, pkg.dir);
  mkdirSync(join(folder, "dist"), { recursive: true });
  mkdirSync(join(folder, "test"), { recursive: true });
  writeFileSync(join(folder, "package.json"), JSON.stringify({ ...pkg.manifest, files: ["dist"] }));
  writeFileSync(join(folder, "README.md"), `# ${pkg.manifest.name}\n`);
  writeFileSync(join(folder, "dist", "index.js"), "export const one = 1;\n");
  writeFileSync(join(folder, "test", "index.test.ts"), "// not packed\n");
}

/**
 * Stands in for `npm pack`: a real .tgz of package.json and dist/ per package, and npm's
 * report. `during` runs after the tarballs are written, as if something happened meanwhile.
 */
function fakePack(during?: (destination: string) => void) {
  return (packages: readonly WorkspacePackage[], destination: string): NpmPackEntry[] => {
    const entries = packages.map((pkg) => {
      packed.push(pkg.manifest.name);
      const staging = mkdtempSync(join(tmpdir(), "amorsize-fake-pack-"));
      cpSync(join(root, pkg.dir), join(staging, "package"), {
        recursive: true,
        filter: (source) => !source.includes("/test"),
      });
      const filename = `${pkg.manifest.name.replace("@", "").replace("/", "-")}-${pkg.manifest.version}.tgz`;
      execFileSync("tar", ["czf", join(destination, filename), "-C", staging, "package"]);
      rmSync(staging, { recursive: true, force: true });
      const files = [{ path: "package.json", mode: 0o644, size: 1 }];
      return { name: pkg.manifest.name, version: pkg.manifest.version, filename, files };
    });
    during?.(destination);
    return entries;
  };
}

const options = (during?: (destination: string) => void) => ({
  root,
  cacheDir,
  packer,
  pack: fakePack(during),
});
const contentOf = (tarball: string, file: string) =>
  execFileSync("tar", ["xOzf", tarball, `package/${file}`], { encoding: "utf8" });

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "amorsize-pack-cache-"));
  cacheDir = join(root, "node_modules", ".cache", "packs");
  packed = [];
  writePackage(lib);
  writePackage(app);
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

describe("packedTarballs", () => {
  it("packs each package once and hands the same tarball to every later call", () => {
    const first = packedTarballs([lib, app], options());
    const second = packedTarballs([app, lib], options());
    expect(packed).toEqual(["@demo/lib", "@demo/app"]);
    expect(second.map((pkg) => pkg.tarball)).toEqual([first[1]!.tarball, first[0]!.tarball]);
    expect(second[1]).toMatchObject({ name: "@demo/lib", version: "1.0.0", manifest: { name: "@demo/lib" } });
    expect(contentOf(second[1]!.tarball, "dist/index.js")).toBe("export const one = 1;\n");
  });

  it.each([
    [
      "a built file's content",
      (folder: string) => writeFileSync(join(folder, "dist", "index.js"), "export {};\n"),
    ],
    ["a new built file", (folder: string) => writeFileSync(join(folder, "dist", "extra.js"), "")],
    ["a removed built file", (folder: string) => rmSync(join(folder, "dist", "index.js"))],
    ["an executable bit", (folder: string) => chmodSync(join(folder, "dist", "index.js"), 0o755)],
    ["package.json", (folder: string) => writeFileSync(join(folder, "package.json"), '{"files":["dist"]}')],
    ["the README", (folder: string) => writeFileSync(join(folder, "README.md"), "# new\n")],
  ])("packs a package again when %s changed, and only that package", (_, change) => {
    const before = packedTarballs([lib, app], options());
    change(join(root, lib.dir));
    const after = packedTarballs([lib, app], options());
    expect(packed).toEqual(["@demo/lib", "@demo/app", "@demo/lib"]);
    expect(after[0]!.tarball).not.toBe(before[0]!.tarball);
    expect(after[1]!.tarball).toBe(before[1]!.tarball);
  });

  it("keeps the tarball when only files npm leaves out change", () => {
    packedTarballs([lib], options());
    writeFileSync(join(root, lib.dir, "test", "index.test.ts"), "// edited\n");
    mkdirSync(join(root, lib.dir, "node_modules"));
    writeFileSync(join(root, lib.dir, "node_modules", "x.js"), "");
    packedTarballs([lib], options());
    expect(packed).toEqual(["@demo/lib"]);
  });

  it("keys on the npm that packs", () => {
    const folder = join(root, lib.dir);
    expect(packKey(folder, "npm@1.0.0", root)).not.toBe(packKey(folder, "npm@2.0.0", root));
    expect(packKey(folder, "npm@1.0.0", root)).toBe(packKey(folder, "npm@1.0.0", root));
  });

  it("hashes the whole folder, but node_modules, when `files` is a pattern", () => {
    const folder = join(root, lib.dir);
    writeFileSync(join(folder, "package.json"), JSON.stringify({ ...lib.manifest, files: ["dist/*.js"] }));
    const before = packKey(folder, packer, root);
    writeFileSync(join(folder, "test", "index.test.ts"), "// edited\n");
    expect(packKey(folder, packer, root)).not.toBe(before);
  });

  it("never stores or uses a half-written tarball: a failed pack leaves nothing behind", () => {
    const failing = (_: readonly WorkspacePackage[], destination: string): NpmPackEntry[] => {
      writeFileSync(join(destination, "demo-lib-1.0.0.tgz"), "half a tarb");
      throw new Error("npm pack was killed");
    };
    expect(() => packedTarballs([lib], { root, cacheDir, packer, pack: failing })).toThrow("killed");
    expect(readdirSync(cacheDir)).toEqual([]);
    const [result] = packedTarballs([lib], options());
    expect(contentOf(result!.tarball, "dist/index.js")).toBe("export const one = 1;\n");
  });

  it("does not cache a tarball whose package changed while npm packed it", () => {
    const edit = () => writeFileSync(join(root, lib.dir, "dist", "index.js"), "export const two = 2;\n");
    expect(() => packedTarballs([lib], options(edit))).toThrow("changed while it was packed");
    expect(readdirSync(cacheDir)).toEqual([]);
    const [result] = packedTarballs([lib], options());
    expect(contentOf(result!.tarball, "dist/index.js")).toBe("export const two = 2;\n");
  });

  it("uses the tarball of a process that stored the same key first, untouched", () => {
    const key = `demo-lib-${packKey(join(root, lib.dir), packer, root)}`;
    let winner = "";
    const [result] = packedTarballs(
      [lib],
      options(() => {
        // The other process renames its folder into place while this one packs.
        const other = mkdtempSync(join(cacheDir, ".other-"));
        const first = packedTarballs([lib], { root, cacheDir: other, packer, pack: fakePack() });
        cpSync(join(first[0]!.tarball, ".."), join(cacheDir, key), { recursive: true });
        winner = readFileSync(join(cacheDir, key, "demo-lib-1.0.0.tgz"), "hex");
        rmSync(other, { recursive: true, force: true });
      }),
    );
    expect(result!.tarball).toBe(join(cacheDir, key, "demo-lib-1.0.0.tgz"));
    expect(readFileSync(result!.tarball, "hex")).toBe(winner);
    expect(readdirSync(cacheDir).filter((name) => !name.startsWith("."))).toEqual([key]);
  });

  it("leaves no temporary folder or lock behind", () => {
    packedTarballs([lib, app], options());
    expect(readdirSync(cacheDir).filter((name) => name.startsWith("."))).toEqual([]);
    expect(existsSync(join(cacheDir, ".lock"))).toBe(false);
  });
});
