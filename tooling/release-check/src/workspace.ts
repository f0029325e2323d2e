import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The monorepo's root folder, with a trailing slash removed. */
export const repoRoot = fileURLToPath(new URL("../../..", import.meta.url)).replace(/\/$/, "");

/** The URL every published package.json names as its repository. */
export const REPOSITORY = "https://github.com/amorsize/amorsize";

/** The fields of a package.json these checks read. */
export interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  type?: string;
  license?: string;
  repository?: { type?: string; url?: string; directory?: string };
  homepage?: string;
  bugs?: { url?: string };
  engines?: { node?: string };
  exports?: unknown;
  bin?: Record<string, string>;
  files?: string[];
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

/** A package of the workspace: its folder relative to the root and its manifest. */
export interface WorkspacePackage {
  readonly dir: string;
  readonly manifest: Manifest;
}

export function readManifest(file: string): Manifest {
  return JSON.parse(readFileSync(file, "utf8")) as Manifest;
}

/** Every package under packages/ that npm would publish (not `private`). */
export function publishedPackages(root = repoRoot): WorkspacePackage[] {
  return readdirSync(join(root, "packages"), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => ({
      dir: `packages/${entry.name}`,
      manifest: readManifest(join(root, "packages", entry.name, "package.json")),
    }))
    .filter((pkg) => pkg.manifest.private !== true)
    .sort((a, b) => a.dir.localeCompare(b.dir));
}

/** The dependency fields that npm installs for a consumer. */
export const INSTALLED_FIELDS = ["dependencies", "peerDependencies", "optionalDependencies"] as const;
