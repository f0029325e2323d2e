// Shared Jest configuration. Packages call createJestConfig(import.meta.url)
// from their own jest.config.js so that <rootDir> is the package folder.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const cacheDirectory = fileURLToPath(new URL("../../node_modules/.cache/jest", import.meta.url));
// Amorsize's own caches go to a folder of the run's (see jest-cache-dir.js).
const globalSetup = fileURLToPath(new URL("./jest-global-setup.js", import.meta.url));
const globalTeardown = fileURLToPath(new URL("./jest-global-teardown.js", import.meta.url));

/**
 * Each test's time limit, milliseconds. A global setting to Jest: in a run of several
 * projects a project's own is not read, so files that need longer set it themselves.
 */
export const TEST_TIMEOUT_MS = 30_000;

/**
 * @param {string} packageConfigUrl import.meta.url of the package's jest.config.js
 * @param {import("jest").Config} [overrides]
 * @returns {import("jest").Config}
 */
export function createJestConfig(packageConfigUrl, overrides = {}) {
  const rootDir = fileURLToPath(new URL(".", packageConfigUrl));
  const { name } = JSON.parse(readFileSync(new URL("package.json", packageConfigUrl), "utf8"));
  return {
    rootDir,
    // Names the package on each file's line.
    displayName: name,
    testEnvironment: "node",
    // Keep Jest's transform cache inside the repository, not in /tmp.
    cacheDirectory,
    globalSetup,
    globalTeardown,
    extensionsToTreatAsEsm: [".ts"],
    moduleFileExtensions: ["ts", "js", "mjs", "json"],
    transform: {
      "^.+\\.ts$": [
        "@swc/jest",
        {
          jsc: { parser: { syntax: "typescript" }, target: "es2022" },
          module: { type: "es6" },
          sourceMaps: "inline",
        },
      ],
    },
    // Sources import siblings as "./x.js" (NodeNext); under Jest they are .ts files.
    moduleNameMapper: { "^(\\.{1,2}/.*)\\.js$": "$1" },
    testMatch: ["<rootDir>/src/**/*.test.ts", "<rootDir>/test/**/*.test.ts"],
    testPathIgnorePatterns: ["/node_modules/", "/dist/"],
    testTimeout: TEST_TIMEOUT_MS,
    ...overrides,
  };
}
