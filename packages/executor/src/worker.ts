// The worker entry tinypool loads (built to dist/worker.js). It imports each task module
// once per worker, maps the task over a chunk, and answers with the results, the time
// the chunk took and the failures by position, so one failing item loses nothing else.
// It imports nothing that loads @amorsize/types (zod): every worker of every pool would
// pay for that at start-up, and the executor's start-up cost is what the planner weighs.
import { AsyncLocalStorage } from "node:async_hooks";
import { readFileSync } from "node:fs";
import { announceThreadId, osThreadId } from "./child-processes.js";
import { loadTask, type TaskFunction } from "./load.js";
import {
  asBuffers,
  bufferPositions,
  type CheckRequest,
  type CheckResponse,
  CRASH_KEY,
  type CrashTag,
  EXIT_KEY,
  ownSpanMs,
  RESULT_CLONE_KEY,
  type ResultClonePayload,
  type RunRequest,
  type RunResponse,
  type SerializedError,
  serializeError,
  stampBegin,
  storeReached,
  UNSETTLED_NAME,
  type WorkerRequest,
} from "./protocol.js";
import { collectTransferables } from "./transfer.js";

type TinypoolModule = typeof import("tinypool");

const tasks = new Map<string, TaskFunction>();
/** The last answer handed to tinypool, kept until the next chunk to explain a failed send. */
let lastResponse: RunResponse | null = null;
let dying = false;
let tinypool: TinypoolModule | null = null;
const NEVER = new Promise<never>(() => {});

/**
 * The chunk whose code runs: set around each chunk, and carried by Node into every timer,
 * promise and callback its items start. An error thrown by a timer after its chunk
 * returned fires while another chunk runs, maybe another run's; this says whose it is.
 */
const origin = new AsyncLocalStorage<RunRequest>();
/** The chunk being run, and its results so far: their count is the position of the item running. */
let running: RunRequest | null = null;
let runningOut: unknown[] | null = null;

/** Where the error that kills this worker came from (see {@link CrashTag}). */
function crashTag(): CrashTag {
  // Code outside any chunk's context (rare: a module's own top level) is blamed on the chunk running.
  const own = origin.getStore() ?? running;
  if (own === null) return [-1, -1, -1, -1];
  const position = own === running && runningOut !== null ? runningOut.length : -1;
  return [own.g, own.a, own.b, position];
}

/** `error` carrying `tag`; a value that cannot carry it is wrapped in an Error. */
function tagged(error: unknown, tag: CrashTag): unknown {
  if (typeof error === "object" && error !== null && Object.isExtensible(error)) {
    (error as Record<string, unknown>)[CRASH_KEY] = tag;
    return error;
  }
  const wrapped = new Error(serializeError(error).message);
  Object.assign(wrapped, { [CRASH_KEY]: tag });
  return wrapped;
}

/** Ends this worker with `error` (tinypool sees the worker fail and replaces it). */
function die(error: unknown): void {
  if (dying) return;
  dying = true;
  const carrier = tagged(error, crashTag());
  process.removeListener("uncaughtException", onUncaught);
  process.nextTick(() => {
    throw carrier;
  });
}

function isDataCloneError(error: unknown): boolean {
  return (
    typeof error === "object" && error !== null && (error as { name?: unknown }).name === "DataCloneError"
  );
}

/**
 * Tinypool posts our answer after the handler returns; when a result cannot be cloned,
 * that post throws outside our code and the worker dies with an opaque error. Before it
 * dies, find which results were at fault and put them, with every result that can be
 * sent, on the error the worker dies with.
 */
function onUncaught(error: unknown): void {
  const response = lastResponse;
  if (response !== null && isDataCloneError(error)) {
    const bad: Array<number | string> = [];
    const good: unknown[] = [];
    for (let i = 0; i < response.r.length; i++) {
      try {
        structuredClone(response.r[i]);
        good.push(response.r[i]);
      } catch (cloneError) {
        bad.push(i, serializeError(cloneError).message);
        good.push(undefined);
      }
    }
    if (bad.length > 0) {
      const payload: ResultClonePayload = { r: good, d: response.d, f: response.f, bad };
      if (response.c !== undefined) payload.c = response.c;
      if (response.q !== undefined) payload.q = response.q;
      const enriched = new Error("A result could not be sent back to the main thread");
      Object.assign(enriched, { [RESULT_CLONE_KEY]: payload });
      die(enriched);
      return;
    }
  }
  die(error);
}

process.on("uncaughtException", onUncaught);

