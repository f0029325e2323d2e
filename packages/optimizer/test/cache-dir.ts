import { fileURLToPath } from "node:url";

/**
 * The cache folder of the optimizer's tests, kept between runs (ignored by git, inside
 * the repository). Measuring what parallelism costs takes a second or more, and no test
 * here depends on the figures, so it is measured once and reused; plan-cache entries are
 * keyed by each task module's path and content, so tests that write them use modules of
 * their own.
 */
export const TEST_CACHE_DIR = fileURLToPath(
  new URL("../../../node_modules/.cache/amorsize-optimizer-tests", import.meta.url),
);
