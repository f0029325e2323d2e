// The last step of a published package's build: its entry, dist/index.js as tsc wrote it,
// replaced by one module holding the package's own modules it imports (other packages,
// @amorsize/* included, stay imports). Run in the package's folder, after tsc.
//
// Node resolves, reads, compiles and links each ES module on its own: importing
// @amorsize/optimizer loaded 133 of this project's modules (and zod's 99) and took
// 211-276 ms in a fresh process on the reference machine; with each package's entry one
// module, 139-168 ms (six fresh processes each, alternating). A one-off run (the CLI, a script that calls execute() once) pays it
// before deciding anything. The other files tsc wrote stay: the declarations, the workers
// and CLIs (their own entries), and the modules tests run in a child process.
//
// One copy of each module per process: the entry holds the package's modules, and nothing
// imports both the entry and one of the modules it holds (the CLIs and workers import
// modules of their own package by path, and other packages by name, which is the entry).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";

const entry = join(process.cwd(), "dist", "index.js");

const { outputFiles } = await build({
  entryPoints: [entry],
  // Written over the entry below, once everything it holds was read.
  outfile: entry,
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
// The map first: the entry's last line names it.
for (const file of [...outputFiles].sort(
  (a, b) => Number(b.path.endsWith(".map")) - Number(a.path.endsWith(".map")),
))
  writeFileSync(file.path, file.contents);
