#!/usr/bin/env node
/**
 * The `reporunner` command. The CLI is TypeScript; rather than ship a build step, this launcher
 * registers tsx's CommonJS loader (pinned in package.json) and runs the TypeScript entry directly,
 * so `npx reporunner ...` works from a fresh clone after `npm install`.
 */
"use strict";

require("tsx/cjs/api").register();
const { main } = require("../automation/cli/main.ts");

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`reporunner: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
