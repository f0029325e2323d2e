#!/usr/bin/env node
// The `amorsize` command. All logic is in cli-main.ts so tests can call it in-process.
import { runCli } from "./cli-main.js";

let ended = false;

// A task run in this thread that calls process.exit() ends the command with the run under
// way: that is a failure, told as one, whatever code the task gave (an --out file's
// temporary is removed by its own exit listener).
process.on("exit", (code) => {
  if (ended) return;
  process.stderr.write(
    `amorsize: the process was ended (exit code ${code}) before the command finished: a task that calls process.exit() in this thread? Results not yet printed are lost. [AMORSIZE_PROCESS_EXITED]\n`,
  );
  if (code === 0) process.exitCode = 1;
});

runCli(process.argv.slice(2)).then((code) => {
  ended = true;
  process.exitCode = code;
  // A task module imported in this thread may keep a handle open (a timer, a socket, a
  // pool): the command ends once what it printed is written, not when that handle closes.
  let writing = 2;
  const written = () => {
    if (--writing === 0) process.exit(code);
  };
  process.stdout.write("", written);
  process.stderr.write("", written);
});
