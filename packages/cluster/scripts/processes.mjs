// What the cluster's bench scripts share: a free loopback port, and child processes
// (redis-server, worker hosts) started until a line says they are ready, and killed when
// the script exits, however it exits.
import { spawn } from "node:child_process";
import { createServer } from "node:net";

const children = [];

/** Kills every child still running. */
export function stopAll() {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
}
process.on("exit", stopAll);

/** A TCP port free on 127.0.0.1 now. */
export const freePort = () =>
  new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

/** Starts `command` and resolves with the child once its output matches `readyLine`; rejects if it exits first. */
export function start(command, args, readyLine) {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = "";
    const onData = (chunk) => {
      out += chunk;
      if (readyLine.test(out)) resolve(child);
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => reject(new Error(`${command} exited (${code}):\n${out}`)));
  });
}

/** A redis-server on `port` of loopback, keeping nothing on disk. */
export const startRedis = (port) =>
  start(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    /Ready to accept/,
  );
