// Messages between the executor and its worker entry. Field names are one letter
// because every chunk carries them through structured clone.

/** A chunk of items to run. */
export interface RunRequest {
  /** Kind: run. */
  k: 0;
  /** Task module URL (href). */
  h: string;
  /** Export name. */
  e: string;
  /** The items. */
  x: unknown[];
  /** Move ArrayBuffers found in the results back instead of copying them. */
  t: boolean;
  /** The run the chunk belongs to (an id unique within its executor). */
  g: number;
  /** Input index of the first item sent. */
  a: number;
  /** Input index of the last item sent. */
  b: number;
  /** Measure the chunk's CPU time (`c` of the response). */
  u?: boolean;
  /** Positions in `x` of Buffers: structured clone gives Uint8Arrays, made Buffers again (see {@link asBuffers}). */
  n?: number[];
  /**
   * With a chunk time-out: cells shared with the calling thread, where the worker writes
   * when it begins the chunk's items (`y`: this chunk's cell; `o`: the epoch the stamp
   * counts from). See {@link stampBegin}.
   */
  w?: Int32Array;
  y?: number;
  o?: number;
  /**
   * With a chunk time-out: cells where the worker writes, at `y`, how many of the chunk's
   * items have ended (see {@link storeReached}): a chunk that times out under "throw"
   * names the item it was running, and the items before it are run again for their results.
   */
  v?: Int32Array;
  /**
   * With a chunk time-out: cells where the worker writes, at `y`, its thread's id in the
   * operating system as it takes the chunk up (0 where it cannot tell): a worker ended for
   * the time-out has the processes it started ended with it (see `endProcessesOf`).
   */
  z?: Int32Array;
}

/** Load the task and check its export, nothing else. */
export interface CheckRequest {
  k: 1;
  h: string;
  e: string;
  /** A bounded check: where the worker stamps when it begins it, as `RunRequest`'s `w`, `y`, `o` and `z`. */
  w?: Int32Array;
  y?: number;
  o?: number;
  z?: Int32Array;
}

export type WorkerRequest = RunRequest | CheckRequest;

/** An error thrown by the task, in a form that always survives structured clone. */
export interface SerializedError {
  /** True when the task threw an `Error`; false for any other thrown value (then `value` holds it). */
  error: boolean;
  name: string;
  message: string;
  stack?: string;
  /** Own enumerable properties with primitive values (`code`, `errno`, ...). */
  props?: Record<string, string | number | boolean | null>;
  /** The thrown value itself when it was not an Error (cloned, or its `String()`). */
  value?: unknown;
}

export interface RunResponse {
  /** Results by position in the chunk; `undefined` where the item failed. */
  r: unknown[];
  /** Time the worker spent on the chunk's items, milliseconds. */
  d: number;
  /** Failures as pairs: position in the chunk, then the error. Null when none. */
  f: Array<number | SerializedError> | null;
  /** Set instead of the rest when the task could not be loaded in this worker. */
  l?: LoadFailure;
  /** CPU time of the chunk, milliseconds, when the request asked (`u`). */
  c?: number;
  /** Time the worker's thread waited for a core during the chunk, milliseconds, when the request asked (`u`) and Linux tells it. */
  q?: number;
  /** Milliseconds spent loading the task module in this worker before the chunk: only on the chunk that loaded it. */
  m?: number;
  /** Set when items of the chunk returned promises (awaited one after another). */
  p?: true;
  /** Positions in `r` of results that are Buffers (see {@link asBuffers}). */
  n?: number[];
}

export type LoadFailureCode =
  | "AMORSIZE_TASK_NOT_FOUND"
  | "AMORSIZE_TASK_LOAD_FAILED"
  | "AMORSIZE_EXPORT_NOT_FOUND"
  | "AMORSIZE_EXPORT_NOT_FUNCTION";

export interface LoadFailure {
  code: LoadFailureCode;
  detail: string;
  cause?: SerializedError;
}

/** Answer to a {@link CheckRequest}: the milliseconds loading took when the task loads. */
export type CheckResponse = LoadFailure | number;

/** Name a failure carries from a worker when its item's promise could never settle. */
export const UNSETTLED_NAME = "ItemUnsettledError";

