import * as pulumi from "@pulumi/pulumi";
import { bootstrap } from "./bootstrap";
import { readBootstrapConfig } from "./bootstrap-config";
import { readPlatformConfig } from "./config";
import { platform } from "./platform";
import { run } from "./run";
import { readRunConfig } from "./run-config";

/**
 * The entry point of every stack of the project, picked by `reporunner:stack`: `platform` (dev, prod),
 * `run` (the `run-<id>` stacks the Run API creates through the Automation API) or `bootstrap` (the
 * hybrid mode's AWS side, e.g. `hybrid-bootstrap`).
 */
function main() {
  const kind = new pulumi.Config("reporunner").get("stack") ?? "platform";
  switch (kind) {
    case "platform":
      return platform(readPlatformConfig());
    case "run":
      return run(readRunConfig());
    case "bootstrap":
      return bootstrap(readBootstrapConfig());
    default:
      throw new Error(`reporunner:stack must be "platform", "run" or "bootstrap", got "${kind}"`);
  }
}

export = main();
