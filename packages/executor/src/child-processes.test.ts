import { describe, expect, it } from "@jest/globals";
import {
  descendantsOf,
  endProcessesOf,
  MAX_STOP_ROUNDS,
  osThreadId,
  type ProcReader,
  pidsOf,
} from "./child-processes.js";

/** A /proc made of `files` (path to text); a folder lists the names under it. */
function procOf(files: Record<string, string>): ProcReader {
  return {
    read: (path) => files[path] ?? null,
    list: (path) => {
      const names = new Set<string>();
      for (const file of Object.keys(files)) {
        if (file.startsWith(`${path}/`)) names.add(file.slice(path.length + 1).split("/")[0]!);
      }
      return [...names];
    },
  };
}

/** Thread 500 started 600 and 601; 600's threads started 700, and 701 and 601 again; 700 started 800. */
const tree = procOf({
  "/proc/self/task/500/children": "600 601",
  "/proc/self/task/501/children": "999",
  "/proc/600/task/600/children": "700",
  "/proc/600/task/602/children": "701 601",
  "/proc/601/task/601/children": "",
  "/proc/700/task/700/children": "800",
  "/proc/701/task/701/children": "",
  "/proc/800/task/800/children": "",
});

describe("pidsOf", () => {
  it("reads the ids of a children file", () => {
    expect(pidsOf("12 345 6 \n")).toEqual([12, 345, 6]);
    expect(pidsOf("")).toEqual([]);
    expect(pidsOf(" x 0 -3 8")).toEqual([8]);
  });
});

describe("descendantsOf", () => {
  it("finds the thread's children and theirs, through every thread of each, each once", () => {
    // 999 is another thread's child; 601 is listed twice.
    expect(descendantsOf(500, tree)).toEqual([600, 700, 800, 701, 601]);
    expect(descendantsOf(502, tree)).toEqual([]);
  });
});

describe("endProcessesOf", () => {
  it("stops every process the thread started, at any depth, then kills them all, and says which", () => {
    const sent: string[] = [];
    const ended = endProcessesOf(500, (pid, signal) => sent.push(`${signal} ${pid}`), tree);
    expect(ended).toEqual([600, 700, 800, 701, 601]);
    expect(sent).toEqual([
      ...[600, 700, 800, 701, 601].map((pid) => `SIGSTOP ${pid}`),
      ...[600, 700, 800, 701, 601].map((pid) => `SIGKILL ${pid}`),
    ]);
  });

  it("walks the tree again until nothing new is found: what forked while it was read is ended too", () => {
    const files: Record<string, string> = {
      "/proc/self/task/500/children": "600",
      "/proc/600/task/600/children": "",
    };
    // 600 forks 900 before it is stopped, and 900 forks 901 before it is.
    const forks: Record<number, [string, string]> = {
      600: ["/proc/600/task/600/children", "900"],
      900: ["/proc/900/task/900/children", "901"],
    };
    const proc = procOf(files);
    const sent: string[] = [];
    const ended = endProcessesOf(
      500,
      (pid, signal) => {
        sent.push(`${signal} ${pid}`);
        const fork = forks[pid];
        if (signal === "SIGSTOP" && fork !== undefined) {
          files[fork[0]] = fork[1];
          files[`/proc/${fork[1]}/task/${fork[1]}/children`] ??= "";
        }
      },
      proc,
    );
    expect(ended).toEqual([600, 900, 901]);
    expect(sent.filter((line) => line.startsWith("SIGKILL"))).toEqual([
      "SIGKILL 600",
      "SIGKILL 900",
      "SIGKILL 901",
    ]);
    // A tree that keeps growing (each process, once stopped, lists a child it forked before) is walked MAX_STOP_ROUNDS times at most.
    const stopped = new Set<number>();
    const growing: ProcReader = {
      read: (path) => {
        if (path === "/proc/self/task/500/children") return "1000";
        const pid = Number(path.split("/")[2]);
        return stopped.has(pid) ? String(pid + 1) : "";
      },
      list: (path) => [path.split("/")[2]!],
    };
    const grows = endProcessesOf(
      500,
      (pid, signal) => {
        if (signal === "SIGSTOP") stopped.add(pid);
      },
      growing,
    );
    expect(grows).toEqual(Array.from({ length: MAX_STOP_ROUNDS }, (_, k) => 1000 + k));
  });

  it("ends nothing for an unknown thread (0), or one that started nothing", () => {
    const sent: string[] = [];
    expect(endProcessesOf(0, (pid, signal) => sent.push(`${signal} ${pid}`), tree)).toEqual([]);
    expect(endProcessesOf(502, (pid, signal) => sent.push(`${signal} ${pid}`), tree)).toEqual([]);
    expect(sent).toEqual([]);
  });
});

describe("osThreadId", () => {
  it("reads this thread's id where /proc tells it: the main thread's is the process id", () => {
    expect(osThreadId()).toBe(process.platform === "linux" ? process.pid : 0);
  });
});
