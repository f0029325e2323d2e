import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "@jest/globals";
import { heapUsed, ThreadClock } from "./clock.js";

const dir = mkdtempSync(join(tmpdir(), "amorsize-clock-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function schedstat(text: string): string {
  const path = join(dir, `schedstat-${Math.random().toString(36).slice(2)}`);
  writeFileSync(path, text);
  return path;
}

describe("ThreadClock", () => {
  it("reads the thread's runtime and queueing from its schedstat file", () => {
    const clock = new ThreadClock(schedstat("2000000 3500000 7\n"));
    try {
      const reading = clock.read();
      expect(reading.threadCpuMs).toBe(2);
      expect(reading.queuedMs).toBe(3.5);
      expect(reading.processCpuMs).toBeGreaterThan(0);
    } finally {
      clock.close();
    }
  });

  const linux = process.platform === "linux" && existsSync("/proc/thread-self/schedstat");
  (linux ? it : it.skip)(
    "on Linux, sums the other threads' runtimes, which never fall, and closes their files",
    () => {
      const clock = new ThreadClock();
      const first = clock.read().othersCpuMs;
      const second = clock.read().othersCpuMs;
      // Asked not to, it reads this thread's figures only.
      const own = clock.read(false);
      expect(own.othersCpuMs).toBeNull();
      expect(typeof own.threadCpuMs).toBe("number");
      clock.close();
      expect(typeof first).toBe("number");
      expect(second).toBeGreaterThanOrEqual(first as number);
      expect(clock.read().othersCpuMs ?? null).toBeNull();
    },
  );

  it("falls back to the process figure without a schedstat file", () => {
    const clock = new ThreadClock(join(dir, "missing"));
    expect(clock.read()).toMatchObject({ threadCpuMs: null, queuedMs: 0 });
    clock.close();
  });

  it("falls back to the process figure, for good, on a file it cannot read", () => {
    const path = schedstat("not a schedstat line\n");
    const clock = new ThreadClock(path);
    expect(clock.read()).toMatchObject({ threadCpuMs: null, queuedMs: 0 });
    writeFileSync(path, "2000000 3500000 7\n");
    expect(clock.read()).toMatchObject({ threadCpuMs: null, queuedMs: 0 });
    clock.close();
  });

  it("reads this thread's own figures by default, where the system has them", () => {
    const clock = new ThreadClock();
    const before = clock.read();
    const after = clock.read();
    clock.close();
    expect(before.threadCpuMs === null).toBe(!existsSync("/proc/thread-self/schedstat"));
    expect(after.processCpuMs).toBeGreaterThanOrEqual(before.processCpuMs);
    expect(after.queuedMs).toBeGreaterThanOrEqual(before.queuedMs);
  });

  it("reads nothing from the file once closed", () => {
    const clock = new ThreadClock(schedstat("2000000 3500000 7\n"));
    clock.close();
    expect(clock.read().threadCpuMs).toBeNull();
  });
});

describe("ThreadClock.close()", () => {
  it("closes what is open and skips the slots of threads that ended while it read them", () => {
    const clock = new ThreadClock();
    // A helper thread that exited mid-sampling leaves its slot at -1 (closed as it was read).
    const slots = (clock as unknown as { others: number[] | null }).others;
    slots?.push(-1);
    expect(() => clock.close()).not.toThrow();
  });
});

describe("heapUsed", () => {
  it("gives V8's used heap in bytes", () => {
    expect(heapUsed()).toBeGreaterThan(0);
  });
});
