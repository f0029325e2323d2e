import { z } from "zod";
import { ExecutionReportSchema } from "./execution.js";
import { HardwareProfileSchema } from "./hardware.js";
import { CompareReportSchema } from "./optimizer.js";
import { PlanSchema } from "./plan.js";
import { SpawnCostProfileSchema } from "./spawn-cost.js";
import { TaskRefSchema } from "./task.js";
import { WorkloadSampleSchema } from "./workload.js";

/** The data schemas published as JSON Schema (outputs of the library, inputs of other tools). */
export const publishedSchemas = {
  HardwareProfile: HardwareProfileSchema,
  SpawnCostProfile: SpawnCostProfileSchema,
  TaskRef: TaskRefSchema,
  WorkloadSample: WorkloadSampleSchema,
  Plan: PlanSchema,
  ExecutionReport: ExecutionReportSchema,
  CompareReport: CompareReportSchema,
} as const;

/**
 * Builds the JSON Schema document (draft 2020-12) for every published schema.
 * Values JSON cannot hold (functions, `URL` objects) become unconstrained.
 */
export function buildJsonSchema(): Record<string, unknown> {
  const defs: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(publishedSchemas)) {
    const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { unrepresentable: "any", io: "output" });
    defs[name] = rest;
  }
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $id: "https://amorsize.dev/schema/amorsize.schema.json",
    title: "Amorsize data schemas",
    description:
      "Generated from the zod schemas of @amorsize/types by `npm run schema -w @amorsize/types`. Do not edit.",
    $defs: defs,
  };
}
