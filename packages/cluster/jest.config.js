import { createJestConfig } from "@amorsize/config/jest";

// Its suites mostly wait (on Redis, on worker hosts, on a Redis that went away): alone, 17 s
// of CPU in 34 s. Two files at a time take 20 s.
export default createJestConfig(import.meta.url, { maxWorkers: 2 });
