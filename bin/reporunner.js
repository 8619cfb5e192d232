#!/usr/bin/env node
/**
 * The `reporunner` command. The CLI is TypeScript, run as the JavaScript bundle `bin/cli-build.js`
 * makes in `dist/cli/` (built here on first use, and again whenever a source file changed, so
 * `npx reporunner ...` works from a fresh clone after `npm install` and never runs old code).
 *
 * `up` and `down` run from the TypeScript sources through tsx instead: they drive the Pulumi engine,
 * which loads its adapter and programs by path from the source tree, and a second or two of start-up
 * is nothing beside bringing a cluster up. Without esbuild (`npm install --omit=dev`) or when the
 * build fails, every command runs through tsx too (slower, never stale).
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

/**
 * The project runs on Node 24 LTS. On an older node this re-runs itself with the Node 24 that
 * `npm start`/`npm test` fetched into the cache (scripts/node-env.sh), or says in one line what to do.
 */
function supportedNode() {
  const fs = require("node:fs");
  const path = require("node:path");
  const os = require("node:os");
  const script = fs.readFileSync(path.join(__dirname, "..", "scripts", "node-env.sh"), "utf8");
  const version = /^REPORUNNER_NODE_VERSION=(\S+)$/m.exec(script)[1];
  const major = Number(version.split(".")[0]);
  if (Number(process.versions.node.split(".")[0]) >= major) return undefined;
  const cache = process.env.REPORUNNER_CACHE || path.join(os.homedir(), ".cache", "reporunner");
  const node = path.join(cache, "node", `node-${version}`, "bin", "node");
  if (fs.existsSync(node)) return node;
  throw new Error(
    `Node.js ${major} or newer is required (this is ${process.version}): fetch Node.js ${version} with \`bash scripts/node-env.sh\` (npm start and npm test do it too), or install Node.js ${major} LTS`,
  );
}

/** Commands that run from the TypeScript sources (see above). */
const FROM_SOURCES = new Set(["up", "down"]);

function loadCli(command) {
  if (process.env.REPORUNNER_DEBUG) process.setSourceMapsEnabled(true);
  if (!FROM_SOURCES.has(command)) {
    let bundle;
    try {
      bundle = require("./cli-build").ensureCliBuild();
    } catch (error) {
      if (process.env.REPORUNNER_DEBUG)
        process.stderr.write(`reporunner: no compiled CLI (${error.message}); running the sources\n`);
    }
    if (bundle) return require(bundle);
  }
  require("tsx/cjs/api").register();
  return require("../automation/cli/main.ts");
}

try {
  const node = supportedNode();
  if (node) {
    const { status, signal } = require("node:child_process").spawnSync(node, process.argv.slice(1), {
      stdio: "inherit",
    });
    if (signal) process.kill(process.pid, signal);
    process.exit(status ?? 1);
  }
  const { main } = loadCli(process.argv[2]);
  main(process.argv).then((code) => {
    process.exitCode = code;
  }, fail);
} catch (error) {
  fail(error);
}
