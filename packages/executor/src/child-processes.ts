// The processes a worker started, ended with it when a time-out ends the worker: a worker
// blocked outside JavaScript, waiting on a child process (`execSync`, `spawnSync`), cannot
// exit until that process does. Linux only, through /proc; elsewhere nothing here does anything.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

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