/** Property a crashing worker puts on its error when results could not be sent back. */
export const RESULT_CLONE_KEY = "amorsizeResultClone";
/** Property of the error a worker dies with after the task called `process.exit()`. */
export const EXIT_KEY = "amorsizeExitCode";
/** Property of the error a worker dies with: where the fault came from, a {@link CrashTag}. */
export const CRASH_KEY = "amorsizeCrash";

/**
 * Where the error that killed a worker came from, as the worker saw it: `[g, a, b, p]`.
 * `g`, `a`, `b` are the run and the input index range of the chunk whose code threw (its
 * item, or a timer or promise it left behind), -1 when unknown (code outside any chunk);
 * `p` is the position, in the chunk being run, of the item that was running when that
 * chunk itself was at fault, -1 when unknown.
 */
export type CrashTag = [g: number, a: number, b: number, p: number];

/** The {@link CrashTag} on the error a worker died with, or null. */
export function crashTagOf(error: unknown): CrashTag | null {
  if (typeof error !== "object" || error === null) return null;
  const tag = (error as Record<string, unknown>)[CRASH_KEY];
  return Array.isArray(tag) && tag.length === 4 && tag.every((n) => typeof n === "number")
    ? (tag as CrashTag)
    : null;
}

/** What a worker that failed to send a chunk's results back carries on its error. */
export interface ResultClonePayload {
  /** The results that could be cloned; `undefined` at the bad positions. */
  r: unknown[];
  d: number;
  f: Array<number | SerializedError> | null;
  /** The chunk's CPU and queued times, as in its response (`RunResponse.c`, `q`). */
  c?: number;
  q?: number;
  /** Pairs: position in the chunk, then the clone error's message. */
  bad: Array<number | string>;
}

function isPrimitive(value: unknown): value is string | number | boolean | null {
  return (
    value === null || typeof value === "string" || typeof value === "number" || typeof value === "boolean"
  );
}

/** An Error of any realm: `instanceof Error` misses errors from a vm context. */
function isErrorLike(value: unknown): value is Error {
  return (
    value instanceof Error ||
    (typeof value === "object" &&
      value !== null &&
      Object.prototype.toString.call(value) === "[object Error]" &&
      typeof (value as { message?: unknown }).message === "string")
  );
}

/** Turns anything thrown into a {@link SerializedError}. Runs only on failures. */
export function serializeError(thrown: unknown): SerializedError {
  if (isErrorLike(thrown)) {
    const out: SerializedError = {
      error: true,
      name: thrown.name,
      message: thrown.message,
    };
    if (typeof thrown.stack === "string") out.stack = thrown.stack;
    let props: Record<string, string | number | boolean | null> | undefined;
    for (const key of Object.keys(thrown)) {
      if (key === "name" || key === "message" || key === "stack") continue;
      const value = (thrown as unknown as Record<string, unknown>)[key];
      if (isPrimitive(value)) {
        props ??= {};
        props[key] = value;
      }
    }
    if (props !== undefined) out.props = props;
    return out;
  }
  let value: unknown;
  if (thrown === undefined || isPrimitive(thrown) || typeof thrown === "bigint") {
    value = thrown;
  } else {
    try {
      value = structuredClone(thrown);
    } catch {
      value = safeString(thrown);
    }
  }
  return { error: false, name: "Error", message: safeString(thrown), value };
}

// messageOf() of @amorsize/types for a value that is not an Error, written out here
// because the worker entry imports this module and must not load @amorsize/types.
function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** Rebuilds the error a task threw: same name, message, stack and primitive properties. */
export function rebuildError(serialized: SerializedError): unknown {
  if (!serialized.error) return serialized.value;
  const error = new Error(serialized.message);
  Object.defineProperty(error, "name", {
    value: serialized.name,
    writable: true,
    configurable: true,
    enumerable: false,
  });
  if (serialized.stack !== undefined) error.stack = serialized.stack;
  if (serialized.props !== undefined) Object.assign(error, serialized.props);
  return error;
}

