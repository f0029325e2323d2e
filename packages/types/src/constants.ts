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

/**
 * The longest delay a Node timer keeps, milliseconds (2^31 - 1, about 24.8 days): a timer
 * set for longer fires after 1 ms, with a TimeoutOverflowWarning. A time-out taken from the
 * caller (`chunkTimeoutMs: 1e12` for "no time-out", say) is armed for at most this long
 * (a chunk's clock arms it again from there): a chunk time-out of 1e12 ms re-armed itself every
 * millisecond, with a warning each time, in a run of one item.
 */
export const MAX_TIMER_MS = 2_147_483_647;

/**
 * Warm-up readings a module-cost cache entry keeps (`ModuleCostEntry.readings`), the
 * latest; the middle one by excess stands for them (of two, the lesser). While an entry
 * holds a single reading and its figure alone keeps a plan from starting workers, the call
 * probes again; calls that probe at the same time each add theirs, up to this many.
 */
export const WARMUP_READINGS = 3;
