// Regenerates src/generated/amorsize.schema.json from the built schemas.
// Run through `npm run schema -w @amorsize/types`, which builds first.
import { writeFileSync } from "node:fs";
import { buildJsonSchema } from "../dist/index.js";

const target = new URL("../src/generated/amorsize.schema.json", import.meta.url);
writeFileSync(target, `${JSON.stringify(buildJsonSchema(), null, 2)}\n`);
console.log(`wrote ${target.pathname}`);
