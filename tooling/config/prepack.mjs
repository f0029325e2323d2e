// The `prepack` of every published package: makes dist/ exactly what a clean build gives.
//
// When dist/ was built after the last change to any build input (every source file and
// folder, so a deleted module counts, the package.json and tsconfig files) and every file
// in it comes from a source of today, it already is a clean build and is left alone.
// Otherwise the package's own `build` script (which starts with `rm -rf dist`) runs on a
// copy of the package in a scratch mirror of the repository's layout, and dist/ is brought
// in line with that output file by file: changed and new files are written, files the
// clean build does not produce are deleted, identical files are not touched. A pack
// therefore never ships stale modules, and packing while other processes load the same
// dist/ (tests that pack a package during `npm test`) pulls nothing from under them.
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { staleOutputs } from "./dist-sources.mjs";

const configDir = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(configDir, "..", "..");
const packageDir = process.cwd();
const packageName = basename(packageDir);
const SKIPPED = new Set(["dist", "node_modules", ".turbo"]);

/** Every file below `dir`, as paths relative to it. */
function filesBelow(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((path) =>
    statSync(join(dir, path)).isFile(),
  );
}

function isCleanBuildOfToday() {
  const dist = filesBelow(join(packageDir, "dist"));
  if (dist.length === 0) return false;
  const sources = readdirSync(join(packageDir, "src"), { recursive: true, encoding: "utf8" });
  const inputs = [
    join(packageDir, "src"),
    ...sources.map((path) => join(packageDir, "src", path)),
    ...readdirSync(packageDir)
      .filter((name) => name === "package.json" || /^tsconfig.*\.json$/.test(name))
      .map((name) => join(packageDir, name)),
    join(repoRoot, "tsconfig.base.json"),
    join(configDir, "tsconfig.lib.json"),
  ];
  const newestInput = Math.max(...inputs.map((path) => statSync(path).mtimeMs));
  const oldestOutput = Math.min(...dist.map((path) => statSync(join(packageDir, "dist", path)).mtimeMs));
  const stale = staleOutputs(
    dist.map((path) => `dist/${path}`),
    sources.map((path) => `src/${path}`),
  );
  return oldestOutput > newestInput && stale.length === 0;
}

function cleanBuild(mirror) {
  const copy = join(mirror, "packages", packageName);
  mkdirSync(join(mirror, "tooling"), { recursive: true });
  cpSync(join(repoRoot, "tsconfig.base.json"), join(mirror, "tsconfig.base.json"));
  cpSync(configDir, join(mirror, "tooling", "config"), { recursive: true });
  cpSync(packageDir, copy, { recursive: true, filter: (source) => !SKIPPED.has(basename(source)) });
  symlinkSync(join(repoRoot, "node_modules"), join(mirror, "node_modules"));
  // Dependencies npm could not hoist (another version of them sits at the root) are in the
  // package's own node_modules: the build resolves them there, as in the repository.
  const own = join(packageDir, "node_modules");
  if (existsSync(own)) symlinkSync(own, join(copy, "node_modules"));
  execFileSync("npm", ["run", "--silent", "build"], { cwd: copy, stdio: ["ignore", "inherit", "inherit"] });
  return join(copy, "dist");
}

function syncInto(built, target) {
  const wanted = new Set(filesBelow(built));
  for (const path of wanted) {
    const from = join(built, path);
    const to = join(target, path);
    const mode = statSync(from).mode & 0o777;
    if (!existsSync(to) || !readFileSync(from).equals(readFileSync(to))) {
      mkdirSync(dirname(to), { recursive: true });
      copyFileSync(from, to);
    }
    if ((statSync(to).mode & 0o777) !== mode) chmodSync(to, mode);
  }
  for (const path of filesBelow(target)) {
    if (!wanted.has(path)) {
      rmSync(join(target, path));
      console.error(`prepack: removed ${relative(packageDir, join(target, path))} (not in a clean build)`);
    }
  }
}

if (!isCleanBuildOfToday()) {
  const mirror = mkdtempSync(join(tmpdir(), `amorsize-prepack-${packageName}-`));
  try {
    syncInto(cleanBuild(mirror), join(packageDir, "dist"));
  } finally {
    rmSync(mirror, { recursive: true, force: true });
  }
}
