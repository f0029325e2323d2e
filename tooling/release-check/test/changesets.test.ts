import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import {
  INSTALLED_FIELDS,
  type Manifest,
  publishedPackages,
  readManifest,
  repoRoot,
} from "../src/workspace.js";

const scratch = mkdtempSync(join(tmpdir(), "amorsize-changesets-"));
const before = new Map(publishedPackages().map((pkg) => [pkg.manifest.name, pkg.manifest]));
let after: Map<string, Manifest>;

function bump(version: string, part: "minor" | "patch"): string {
  const [major, minor, patch] = version.split(".").map(Number) as [number, number, number];
  return part === "minor" ? `${major}.${minor + 1}.0` : `${major}.${minor}.${patch + 1}`;
}

/** The workspace's manifests and changesets config, on a scratch copy. */
function copyWorkspace(): void {
  cpSync(join(repoRoot, "package.json"), join(scratch, "package.json"));
  mkdirSync(join(scratch, ".changeset"));
  cpSync(join(repoRoot, ".changeset", "config.json"), join(scratch, ".changeset", "config.json"));
  for (const group of ["packages", "apps", "tooling"]) {
    for (const entry of readdirSync(join(repoRoot, group), { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      mkdirSync(join(scratch, group, entry.name), { recursive: true });
      cpSync(
        join(repoRoot, group, entry.name, "package.json"),
        join(scratch, group, entry.name, "package.json"),
      );
    }
  }
}

beforeAll(() => {
  copyWorkspace();
  writeFileSync(
    join(scratch, ".changeset", "types-break.md"),
    '---\n"@amorsize/types": minor\n---\n\nBroke.\n',
  );
  writeFileSync(
    join(scratch, ".changeset", "cluster-break.md"),
    '---\n"@amorsize/cluster": minor\n---\n\nBroke.\n',
  );
  writeFileSync(
    join(scratch, ".changeset", "executor-fix.md"),
    '---\n"@amorsize/executor": patch\n---\n\nFixed.\n',
  );
  const bin = join(repoRoot, "node_modules", "@changesets", "cli", "bin.js");
  execFileSync(process.execPath, [bin, "version"], { cwd: scratch, stdio: "pipe" });
  after = new Map(publishedPackages(scratch).map((pkg) => [pkg.manifest.name, pkg.manifest]));
});

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

describe("changeset version", () => {
  it("bumps the packages named and patches every package that depends on them", () => {
    expect(after.get("@amorsize/types")?.version).toBe(bump(before.get("@amorsize/types")!.version, "minor"));
    expect(after.get("@amorsize/cluster")?.version).toBe(
      bump(before.get("@amorsize/cluster")!.version, "minor"),
    );
    for (const name of ["@amorsize/executor", "@amorsize/optimizer", "@amorsize/cost-model"]) {
      expect([name, after.get(name)?.version]).toEqual([name, bump(before.get(name)!.version, "patch")]);
    }
  });

  it("rewrites every sibling range to ^ the new version", () => {
    const wrong: string[] = [];
    for (const manifest of after.values()) {
      for (const field of [...INSTALLED_FIELDS, "devDependencies"] as const) {
        for (const [name, range] of Object.entries(manifest[field] ?? {})) {
          const sibling = after.get(name);
          if (sibling && range !== `^${sibling.version}`)
            wrong.push(`${manifest.name} ${field}.${name}: ${range}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it("keeps every package on 0.x: a sibling's breaking minor does not make a dependent 1.0.0", () => {
    // changesets 2.x turns a peer dependency's minor bump into a major bump of the dependent
    // (changesets#1228), which on 0.x means 1.0.0: siblings are plain dependencies.
    const majors = [...after.values()].filter((manifest) => !manifest.version.startsWith("0."));
    expect(majors.map((manifest) => `${manifest.name}@${manifest.version}`)).toEqual([]);
  });

  it("leaves the private apps and tooling alone", () => {
    expect(readManifest(join(scratch, "apps", "demo", "package.json")).version).toBe("0.0.0");
    expect(readManifest(join(scratch, "tooling", "config", "package.json")).version).toBe("0.0.0");
  });
});
