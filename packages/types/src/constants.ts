/**
 * Figures the cost model plans with and the executor runs with. They live here, once,
 * so the model's prediction and the executor's behaviour cannot drift apart.
 */
export const RUN_CONSTANTS = Object.freeze({
  /**
   * Chunks kept in flight per worker (one running, the rest queued), so a worker never
   * waits on the main thread between chunks.
   */
  inFlightPerWorker: 2,
  /**
   * Longest a streamed chunk should take, milliseconds: a stream delivers results at
   * least this often, and its chunks are sized down to it.
   */
  streamChunkMaxMs: 100,
});
