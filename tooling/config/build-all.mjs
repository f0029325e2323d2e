// Builds every workspace package in one process: `npm run build:all`, and in two steps the
// build of `npm test`.
//
// Each package's own `build` script stays the definition of its build (turbo's per-package
// `build`, `npm run demo` and the prepack run it). A script of the usual form
// `rm -rf dist && tsc -p <config>[ && <rest>]` is run here with the TypeScript compiler API
// instead of a `tsc` process per package, in two steps that together write what that script
// writes, byte for byte:
//
// - `--js`: the JavaScript. Each source file is transpiled on its own
//   (`ts.transpileModule`, the package's compiler options), then `<rest>` (a bundle, a chmod,
//   a copy) runs in a shell in the package's folder. With `isolatedModules` and
//   `verbatimModuleSyntax` (tsconfig.base.json) a file's JavaScript depends on that file
//   alone, so this needs no types: about 2 s for every package, where the whole build takes
//   12 s on two cores. The suites that run only the built JavaScript (workers, child
//   processes) and are the longest start after this step (turbo.json, packages/*/turbo.json).
// - `--types`: the type check and the declarations, in dependency order (a dependent's check
//   reads what its dependency just wrote), beside those suites: the compile tsc would run,
//   whose other files are not written but compared with what the first step left in dist/,
//   so a file missing, stale or transpiled otherwise than tsc would fails the build instead
//   of shipping. The standard library, @types/node and the other declarations under
//   node_modules are parsed once for all packages, and the compiler runs warm (on two
//   cores: about half the CPU time of nine `tsc` processes).
//
// With neither flag both steps run, one after the other. A script of any other form runs as
// `npm run build` in the package's folder, in the second step (it may need its
// dependencies' declarations).
import { execSync, spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { createRequire } from "node:module";
import { join, relative } from "node:path";
import { bundledEntries, DEPENDENCY_FIELDS, FORM, repoRoot, workspacePackages } from "./workspace-builds.mjs";

// Loaded as the CommonJS module it is: an ESM import of typescript.js first scans its 9 MB
// for named exports (about 0.3 s of CPU).
const ts = createRequire(import.meta.url)("typescript");

/** The packages ordered so that each comes after the workspace packages it depends on. */
function inDependencyOrder(packages) {
  const byName = new Map(packages.map((pkg) => [pkg.manifest.name, pkg]));
  const ordered = [];
  const state = new Map();
  const visit = (pkg, path) => {
    if (state.get(pkg) === "done") return;
    if (state.get(pkg) === "visiting") throw new Error(`build-all: dependency cycle ${path.join(" -> ")}`);
    state.set(pkg, "visiting");
    for (const field of DEPENDENCY_FIELDS) {
      for (const name of Object.keys(pkg.manifest[field] ?? {}).sort()) {
        const dependency = byName.get(name);
        if (dependency) visit(dependency, [...path, name]);
      }
    }
    state.set(pkg, "done");
    ordered.push(pkg);
  };
  for (const pkg of [...packages].sort((a, b) => a.dir.localeCompare(b.dir))) visit(pkg, [pkg.manifest.name]);
  return ordered;
}

/**
 * A compiler host whose source files from outside the workspace's own folders (the standard
 * library and node_modules, which no build writes) are parsed once for all packages. A
 * package's dist/ is read fresh: a dependent's build reads what its dependency just wrote.
 */
function createSharedHost(packages) {
  const cache = new Map();
  const ownFolders = packages.map((pkg) => `/node_modules/${pkg.manifest.name}/`);
  const isShared = (fileName) =>
    fileName.includes("/node_modules/") && !ownFolders.some((folder) => fileName.includes(folder));
  return (options, cwd) => {
    const host = ts.createCompilerHost(options);
    host.getCurrentDirectory = () => cwd;
    const getSourceFile = host.getSourceFile;
    host.getSourceFile = (fileName, languageVersion, onError, shouldCreateNewSourceFile) => {
      const shared = isShared(fileName) && !shouldCreateNewSourceFile;
      if (!shared)
        return getSourceFile.call(host, fileName, languageVersion, onError, shouldCreateNewSourceFile);
      const format = typeof languageVersion === "object" ? languageVersion : { languageVersion };
      const key = `${format.languageVersion}:${format.impliedNodeFormat}:${format.jsDocParsingMode}:${fileName}`;
      if (!cache.has(key)) cache.set(key, getSourceFile.call(host, fileName, languageVersion, onError));
      return cache.get(key);
    };
    return host;
  };
}

/** Prints diagnostics as tsc does, file paths relative to the package folder `cwd`. */
function report(diagnostics, cwd) {
  if (diagnostics.length === 0) return;
  const format = process.stdout.isTTY ? ts.formatDiagnosticsWithColorAndContext : ts.formatDiagnostics;
  const formatHost = {
    getCanonicalFileName: (fileName) => fileName,
    getCurrentDirectory: () => cwd,
    getNewLine: () => ts.sys.newLine,
  };
  process.stdout.write(format(diagnostics, formatHost));
}

/** `tsc -p <config>`'s reading of a config file, from `cwd`, or undefined when it has none. */
function parseConfig(cwd, config) {
  const configDiagnostics = [];
  const parsed = ts.getParsedCommandLineOfConfigFile(join(cwd, config), undefined, {
    ...ts.sys,
    getCurrentDirectory: () => cwd,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => configDiagnostics.push(diagnostic),
  });
  if (!parsed) report(configDiagnostics, cwd);
  return parsed;
}

const isError = (diagnostic) => diagnostic.category === ts.DiagnosticCategory.Error;

/**
 * One source file's JavaScript and source map, transpiled alone with the program's options:
 * what tsc emits for it. `transpileModule` cannot look up the nearest package.json, so the
 * module format NodeNext implies for the file (ESM in a `"type": "module"` package, in an
 * `.mts` file) is passed in: the module kind, and the file read as a module even when it
 * imports and exports nothing (tsc then writes `export {};`).
 */
function transpiled(fileName, text, options) {
  const esm = ts.getImpliedNodeFormatForFile(fileName, undefined, ts.sys, options) === ts.ModuleKind.ESNext;
  const format = esm ? { module: ts.ModuleKind.ESNext, moduleDetection: ts.ModuleDetectionKind.Force } : {};
  return ts.transpileModule(text, {
    compilerOptions: { ...options, ...format, declaration: false, declarationMap: false },
    fileName,
    reportDiagnostics: true,
  });
}

/** The source files of a program that tsc writes JavaScript for (declaration files it does not). */
const emitsCode = (fileName) => /\.[cm]?tsx?$/.test(fileName) && !/\.d\.[cm]?ts$/.test(fileName);

/** The first step of `tsc -p <config>` from `cwd`: each file's JavaScript and map, written. */
function writeCode(cwd, parsed) {
  // The config file's own syntax errors too, which `parsed.errors` leaves out (as tsc reports them).
  const diagnostics = [...ts.getConfigFileParsingDiagnostics(parsed)];
  for (const fileName of parsed.fileNames.filter(emitsCode)) {
    const output = transpiled(fileName, ts.sys.readFile(fileName), parsed.options);
    // Its syntax errors; its option errors are those of the module kind set above.
    diagnostics.push(...(output.diagnostics ?? []).filter((diagnostic) => diagnostic.file !== undefined));
    const [codeFile, mapFile] = ts
      .getOutputFileNames(parsed, fileName, false)
      .filter((name) => /\.[cm]?js(\.map)?$/.test(name));
    ts.sys.writeFile(codeFile, output.outputText);
    if (output.sourceMapText !== undefined && mapFile) ts.sys.writeFile(mapFile, output.sourceMapText);
  }
  const errors = ts.sortAndDeduplicateDiagnostics(diagnostics);
  report(errors, cwd);
  return !errors.some(isError);
}

/**
 * What tsc's emit writes for one output file in the second step: declarations are written;
 * every other file is only compared with what the first step left in dist/, a difference
 * being an error (dist/ would not be what tsc writes): a file missing (a JSON module a
 * source imports, which the first step does not write) or stale (a source changed since).
 * The entries a bundle rewrote (`rewritten`: dist/index.js and the bins, with their maps)
 * are compared with the per-file transpile of their source instead.
 */
function declarationWriter(cwd, options, rewritten, diagnostics) {
  const fail = (messageText) =>
    diagnostics.push({
      category: ts.DiagnosticCategory.Error,
      code: 0,
      file: undefined,
      start: undefined,
      length: undefined,
      messageText,
    });
  return (fileName, text, writeByteOrderMark, _onError, sourceFiles) => {
    if (/\.d\.[cm]?ts(\.map)?$/.test(fileName)) {
      ts.sys.writeFile(fileName, text, writeByteOrderMark);
      return;
    }
    const file = relative(cwd, fileName);
    const source = sourceFiles?.[0];
    const from = source ? relative(cwd, source.fileName) : "its source";
    if (rewritten.has(fileName) && source) {
      const output = transpiled(source.fileName, source.text, options);
      const ours = fileName.endsWith(".map") ? output.sourceMapText : output.outputText;
      const built = ts.sys.getModifiedTime(fileName);
      if (ours !== text)
        fail(`build-all: tsc writes ${file} from ${from} otherwise than the per-file transpile (build:js)`);
      else if (built === undefined)
        fail(`build-all: ${file} is missing: tsc writes it from ${from}, build:js did not`);
      else if (built < ts.sys.getModifiedTime(source.fileName))
        fail(`build-all: ${file} is older than ${from}: run build:js again`);
      return;
    }
    const onDisk = ts.sys.readFile(fileName);
    if (onDisk === text) return;
    if (onDisk === undefined && fileName.endsWith(".json"))
      fail(
        `build-all: ${file} is missing: tsc copies the JSON module ${from} that a source imports, build:js does not; copy it in the build script's rest`,
      );
    else if (onDisk === undefined)
      fail(`build-all: ${file} is missing: tsc writes it from ${from}, build:js did not`);
    else
      fail(
        `build-all: ${file} is not what tsc writes from ${from}: run build:js again if a source changed since, else its per-file transpile differs from tsc's`,
      );
  };
}

/** The files a build's `<rest>` writes over (bundle-entry.mjs's entries), with their maps; none without it. */
function rewrittenEntries(cwd, manifest, rest) {
  if (!rest?.includes("bundle-entry.mjs")) return new Set();
  const entries = bundledEntries(manifest).map((path) => join(cwd, path));
  return new Set(entries.flatMap((path) => [path, `${path}.map`]));
}

/** The second step of `tsc -p <config>` from `cwd`: true when it reports no error. */
function checkAndDeclare(cwd, parsed, rewritten, hostFor) {
  // The config file's own syntax errors too, which `parsed.errors` leaves out (as tsc reports them).
  const configDiagnostics = ts.getConfigFileParsingDiagnostics(parsed);
  const program = ts.createProgram({
    rootNames: parsed.fileNames,
    options: parsed.options,
    projectReferences: parsed.projectReferences,
    host: hostFor(parsed.options, cwd),
    configFileParsingDiagnostics: configDiagnostics,
  });
  // tsc's order: semantic errors only when the syntax and the options are sound.
  const diagnostics = [...configDiagnostics];
  const clean = () => diagnostics.length === configDiagnostics.length;
  diagnostics.push(...program.getSyntacticDiagnostics());
  if (clean()) {
    diagnostics.push(...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics());
    if (clean()) diagnostics.push(...program.getSemanticDiagnostics());
  }
  const writeFile = declarationWriter(cwd, parsed.options, rewritten, diagnostics);
  diagnostics.push(...program.emit(undefined, writeFile).diagnostics);
  const errors = ts.sortAndDeduplicateDiagnostics(diagnostics);
  report(errors, cwd);
  return !errors.some(isError);
}

/** The first step of a package's build: its JavaScript, then the script's `<rest>` (none for another form). */
function buildCode(pkg) {
  const cwd = join(repoRoot, pkg.dir);
  const form = FORM.exec(pkg.manifest.scripts.build);
  if (!form) return true;
  const [, config, rest] = form;
  const parsed = parseConfig(cwd, config);
  if (!parsed) return false;
  rmSync(join(cwd, "dist"), { recursive: true, force: true });
  if (!writeCode(cwd, parsed)) return false;
  if (!rest) return true;
  try {
    execSync(rest, { cwd, stdio: "inherit" });
    return true;
  } catch {
    return false; // the shell has said why
  }
}

/**
 * The second step of a package's build: its type check and declarations. A script of
 * another form runs whole here, as `npm run build`: it may type-check against its
 * dependencies' declarations, which this step writes in dependency order.
 */
function buildTypes(pkg, hostFor) {
  const cwd = join(repoRoot, pkg.dir);
  const form = FORM.exec(pkg.manifest.scripts.build);
  if (!form) return spawnSync("npm", ["run", "--silent", "build"], { cwd, stdio: "inherit" }).status === 0;
  const parsed = parseConfig(cwd, form[1]);
  const rewritten = rewrittenEntries(cwd, pkg.manifest, form[2]);
  return parsed !== undefined && checkAndDeclare(cwd, parsed, rewritten, hostFor);
}

/**
 * Runs one step over the packages in dependency order. A package that fails does not stop
 * the others: every error shows in one run. Only the packages that depend on a failed one
 * are left out, their errors would be its errors. Adds the names of those not built to
 * `failed`, which may hold those an earlier step did not build (skipped here).
 */
function runStep(step, packages, buildOne, failed) {
  for (const pkg of inDependencyOrder(packages)) {
    if (failed.has(pkg.manifest.name)) continue;
    const started = performance.now();
    const blocked = DEPENDENCY_FIELDS.flatMap((field) => Object.keys(pkg.manifest[field] ?? {})).filter(
      (name) => failed.has(name),
    );
    if (blocked.length > 0) {
      console.error(
        `build-all: ${pkg.manifest.name} not built (${step}): it depends on ${blocked.join(", ")}, which failed`,
      );
      failed.add(pkg.manifest.name);
      continue;
    }
    if (!buildOne(pkg)) {
      console.error(
        `build-all: ${pkg.manifest.name} failed to build (${step}; ${pkg.dir}: ${pkg.manifest.scripts.build})`,
      );
      failed.add(pkg.manifest.name);
      continue;
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`${pkg.manifest.name}: ${step} built in ${seconds} s`);
  }
}

const packages = workspacePackages();
// `--js`, `--types`, both, or neither (both steps); anything else is a mistake, not a build.
const STEPS = ["--js", "--types"];
const args = process.argv.slice(2);
const unknown = args.filter((arg) => !STEPS.includes(arg));
if (unknown.length > 0) {
  console.error(
    `build-all: unknown argument ${unknown.join(" ")}: give --js, --types, both or neither (both steps)`,
  );
  process.exit(2);
}
const both = args.length === 0;
const failed = new Set();
if (both || args.includes("--js")) runStep("code", packages, buildCode, failed);
if (both || args.includes("--types")) {
  const hostFor = createSharedHost(packages);
  runStep("types", packages, (pkg) => buildTypes(pkg, hostFor), failed);
}
if (failed.size > 0) {
  console.error(
    `build-all: ${failed.size} of ${packages.length} packages not built: ${[...failed].join(", ")}`,
  );
  process.exit(1);
}