// In a worker thread, process.exit() ends the thread silently: tinypool would wait for
// the chunk forever. Turn a call from the task into a crash that tinypool sees. Node
// itself calls process.exit() to end a worker after an uncaught error (with
// process._exiting set); that call, and any once we are dying, must really exit.
const realExit = process.exit.bind(process);
process.exit = ((code?: number | string | null) => {
  if (dying || (process as { _exiting?: boolean })._exiting === true) return realExit(code);
  const error = new Error(`the task called process.exit(${code ?? ""})`);
  Object.assign(error, { [EXIT_KEY]: Number(code ?? process.exitCode ?? 0) });
  die(error);
  throw error;
}) as typeof process.exit;

/**
 * CPU time so far, milliseconds: this thread's. Node tells it from 22.19 and 23.9
 * (`process.threadCpuUsage`); before, on Linux, the thread's runtime in
 * /proc/thread-self/schedstat tells it, read just after the process's CPU time: that
 * call brings the calling thread's runtime up to date, where a reading alone lags by up
 * to a scheduler tick (4 ms here). Elsewhere the process's, which is this thread's only
 * while the other threads are idle: a worker awaiting 80 ms read 81.7 ms of CPU by it
 * while the calling thread computed, and 1.1 ms by its schedstat (Node 20, 2 cores).
 */
const threadCpuUsage = (process as { threadCpuUsage?: () => NodeJS.CpuUsage }).threadCpuUsage;
function cpuNowMs(): number {
  if (threadCpuUsage !== undefined) {
    const { user, system } = threadCpuUsage.call(process);
    return (user + system) / 1000;
  }
  const { user, system } = process.cpuUsage();
  if (schedstatRuns === false) return (user + system) / 1000;
  const runNs = schedstatNs(0);
  // Which clock is decided once, at the first reading: a chunk's two must come from the same one.
  schedstatRuns ??= (runNs ?? 0) > 0;
  if (!schedstatRuns) return (user + system) / 1000;
  // A reading that fails now leaves the chunk without a CPU figure (NaN), never a mixed one.
  return (runNs ?? Number.NaN) / 1e6;
}

/**
 * Whether /proc/thread-self/schedstat counts this thread's runtime (a kernel without
 * scheduler statistics prints zeros); undefined until first read.
 */
let schedstatRuns: boolean | undefined;

/**
 * Figure `field` of /proc/thread-self/schedstat, nanoseconds (0: time on a core, 1: time
 * ready but queued for a core), or null where it cannot be read. The file is opened and
 * closed at each reading: a worker's open descriptor would outlive it in the process.
 */
function schedstatNs(field: 0 | 1): number | null {
  try {
    const ns = Number(readFileSync("/proc/thread-self/schedstat", "latin1").split(" ")[field]);
    return Number.isFinite(ns) ? ns : null;
  } catch {
    return null;
  }
}

/**
 * Time this thread has spent ready to run but queued for a core, milliseconds (Linux;
 * brought up to date each time the thread is given a core, so exact while it runs). -1
 * where it cannot be read.
 */
function queuedNowMs(): number {
  const ns = schedstatNs(1);
  return ns === null ? -1 : ns / 1e6;
}

/**
 * A span's queueing, read from before the span to after it: `ownMs(spanMs)` is the span's
 * own time, its waits for a core left out (see `ownSpanMs`: a thread is mostly preempted
 * at a system call, such as these reads, so the window holds them), or null when the
 * closing read failed. Null where the queueing cannot be read.
 */
interface QueueWindow {
  ownMs(spanMs: number): number | null;
}

function queueWindow(): QueueWindow | null {
  const outerStart = performance.now();
  const queuedStart = queuedNowMs();
  if (queuedStart < 0) return null;
  return {
    ownMs(spanMs) {
      const queuedEnd = queuedNowMs();
      const outerMs = performance.now() - outerStart;
      return queuedEnd >= queuedStart ? ownSpanMs(spanMs, outerMs, queuedEnd - queuedStart) : null;
    },
  };
}

/** Whether items of the chunk running returned promises. */
let wentAsync = false;
/** CPU time at the start of the chunk running, when its request asked for it (`u`). */
let cpuStart = -1;
/** The chunk running's queueing, when its request asked for CPU time (`u`) and it can be read. */
let queued: QueueWindow | null = null;
/** Milliseconds the chunk running waited for its task module to load in this worker; -1 when loaded already. */
let loadMs = -1;

