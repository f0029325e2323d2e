import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

/** The redis-server binary, or null when this machine has none. */
export function redisServerPath(): string | null {
  if (existsSync("/usr/bin/redis-server")) return "/usr/bin/redis-server";
  try {
    return execFileSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" }).trim() || null;
  } catch {
    return null;
  }
}

export const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
export const TASK = fileURLToPath(new URL("./fixtures/tasks.mjs", import.meta.url));
/** The folder of the task fixtures: what every test host is started to allow (`--allow`). */
export const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));

const children = new Set<ChildProcess>();

/**
 * Kills every child this suite started and resolves once they are gone, so that no pipe
 * or process outlives the suite (call in afterAll; the kill also runs on exit).
 */
export async function killAll(): Promise<void> {
  const gone: Promise<unknown>[] = [];
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      gone.push(new Promise((resolve) => child.once("exit", resolve)));
      child.kill("SIGKILL");
    }
  }
  children.clear();
  await Promise.all(gone);
}
process.on("exit", () => {
  for (const child of children) child.kill("SIGKILL");
});

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A child process, with its output so far and a promise of its exit. */
export interface Child {
  readonly process: ChildProcess;
  output(): string;
  readonly exited: Promise<number | string | null>;
}

function track(child: ChildProcess, readyLine: RegExp, what: string): Promise<Child> {
  children.add(child);
  let out = "";
  const exited = new Promise<number | string | null>((resolve) => {
    child.once("exit", (code, signal) => {
      children.delete(child);
      resolve(code ?? signal);
    });
  });
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (readyLine.test(out)) resolve({ process: child, output: () => out, exited });
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    void exited.then((code) => reject(new Error(`${what} exited (${code}) before it was ready:\n${out}`)));
  });
}

/** A redis-server of its own on a free loopback port, without persistence; `password` sets `requirepass`. */
export async function startRedis(
  binary: string,
  password?: string,
): Promise<Child & { port: number; url: string }> {
  const port = await freePort();
  const auth = password === undefined ? [] : ["--requirepass", password];
  const child = spawn(
    binary,
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", ...auth],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const ready = await track(child, /Ready to accept connections/, "redis-server");
  return { ...ready, port, url: `redis://127.0.0.1:${port}` };
}

/**
 * An `amorsize-worker` process; resolves once it says it is ready. It runs the task fixtures
 * only (`--allow FIXTURES`) unless `args` names what it allows.
 */
export function startHost(
  url: string,
  args: string[] = [],
  env: NodeJS.ProcessEnv = process.env,
): Promise<Child> {
  const allow = args.includes("--allow") ? [] : ["--allow", FIXTURES];
  const child = spawn(process.execPath, [CLI, "--redis", url, ...allow, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env,
  });
  return track(child, /ready on queue/, "amorsize-worker");
}

/**
 * A process of its own that starts a worker host through the API (`startWorkerHost()`) on
 * `url`, allowing the task fixtures, and closes it (then prints "closed") when a line is
 * written to its stdin; resolves once it says it is ready.
 */
export function startApiHost(url: string): Promise<Child> {
  const script = fileURLToPath(new URL("./fixtures/api-host.mjs", import.meta.url));
  const child = spawn(process.execPath, [script, url, FIXTURES], { stdio: ["pipe", "pipe", "pipe"] });
  return track(child, /ready/, "the API's worker host");
}

/**
 * The latency proxy of proxy.mjs in a process of its own (a network goes on while the test's
 * thread is blocked), forwarding to `upstreamPort` with `delayMs` each way.
 */
export async function startProxyProcess(
  upstreamPort: number,
  delayMs: number,
): Promise<Child & { url: string }> {
  const script = fileURLToPath(new URL("./fixtures/proxy-process.mjs", import.meta.url));
  const child = spawn(process.execPath, [script, String(upstreamPort), String(delayMs)], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const ready = await track(child, /proxy on \d+/, "the proxy process");
  const port = /proxy on (\d+)/.exec(ready.output())?.[1];
  return { ...ready, url: `redis://127.0.0.1:${port}` };
}

/** Resolves with the text of `file` once it exists. */
export async function waitForFile(file: string, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (existsSync(file)) {
      const text = readFileSync(file, "utf8");
      if (text) return text;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${file} did not appear within ${timeoutMs} ms`);
}
