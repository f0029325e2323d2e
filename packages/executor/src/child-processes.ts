// The processes a worker started, ended as the executor ends the worker: at once when a
// time-out ends it, and when a stop or close() ends it and it has not exited after a grace
// period. A worker blocked outside JavaScript, waiting on a child process (`execSync`,
// `spawnSync`), cannot exit until that process does. Linux only, through /proc; elsewhere
// nothing here does anything.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { BroadcastChannel, threadId } from "node:worker_threads";

/**
 * This thread's id in the operating system, read in a worker to stamp beside its chunks
 * (see `RunRequest.z`); 0 where /proc does not tell it (not Linux).
 */
export function osThreadId(): number {
  try {
    // "<pid>/task/<tid>"
    const tid = Number(readlinkSync("/proc/thread-self").split("/").pop());
    return Number.isInteger(tid) && tid > 0 ? tid : 0;
  } catch {
    return 0;
  }
}

/** The process ids listed in a /proc `children` file (space-separated), in order. */
export function pidsOf(children: string): number[] {
  return children
    .split(/\s+/)
    .filter((s) => s !== "")
    .map(Number)
    .filter((pid) => Number.isInteger(pid) && pid > 0);
}

/** What the ending needs of /proc: injected in tests. */
export interface ProcReader {
  /** A file's text, or null when it cannot be read (the thread or process is gone). */
  read(path: string): string | null;
  /** The entries of a folder, or none. */
  list(path: string): string[];
}

const PROC: ProcReader = {
  read(path) {
    try {
      return readFileSync(path, "utf8");
    } catch {
      return null;
    }
  },
  list(path) {
    try {
      return readdirSync(path);
    } catch {
      return [];
    }
  },
};

/**
 * The processes started by thread `tid` of this process, and theirs, to any depth (each
 * once, parents before their children): every thread's `children` file of each.
 */
export function descendantsOf(tid: number, proc: ProcReader = PROC): number[] {
  const found: number[] = [];
  const seen = new Set<number>();
  const visit = (pids: readonly number[]) => {
    for (const pid of pids) {
      if (seen.has(pid)) continue;
      seen.add(pid);
      found.push(pid);
      for (const thread of proc.list(`/proc/${pid}/task`)) {
        visit(pidsOf(proc.read(`/proc/${pid}/task/${thread}/children`) ?? ""));
      }
    }
  };
  visit(pidsOf(proc.read(`/proc/self/task/${tid}/children`) ?? ""));
  return found;
}

/** Walks of the tree {@link endProcessesOf} makes at most, each stopping what the last one had not found. */
export const MAX_STOP_ROUNDS = 16;

/**
 * Ends the processes thread `tid` of this process started, and theirs (SIGKILL, as
 * `terminate()` gives a worker no say either), as the executor ends its worker: a worker
 * waiting on one of them in a synchronous call cannot exit before it returns, and Node
 * waits for every thread before the process ends. A task whose `execSync("sleep 30")`
 * outlived its 300 ms time-out had its item failed at 337 ms, and the process could not
 * exit, `process.exit()` included, until the sleep ended 30 s later. Each process found
 * is stopped (SIGSTOP) before its own children are read, and the tree walked again until
 * a walk finds nothing new (at most {@link MAX_STOP_ROUNDS}): a shell starting a sleep
 * in a loop left over a thousand of them when the tree was read once and then killed.
 * Then every one found is killed. Processes already moved out of the tree (a shell's
 * `sleep 8 &`, left to the system when the shell ended) are not found: `execSync`
 * waits for them while they hold its output. Needs /proc's `children` files (Linux, built
 * with CONFIG_PROC_CHILDREN, as the usual distributions' kernels are); without them, or
 * for `tid` 0 (unknown), nothing is ended. Called while the thread is still there, so
 * its id is no other's. Returns the processes ended.
 */
export function endProcessesOf(
  tid: number,
  send: (pid: number, signal: "SIGSTOP" | "SIGKILL") => void = signalQuietly,
  proc: ProcReader = PROC,
): number[] {
  if (tid <= 0) return [];
  const ended: number[] = [];
  const known = new Set<number>();
  for (let round = 0; round < MAX_STOP_ROUNDS; round++) {
    const fresh = descendantsOf(tid, proc).filter((pid) => !known.has(pid));
    if (fresh.length === 0) break;
    for (const pid of fresh) {
      send(pid, "SIGSTOP");
      known.add(pid);
      ended.push(pid);
    }
  }
  for (const pid of ended) send(pid, "SIGKILL");
  return ended;
}

function signalQuietly(pid: number, signal: "SIGSTOP" | "SIGKILL"): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Gone already.
  }
}

