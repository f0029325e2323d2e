// The workspace's builds as build-all.mjs runs them, shared with typecheck-all.mjs, which
// leaves to the build the files it type-checks.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** A build script that build-all runs with the compiler API: `rm -rf dist && tsc -p <config>[ && <rest>]`. */
export const FORM = /^rm -rf dist && tsc -p (\S+)(?: && (.+))?$/;

/**
 * The files of a package that bundle-entry.mjs, the last step of a published package's
 * build, writes over with one module each: dist/index.js and each `bin`, relative to the
 * package folder.
 */
export function bundledEntries(manifest) {
  const bins = Object.values(manifest.bin ?? {}).map((path) => path.replace(/^\.\//, ""));
  return [...new Set(["dist/index.js", ...bins])];
}

export const DEPENDENCY_FIELDS = [
  "dependencies",
  "devDependencies",
  "peerDependencies",
  "optionalDependencies",
];

/** The workspace packages (folders matched by the root's `workspaces` globs) that have a build. */
export function workspacePackages() {
  const root = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8"));
  return root.workspaces
    .flatMap((pattern) => {
      if (!pattern.endsWith("/*")) return [pattern];
      const parent = pattern.slice(0, -2);
      return readdirSync(join(repoRoot, parent), { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .map((entry) => `${parent}/${entry.name}`);
    })
    .filter((dir) => existsSync(join(repoRoot, dir, "package.json")))
    .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(repoRoot, dir, "package.json"), "utf8")) }))
    .filter((pkg) => pkg.manifest.scripts?.build);
}
