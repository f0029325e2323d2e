import { availableParallelism } from "node:os";
import { createJestConfig } from "@amorsize/config/jest";

// The longest suite of `npm test` (about 70 s of CPU, more of wall: its tests start pools,
// sample and wait), and turbo starts its ready tasks in no set order: when it starts last it
// ran alone at the end on one core. Two workers (Jest's default, one less than the cores,
// is one worker on two cores) let it use both cores then; beside other suites they share
// the cores as any two processes do.
export default createJestConfig(import.meta.url, {
  maxWorkers: Math.max(2, availableParallelism() - 1),
});
