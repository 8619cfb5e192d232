/**
 * The default engine as the Run API and the workers load it: the Pulumi engine, loaded on the first
 * deploy, destroy or cancel. The Automation API, the run program's components and the Kubernetes
 * client cost an idle API ~185 MiB; readiness and the orphan sweeper's listing ask the CLI directly
 * (`pulumi-cli.ts`) and need none of them. The engine's warm program host starts with it, so on the
 * first run it loads the program while the source is cloned (`createRunEngine`).
 *
 * The engine's settings are read with the configuration and checked here, at start, so a wrong one
 * (an unreadable kubeconfig, a backend setting) stops the start-up with its reason.
 * Hybrid mode loads the engine at start: its pull-secret refresher must keep the live runs' pull
 * Secrets valid whether or not this process deploys again.
 */
import type { Logger } from "pino";
import type { Config } from "../config";
import { engineOptions as engineOptionsOf } from "./engine-config";
import { listRunStackIds, pulumiWhoAmI, type PulumiCliOptions } from "./pulumi-cli";
import type { DeployRequest, DeployResult, EngineListener, RunEngine } from "./run-engine";
import { workspaceBackend } from "./workspace-backend";

export class DeferredRunEngine implements RunEngine {
  private loaded?: Promise<RunEngine>;

  constructor(
    private readonly cli: PulumiCliOptions,
    private readonly load: () => Promise<RunEngine>,
  ) {}

  /** The engine itself, loaded once. */
  engine(): Promise<RunEngine> {
    this.loaded ??= this.load().catch((error: unknown) => {
      this.loaded = undefined; // the next call tries again
      throw error;
    });
    return this.loaded;
  }

  /** Whether the engine has been loaded (or is loading). */
  get isLoaded(): boolean {
    return this.loaded !== undefined;
  }

  async deploy(
    request: DeployRequest,
    listener: EngineListener,
    signal?: AbortSignal,
  ): Promise<DeployResult> {
    return (await this.engine()).deploy(request, listener, signal);
  }

  async destroy(runId: string, listener: EngineListener, signal?: AbortSignal): Promise<void> {
    return (await this.engine()).destroy(runId, listener, signal);
  }

  async cancel(runId: string): Promise<void> {
    return (await this.engine()).cancel(runId);
  }

  listRunStacks(): Promise<string[]> {
    return listRunStackIds(this.cli);
  }

  ping(): Promise<void> {
    return pulumiWhoAmI(this.cli);
  }

  async close(): Promise<void> {
    if (!this.loaded) return;
    const engine = await this.loaded.catch(() => undefined);
    await engine?.close?.();
  }
}

/** The factory `automation/engine-loader.ts` calls for the default engine. */
export async function createRunEngine(options: { config: Config; logger?: Logger }): Promise<RunEngine> {
  // Fail now, not on the first run: the same checks the engine makes when it loads.
  const engineOptions = engineOptionsOf(options.config.engine);
  workspaceBackend(engineOptions.pulumiEnv);
  const deferred = new DeferredRunEngine(engineOptions, async () =>
    (await import("./pulumi-run-engine")).createRunEngine(options),
  );
  if (engineOptions.target.registryCredentials) await deferred.engine();
  return deferred;
}
