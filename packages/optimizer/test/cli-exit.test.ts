// How the `amorsize` command ends, run as a user runs it (its own process): once its output
// is written, whatever a task module left open in its thread; and never with exit code 0
// when a task ended the process under it.
import { spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { TEST_CACHE_DIR } from "./cache-dir.js";
import { cli, fixture } from "./cli-helpers.js";

const fixtureOf = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
// One worker at most: the plan is serial (one worker never beats a loop), and runs in the
// command's thread (--serial-here), not on the sampling worker, where the model could say it
// is sooner (over 400 numbers it did: 0.5 ms there against 2 ms here).
const inThisThread = ["--range", "400", "--max-workers", "1", "--no-cache", "--serial-here"];

function amorsizeProcess(args: string[]) {
  return spawnSync(process.execPath, [cli, ...args], {
    encoding: "utf8",
    env: { ...process.env, AMORSIZE_CACHE_DIR: TEST_CACHE_DIR },
    timeout: 60_000,
  });
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "amorsize-cli-exit-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("amorsize run, as a process", () => {
  it("ends once its output is written, though the task module keeps a timer in its thread", () => {
    const child = amorsizeProcess([
      "run",
      `${fixtureOf("keeps-handle.mjs")}#doubles`,
      ...inThisThread,
      "--json",
    ]);
    expect(child.signal).toBeNull();
    expect(child.status).toBe(0);
    expect(child.stdout.trimEnd().split("\n")).toEqual(Array.from({ length: 400 }, (_, i) => String(i * 2)));
    // Run here, where the module's timer is: a serial run, not one on the sampling worker.
    expect(JSON.parse(child.stderr).report.mode).toBe("serial");
  });

  // Linux: where /proc tells which processes a worker started (see the executor's README).
  (existsSync("/proc/thread-self") ? it : it.skip)(
    "ends, exit 1, when the first sampled item waits on a child process past --chunk-timeout",
    () => {
      // The sampling worker, ended for the time-out, could not exit before its execFileSync
      // returned, and the process waited for it 120 s after printing everything (Node waits
      // for every thread, process.exit() included). Its shell and sleep are ended with it.
      const child = spawnSync(
        process.execPath,
        [
          cli,
          "run",
          `${fixtureOf("misbehaves.mjs")}#waitsOnAChildAtFour`,
          "--range",
          "8",
          "--on-error",
          "collect",
          "--no-cache",
          "--chunk-timeout",
          "400",
        ],
        {
          encoding: "utf8",
          env: { ...process.env, AMORSIZE_CACHE_DIR: TEST_CACHE_DIR },
          timeout: 20_000,
          killSignal: "SIGKILL",
        },
      );
      expect(child.signal).toBeNull();
      expect(child.status).toBe(1);
      expect(child.stdout.trimEnd().split("\n")).toEqual(["0", "2", "4", "6", "null", "10", "12", "14"]);
      expect(child.stderr).toContain("  AMORSIZE_CHUNK_TIMEOUT: ");
    },
  );

  it("fails, leaving FILE as it was and no temporary, when a task ends the process in its thread", () => {
    const out = join(dir, "kept.jsonl");
    writeFileSync(out, "before\n");
    const child = amorsizeProcess([
      "run",
      `${fixtureOf("ends-process.mjs")}#exitsInCallingThread`,
      ...inThisThread,
      "--out",
      out,
    ]);
    expect(child.status).toBe(1);
    expect(child.stderr).toContain("[AMORSIZE_PROCESS_EXITED]");
    expect(readFileSync(out, "utf8")).toBe("before\n");
    expect(readdirSync(dir).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  });

  it("leaves an uncaught exception to Node's own report, not told as a task's exit", () => {
    const child = amorsizeProcess([
      "run",
      `${fixtureOf("ends-process.mjs")}#throwsFromTimer`,
      ...inThisThread,
    ]);
    expect(child.status).not.toBe(0);
    expect(child.stderr).toContain("thrown from a timer");
    expect(child.stderr).not.toContain("AMORSIZE_PROCESS_EXITED");
  });

  it("takes a SIGTERM that came while an item held its thread as an interruption, leaving FILE as it was", async () => {
    const out = join(dir, "interrupted.jsonl");
    const marker = join(dir, "holding");
    writeFileSync(out, "before\n");
    const args = [
      cli,
      "run",
      `${fixtureOf("ends-process.mjs")}#holdsCallingThread`,
      ...inThisThread,
      "--out",
      out,
    ];
    const child = spawn(process.execPath, args, {
      env: { ...process.env, AMORSIZE_CACHE_DIR: TEST_CACHE_DIR, AMORSIZE_TEST_MARKER: marker },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk) => {
      stderr += String(chunk);
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const deadline = Date.now() + 30_000;
    while (!existsSync(marker) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(existsSync(marker)).toBe(true);
    child.kill("SIGTERM");
    expect(await exited).toBe(143);
    expect(stderr).toContain("[AMORSIZE_INTERRUPTED]");
    expect(readFileSync(out, "utf8")).toBe("before\n");
    expect(readdirSync(dir).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  });

  it("keeps the permissions of the --out file it replaces", () => {
    const out = join(dir, "private.jsonl");
    writeFileSync(out, "old\n");
    chmodSync(out, 0o600);
    const child = amorsizeProcess(["run", `${fixture}#square`, "--range", "4", "--no-cache", "--out", out]);
    expect(child.status).toBe(0);
    expect(readFileSync(out, "utf8")).toBe("0\n1\n4\n9\n");
    expect(statSync(out).mode & 0o777).toBe(0o600);
  });
});
