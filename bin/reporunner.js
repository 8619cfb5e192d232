#!/usr/bin/env node
/**
 * The `reporunner` command. The CLI is TypeScript; rather than ship a build step, this launcher
 * registers tsx's CommonJS loader (pinned in package.json) and runs the TypeScript entry directly,
 * so `npx reporunner ...` works from a fresh clone after `npm install`.
 *
 * Commands report their own failures as one line with an exit code; whatever still escapes (a bug,
 * a module that does not load) is one line too, with the stack only when REPORUNNER_DEBUG is set.
 */
"use strict";

function fail(error) {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`reporunner: ${message.trim().split("\n")[0]}\n`);
  if (process.env.REPORUNNER_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  process.exitCode = 1;
}

try {
  require("tsx/cjs/api").register();
  const { main } = require("../automation/cli/main.ts");
  main(process.argv).then((code) => {
    process.exitCode = code;
  }, fail);
} catch (error) {
  fail(error);
}