/**
 * A span's own time in a worker, milliseconds: the span (`innerMs`) less the time its thread
 * waited for a core, read over a window that holds the span and the two queueing reads
 * around it (`outerMs`: that window's length; `queuedMs`: the waits counted in it), since
 * a thread is mostly preempted at a system call such as those reads. Never more than the
 * span, never below 0. Pure.
 */
export function ownSpanMs(innerMs: number, outerMs: number, queuedMs: number): number {
  return Math.min(innerMs, Math.max(0, outerMs - queuedMs));
}

/** Now, in milliseconds since the Unix epoch, as every thread of the process reads it alike. */
export function absoluteNowMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * Written by a worker in a chunk's cell: as it takes the chunk up (`begun` false: it may
 * import the task first) and as it begins the chunk's items (`begun` true), each time the
 * milliseconds since `epochMs` (an absolute time, see {@link absoluteNowMs}: the chunk's
 * dispatch) rounded up, plus one, negative while only taken up; 0 means "not taken up yet"
 * (queued for a worker). The calling thread's chunk clock reads it with {@link readBegin}:
 * a chunk's wait for a worker, a fresh worker's start and its import of the task are no
 * time of the chunk's. Rounded up, a time is read late, never early: a chunk gets its
 * whole time-out. A bounded load check is stamped begun as it is taken up.
 */
export function stampBegin(cells: Int32Array, slot: number, epochMs: number, begun = true): void {
  const ms = Math.max(1, Math.ceil(absoluteNowMs() - epochMs) + 1);
  Atomics.store(cells, slot, begun ? ms : -ms);
}

/**
 * Notes in a chunk's progress cell (`RunRequest.v`) that `count` of its items have ended.
 * A plain store, not `Atomics.store` (a fence per item: 15 ns against 4 for a trivial
 * task): an aligned 32-bit write does not tear, and the calling thread, reading it with
 * `Atomics.load` once the chunk's time-out ran out, needs only a count that has ended.
 */
export function storeReached(cells: Int32Array, slot: number, count: number): void {
  cells[slot] = count;
}

/** What a chunk's cell says: when it was taken up and when it began (absolute times, up to 1 ms late), or null. */
export function readBegin(
  cells: Int32Array,
  slot: number,
  epochMs: number,
): { takenAt: number | null; beganAt: number | null } {
  const stamp = Atomics.load(cells, slot);
  if (stamp === 0) return { takenAt: null, beganAt: null };
  const at = epochMs + Math.abs(stamp) - 1;
  return stamp > 0 ? { takenAt: at, beganAt: at } : { takenAt: at, beganAt: null };
}

/**
 * When a clock bounding `ms` from a begin should look again, or fire when that is not later
 * than `now` (all in one time base). Begun at `beganAt`: `ms` after the later of it and
 * `since` (the clock's own start). Taken up at `takenAt` but not begun (a worker starting,
 * importing the task): at most `startWaitMs` after the later of it and `since`. Not taken
 * up (queued behind other chunks, of this run or another): not bounded yet, looked at
 * again `ms` later. Pure.
 */
export function beginDeadline(
  now: number,
  read: { takenAt: number | null; beganAt: number | null },
  since: number,
  ms: number,
  startWaitMs: number,
): number {
  if (read.beganAt !== null) return Math.max(since, read.beganAt) + ms;
  if (read.takenAt !== null) return Math.min(Math.max(since, read.takenAt) + startWaitMs, now + ms);
  return now + ms;
}

/**
 * Positions of the Buffers among `values`, or undefined when there are none. Structured
 * clone keeps a Buffer's bytes but not its class: a worker given one got a Uint8Array,
 * whose `toString()` lists the bytes, where the calling thread's task got the Buffer.
 */
export function bufferPositions(values: readonly unknown[]): number[] | undefined {
  let positions: number[] | undefined;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (typeof value !== "object" || value === null || !Buffer.isBuffer(value)) continue;
    positions ??= [];
    positions.push(i);
  }
  return positions;
}

/** Makes the Uint8Arrays at `positions` of `values` Buffers again, over the same memory (nothing copied). */
export function asBuffers(values: unknown[], positions: readonly number[] | undefined): void {
  if (positions === undefined) return;
  for (const i of positions) {
    const bytes = values[i];
    if (bytes instanceof Uint8Array)
      values[i] = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
}
