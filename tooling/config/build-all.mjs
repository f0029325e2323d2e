// Builds every workspace package in one process, in dependency order: `npm run build:all`,
// the build of `npm test`.
//
// Each package's own `build` script stays the definition of its build (turbo's per-package
// `build`, `npm run demo` and the prepack run it). A script of the usual form
// `rm -rf dist && tsc -p <config>[ && <rest>]` is run here with the TypeScript compiler API
// instead of a `tsc` process per package: the same compiler options give the same output
// and the same errors, while the standard library, @types/node and the other declarations
// under node_modules are parsed once, not once per package, and the compiler runs warm
// (on two cores: about half the CPU time of nine `tsc` processes). `<rest>` (a chmod, a
// copy) runs in a shell in the package's folder; a script of any other form runs as
// `npm run build` there.
import { execSync, spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { DEPENDENCY_FIELDS, FORM, repoRoot, workspacePackages } from "./workspace-builds.mjs";

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

/** What `tsc -p <config>` does, run from `cwd`: true when it reports no error. */
function compile(cwd, config, hostFor) {
  const configDiagnostics = [];
  const parsed = ts.getParsedCommandLineOfConfigFile(join(cwd, config), undefined, {
    ...ts.sys,
    getCurrentDirectory: () => cwd,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => configDiagnostics.push(diagnostic),
  });
  if (!parsed) {
    report(configDiagnostics, cwd);
    return false;
  }
  const program = ts.createProgram({
    rootNames: parsed.fileNames,
    options: parsed.options,
    projectReferences: parsed.projectReferences,
    host: hostFor(parsed.options, cwd),
    configFileParsingDiagnostics: parsed.errors,
  });
  // tsc's order: semantic errors only when the syntax and the options are sound.
  const diagnostics = [...program.getConfigFileParsingDiagnostics()];
  const clean = () => diagnostics.length === parsed.errors.length;
  diagnostics.push(...program.getSyntacticDiagnostics());
  if (clean()) {
    diagnostics.push(...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics());
    if (clean()) diagnostics.push(...program.getSemanticDiagnostics());
  }
  diagnostics.push(...program.emit().diagnostics);
  const errors = ts.sortAndDeduplicateDiagnostics(diagnostics);
  report(errors, cwd);
  return !errors.some((diagnostic) => diagnostic.category === ts.DiagnosticCategory.Error);
}

function build(pkg, hostFor) {
  const cwd = join(repoRoot, pkg.dir);
  const script = pkg.manifest.scripts.build;
  const form = FORM.exec(script);
  if (!form) {
    const ran = spawnSync("npm", ["run", "--silent", "build"], { cwd, stdio: "inherit" });
    return ran.status === 0;
  }
  const [, config, rest] = form;
  rmSync(join(cwd, "dist"), { recursive: true, force: true });
  if (!compile(cwd, config, hostFor)) return false;
  if (!rest) return true;
  try {
    execSync(rest, { cwd, stdio: "inherit" });
    return true;
  } catch {
    return false; // the shell has said why
  }
}

const packages = workspacePackages();
const hostFor = createSharedHost(packages);
// A package that fails does not stop the others: every type error shows in one run. Only
// the packages that depend on a failed one are left out, their errors would be its errors.
const failed = new Set();
for (const pkg of inDependencyOrder(packages)) {
  const started = performance.now();
  const blocked = DEPENDENCY_FIELDS.flatMap((field) => Object.keys(pkg.manifest[field] ?? {})).filter(
    (name) => failed.has(name),
  );
  if (blocked.length > 0) {
    console.error(
      `build-all: ${pkg.manifest.name} not built: it depends on ${blocked.join(", ")}, which failed`,
    );
    failed.add(pkg.manifest.name);
    continue;
  }
  if (!build(pkg, hostFor)) {
    console.error(
      `build-all: ${pkg.manifest.name} failed to build (${pkg.dir}: ${pkg.manifest.scripts.build})`,
    );
    failed.add(pkg.manifest.name);
    continue;
  }
  console.log(`${pkg.manifest.name}: built in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}
if (failed.size > 0) {
  console.error(
    `build-all: ${failed.size} of ${packages.length} packages not built: ${[...failed].join(", ")}`,
  );
  process.exit(1);
}