function finish(request: RunRequest, out: unknown[], failures: RunResponse["f"], start: number): unknown {
  running = null;
  runningOut = null;
  const response: RunResponse = { r: out, d: performance.now() - start, f: failures };
  const own = queued?.ownMs(response.d) ?? null;
  if (own !== null) response.q = response.d - own;
  if (cpuStart >= 0) {
    const cpuMs = cpuNowMs() - cpuStart;
    if (Number.isFinite(cpuMs)) response.c = cpuMs;
  }
  if (wentAsync) response.p = true;
  if (loadMs >= 0) response.m = loadMs;
  const buffers = bufferPositions(out);
  if (buffers !== undefined) response.n = buffers;
  lastResponse = response;
  if (request.t && tinypool !== null) {
    const buffers = collectTransferables(out);
    if (buffers !== null) {
      const movable = { [tinypool.kTransferable]: buffers, [tinypool.kValue]: response };
      tinypool.markMovable(movable);
      return movable;
    }
  }
  return response;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null && typeof value === "object" && typeof (value as { then?: unknown }).then === "function"
  );
}

/** Resources alive before any task code ran here: tinypool's own message ports. */
let baselinePorts = -1;

function countPorts(resources: readonly string[]): number {
  let ports = 0;
  for (const kind of resources) if (kind === "MessagePort") ports++;
  return ports;
}

/**
 * Whether nothing left in this worker could settle a promise: no timer, I/O, child or
 * other handle, and no message port beyond tinypool's own. Unreferenced handles do not
 * count, as they would not keep a process alive either.
 */
function nothingLeft(): boolean {
  const resources = process.getActiveResourcesInfo();
  return resources.length === countPorts(resources) && countPorts(resources) <= baselinePorts;
}

/** How often a chunk waiting on a promise checks that something could still settle it, ms. */
const UNSETTLED_CHECK_MS = 250;

/** Rejects the promise the running chunk waits on; null while it waits on none. */
let giveUp: ((error: Error) => void) | null = null;
let idleChecks = 0;
/** Checks, while a chunk waits on promises, that something could still settle them. */
let watchdog: NodeJS.Timeout | null = null;

function checkWaiting(): void {
  idleChecks = giveUp !== null && nothingLeft() ? idleChecks + 1 : 0;
  // One check would do; two leave room for a handle between two phases of the loop.
  if (idleChecks < 2 || giveUp === null) return;
  idleChecks = 0;
  const error = new Error("the promise can never settle: nothing is left in the worker that could settle it");
  error.name = UNSETTLED_NAME;
  giveUp(error);
}

/** `value`, awaited: a promise is given up on once nothing is left that could settle it. */
function awaited(value: unknown): unknown {
  if (!isThenable(value)) return value;
  if (watchdog === null) {
    watchdog = setInterval(checkWaiting, UNSETTLED_CHECK_MS);
    watchdog.unref();
  }
  return new Promise((resolve, reject) => {
    giveUp = reject;
    value.then(resolve, reject);
  }).finally(() => {
    giveUp = null;
  });
}

function stopWatchdog(): void {
  if (watchdog !== null) clearInterval(watchdog);
  watchdog = null;
  giveUp = null;
}

async function finishAsync(
  fn: TaskFunction,
  request: RunRequest,
  out: unknown[],
  failures: RunResponse["f"],
  start: number,
  index: number,
  pending: PromiseLike<unknown>,
): Promise<unknown> {
  const items = request.x;
  wentAsync = true;
  for (let i = index; i < items.length; i++) {
    try {
      out.push(await awaited(i === index ? pending : fn(items[i])));
    } catch (error) {
      if (dying) return NEVER;
      if (failures === null) failures = [];
      failures.push(i, serializeError(error));
      out.push(undefined);
    }
    noteReached(i + 1);
  }
  stopWatchdog();
  return finish(request, out, failures, start);
}

// Set by runFrom when it stops at a promise, so the hot loop allocates nothing.
let stoppedAt: PromiseLike<unknown> | null = null;

/**
 * Runs the items from `i` on, pushing each result, until the end or the first promise
 * (left in `stoppedAt`). It holds no try/catch: V8 runs a task inlined into a loop
 * inside a try block several times slower, so errors are caught by the caller, which
 * resumes after the failing item. For a chunk under a time-out (`cells`, see
 * `RunRequest.v`) it notes after each item how many have ended, which the calling thread
 * reads when the chunk times out.
 */
function runFrom(
  fn: TaskFunction,
  items: unknown[],
  out: unknown[],
  i: number,
  cells: Int32Array | null,
  slot: number,
): number {
  const n = items.length;
  for (; i < n; i++) {
    const value = fn(items[i]);
    if (isThenable(value)) {
      stoppedAt = value;
      return i;
    }
    out.push(value);
    if (cells !== null) storeReached(cells, slot, i + 1);
  }
  return n;
}

