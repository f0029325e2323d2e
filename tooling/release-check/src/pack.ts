import { execFileSync } from "node:child_process";
import { createHash, type Hash } from "node:crypto";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { type Manifest, repoRoot, type WorkspacePackage } from "./workspace.js";

/** One file of a tarball as `npm pack --json` lists it. */
export interface PackedFile {
  readonly path: string;
  readonly mode: number;
  readonly size: number;
}

/** A packed package: its tarball, the files in it and the package.json inside it. */
export interface Packed {
  readonly name: string;
  readonly version: string;
  readonly tarball: string;
  readonly files: readonly PackedFile[];
  readonly manifest: Manifest;
}

/** What `npm pack --json` says about one tarball. */
export interface NpmPackEntry {
  name: string;
  version: string;
  filename: string;
  files: PackedFile[];
}

/**
 * Packs the packages into `destination` with one `npm pack` call and returns npm's report.
 * Lifecycle scripts are skipped: the dist folders are turbo's build, and a prepack here
 * would rebuild them under the feet of other packages' tests running at the same time (its
 * clean build is tested on a copy instead).
 */
export function npmPack(packages: readonly WorkspacePackage[], destination: string): NpmPackEntry[] {
  const workspaces = packages.flatMap((pkg) => ["--workspace", pkg.manifest.name]);
  const args = ["pack", "--ignore-scripts", "--json", "--pack-destination", destination, ...workspaces];
  return JSON.parse(npm(args, repoRoot)) as NpmPackEntry[];
}

/** Where packedTarballs keeps the tarballs, one folder per key. */
export const PACK_CACHE = join(repoRoot, "node_modules", ".cache", "amorsize-release-check", "packs");

export interface PackCacheOptions {
  /** The folder the packages' `dir`s are relative to (the repository's root). */
  readonly root?: string;
  /** The cache folder (PACK_CACHE). */
  readonly cacheDir?: string;
  /** Packs the packages into a folder and returns npm's report (npmPack; tests replace it). */
  readonly pack?: (packages: readonly WorkspacePackage[], destination: string) => NpmPackEntry[];
  /** Part of every key: the npm that packs (its version, read from the running npm). */
  readonly packer?: string;
}

/**
 * The packages' tarballs, packed once per content and shared between test files and runs
 * (the Node 24 and 26 runs of `.ci/run` pack nothing). Each tarball lives in
 * `<cacheDir>/<package>-<key>/`, where the key is a hash of everything npm would pack from
 * the package folder (package.json, README, LICENSE, the build output in `files`, with
 * their executable bits) and of the npm that packs: a changed package gets a new key and
 * is packed again, so a stale tarball is never used. A folder is written under a
 * temporary name and renamed into place whole, so a reader sees all of it or none; when
 * two processes race, the first rename wins and both use its tarball. The tarballs are
 * the cache's: callers read them and leave them where they are.
 */
export function packedTarballs(
  packages: readonly WorkspacePackage[],
  options: PackCacheOptions = {},
): Packed[] {
  const { root = repoRoot, cacheDir = PACK_CACHE, pack = npmPack, packer = npmIdentity() } = options;
  mkdirSync(cacheDir, { recursive: true });
  const keyOf = (pkg: WorkspacePackage) =>
    `${slug(pkg.manifest.name)}-${packKey(join(root, pkg.dir), packer, root)}`;
  let keys = packages.map(keyOf);
  let missing = packages.filter((_, index) => !isCached(cacheDir, keys[index]!));
  if (missing.length > 0) {
    // One process packs while the others wait, then they find its tarballs; the lock only
    // saves work: correctness rests on the keys and the renames.
    const unlock = lock(join(cacheDir, ".lock"));
    try {
      missing = packages.filter((_, index) => !isCached(cacheDir, keys[index]!));
      if (missing.length > 0) store(missing, cacheDir, pack, keyOf);
    } finally {
      unlock();
    }
    keys = packages.map(keyOf);
  }
  return packages.map((pkg, index) => {
    const folder = join(cacheDir, keys[index]!);
    const entry = readEntry(folder);
    if (!entry)
      throw new Error(`packedTarballs: ${pkg.manifest.name} changed while it was packed; run again`);
    const now = new Date();
    utimesSync(folder, now, now); // in use: pruning leaves it alone
    const tarball = join(folder, entry.filename);
    return { ...entry, tarball, manifest: manifestInTarball(tarball) };
  });
}

