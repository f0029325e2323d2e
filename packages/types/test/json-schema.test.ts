import { readFileSync } from "node:fs";
import { describe, expect, it } from "@jest/globals";
import { buildJsonSchema, publishedSchemas } from "../src/index.js";

const generated = new URL("../src/generated/amorsize.schema.json", import.meta.url);

describe("the generated JSON Schema", () => {
  it("is current (run `npm run schema -w @amorsize/types` after changing a schema)", () => {
    const committed = JSON.parse(readFileSync(generated, "utf8"));
    expect(committed).toEqual(buildJsonSchema());
  });

  it("defines every published schema", () => {
    const defs = (buildJsonSchema() as { $defs: Record<string, unknown> }).$defs;
    expect(Object.keys(defs).sort()).toEqual(Object.keys(publishedSchemas).sort());
  });
});
