#!/usr/bin/env node
// The `amorsize` command. All logic is in cli-main.ts so tests can call it in-process.
import { runCli } from "./cli-main.js";

runCli(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
