/**
 * Loads the engine adapter named by `REPORUNNER_ENGINE_MODULE` (default: the Pulumi adapter). The
 * module exports `createRunEngine({ config, logger }): RunEngine | Promise<RunEngine>`; loading it by
 * name keeps `@pulumi/pulumi/automation` out of every process that does not run an engine.
 */
import { isAbsolute, resolve } from "node:path";
import type { Logger } from "pino";
import type { Config } from "./config";
import type { RunEngine } from "./engine/run-engine";

/** `REPORUNNER_ENGINE_MODULE`'s default (`config.ts`). */
export const DEFAULT_ENGINE_MODULE = "./engine/pulumi-run-engine";

/** The factory an engine module exports. */
export type RunEngineFactory = (options: {
  config: Config;
  logger: Logger;
}) => RunEngine | Promise<RunEngine>;

/** Requires the module and builds the engine. */
export async function loadEngine(config: Config, logger: Logger): Promise<RunEngine> {
  const name = config.engineModule;
  const path = name.startsWith(".") ? resolve(__dirname, name) : isAbsolute(name) ? name : name;
  // The default adapter by a literal import: a bundle (the compiled CLI, `bin/cli-build.js`) carries
  // it, where a require by name would look for a TypeScript file next to the bundle. It comes deferred:
  // the Pulumi engine loads on the first run (see `deferred-engine.ts`).
  const mod = (
    name === DEFAULT_ENGINE_MODULE
      ? await import("./engine/deferred-engine")
      : // eslint-disable-next-line @typescript-eslint/no-require-imports
        require(path)
  ) as { createRunEngine?: RunEngineFactory };
  if (typeof mod.createRunEngine !== "function") {
    throw new Error(`REPORUNNER_ENGINE_MODULE: ${name} does not export createRunEngine`);
  }
  return mod.createRunEngine({ config, logger: logger.child({ component: "engine" }) });
}
