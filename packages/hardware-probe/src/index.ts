export type { CommandResult, CommandRunner, HardwareProfile, ProbeOptions } from "@amorsize/types";
export { AmorsizeValidationError } from "@amorsize/types";
export type { ContainerEvidence } from "./container.js";
export { detectContainer } from "./container.js";
export type { UsableCoresInput } from "./cores.js";
export { computeUsableCores, quotaToCores, USABLE_CORES_RULE } from "./cores.js";
export { AmorsizeProbeError, AmorsizeProbeRootError, AmorsizeProbeUsageError } from "./errors.js";
export { formatBytes, formatHardwareProfile } from "./format.js";
export { defaultCommandRunner } from "./io.js";
export type {
  CpuBandwidth,
  CpuinfoSummary,
  LscpuSummary,
  MeminfoSummary,
  MountinfoEntry,
  ProcCgroupEntry,
} from "./parse.js";
export {
  NO_LIMIT_BYTES,
  parseByteCount,
  parseCgroupMemoryLimit,
  parseCgroupV1CpuQuota,
  parseCgroupV2CpuMax,
  parseCpuinfo,
  parseCpuList,
  parseLscpu,
  parseMeminfo,
  parseMountinfo,
  parseProcSelfCgroup,
} from "./parse.js";
export { PROBE_DEFAULTS, probeHardware } from "./probe.js";
export type { ProbeWarningCode } from "./warnings.js";
export { PROBE_WARNING_CODES } from "./warnings.js";
