import { describe, expect, it } from "@jest/globals";
import { descendantsOf, endProcessesOf, osThreadId, type ProcReader, pidsOf } from "./child-processes.js";

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
  it("kills every process the thread started, at any depth, and says which", () => {
    const killed: number[] = [];
    expect(endProcessesOf(500, (pid) => killed.push(pid), tree)).toEqual([600, 700, 800, 701, 601]);
    expect(killed).toEqual([600, 700, 800, 701, 601]);
  });

  it("kills nothing for an unknown thread (0), or one that started nothing", () => {
    const killed: number[] = [];
    expect(endProcessesOf(0, (pid) => killed.push(pid), tree)).toEqual([]);
    expect(endProcessesOf(502, (pid) => killed.push(pid), tree)).toEqual([]);
    expect(killed).toEqual([]);
  });
});

describe("osThreadId", () => {
  it("reads this thread's id where /proc tells it: the main thread's is the process id", () => {
    expect(osThreadId()).toBe(process.platform === "linux" ? process.pid : 0);
  });
});