/** Packs `missing` into a temporary folder, then renames each tarball's folder to its key. */
function store(
  missing: readonly WorkspacePackage[],
  cacheDir: string,
  pack: NonNullable<PackCacheOptions["pack"]>,
  keyOf: (pkg: WorkspacePackage) => string,
): void {
  const before = missing.map(keyOf);
  const temporary = join(
    cacheDir,
    `.tmp-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`,
  );
  mkdirSync(temporary);
  try {
    const entries = pack(missing, temporary);
    missing.forEach((pkg, index) => {
      const entry = entries.find((candidate) => candidate.name === pkg.manifest.name);
      // Packed from what the key describes only if nothing changed while npm read it.
      if (!entry || keyOf(pkg) !== before[index]) return;
      const staging = join(temporary, `entry-${index}`);
      mkdirSync(staging);
      renameSync(join(temporary, entry.filename), join(staging, entry.filename));
      writeFileSync(join(staging, ENTRY), JSON.stringify(entry));
      try {
        renameSync(staging, join(cacheDir, before[index]!));
      } catch (error) {
        // Another process stored the same key first: its tarball is the same one.
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== "ENOTEMPTY" && code !== "EEXIST") throw error;
      }
      prune(cacheDir, slug(pkg.manifest.name), before[index]!);
    });
  } finally {
    rmSync(temporary, { recursive: true, force: true });
  }
}

const ENTRY = "pack.json";
const STALE_MS = 60 * 60 * 1000;

function isCached(cacheDir: string, key: string): boolean {
  return existsSync(join(cacheDir, key, ENTRY));
}

function readEntry(folder: string): NpmPackEntry | undefined {
  try {
    return JSON.parse(readFileSync(join(folder, ENTRY), "utf8")) as NpmPackEntry;
  } catch {
    return undefined;
  }
}

/** Removes the package's other tarballs and temporary folders left by a killed run, unused for an hour. */
function prune(cacheDir: string, packageSlug: string, keep: string): void {
  const cutoff = Date.now() - STALE_MS;
  for (const name of readdirSync(cacheDir)) {
    const ours = name.startsWith(`${packageSlug}-`) && /^[0-9a-f]+$/.test(name.slice(packageSlug.length + 1));
    if (name === keep || !(ours || name.startsWith(".tmp-"))) continue;
    try {
      if (statSync(join(cacheDir, name)).mtimeMs < cutoff)
        rmSync(join(cacheDir, name), { recursive: true, force: true });
    } catch {
      // Removed by another process meanwhile.
    }
  }
}

