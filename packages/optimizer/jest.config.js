import { createJestConfig } from "@amorsize/config/jest";

// The longest suite, and the one npm test waits for last: alone, 34 s of CPU in 47 s with
// one worker (it waits on child processes, timers and worker threads); 26 s with two.
export default createJestConfig(import.meta.url, { maxWorkers: 2 });
