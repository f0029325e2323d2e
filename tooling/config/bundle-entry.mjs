// The last step of a published package's build: its entries, dist/index.js and the files
// its package.json names as `bin`, as tsc wrote them, each replaced by one module holding
// the package's own modules it imports (other packages, @amorsize/* included, stay
// imports). Run in the package's folder, after tsc.
//
// Node resolves, reads, compiles and links each ES module on its own: importing
// @amorsize/optimizer loaded 133 of this project's modules (and zod's 99) and took
// 211-276 ms in a fresh process on the reference machine; with each package's entry one
// module, 139-168 ms (six fresh processes each, alternating). `amorsize --version` took
// 256-330 ms, and 224-255 with its bin one module. A one-off run (the CLI, a script that
// calls execute() once) pays it before deciding anything. The other files tsc wrote stay:
// the declarations, the workers, the cluster's `./cli` export, and the modules tests run
// in a child process.
//
// One copy of each module per process: an entry holds the package's modules, and nothing
// imports both an entry and one of the modules it holds (a bin is a process of its own; the
// workers import modules of their own package by path, and other packages by name, which
// is their entry).
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";
import { bundledEntries } from "./workspace-builds.mjs";

const dir = process.cwd();
const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
const entries = bundledEntries(manifest).map((path) => join(dir, path));

const { outputFiles } = await build({
  entryPoints: entries,
  // Written over the entries below, once everything they hold was read.
  outdir: join(dir, "dist"),
  outbase: join(dir, "dist"),
  allowOverwrite: true,
  write: false,
  bundle: true,
  // Dependencies and the other workspace packages stay imports, resolved as installed.
  packages: "external",
  platform: "node",
  format: "esm",
  // Node 20.19 is the oldest supported (package.json engines).
  target: "node20.19",
  // Maps back to src/*.ts through tsc's own maps (each module's sourceMappingURL).
  sourcemap: "linked",
  // Not minified: the code reads as tsc wrote it (top-level names two modules share are
  // renamed, `median2`; stack traces map back to the source through the map).
  minify: false,
  logLevel: "warning",
});
// Maps first: each entry's last line names its map. A bin keeps its mode (a file written over).
const maps = outputFiles.filter((file) => file.path.endsWith(".map"));
const code = outputFiles.filter((file) => !file.path.endsWith(".map"));
for (const file of [...maps, ...code]) writeFileSync(file.path, file.contents);
