// Jest's global set-up and tear-down: a run that names no $AMORSIZE_CACHE_DIR writes its
// caches (spawn costs, plans, module costs) to a folder of its own, removed after it, not
// to the user's ~/.cache/amorsize. A plan cached by an earlier run (a cold sample, say)
// would otherwise decide a later run's test. CI names its own folder (.ci/run).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const OWN = "AMORSIZE_TEST_OWN_CACHE_DIR";

export async function setup() {
  if (process.env.AMORSIZE_CACHE_DIR) return;
  const dir = mkdtempSync(join(tmpdir(), "amorsize-test-"));
  process.env.AMORSIZE_CACHE_DIR = dir;
  process.env[OWN] = dir;
}

export async function teardown() {
  const dir = process.env[OWN];
  if (!dir) return;
  rmSync(dir, { recursive: true, force: true });
  delete process.env[OWN];
  delete process.env.AMORSIZE_CACHE_DIR;
}
