import { staleOutputs } from "../../config/dist-sources.mjs";
import { INSTALLED_FIELDS, type Manifest, REPOSITORY } from "./workspace.js";

/** What a tarball check needs to know about the package's folder. */
export interface PackageFolder {
  /** Folder relative to the repository root, such as `packages/optimizer`. */
  readonly dir: string;
  /** Files under `src/`, relative to the package folder (`src/index.ts`). */
  readonly sources: readonly string[];
  /** Whether the folder has a LICENSE file. */
  readonly hasLicense: boolean;
}

const TOP_LEVEL = new Set(["package.json", "README.md", "LICENSE", "CHANGELOG.md"]);
const TEST_FILE = /(^|\/)(test|tests|__tests__|fixtures)\/|\.(test|spec)\.[cm]?[jt]s(\.map)?$/;
const EXECUTABLE = 0o111;
/** Makes dist/ what a clean build gives without touching files that are already right. */
export const PREPACK = "node ../../tooling/config/prepack.mjs";

/** Problems with the file list of a tarball; empty when it is fine. */
export function fileProblems(
  files: readonly { path: string; mode: number }[],
  manifest: Manifest,
  folder: PackageFolder,
): string[] {
  const paths = new Set(files.map((file) => file.path));
  const problems: string[] = [];
  for (const required of ["package.json", "README.md", "dist/index.js", "dist/index.d.ts"]) {
    if (!paths.has(required)) problems.push(`${required} is missing`);
  }
  if (folder.hasLicense && !paths.has("LICENSE"))
    problems.push("LICENSE is in the folder but not in the tarball");
  for (const target of exportTargets(manifest.exports)) {
    if (!paths.has(target)) problems.push(`exports target ${target} is missing`);
  }
  for (const [name, target] of Object.entries(manifest.bin ?? {})) {
    const file = files.find((entry) => entry.path === normalise(target));
    if (!file) problems.push(`bin ${name}: ${normalise(target)} is missing`);
    else if ((file.mode & EXECUTABLE) === 0) problems.push(`bin ${name}: ${file.path} is not executable`);
  }
  const stale = new Set(
    staleOutputs(
      [...paths].filter((path) => path.startsWith("dist/")),
      folder.sources,
    ),
  );
  for (const path of paths) {
    if (TEST_FILE.test(path)) problems.push(`${path} is a test file`);
    else if (!path.startsWith("dist/") && !TOP_LEVEL.has(path))
      problems.push(`${path} should not be published`);
    else if (stale.has(path)) problems.push(`${path} has no source in src/ (a stale build output)`);
  }
  return problems;
}

/** A static import or re-export's specifier, a side-effect import's, or a dynamic import's of a string. */
const IMPORT_SPECIFIER =
  /(?:^|[\n;])\s*(?:import|export)\b[^;"'`]*?\bfrom\s*["']([^"']+)["']|(?:^|[\n;])\s*import\s*["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']\s*\)/g;

/**
 * Problems with a package's built entry (`dist/index.js`, or a bin: `path`, its code given):
 * each module of its own that it imports by a relative path. The build makes each entry
 * one module that holds them (tooling/config/bundle-entry.mjs), so that importing the
 * package, or starting its command, loads one module of it, not dozens.
 */
export function entryProblems(code: string, path = "dist/index.js"): string[] {
  const problems: string[] = [];
  for (const match of code.matchAll(IMPORT_SPECIFIER)) {
    const specifier = match[1] ?? match[2] ?? match[3] ?? "";
    if (specifier.startsWith("./") || specifier.startsWith("../"))
      problems.push(`${path} imports ${specifier}: the entry should hold the package's own modules`);
  }
  return problems;
}

/** Every file path named in an `exports` map, without the leading `./`. */
export function exportTargets(exports: unknown): string[] {
  if (typeof exports === "string") return exports.includes("*") ? [] : [normalise(exports)];
  if (exports === null || typeof exports !== "object") return [];
  return Object.values(exports).flatMap(exportTargets);
}

function normalise(path: string): string {
  return path.replace(/^\.\//, "");
}

/**
 * Problems with a published package.json: sibling ranges, the fields a registry page and
 * `npm install` read, and the scripts that make a pack build from a clean dist/.
 */
export function manifestProblems(
  manifest: Manifest,
  dir: string,
  siblings: ReadonlyMap<string, string>,
  nodeRange: string,
): string[] {
  const problems = [...rangeProblems(manifest, siblings)];
  const repository = manifest.repository;
  if (repository?.type !== "git" || repository.url !== `git+${REPOSITORY}.git`) {
    problems.push(`repository should be { type: "git", url: "git+${REPOSITORY}.git" }`);
  }
  if (repository?.directory !== dir) problems.push(`repository.directory should be "${dir}"`);
  if (manifest.homepage !== `${REPOSITORY}/tree/main/${dir}#readme`)
    problems.push("homepage is not the README's page");
  if (manifest.bugs?.url !== `${REPOSITORY}/issues`) problems.push(`bugs.url should be ${REPOSITORY}/issues`);
  if (manifest.engines?.node !== nodeRange)
    problems.push(`engines.node should be "${nodeRange}" like the root's`);
  if (manifest.type !== "module") problems.push('type should be "module"');
  if (!manifest.license) problems.push("license is missing");
  if (manifest.scripts?.prepack !== PREPACK) problems.push(`scripts.prepack should be "${PREPACK}"`);
  if (!manifest.scripts?.build?.startsWith("rm -rf dist && ")) {
    problems.push('scripts.build should start with "rm -rf dist && " (a pack must not ship removed modules)');
  }
  return problems;
}

/** Each sibling a consumer installs must be asked for with `^` and its current version. */
function rangeProblems(manifest: Manifest, siblings: ReadonlyMap<string, string>): string[] {
  const problems: string[] = [];
  for (const field of INSTALLED_FIELDS) {
    for (const [name, range] of Object.entries(manifest[field] ?? {})) {
      const version = siblings.get(name);
      if (version !== undefined) {
        if (range !== `^${version}`) problems.push(`${field}.${name} is "${range}", expected "^${version}"`);
      } else if (range === "*" || range.startsWith("workspace:")) {
        problems.push(`${field}.${name} is "${range}": any version would do`);
      }
    }
  }
  return problems;
}
