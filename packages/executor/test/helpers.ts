import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import type { ExecutorOptions } from "@amorsize/types";
import type { Executor } from "../src/index.js";
import { createExecutor } from "../src/index.js";

/** `Atomics.waitAsync` (Node 16+), which the ES2023 lib does not declare. */
const waitAsync = (
  Atomics as unknown as {
    waitAsync(
      cells: Int32Array,
      index: number,
      value: number,
    ): { async: boolean; value: Promise<string> | string };
  }
).waitAsync;

const fixtures = new URL("./fixtures/", import.meta.url);

/** Absolute path of a fixture module. */
export function fixture(name: string): string {
  return new URL(name, fixtures).pathname;
}

/** A task reference to an export of a fixture module. */
export function task(module: string, exportName?: string): { module: string; export?: string } {
  return exportName === undefined
    ? { module: fixture(module) }
    : { module: fixture(module), export: exportName };
}

/** Executors created through `track()`, closed by `closeAll()` in afterEach. */
const open: Executor[] = [];

export function track(options: ExecutorOptions): Executor {
  const executor = createExecutor(options);
  open.push(executor);
  return executor;
}

export async function closeAll(): Promise<void> {
  await Promise.all(open.splice(0).map((executor) => executor.close()));
}

const sharedByOptions = new Map<string, Executor>();

/**
 * One executor per options for a whole test file, closed by `closeShared()` in afterAll.
 * Starting and stopping a pool is most of what a short test costs; a test that needs a
 * pool of its own (it reads the pool's threads, closes the executor, sets resource
 * limits) uses `track()` instead. Runs settle only once the workers they terminated have
 * exited, so a test leaves the next one a pool that works.
 */
export function shared(options: ExecutorOptions): Executor {
  const key = JSON.stringify(options);
  let executor = sharedByOptions.get(key);
  if (executor === undefined) {
    executor = createExecutor(options);
    sharedByOptions.set(key, executor);
  }
  return executor;
}

export async function closeShared(): Promise<void> {
  const executors = [...sharedByOptions.values()];
  sharedByOptions.clear();
  await Promise.all(executors.map((executor) => executor.close()));
}

/** Everything an async iterable yields. */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const value of iterable) out.push(value);
  return out;
}

/** The items 0..n-1. */
export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** Cells shared with the hang.mjs fixtures: [0] started, [1] gate, [2 + value] thread ids. */
export class Gate {
  readonly sab = new SharedArrayBuffer(4 * 256);
  readonly cells = new Int32Array(this.sab);

  item(value: number, options: { block?: boolean; fail?: boolean; after?: number } = {}) {
    return {
      sab: this.sab,
      value,
      block: options.block ?? false,
      fail: options.fail ?? false,
      after: options.after,
    };
  }

  get started(): number {
    return Atomics.load(this.cells, 0);
  }

  /** Thread id of the worker that ran item `value`; 0 when it never started. */
  threadOf(value: number): number {
    return Atomics.load(this.cells, 2 + value);
  }

  /** Resolves once at least `n` items have started (Atomics, no polling with sleeps). */
  async waitForStarted(n: number): Promise<void> {
    for (;;) {
      const seen = Atomics.load(this.cells, 0);
      if (seen >= n) return;
      const waited = waitAsync(this.cells, 0, seen);
      if (waited.async) await waited.value;
    }
  }

  open(): void {
    Atomics.store(this.cells, 1, 1);
    Atomics.notify(this.cells, 1);
  }
}

/** Thread ids of the executor's live pool workers (white-box: the pool is internal). */
export function poolThreadIds(executor: Executor): number[] {
  const pool = (executor as unknown as { pool: { threads: Array<{ threadId: number }> } }).pool;
  return pool.threads.map((thread) => thread.threadId);
}

/** OS threads of this process (Linux), or null where /proc is not there. */
export function osThreads(): number | null {
  try {
    return readdirSync("/proc/self/task").length;
  } catch {
    return null;
  }
}

/** How a child process ended and what it printed. */
export interface ChildOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a fixture script in a child Node process (killed after `killAfterMs`, a guard
 * against a hang, not a measure of speed).
 */
export function runFixture(
  name: string,
  nodeArgs: string[] = [],
  killAfterMs = 60_000,
): Promise<ChildOutcome> {
  return runNode([...nodeArgs, fixture(name)], killAfterMs);
}

/**
 * Runs `node ...args` in a child process (killed after `killAfterMs`, a guard against a
 * hang), with `env` added to the environment.
 */
export async function runNode(
  args: string[],
  killAfterMs = 60_000,
  env: Record<string, string> = {},
): Promise<ChildOutcome> {
  const child = spawn(process.execPath, args, {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  const killer = setTimeout(() => child.kill("SIGKILL"), killAfterMs);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on("exit", (exitCode, exitSignal) => resolve([exitCode, exitSignal])),
  );
  clearTimeout(killer);
  return { code, signal, stdout, stderr };
}

/**
 * Settles as `promise` does, or rejects once `ms` have passed: a guard on an operation
 * that would otherwise never end, not a measure of speed.
 */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
