// `node tooling/config/typecheck-all.mjs [--beside-build]`: what `tsc -p tsconfig.test.json`
// does (every package's sources, tests and scripts, the apps and the tooling in one program,
// the same options, the same errors), run with the TypeScript compiler API.
//
// With --beside-build (`npm run typecheck:rest`, the typecheck of `npm test`) it skips the
// semantic check of the files that the build (build:types) type-checks anyway: each
// package's src/ as its build config takes it (src/**/*.test.ts stays here), when that config
// checks with the same options. Those files are still parsed and read for the types the tests
// and scripts use; only their own errors are left to the build (7.3 s of CPU instead of
// `tsc -p tsconfig.test.json`'s 8.5 on two cores).
// So this alone is no full typecheck: `npm test` runs it in the same turbo run as build:types,
// which fails on any error in src/, and `npm run typecheck` stays the full `tsc` run. It reads
// no dist/, so turbo still runs it beside the build.
import { createRequire } from "node:module";
import { join } from "node:path";
import { FORM, repoRoot, workspacePackages } from "./workspace-builds.mjs";

// Loaded as the CommonJS module it is: an ESM import of typescript.js first scans its 9 MB
// for named exports (about 0.3 s of CPU).
const ts = createRequire(import.meta.url)("typescript");

// Options that place, name or emit files, or resolve them to another copy of the same
// types (`paths`: sibling sources here, their declarations in a build); all others decide
// what counts as an error and must match for the build's check to stand for this one.
const NOT_CHECKING = new Set([
  "baseUrl",
  "composite",
  "configFilePath",
  "declaration",
  "declarationDir",
  "declarationMap",
  "emitDeclarationOnly",
  "incremental",
  "inlineSourceMap",
  "inlineSources",
  "noEmit",
  "noEmitOnError",
  "outDir",
  "outFile",
  "paths",
  "pathsBasePath",
  "removeComments",
  "rootDir",
  "sourceMap",
  "tsBuildInfoFile",
]);

function checkingOptions(options) {
  const kept = Object.entries(options).filter(([name]) => !NOT_CHECKING.has(name));
  return JSON.stringify(kept.sort(([a], [b]) => a.localeCompare(b)));
}

/** `tsc -p <config>`'s reading of a config file, from `cwd`. */
function parseConfig(cwd, config) {
  const unrecoverable = [];
  const parsed = ts.getParsedCommandLineOfConfigFile(join(cwd, config), undefined, {
    ...ts.sys,
    getCurrentDirectory: () => cwd,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => unrecoverable.push(diagnostic),
  });
  return { parsed, unrecoverable };
}

/** The files the build type-checks with the same checking options as `options`. */
function checkedByBuild(options) {
  const files = new Set();
  const wanted = checkingOptions(options);
  for (const pkg of workspacePackages()) {
    const form = FORM.exec(pkg.manifest.scripts.build);
    if (!form) continue; // built by its own script: what that checks is not known here
    const { parsed } = parseConfig(join(repoRoot, pkg.dir), form[1]);
    if (
      !parsed ||
      ts.getConfigFileParsingDiagnostics(parsed).length > 0 ||
      checkingOptions(parsed.options) !== wanted
    )
      continue;
    for (const file of parsed.fileNames) files.add(file);
  }
  return files;
}

const besideBuild = process.argv.includes("--beside-build");
const { parsed, unrecoverable } = parseConfig(repoRoot, "tsconfig.test.json");
const diagnostics = [...unrecoverable];
let skipped = 0;
let checked = 0;
if (parsed) {
  // The config file's own syntax errors too, which `parsed.errors` leaves out (as tsc reports them).
  const configDiagnostics = ts.getConfigFileParsingDiagnostics(parsed);
  const program = ts.createProgram({
    rootNames: parsed.fileNames,
    options: parsed.options,
    projectReferences: parsed.projectReferences,
    configFileParsingDiagnostics: configDiagnostics,
  });
  const leftToBuild = besideBuild ? checkedByBuild(parsed.options) : new Set();
  // tsc's order: semantic errors only when the syntax and the options are sound.
  diagnostics.push(...program.getConfigFileParsingDiagnostics());
  const clean = () => diagnostics.length === configDiagnostics.length;
  diagnostics.push(...program.getSyntacticDiagnostics());
  if (clean()) diagnostics.push(...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics());
  if (clean()) {
    for (const sourceFile of program.getSourceFiles()) {
      if (leftToBuild.has(sourceFile.fileName)) {
        skipped += 1;
        continue;
      }
      if (!sourceFile.isDeclarationFile) checked += 1;
      diagnostics.push(...program.getSemanticDiagnostics(sourceFile));
    }
  }
}
const errors = ts.sortAndDeduplicateDiagnostics(diagnostics);
if (errors.length > 0) {
  const format = process.stdout.isTTY ? ts.formatDiagnosticsWithColorAndContext : ts.formatDiagnostics;
  const formatHost = {
    getCanonicalFileName: (fileName) => fileName,
    getCurrentDirectory: () => repoRoot,
    getNewLine: () => ts.sys.newLine,
  };
  process.stdout.write(format(errors, formatHost));
}
if (besideBuild) console.log(`typecheck: ${checked} files checked, ${skipped} left to build:types`);
if (errors.some((diagnostic) => diagnostic.category === ts.DiagnosticCategory.Error)) process.exit(1);
