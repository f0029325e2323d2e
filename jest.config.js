// Every workspace's tests in one Jest run (`npm test`): one queue of test files for all the
// packages, run by one worker per core. Each package's own jest.config.js is its project (the
// package's `npm test` runs it alone). Run package by package, at most four at a time, the
// packages' runs left cores idle at the end, while the last and largest of them ran its files
// on one worker; and each run paid Jest's own start-up.
import { TEST_TIMEOUT_MS } from "@amorsize/config/jest";

export default {
  projects: ["<rootDir>/packages/*", "<rootDir>/apps/*", "<rootDir>/tooling/release-check"],
  maxWorkers: "100%",
  // Global settings, which Jest does not take from a project's configuration.
  testTimeout: TEST_TIMEOUT_MS,
};
