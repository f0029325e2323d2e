export {
  type CacheRead,
  cacheFilePath,
  currentLoadPerCore,
  defaultCacheDir,
  LOAD_BANDS,
  loadChanged,
  readCache,
  SPAWN_COST_CACHE_FILE,
  type SpawnCostCacheFile,
  writeCache,
} from "./cache.js";
export {
  SpawnCostCacheError,
  type SpawnCostCacheProblem,
  SpawnCostMeasurementError,
  SpawnCostWarningCode,
} from "./errors.js";
export { type CloneEstimate, estimatedSpawnCost, SPAWN_COST_ESTIMATES } from "./estimates.js";
export { machineKeyFor, tinypoolVersion } from "./machine-key.js";
export {
  measureSpawnCost,
  type ResolvedSpawnCostOptions,
  resolveSpawnCostOptions,
  SPAWN_COST_DEFAULTS,
} from "./spawn-cost.js";