/**
 * {@link runFrom}, called through a Proxy, which TurboFan never inlines: the hot loop
 * then never lands inside the caller's try block, however the caller is compiled.
 * Without it, once the chunk runner was called through AsyncLocalStorage.run, TurboFan
 * inlined the loop into runItems's try block and chunks of a ~1 us task ran 4 times slower.
 */
const runFromApart = new Proxy(runFrom, {});

/** The running chunk's progress cells and its slot there, when it has a time-out (see `RunRequest.v`). */
let reachedCells: Int32Array | null = null;
let reachedSlot = 0;

/** Notes how many of the running chunk's items have ended, when it has a time-out. */
function noteReached(count: number): void {
  if (reachedCells !== null) storeReached(reachedCells, reachedSlot, count);
}

function runItems(fn: TaskFunction, request: RunRequest): unknown {
  const items = request.x;
  asBuffers(items, request.n);
  const n = items.length;
  // Filled with push so the array stays packed: V8 clones a packed array much faster.
  const out: unknown[] = [];
  runningOut = out;
  let failures: Array<number | SerializedError> | null = null;
  // The chunk's clock in the calling thread counts from here (see ChunkClock).
  stamp(request);
  cpuStart = request.u === true ? cpuNowMs() : -1;
  queued = request.u === true ? queueWindow() : null;
  reachedCells = request.v ?? null;
  reachedSlot = request.y ?? 0;
  const start = performance.now();
  let i = 0;
  while (i < n) {
    try {
      i = runFromApart(fn, items, out, i, reachedCells, reachedSlot);
    } catch (error) {
      if (dying) return NEVER;
      // Every item before the failing one pushed its result.
      i = out.length;
      if (failures === null) failures = [];
      failures.push(i, serializeError(error));
      out.push(undefined);
      i++;
      noteReached(i);
      continue;
    }
    if (i < n) {
      const pending = stoppedAt!;
      stoppedAt = null;
      return finishAsync(fn, request, out, failures, start, i, pending);
    }
  }
  return finish(request, out, failures, start);
}

async function loadThenRun(request: RunRequest, key: string): Promise<unknown> {
  if (request.t && tinypool === null) tinypool = await import("tinypool");
  // With `u`, the load's own time, as a chunk's: its waits for a core left out.
  const loadQueued = request.u === true ? queueWindow() : null;
  const loadStart = performance.now();
  const loaded = await loadTask(request.h, request.e);
  loadMs = performance.now() - loadStart;
  loadMs = loadQueued?.ownMs(loadMs) ?? loadMs;
  if (typeof loaded !== "function") {
    running = null;
    const response: RunResponse = { r: [], d: 0, f: null, l: loaded };
    return response;
  }
  tasks.set(key, loaded);
  return runItems(loaded, request);
}

/** This worker's thread in the operating system (see `RunRequest.z`); 0 where unknown. */
const OS_THREAD = osThreadId();
// For a stop or close() that ends this worker while it waits on a child process (see `endProcessesOfLingering`).
announceThreadId(OS_THREAD);

/**
 * Stamps a clocked request's cell (see `stampBegin`), after noting there which thread took
 * it up (`z`): the calling thread reads that one when the request's time runs out.
 */
function stamp(request: WorkerRequest, begun = true): void {
  if (request.w === undefined) return;
  if (request.z !== undefined) Atomics.store(request.z, request.y!, OS_THREAD);
  stampBegin(request.w, request.y!, request.o!, begun);
}

async function check(request: CheckRequest): Promise<CheckResponse> {
  const key = `${request.e}\0${request.h}`;
  // A bounded check's clock in the calling thread counts from here (see `ParallelExecutor.check`).
  stamp(request);
  // Loaded here already (an earlier check or chunk): no load to tell.
  if (tasks.has(key)) return -1;
  const loadStart = performance.now();
  const loaded = await loadTask(request.h, request.e);
  if (typeof loaded !== "function") return loaded;
  tasks.set(key, loaded);
  return performance.now() - loadStart;
}

function run(request: RunRequest): unknown {
  running = request;
  const key = `${request.e}\0${request.h}`;
  const fn = tasks.get(key);
  if (fn === undefined || (request.t && tinypool === null)) {
    // Taken up, the task still to import: the chunk's clock bounds that wait apart.
    stamp(request, false);
    return loadThenRun(request, key);
  }
  return runItems(fn, request);
}

/** Tinypool handler: runs one chunk, or checks that a task loads. */
export function runChunk(request: WorkerRequest): unknown {
  if (baselinePorts < 0) baselinePorts = countPorts(process.getActiveResourcesInfo());
  lastResponse = null;
  loadMs = -1;
  wentAsync = false;
  if (request.k === 1) return check(request);
  return origin.run(request, run, request);
}
