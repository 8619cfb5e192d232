#!/usr/bin/env node
/**
 * The `reporunner` command. The CLI is TypeScript, run as the JavaScript bundle `bin/cli-build.js`
 * makes in `dist/cli/` (built here on first use, and again whenever a source file changed, so
 * `npx reporunner ...` works from a fresh clone after `npm install` and never runs old code).
 *
 * `up` runs the Run API from the same bundle, without tsx's loader and transpiled copies in memory.
 * Without esbuild (`npm install --omit=dev`) or when the build fails, the commands run from the
 * TypeScript sources through tsx (slower, never stale). `bin/api.js` (`npm run api`) shares this.
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

/**
 * The compiled CLI, or the TypeScript sources through tsx when it cannot be built (see above) or
 * REPORUNNER_CLI_FROM_SOURCES is set. tsx's CommonJS hook alone would leave the commands' `import()`
 * of their modules to Node's ESM loader, which does not find extensionless TypeScript: both hooks.
 */
async function loadCli() {
  if (process.env.REPORUNNER_DEBUG) process.setSourceMapsEnabled(true);
  if (!process.env.REPORUNNER_CLI_FROM_SOURCES) {
    try {
      return require(await require("./cli-build").ensureCliBuild());
    } catch (error) {
      if (process.env.REPORUNNER_DEBUG)
        process.stderr.write(`reporunner: no compiled CLI (${error.message}); running the sources\n`);
    }
  }
  require("tsx/cjs/api").register();
  require("tsx/esm/api").register();
  return require("../automation/cli/main.ts");
}

module.exports = { loadCli };

if (require.main === module) {
  try {
    const node = supportedNode();
    if (node) {
      const { status, signal } = require("node:child_process").spawnSync(node, process.argv.slice(1), {
        stdio: "inherit",
      });
      if (signal) process.kill(process.pid, signal);
      process.exit(status ?? 1);
    }
    loadCli()
      .then(({ main }) => main(process.argv))
      .then((code) => {
        process.exitCode = code;
      }, fail);
  } catch (error) {
    fail(error);
  }
}
