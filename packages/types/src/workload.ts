import { z } from "zod";
import { PayloadKindSchema } from "./common.js";
import type { Named } from "./documented.js";

const itemTimeShape = {
  mean: z.number().finite().nonnegative(),
  median: z.number().finite().nonnegative(),
  p90: z.number().finite().nonnegative(),
  max: z.number().finite().nonnegative(),
  /** Coefficient of variation (stdev / mean); 0 for uniform items. */
  cv: z.number().finite().nonnegative(),
};
const ItemTimeSchema: z.ZodObject<typeof itemTimeShape> = z.object(itemTimeShape);
const workloadSampleShape = {
  /** How many items were run. */
  sampled: z.number().int().nonnegative(),
  /** Index of each sampled item in the input. */
  indices: z.array(z.number().int().nonnegative()),
  /** Items in the whole input; null when unknown (a stream). */
  totalItems: z.number().int().nonnegative().nullable(),
  /** Wall time per item, milliseconds. */
  itemTimeMs: ItemTimeSchema,
  /** CPU time over wall time while running items: near 1 computes, near 0 waits. */
  cpuToWall: z.number().finite().nonnegative(),
  /** Structured-clone serialised size of an item, bytes. */
  inputBytes: z.object({ mean: z.number().nonnegative(), max: z.number().nonnegative() }),
  /** Structured-clone serialised size of a result, bytes. */
  outputBytes: z.object({ mean: z.number().nonnegative(), max: z.number().nonnegative() }),
  inputKind: PayloadKindSchema,
  outputKind: PayloadKindSchema,
  /** Heap growth per item while running it, bytes (a rough upper estimate). */
  memoryBytesPerItem: z.number().finite().nonnegative(),
  /** Wall time spent sampling, milliseconds. */
  sampleWallMs: z.number().finite().nonnegative(),
  /** Whether the task returned promises. */
  async: z.boolean(),
  /** How the figures were obtained: `measured` by `sampleTask()`, or `given` by the caller. */
  source: z.enum(["measured", "given"]),
};
/** The schema of {@link WorkloadSample}. */
export const WorkloadSampleSchema: z.ZodObject<typeof workloadSampleShape> = z.object(workloadSampleShape);
/** Per-item figures of a task, from running it on a few items in the main thread. */
export interface WorkloadSample extends z.infer<typeof WorkloadSampleSchema>, Named {}