/**
 * How long a worker ended by a stop or close() may take to exit before the processes it
 * started are ended, milliseconds. A worker running JavaScript exits within milliseconds
 * of `terminate()`; one waiting on a child process in a synchronous call exits only once
 * that process ends. A worker waiting on a 120 s sleep held its run's stop 5 s (the stop's
 * own bound) and the process 120 s.
 */
export const LINGER_GRACE_MS = 250;
let lingerGraceMs = LINGER_GRACE_MS;

/**
 * Sets the grace period of {@link endProcessesOfLingering} (undefined: back to
 * {@link LINGER_GRACE_MS}). For tests of workers that exit on their own, one at a time.
 */
export function setLingerGraceMs(ms: number | undefined): void {
  lingerGraceMs = ms ?? LINGER_GRACE_MS;
}

/** Where each worker tells its operating-system thread id, beside its Node `threadId`. */
const THREADS_CHANNEL = "amorsize:executor-threads";
/** Workers' thread ids, by Node `threadId`, as they told them (see {@link listenForThreadIds}). */
const osThreads = new Map<number, number>();
/** Workers whose ids are kept: past this, the oldest are dropped (Node's thread ids only grow). */
const KEPT_THREAD_IDS = 1024;
let listening: BroadcastChannel | null = null;
/** /proc told no thread id when first asked (not Linux): not asked again for each executor. */
let unsupported = false;

/** In a worker, as it starts: tells the calling thread which thread of the OS it is (see {@link osThreadOf}). */
export function announceThreadId(tid: number): void {
  if (tid <= 0) return;
  const channel = new BroadcastChannel(THREADS_CHANNEL);
  channel.postMessage([threadId, tid]);
  channel.close();
}

/**
 * Starts taking in the workers' thread ids, once per process, where /proc tells them (the
 * channel keeps no process alive). A message of another shape on the channel is ignored.
 */
export function listenForThreadIds(): void {
  if (listening !== null || unsupported) return;
  if (osThreadId() === 0) {
    unsupported = true;
    return;
  }
  listening = new BroadcastChannel(THREADS_CHANNEL);
  listening.unref();
  listening.onmessage = (event) => {
    const data = (event as MessageEvent).data as unknown;
    if (!Array.isArray(data) || data.length !== 2 || !data.every((n) => Number.isInteger(n) && n > 0)) return;
    osThreads.set(data[0] as number, data[1] as number);
    if (osThreads.size > KEPT_THREAD_IDS) osThreads.delete(osThreads.keys().next().value!);
  };
}

/** The operating-system thread id a worker told (0: not told, or not Linux). */
export function osThreadOf(workerThreadId: number): number {
  return osThreads.get(workerThreadId) ?? 0;
}

/** A worker being ended: a `Worker`, or tinypool's wrapper of one (its `threadId` kept after the exit). */
export interface EndingThread {
  readonly threadId: number;
  once(event: "exit", listener: () => void): unknown;
}

/**
 * Called as `threads` are being ended (a run's stop, close()): the processes of each one
 * still there {@link LINGER_GRACE_MS} later (see {@link setLingerGraceMs}) are ended (see
 * {@link endProcessesOf}), so that one waiting on them exits; a thread whose id had not
 * come yet is looked at once more after as long again. Nothing is killed for a thread that
 * exited meanwhile (its id is dropped then), and the timer ends once every thread did. The
 * timer is not unref'd: a process whose work is done would otherwise end its event loop
 * first, and then wait, with nothing left to fire it, for the threads it ends. Tinypool's
 * wrappers keep their `threadId` after the exit (a `Worker`'s reads -1 then): the threads
 * given are the ones being ended now, not exited yet.
 */
export function endProcessesOfLingering(threads: readonly EndingThread[], graceMs = lingerGraceMs): void {
  if (listening === null) return;
  const left = new Set(threads.filter((thread) => thread.threadId >= 0));
  if (left.size === 0) return;
  let timer: NodeJS.Timeout;
  const look = (again: boolean) => {
    const unknown: EndingThread[] = [];
    for (const thread of left) {
      const tid = osThreadOf(thread.threadId);
      if (tid === 0) unknown.push(thread);
      else endProcessesOf(tid);
    }
    if (again && unknown.length > 0) timer = setTimeout(() => look(false), graceMs);
  };
  timer = setTimeout(() => look(true), graceMs);
  for (const thread of left) {
    const id = thread.threadId;
    thread.once("exit", () => {
      left.delete(thread);
      osThreads.delete(id);
      if (left.size === 0) clearTimeout(timer);
    });
  }
}
