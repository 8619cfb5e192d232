import * as pulumi from "@pulumi/pulumi";
import { readPlatformConfig } from "./config";
import { platform } from "./platform";
import { run } from "./run";
import { readRunConfig } from "./run-config";

/**
 * The entry point of every stack of the project, picked by `reporunner:stack`: `platform` (dev, prod)
 * or `run` (the `run-<id>` stacks the Run API creates through the Automation API).
 */
function main() {
  const kind = new pulumi.Config("reporunner").get("stack") ?? "platform";
  switch (kind) {
    case "platform":
      return platform(readPlatformConfig());
    case "run":
      return run(readRunConfig());
    default:
      throw new Error(`reporunner:stack must be "platform" or "run", got "${kind}"`);
  }
}

export = main();
