/**
 * Loads the engine adapter named by `REPORUNNER_ENGINE_MODULE` (default: the Pulumi adapter). The
 * module exports `createRunEngine({ config, logger }): RunEngine | Promise<RunEngine>`; loading it by
 * name keeps `@pulumi/pulumi/automation` out of every process that does not run an engine.
 */
import { isAbsolute, resolve } from "node:path";
import type { Logger } from "pino";
import type { Config } from "./config";
import type { RunEngine } from "./engine/run-engine";

/** The factory an engine module exports. */
export type RunEngineFactory = (options: {
  config: Config;
  logger: Logger;
}) => RunEngine | Promise<RunEngine>;

/** Requires the module and builds the engine. */
export async function loadEngine(config: Config, logger: Logger): Promise<RunEngine> {
  const name = config.engineModule;
  const path = name.startsWith(".") ? resolve(__dirname, name) : isAbsolute(name) ? name : name;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require(path) as { createRunEngine?: RunEngineFactory };
  if (typeof mod.createRunEngine !== "function") {
    throw new Error(`REPORUNNER_ENGINE_MODULE: ${name} does not export createRunEngine`);
  }
  return mod.createRunEngine({ config, logger: logger.child({ component: "engine" }) });
}
