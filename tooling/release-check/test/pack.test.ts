import { execFileSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, jest } from "@jest/globals";
import { npm, type Packed, packedTarballs } from "../src/pack.js";
import { entryProblems, fileProblems, manifestProblems } from "../src/rules.js";
import { publishedPackages, readManifest, repoRoot } from "../src/workspace.js";

// Packing and installing the packages takes a while on a busy 2-core machine.
jest.setTimeout(300_000);

const published = publishedPackages();
const siblings = new Map(published.map((pkg) => [pkg.manifest.name, pkg.manifest.version]));
const nodeRange = readManifest(join(repoRoot, "package.json")).engines?.node ?? "";
const scratch = mkdtempSync(join(tmpdir(), "amorsize-pack-"));
let packs: Map<string, Packed>;

beforeAll(() => {
  packs = new Map(packedTarballs(published).map((packed) => [packed.name, packed]));
});

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

function sourcesOf(dir: string): string[] {
  const src = join(repoRoot, dir, "src");
  return readdirSync(src, { recursive: true, encoding: "utf8" }).map((path) => `src/${path}`);
}

describe.each(published.map((pkg) => [pkg.manifest.name, pkg] as const))("the tarball of %s", (name, pkg) => {
  it("holds the built entry, README, LICENSE and executable bins, and no tests or stale modules", () => {
    const packed = packs.get(name)!;
    const folder = {
      dir: pkg.dir,
      sources: sourcesOf(pkg.dir),
      hasLicense: existsSync(join(repoRoot, pkg.dir, "LICENSE")),
    };
    expect(fileProblems(packed.files, packed.manifest, folder)).toEqual([]);
  });

  it("has entries (dist/index.js and each bin) that hold the package's own modules (see bundle-entry.mjs)", () => {
    const packed = packs.get(name)!;
    const bins = Object.values(packed.manifest.bin ?? {}).map((bin) => bin.replace(/^\.\//, ""));
    const problems = ["dist/index.js", ...bins].flatMap((entry) =>
      entryProblems(
        execFileSync("tar", ["xOzf", packed.tarball, `package/${entry}`], { encoding: "utf8" }),
        entry,
      ),
    );
    expect(problems).toEqual([]);
  });

  it("asks for its siblings with ^ ranges and carries repository, homepage, bugs, engines, prepack", () => {
    const packed = packs.get(name)!;
    expect(packed.version).toBe(pkg.manifest.version);
    expect(manifestProblems(packed.manifest, pkg.dir, siblings, nodeRange)).toEqual([]);
  });
});

describe("npm pack of a package", () => {
  it("ships what a clean build gives (prepack): a removed module is gone, files already right stay untouched", () => {
    // A copy of the smallest package in the repository's layout, so the real prepack runs
    // without touching the dist/ that other packages' tests load.
    const copy = join(scratch, "repo");
    const types = join(copy, "packages", "types");
    mkdirSync(join(copy, "tooling"), { recursive: true });
    cpSync(join(repoRoot, "tsconfig.base.json"), join(copy, "tsconfig.base.json"));
    cpSync(join(repoRoot, "tooling", "config"), join(copy, "tooling", "config"), { recursive: true });
    cpSync(join(repoRoot, "packages", "types"), types, {
      recursive: true,
      filter: (source) => !source.includes("node_modules") && !source.includes(".turbo"),
    });
    symlinkSync(join(repoRoot, "node_modules"), join(copy, "node_modules"));
    // Dependencies npm could not hoist (another version sits at the root) are the package's own.
    const own = join(repoRoot, "packages", "types", "node_modules");
    if (existsSync(own)) symlinkSync(own, join(types, "node_modules"));
    writeFileSync(join(types, "dist", "removed-module.js"), "export const stale = true;\n");
    const entry = join(types, "dist", "index.js");
    utimesSync(entry, new Date(2000, 0, 1), new Date(2000, 0, 1));
    const before = statSync(entry);

    const [result] = JSON.parse(npm(["pack", "--dry-run", "--json"], types)) as [
      { files: { path: string }[] },
    ];
    const paths = result.files.map((file) => file.path);
    expect(paths).toContain("dist/index.js");
    expect(paths).not.toContain("dist/removed-module.js");
    expect(existsSync(join(types, "dist", "removed-module.js"))).toBe(false);
    // Rewriting an identical file would pull it from under a process loading it.
    expect([statSync(entry).ino, statSync(entry).mtimeMs]).toEqual([before.ino, before.mtimeMs]);
  });
});
