import * as pulumi from "@pulumi/pulumi";

/**
 * The entry point of every stack of the project, picked by `reporunner:stack`: `platform` (dev, prod),
 * `run` (the `run-<id>` stacks the Run API creates through the Automation API) or `bootstrap` (the
 * hybrid mode's AWS side, e.g. `hybrid-bootstrap`). Each kind loads only its own modules: a run
 * stack's language host would otherwise load the AWS and Terraform SDKs and every platform
 * component before its first resource, on every run.
 */
async function main() {
  const kind = new pulumi.Config("reporunner").get("stack") ?? "platform";
  switch (kind) {
    case "platform": {
      const [{ platform }, { readPlatformConfig }] = await Promise.all([
        import("./platform"),
        import("./config"),
      ]);
      return platform(readPlatformConfig());
    }
    case "run": {
      const [{ run }, { readRunConfig }] = await Promise.all([import("./run"), import("./run-config")]);
      return run(readRunConfig());
    }
    case "bootstrap": {
      const [{ bootstrap }, { readBootstrapConfig }] = await Promise.all([
        import("./bootstrap"),
        import("./bootstrap-config"),
      ]);
      return bootstrap(readBootstrapConfig());
    }
    default:
      throw new Error(`reporunner:stack must be "platform", "run" or "bootstrap", got "${kind}"`);
  }
}

export = main();
