import { z } from "zod";
import { functionSchema } from "./common.js";
import type { Named } from "./documented.js";
import { type ProbeOptions, ProbeOptionsSchema } from "./hardware.js";
import { type SpawnCostOptions, SpawnCostOptionsSchema } from "./spawn-cost.js";

const sessionOptionsShape = {
  /**
   * Worker threads in the session's pool, at most the usable cores (the default). Every
   * call in flight shares this one pool.
   */
  maxWorkers: z.number().int().positive().optional(),
  /**
   * How long the pool stays up with no call in flight, milliseconds. Default 5000. The
   * idle timer and the idle workers never keep the process alive; 0 closes the pool as
   * soon as the last call ends.
   */
  idleMs: z.number().int().nonnegative().max(2_147_483_647).optional(),
  /**
   * Task profiles kept (least recently used dropped first). Default 64. Each holds one
   * workload sample (its sampled indices included, at most a few hundred numbers) and a
   * few figures: about 2 KB, so the default bounds them to ~128 KB.
   */
  maxProfiles: z.number().int().positive().max(4096).optional(),
  /** Cache folder of the spawn-cost profile and of the plan cache; calls may still set their own. */
  cacheDir: z.string().min(1).optional(),
  /**
   * Save what runs taught the session about each task (its profile's figures) to the plan
   * cache in `cacheDir`, where the next session's or `execute()`'s first call of the task
   * finds them: after the first run that refined a profile, then at most every 30 s, and
   * when the session closes.
   * Default true; false writes nothing (calls still read the cache unless `cache: false`).
   */
  saveProfiles: z.boolean().optional(),
  /** How to probe the machine, once for the session. */
  hardware: ProbeOptionsSchema.optional(),
  /** How to read or measure the spawn cost, once for the session. */
  spawnCost: SpawnCostOptionsSchema.omit({ hardware: true, cacheDir: true }).optional(),
  /**
   * Called after every `execute()` and every stream that ended, with what ran and how the
   * prediction fared (a `SessionRun` of `@amorsize/optimizer`). What it throws is ignored.
   */
  onRun: functionSchema<(run: never) => void>("a run callback").optional(),
};
/** The schema of {@link SessionOptions}. */
export const SessionOptionsSchema: z.ZodObject<typeof sessionOptionsShape, z.core.$strict> = z
  .object(sessionOptionsShape)
  .strict();
/** Options of `createAmorsize()`. */
// Members from other modules are named here: their TSDoc does not survive in an expanded type.
export interface SessionOptions extends z.input<typeof SessionOptionsSchema>, Named {
  hardware?: ProbeOptions | undefined;
  spawnCost?: Omit<SpawnCostOptions, "hardware" | "cacheDir"> | undefined;
}
