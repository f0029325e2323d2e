import { createJestConfig, longSuiteWorkers } from "@amorsize/config/jest";

// One of the longest suites of `npm test`: at least two workers (see longSuiteWorkers).
export default createJestConfig(import.meta.url, { maxWorkers: longSuiteWorkers });
