import { createJestConfig } from "@amorsize/config/jest";

export default createJestConfig(import.meta.url);
