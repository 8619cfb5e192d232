#!/usr/bin/env node
/**
 * `npm run api`: the Run API alone, configured from the environment (`automation/server.ts`), run
 * from the compiled CLI bundle like `reporunner up` (see `bin/reporunner.js`), or from the sources
 * through tsx when there is no build.
 */
"use strict";

require("./reporunner")
  .loadCli()
  .then(({ serveApi }) => serveApi())
  .catch((error) => {
    process.stderr.write(`reporunner: ${error instanceof Error ? error.message : error}\n`);
    process.exit(1);
  });
