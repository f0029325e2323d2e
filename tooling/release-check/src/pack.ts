import { execFileSync } from "node:child_process";
import { join } from "node:path";
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

interface NpmPackEntry {
  name: string;
  version: string;
  filename: string;
  files: PackedFile[];
}

/**
 * Packs the packages into `destination` with one `npm pack` call. Lifecycle scripts are
 * skipped: the dist folders are turbo's build, and a prepack here would rebuild them under
 * the feet of other packages' tests running at the same time (its clean build is tested
 * on a copy instead).
 */
export function packAll(packages: readonly WorkspacePackage[], destination: string): Packed[] {
  const workspaces = packages.flatMap((pkg) => ["--workspace", pkg.manifest.name]);
  const args = ["pack", "--ignore-scripts", "--json", "--pack-destination", destination, ...workspaces];
  const entries = JSON.parse(npm(args, repoRoot)) as NpmPackEntry[];
  return entries.map((entry) => {
    const tarball = join(destination, entry.filename);
    return { ...entry, tarball, manifest: manifestInTarball(tarball) };
  });
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
