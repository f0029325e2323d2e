import { createJestConfig } from "@amorsize/config/jest";

// Packing, installing and running the first screens takes a while on a busy 2-core machine.
export default createJestConfig(import.meta.url, { testTimeout: 300_000 });