/** `@amorsize/types` -> `amorsize-types`, as npm names the tarball. */
function slug(name: string): string {
  return name.replace(/^@/, "").replace(/\//g, "-");
}

/**
 * A hash of what `npm pack` of the package folder reads: with a `files` list of plain
 * paths, every top-level file (package.json, README, LICENSE, ...), everything under the
 * listed paths and the `main` and `bin` targets; otherwise every file outside node_modules.
 * Each file counts with its path, its executable bit and its bytes, and so do the ignore
 * files of the workspace's `root`. More than npm packs is hashed, never less: a change
 * outside the tarball only costs a fresh pack.
 */
export function packKey(folder: string, packer: string, root = repoRoot): string {
  const hash = createHash("sha256").update(`${packer}\0`);
  for (const name of [".npmignore", ".gitignore"]) hashTree(hash, join(root, name), `root/${name}`, true);
  const manifest = JSON.parse(readFileSync(join(folder, "package.json"), "utf8")) as Manifest & {
    main?: string;
    bin?: string | Record<string, string>;
    bundleDependencies?: unknown;
    bundledDependencies?: unknown;
  };
  const listed = manifest.files;
  const bundles = Boolean(manifest.bundleDependencies ?? manifest.bundledDependencies);
  const plain = listed?.every((entry) => !/[*?[\]{}!]/.test(entry) && !entry.split("/").includes(".."));
  if (!listed || !plain || bundles) {
    hashTree(hash, folder, "", !bundles);
    return hash.digest("hex");
  }
  const bins = typeof manifest.bin === "string" ? [manifest.bin] : Object.values(manifest.bin ?? {});
  const paths = new Set(
    [...listed, ...(manifest.main ? [manifest.main] : []), ...bins].map((path) =>
      path.replace(/^\.\//, "").replace(/\/+$/, ""),
    ),
  );
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    if (!entry.isDirectory()) paths.add(entry.name);
  }
  for (const path of [...paths].sort()) {
    if (path === "" || path === ".") hashTree(hash, folder, "", true);
    else hashTree(hash, join(folder, path), path, false);
  }
  return hash.digest("hex");
}

/** Adds a file, or a folder's files in a fixed order, to the hash; a missing path counts as missing. */
function hashTree(hash: Hash, path: string, name: string, skipNodeModules: boolean): void {
  let stat: ReturnType<typeof lstatSync>;
  try {
    stat = lstatSync(path);
  } catch {
    hash.update(`missing ${name}\0`);
    return;
  }
  if (stat.isDirectory()) {
    for (const child of readdirSync(path).sort()) {
      if (skipNodeModules && child === "node_modules") continue;
      hashTree(hash, join(path, child), name ? `${name}/${child}` : child, false);
    }
  } else if (stat.isSymbolicLink()) {
    hash.update(`link ${name}\0${readlinkSync(path)}\0`);
  } else {
    const bytes = readFileSync(path);
    hash.update(`file ${name}\0${stat.mode & 0o111 ? "x" : "-"}\0${bytes.length}\0`).update(bytes);
  }
}

/**
 * The npm that `npm` runs, as `npm@<version>`: read from the npm running this process (a
 * test started by `npm test`), or asked once.
 */
function npmIdentity(): string {
  const execPath = process.env.npm_execpath;
  if (execPath) {
    try {
      const manifest = JSON.parse(readFileSync(join(dirname(execPath), "..", "package.json"), "utf8"));
      if (manifest.name === "npm" && typeof manifest.version === "string") return `npm@${manifest.version}`;
    } catch {
      // Not npm's own layout: ask npm.
    }
  }
  return `npm@${npm(["--version"], repoRoot).trim()}`;
}

/**
 * Takes the lock folder (mkdir is atomic), waiting while another live process holds it;
 * returns its release. A holder that died, or a wait over a minute, gives up the lock.
 */
function lock(folder: string): () => void {
  const deadline = Date.now() + 60_000;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      mkdirSync(folder);
      writeFileSync(join(folder, "pid"), String(process.pid));
      return () => rmSync(folder, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    if (Date.now() > deadline) return () => {};
    if (holderIsGone(folder)) {
      rmSync(folder, { recursive: true, force: true });
      continue;
    }
    Atomics.wait(pause, 0, 0, 100);
  }
}

function holderIsGone(folder: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(join(folder, "pid"), "utf8"));
  } catch {
    // Taken but the pid not written yet, or the holder died in between.
    try {
      return Date.now() - statSync(folder).mtimeMs > 10_000;
    } catch {
      return false;
    }
  }
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/** The package.json as published, read from the tarball itself. */
export function manifestInTarball(tarball: string): Manifest {
  return JSON.parse(execFileSync("tar", ["xOzf", tarball, "package/package.json"], { encoding: "utf8" }));
}

/** Runs npm quietly and returns its stdout; a failure throws with npm's stderr. */
export function npm(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  const quiet = ["--no-audit", "--no-fund", "--loglevel=error"];
  return execFileSync("npm", [...args, ...quiet], {
    cwd,
    env,
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    stdio: ["ignore", "pipe", "pipe"],
  });
}
