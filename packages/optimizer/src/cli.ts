#!/usr/bin/env node
// The `amorsize` command. All logic is in cli-main.ts so tests can call it in-process.
import { runCli } from "./cli-main.js";

const argv = process.argv.slice(2);
/** The command returned, or ends the process itself (`amorsize worker` on a second signal). */
let ended = argv[0] === "worker";
/** Node ends the process for an uncaught exception, after printing it: not a task's exit. */
let crashed = false;
process.on("uncaughtExceptionMonitor", () => {
  crashed = true;
});

// A task run in this thread that calls process.exit() ends the command with the run under
// way: that is a failure, told as one, whatever code the task gave (an --out file's
// temporary is removed by its own exit listener).
process.on("exit", (code) => {
  if (ended || crashed) return;
  process.stderr.write(
    `amorsize: the process was ended (exit code ${code}) before the command finished: a task that calls process.exit() in this thread? Results not yet printed are lost. [AMORSIZE_PROCESS_EXITED]\n`,
  );
  if (code === 0) process.exitCode = 1;
});

runCli(argv).then((code) => {
  ended = true;
  process.exitCode = code;
  // A task module imported in this thread may keep a handle open (a timer, a socket, a
  // pool): the command ends once what it printed is written, not when that handle closes.
  // Timers already due run first (one that throws ends the process as Node ends it).
  let writing = 2;
  const written = () => {
    if (--writing === 0) setTimeout(() => process.exit(code), 0).unref();
  };
  process.stdout.write("", written);
  process.stderr.write("", written);
});
