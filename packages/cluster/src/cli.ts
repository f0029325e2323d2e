#!/usr/bin/env node
// The `amorsize-worker` command (`amorsize worker` forwards here). Logic is in cli-main.ts.
import { main } from "./cli-main.js";
import { ClusterUsageError, describe } from "./errors.js";

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // BullMQ and the worker pool may keep handles open after a close; the work is done.
    setTimeout(() => process.exit(code), 200).unref();
  },
  (error: unknown) => {
    const code = (error as { code?: string }).code;
    process.stderr.write(`amorsize-worker: ${describe(error)}${code ? ` [${code}]` : ""}\n`);
    process.exitCode = error instanceof ClusterUsageError ? 2 : 1;
  },
);
