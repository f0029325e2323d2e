// The processes a worker started, ended as the executor ends the worker: at once when a
// time-out ends it, and when a stop or close() ends it and it has not exited after a grace
// period. A worker blocked outside JavaScript, waiting on a child process (`execSync`,
// `spawnSync`), cannot exit until that process does. Linux only, through /proc; elsewhere
// nothing here does anything.
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
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

/**
 * Ends the processes thread `tid` of this process started, and theirs (SIGKILL, as
 * `terminate()` gives a worker no say either), as a time-out ends its worker: a worker
 * waiting on one of them in a synchronous call cannot exit before it returns, and Node
 * waits for every thread before the process ends. A task whose `execSync("sleep 30")`
 * outlived its 300 ms time-out had its item failed at 337 ms, and the process could not
 * exit, `process.exit()` included, until the sleep ended 30 s later. A process the worker
 * started and left running would outlive it too. What they had not written is lost with
 * them. `tid` 0 (unknown) ends nothing; called while the thread still runs, before it can
 * exit and its id be given to another.
 */
export function endProcessesOf(
  tid: number,
  kill: (pid: number) => void = killHard,
  proc: ProcReader = PROC,
): number[] {
  if (tid <= 0) return [];
  const pids = descendantsOf(tid, proc);
  for (const pid of pids) kill(pid);
  return pids;
}

function killHard(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
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
/** Entries past which the ids of threads gone are dropped. */
const KEPT_THREAD_IDS = 1024;
let listening: BroadcastChannel | null = null;

/** In a worker, as it starts: tells the calling thread which thread of the OS it is (see {@link osThreadOf}). */
export function announceThreadId(tid: number): void {
  if (tid <= 0) return;
  const channel = new BroadcastChannel(THREADS_CHANNEL);
  channel.postMessage([threadId, tid]);
  channel.close();
}

/** Starts taking in the workers' thread ids, once per process (the channel keeps no process alive). */
export function listenForThreadIds(): void {
  if (listening !== null) return;
  listening = new BroadcastChannel(THREADS_CHANNEL);
  listening.unref();
  listening.onmessage = (event) => {
    const [worker, tid] = (event as MessageEvent).data as [number, number];
    if (osThreads.size >= KEPT_THREAD_IDS) {
      for (const [id, os] of osThreads) if (!existsSync(`/proc/self/task/${os}`)) osThreads.delete(id);
    }
    osThreads.set(worker, tid);
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
 * still there {@link LINGER_GRACE_MS} later (see {@link setLingerGraceMs}) are ended (see {@link endProcessesOf}), so that
 * one waiting on them exits. Nothing is killed for a thread that exited meanwhile, and the
 * timer ends once every thread did.
 */
export function endProcessesOfLingering(threads: readonly EndingThread[], graceMs = lingerGraceMs): void {
  const left = new Set(threads.filter((thread) => thread.threadId >= 0));
  if (left.size === 0) return;
  const timer = setTimeout(() => {
    for (const thread of left) endProcessesOf(osThreadOf(thread.threadId));
  }, graceMs);
  for (const thread of left) {
    thread.once("exit", () => {
      left.delete(thread);
      if (left.size === 0) clearTimeout(timer);
    });
  }
}
