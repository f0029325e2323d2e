import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { npm } from "./pack.js";
import { repoRoot } from "./workspace.js";

/**
 * A blank project as a newcomer makes one (`npm init -y`, so CommonJS by default) with
 * the given tarballs installed. npm's cache is warm after the first run.
 */
export function createProject(folder: string, tarballs: readonly string[]): void {
  mkdirSync(folder, { recursive: true });
  npm(["init", "-y"], folder);
  npm(["install", "--prefer-offline", ...tarballs], folder);
}

/** What a program printed and how it ended. */
export interface Ran {
  readonly status: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The environment of a newcomer's shell: no test runner's variables. */
export function userEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const name of ["NODE_ENV", "JEST_WORKER_ID", "NODE_OPTIONS"]) delete env[name];
  return env;
}

/** Runs `node <file>` with the Node that runs this test. */
export function runNode(file: string, cwd: string, env: NodeJS.ProcessEnv, timeoutMs = 120_000): Ran {
  const ran = spawnSync(process.execPath, [file], { cwd, env, encoding: "utf8", timeout: timeoutMs });
  return { status: ran.status, signal: ran.signal, stdout: ran.stdout, stderr: ran.stderr };
}

/** A program in the background (its own process group, so its children stop with it). */
export interface Background {
  readonly child: ChildProcess;
  output(): string;
}

/**
 * Starts a program in the background and resolves once its output matches `ready` (a
 * server saying it is up); rejects if it ends first.
 */
export function startBackground(
  command: string,
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; ready: RegExp },
): Promise<Background> {
  const { cwd, env, ready } = options;
  const child = spawn(command, args, { cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (ready.test(out)) resolve({ child, output: () => out });
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code, signal) => {
      reject(new Error(`${command} ${args.join(" ")} ended (${code ?? signal}) before it was up:\n${out}`));
    });
  });
}

/** Stops a background program and everything it started, and waits for it to end. */
export async function stopBackground(background: Background): Promise<void> {
  const { child } = background;
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const ended = new Promise((resolve) => child.once("exit", resolve));
  process.kill(-child.pid, "SIGTERM");
  const timer = setTimeout(() => child.pid !== undefined && process.kill(-child.pid, "SIGKILL"), 10_000);
  await ended;
  clearTimeout(timer);
}

/** A loopback port nothing listens on now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/**
 * Type-checks files as a TypeScript user's project would: `tsc --init`'s strict settings
 * with NodeNext modules, the packages' types from the tarballs, Node's from the repository.
 * Returns tsc's report, empty when the files compile.
 */
export function typecheck(folder: string, files: readonly string[]): string {
  const config = {
    compilerOptions: {
      module: "nodenext",
      target: "esnext",
      types: ["node"],
      typeRoots: [join(repoRoot, "node_modules", "@types")],
      strict: true,
      noUncheckedIndexedAccess: true,
      exactOptionalPropertyTypes: true,
      verbatimModuleSyntax: true,
      isolatedModules: true,
      skipLibCheck: true,
      noEmit: true,
    },
    files,
  };
  writeFileSync(join(folder, "tsconfig.json"), JSON.stringify(config, null, 2));
  const tsc = join(repoRoot, "node_modules", "typescript", "bin", "tsc");
  const ran = spawnSync(process.execPath, [tsc, "-p", "tsconfig.json"], { cwd: folder, encoding: "utf8" });
  return `${ran.stdout}${ran.stderr}`.trim();
}
