// What the CLI's tests share: runCli() in this process with streams of the test's own.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable, Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect } from "@jest/globals";
import { type CliIo, runCli } from "../src/cli-main.js";
import { TEST_CACHE_DIR } from "./cache-dir.js";

export const cli = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
export const fixture = fileURLToPath(new URL("./fixtures/tasks.mjs", import.meta.url));
export const results = fileURLToPath(new URL("./fixtures/results.mjs", import.meta.url));

/** A writable that keeps what it was given, counts the calls, and tells `onWrite` of each. */
export function sink(onWrite?: (text: string) => void) {
  const chunks: string[] = [];
  let writes = 0;
  const stream = new Writable({
    write(chunk, _encoding, done) {
      writes++;
      chunks.push(String(chunk));
      onWrite?.(String(chunk));
      done();
    },
  });
  return { stream, text: () => chunks.join(""), writes: () => writes };
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** Calls of standard output's write(). */
  writes: number;
}

/** Runs `amorsize args` in this process; `input` is standard input (closed at once when absent). */
export async function amorsize(
  args: string[],
  input?: string,
  io: Partial<Pick<CliIo, "stdout">> & { onStdout?: (text: string) => void } = {},
): Promise<CliRun> {
  const stdout = sink(io.onStdout);
  const stderr = sink();
  const stdin = Readable.from(input === undefined ? [] : [input]);
  const code = await runCli(args, { stdout: io.stdout ?? stdout.stream, stderr: stderr.stream, stdin });
  return { code, stdout: stdout.text(), stderr: stderr.text(), writes: stdout.writes() };
}

/** A failure prints exactly one line on standard error and nothing on standard output. */
export function expectOneLineError(run: CliRun, code: number, pattern: RegExp) {
  expect(run.code).toBe(code);
  expect(run.stdout).toBe("");
  const lines = run.stderr.trimEnd().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
}

/**
 * For a test file of the CLI: a folder of its own, and the tests' cache folder as
 * AMORSIZE_CACHE_DIR while it runs. Returns the folder's path (once the file's tests started).
 */
export function cliTestFolder(prefix: string): () => string {
  let dir = "";
  const cacheEnv = process.env.AMORSIZE_CACHE_DIR;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
    process.env.AMORSIZE_CACHE_DIR = TEST_CACHE_DIR;
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    if (cacheEnv === undefined) delete process.env.AMORSIZE_CACHE_DIR;
    else process.env.AMORSIZE_CACHE_DIR = cacheEnv;
  });
  return () => dir;
}
