#!/usr/bin/env node
// The `amorsize` command. All logic is in cli-main.ts so tests can call it in-process.
import { main } from "./cli-main.js";
import { messageOf, UsageError } from "./errors.js";

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const code = (error as { code?: string }).code;
    const tag = code && !(error instanceof UsageError) ? ` [${code}]` : "";
    process.stderr.write(`amorsize: ${messageOf(error).split("\n").join("; ")}${tag}\n`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  },
);
