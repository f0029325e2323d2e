import { describe, expect, it } from "@jest/globals";
import { entryProblems, exportTargets, fileProblems, manifestProblems } from "./rules.js";
import type { Manifest } from "./workspace.js";

const folder = {
  dir: "packages/demo-lib",
  sources: ["src/index.ts", "src/cli.ts", "src/data/table.json"],
  hasLicense: true,
};
const manifest: Manifest = {
  name: "@amorsize/demo-lib",
  version: "0.3.1",
  exports: {
    ".": { types: "./dist/index.d.ts", default: "./dist/index.js" },
    "./package.json": "./package.json",
  },
  bin: { demo: "./dist/cli.js" },
};
const good = [
  { path: "package.json", mode: 0o644 },
  { path: "README.md", mode: 0o644 },
  { path: "LICENSE", mode: 0o644 },
  { path: "dist/index.js", mode: 0o644 },
  { path: "dist/index.js.map", mode: 0o644 },
  { path: "dist/index.d.ts", mode: 0o644 },
  { path: "dist/index.d.ts.map", mode: 0o644 },
  { path: "dist/cli.js", mode: 0o755 },
  { path: "dist/table.json", mode: 0o644 },
];

describe("fileProblems", () => {
  it("accepts a tarball of built modules, README, LICENSE and an executable bin", () => {
    expect(fileProblems(good, manifest, folder)).toEqual([]);
  });

  it("names a stale module, a test file, a stray file, a missing entry and a bin that cannot run", () => {
    const files = [
      ...good.filter((file) => file.path !== "dist/index.d.ts" && file.path !== "dist/cli.js"),
      { path: "dist/cli.js", mode: 0o644 },
      { path: "dist/removed.js", mode: 0o644 },
      { path: "dist/index.test.js", mode: 0o644 },
      { path: "tsconfig.json", mode: 0o644 },
    ];
    expect(fileProblems(files, manifest, folder)).toEqual([
      "dist/index.d.ts is missing",
      "exports target dist/index.d.ts is missing",
      "bin demo: dist/cli.js is not executable",
      "dist/removed.js has no source in src/ (a stale build output)",
      "dist/index.test.js is a test file",
      "tsconfig.json should not be published",
    ]);
  });

  it("wants the LICENSE that the folder has, and the bin's file", () => {
    const files = good.filter((file) => file.path !== "LICENSE" && file.path !== "dist/cli.js");
    expect(fileProblems(files, manifest, folder)).toEqual([
      "LICENSE is in the folder but not in the tarball",
      "bin demo: dist/cli.js is missing",
    ]);
  });
});

describe("exportTargets", () => {
  it("collects every path of nested conditions and skips patterns", () => {
    expect(
      exportTargets({ ".": { types: "./a.d.ts", default: "./a.js" }, "./x/*": "./dist/x/*.js" }),
    ).toEqual(["a.d.ts", "a.js"]);
  });
});

describe("manifestProblems", () => {
  const siblings = new Map([
    ["@amorsize/types", "0.2.0"],
    ["@amorsize/demo-lib", "0.3.1"],
  ]);
  const complete: Manifest = {
    ...manifest,
    type: "module",
    license: "MIT",
    repository: {
      type: "git",
      url: "git+https://github.com/amorsize/amorsize.git",
      directory: "packages/demo-lib",
    },
    homepage: "https://github.com/amorsize/amorsize/tree/main/packages/demo-lib#readme",
    bugs: { url: "https://github.com/amorsize/amorsize/issues" },
    engines: { node: ">=20.19" },
    scripts: { build: "rm -rf dist && tsc", prepack: "node ../../tooling/config/prepack.mjs" },
    dependencies: { "@amorsize/types": "^0.2.0", zod: "^4.1.0" },
    devDependencies: { "@amorsize/config": "*" },
  };

  it("accepts caret ranges on the siblings' versions and the registry fields", () => {
    expect(manifestProblems(complete, "packages/demo-lib", siblings, ">=20.19")).toEqual([]);
  });

  it("names a wildcard or stale sibling range and each missing field", () => {
    const bare: Manifest = {
      name: "@amorsize/demo-lib",
      version: "0.3.1",
      scripts: { build: "tsc" },
      dependencies: { "@amorsize/types": "*", other: "workspace:*" },
      peerDependencies: { "@amorsize/types": "^0.1.0" },
    };
    expect(manifestProblems(bare, "packages/demo-lib", siblings, ">=20.19")).toEqual([
      'dependencies.@amorsize/types is "*", expected "^0.2.0"',
      'dependencies.other is "workspace:*": any version would do',
      'peerDependencies.@amorsize/types is "^0.1.0", expected "^0.2.0"',
      'repository should be { type: "git", url: "git+https://github.com/amorsize/amorsize.git" }',
      'repository.directory should be "packages/demo-lib"',
      "homepage is not the README's page",
      "bugs.url should be https://github.com/amorsize/amorsize/issues",
      'engines.node should be ">=20.19" like the root\'s',
      'type should be "module"',
      "license is missing",
      'scripts.prepack should be "node ../../tooling/config/prepack.mjs"',
      'scripts.build should start with "rm -rf dist && " (a pack must not ship removed modules)',
    ]);
  });
});

describe("entryProblems", () => {
  it("accepts an entry that imports other packages and builtins only", () => {
    const code = [
      'import { z } from "zod";',
      'import { AmorsizeError, messageOf } from "@amorsize/types";',
      'import { readFileSync } from "node:fs";',
      'export { createExecutor } from "@amorsize/executor";',
      'const tinypool = await import("tinypool");',
      "// a comment naming ./errors.js is no import",
      "const text = \"import { x } from './x.js'\";",
    ].join("\n");
    expect(entryProblems(code)).toEqual([]);
  });

  it("names each module of its own it imports: static, re-exported, for side effects, dynamic", () => {
    const code = [
      'import { run } from "./run.js";',
      'export * from "./errors.js";',
      'export { plan as planOf } from "../lib/plan.js";',
      'import "./polyfill.js";',
      'const worker = await import("./worker.js");',
    ].join("\n");
    expect(entryProblems(code)).toEqual([
      "dist/index.js imports ./run.js: the entry should hold the package's own modules",
      "dist/index.js imports ./errors.js: the entry should hold the package's own modules",
      "dist/index.js imports ../lib/plan.js: the entry should hold the package's own modules",
      "dist/index.js imports ./polyfill.js: the entry should hold the package's own modules",
      "dist/index.js imports ./worker.js: the entry should hold the package's own modules",
    ]);
  });

  it("names the entry it was given: a bin", () => {
    expect(
      entryProblems('#!/usr/bin/env node\nimport { runCli } from "./cli-main.js";', "dist/cli.js"),
    ).toEqual(["dist/cli.js imports ./cli-main.js: the entry should hold the package's own modules"]);
  });
});
