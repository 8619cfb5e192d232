import { readPlatformConfig } from "./config";
import { platform } from "./platform";

/**
 * The entry point of `pulumi up`: one project, several kinds of stack, picked by `reporunner:stack`.
 * Run stacks are not here: the Run API creates them through the Automation API with an inline program.
 */
const config = readPlatformConfig();
export = platform(config);
