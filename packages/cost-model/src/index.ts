export {
  MODEL_CONSTANTS,
  REASON_CODES,
  type ReasonCode,
  WARNING_CODES,
  type WarningCode,
} from "./constants.js";
export { AmorsizeValidationError, ConflictingConstraintsError, type CostModelErrorCode } from "./errors.js";
export { explain } from "./explain.js";
export { planExecution } from "./plan.js";
export { predict } from "./predict.js";
export { UNCERTAIN, uncertainSpread } from "./uncertain.js";
