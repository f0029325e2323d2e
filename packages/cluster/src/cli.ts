#!/usr/bin/env node
// The `amorsize-worker` command (`amorsize worker` runs the same `main`, from `@amorsize/cluster/cli`).
import { main } from "./cli-main.js";

void main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
  // BullMQ and the worker pool may keep handles open after a close; the work is done.
  setTimeout(() => process.exit(code), 200).unref();
});
