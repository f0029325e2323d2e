// The package's public API: probing, its options and defaults, the profile's warning
// codes, the errors, and the table the CLI prints. How the figures are read (the /proc
// and cgroup parsers, container detection, the usable-cores arithmetic) is internal:
// the profile carries each result with its source.
export type { CommandResult, CommandRunner, HardwareProfile, ProbeOptions } from "@amorsize/types";
export { AmorsizeValidationError } from "@amorsize/types";
export { AmorsizeProbeError, AmorsizeProbeRootError, AmorsizeProbeUsageError } from "./errors.js";
export { formatHardwareProfile } from "./format.js";
export { defaultCommandRunner } from "./io.js";
export { PROBE_DEFAULTS, probeHardware } from "./probe.js";
export { PROBE_WARNING_CODES, type ProbeWarningCode } from "./warnings.js";
