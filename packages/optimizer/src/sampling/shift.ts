// A run over one sampled block numbers its items from 0; the sampler reports them by
// their index in the whole input. Pure: builds the same error at the shifted index.
import {
  ChunkTimeoutError,
  CloneError,
  type IndexRange,
  ItemError,
  ItemUnsettledError,
  type RunError,
  WorkerCrashedError,
} from "@amorsize/executor";

function shiftRange(range: IndexRange, offset: number): IndexRange {
  return [range[0] + offset, range[1] + offset];
}

/** `error` of a run over a block whose first item is input item `offset`, by input index. */
export function shiftError(error: RunError, offset: number): RunError {
  if (offset === 0) return error;
  if (error instanceof ItemError) return new ItemError(error.index + offset, error.cause);
  if (error instanceof ItemUnsettledError) return new ItemUnsettledError(error.index + offset, error.where);
  if (error instanceof ChunkTimeoutError)
    return new ChunkTimeoutError(
      shiftRange(error.range, offset),
      error.timeoutMs,
      error.notBegunAfterMs ?? undefined,
    );
  if (error instanceof CloneError) {
    const index = error.index === null ? null : error.index + offset;
    return new CloneError(error.code, index, shiftRange(error.range, offset), error.reason, error.cause);
  }
  const options =
    error.index === null ? { after: error.after } : { index: error.index + offset, after: error.after };
  return new WorkerCrashedError(shiftRange(error.range, offset), error.cause, options);
}
