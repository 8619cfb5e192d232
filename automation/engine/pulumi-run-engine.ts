import * as fs from "node:fs/promises";
import * as path from "node:path";
import type { Logger } from "pino";
import {
  ConcurrentUpdateError,
  type EngineEvent,
  LocalWorkspace,
  type OutputMap,
} from "@pulumi/pulumi/automation";
import type { ImageLoader } from "../../components/cluster/image-loader";
import type { RegistryCredentials } from "../../components/run/pull-secret";
import { type HiddenValue, hiddenValues, redact } from "../../components/run/secret-values";
import type { ExpiringCredentials } from "../registry/ecr-token";
import { PullSecretRefresher } from "../registry/pull-secret-refresher";
import { KubernetesRunNamespaces } from "../registry/run-namespaces";
import { runStackConfig } from "../../stacks/run-config";
import { failureReason, repositoryReason } from "./failure-reason";
import { waitForPreviews } from "./preview-check";
import {
  type DeployRequest,
  type DeployResult,
  EngineFailure,
  type EngineListener,
  type RunEngine,
} from "./run-engine";
import {
  cliEnvironment,
  engineOptions as engineOptionsOf,
  OWN_PROJECT_DIR,
  programHostCount,
} from "./engine-config";
import { pulumiCommandWithOwnEnvironment } from "./pulumi-command";
import { listRunStackIds, pulumiWhoAmI } from "./pulumi-cli";
import type { Config } from "../config";
import type { UrlPolicyOptions } from "../runs/url-policy";
import { CheckoutError, checkoutSource } from "./source-checkout";
import { clearStaleLock } from "./stale-lock";
import { readNamespaceBlockers } from "./namespace-blockers";
import { resumeRunWorkloads, stopRunWorkloads } from "./failed-run";
import { watchRollout } from "./rollout-watch";
import { workspaceBackend } from "./workspace-backend";
import { PassphraseStackConfig, runStacksPassphrase } from "./passphrase-stack-config";
import { ProgramHostPool } from "./program-host/program-host-pool";
import { inSpan, traced } from "../tracing/spans";
import { tracedUpdate } from "./update-spans";
import { createOrSelectStack, destroyAndRemove, selectStackIfAny, upWithEventOutputs } from "./lean-stack";
import type { WorkloadFailure } from "./workload-failures";

/** Where runs go: the platform's cluster, as the platform stack's outputs describe it. */
export interface RunTarget {
  readonly kubeconfig: string;
  readonly kubeContext?: string;
  readonly imageLoader: ImageLoader;
  /** Host of NodePort preview URLs (default `localhost`); used when there is no gateway. */
  readonly previewHost?: string;
  /** The platform's preview gateway (its `previewBaseUrl` output): URLs `<base>/run-<id>/<service>/`. */
  readonly previewBaseUrl?: string;
  /**
   * Hybrid mode: fresh credentials of the registry images are pushed to (`ecrCredentials()`), asked
   * for on every deploy; the run logs in with them and its namespace gets a pull Secret.
   */
  readonly registryCredentials?: () => Promise<ExpiringCredentials>;
}

export interface PulumiRunEngineOptions {
  /** The Pulumi project's folder (holds Pulumi.yaml); run stacks run its program with `reporunner:stack: run`. */
  readonly projectDir: string;
  /** Where each run's source is checked out (`<sourcesDir>/run-<id>`). */
  readonly sourcesDir: string;
  readonly target: RunTarget;
  /**
   * What the Pulumi CLI's environment is picked from: backend URL (`PULUMI_BACKEND_URL`, `s3://…` in
   * hybrid mode), passphrase, `REPORUNNER_SECRETS_PROVIDER` (see `workspace-backend.ts`),
   * PULUMI_HOME, PATH. The CLI gets only `cliEnvironment(pulumiEnv)` of it, and nothing of this
   * process's own environment.
   */
  readonly pulumiEnv: Readonly<Record<string, string>>;
  /**
   * Warm processes that run the program for `up` (see `program-host/`); unset: each `up` starts a
   * language host, which loads Node.js, the SDKs and the components again.
   */
  readonly programHosts?: ProgramHostPool;
  /** How long a destroy may take before it stops with the namespace's blockers as its reason (default 15 min). */
  readonly destroyTimeoutMs?: number;
  /** How long the previews get to answer after the workloads are Ready (default 60 s). */
  readonly previewTimeoutMs?: number;
  /**
   * The Run API's URL policy, checked again right before each clone, which connects only to the
   * addresses that check resolved (see `source-checkout.ts`). Unset: URLs are cloned as they are.
   */
  readonly urlPolicy?: UrlPolicyOptions;
}

const stackName = (runId: string) => `run-${runId}`;

/**
 * The Run API's engine: each run is a stack `run-<id>` of this Pulumi project, whose program the CLI
 * starts in its own language host. Nothing here runs a Pulumi program in this process, so one worker
 * can drive several runs at once (the SDK's runtime state is process-global: pulumi/pulumi#5449).
 * This is the only module that imports `@pulumi/pulumi/automation`.
 */
export class PulumiRunEngine implements RunEngine {
  private workspace?: Promise<LocalWorkspace>;
  /** Writes run stacks' config without a CLI call, when their secrets provider is the passphrase. */
  private readonly passphraseConfig: PassphraseStackConfig | undefined;

  constructor(private readonly options: PulumiRunEngineOptions) {
    const passphrase = runStacksPassphrase(
      workspaceBackend(options.pulumiEnv),
      options.pulumiEnv,
      options.projectDir,
    );
    this.passphraseConfig = passphrase === undefined ? undefined : new PassphraseStackConfig(passphrase);
  }

  /**
   * Deploys the run. The run's environment values are secrets: every line of output and every failure
   * reason leaves the engine with `[secret]` in their place (a build may print its arguments; an
   * error may quote a manifest).
   */
  async deploy(
    request: DeployRequest,
    listener: EngineListener,
    signal?: AbortSignal,
  ): Promise<DeployResult> {
    const hidden = hiddenValues(request.env);
    try {
      return await this.deployRun(request, redactingListener(listener, hidden), signal);
    } catch (error) {
      await this.stopAfterFailure(request.runId, error, listener);
      if (hidden.length === 0 || !(error instanceof Error)) throw error;
      if (error instanceof EngineFailure)
        throw new EngineFailure(redact(error.reason, hidden), error.kind, { cause: error.cause });
      throw new Error(redact(error.message, hidden), { cause: error });
    }
  }

  private async deployRun(
    request: DeployRequest,
    listener: EngineListener,
    signal?: AbortSignal,
  ): Promise<DeployResult> {
    listener.phase("CLONING");
    const sourceDir = path.join(this.options.sourcesDir, stackName(request.runId));
    await fs.rm(sourceDir, { recursive: true, force: true });
    const commitSha = await inSpan("clone", { "vcs.ref.head.name": request.ref ?? "" }, async (span) => {
      try {
        const checkout = await checkoutSource({
          repoUrl: request.repoUrl,
          ref: request.ref,
          dir: sourceDir,
          token: request.token,
          urlPolicy: this.options.urlPolicy,
          environment: this.options.pulumiEnv,
          onProgress: (line) => listener.output(line),
        });
        span.setAttribute("vcs.ref.head.revision", checkout.commitSha);
        return checkout.commitSha;
      } catch (error) {
        if (error instanceof CheckoutError)
          throw new EngineFailure(error.message, "source", { cause: error });
        throw error;
      }
    });
    listener.output(`checked out ${commitSha}`);

    const { target } = this.options;
    const stack = await traced("stack config", async () => {
      const workspace = await this.getWorkspace();
      const name = stackName(request.runId);
      const registryCredentials = await this.registryCredentials();
      const config = runStackConfig(
        {
          runId: request.runId,
          sourceDir,
          commitSha,
          mode: request.mode,
          previewPort: request.previewPort,
          previewHost: target.previewHost ?? "localhost",
          previewBaseUrl: target.previewBaseUrl,
          imageLoader: target.imageLoader,
          kubeContext: target.kubeContext,
        },
        { kubeconfig: target.kubeconfig, env: request.env, registryCredentials },
      );
      if (this.passphraseConfig) {
        // Written before `stack init`, which keeps the salt and the values it finds.
        const created = await this.passphraseConfig.write(workspace, name, config);
        try {
          return await createOrSelectStack(workspace, name);
        } catch (error) {
          // A new run whose stack could not be made leaves no settings file in the project's folder.
          if (created) await fs.rm(path.join(workspace.workDir, `Pulumi.${name}.yaml`), { force: true });
          throw error;
        }
      }
      const stack = await createOrSelectStack(workspace, name);
      // One call for all config: each separate call decrypts and rewrites the file (pulumi/pulumi#5453).
      await stack.setAllConfig(config);
      return stack;
    });

    // A redeploy of a FAILED run: its workloads get back what the failure took (see failed-run.ts).
    const resumed = await traced("resume workloads", () =>
      resumeRunWorkloads(this.runNamespace(request.runId)),
    );
    if (resumed.length) listener.output(`resumed after the earlier failure: ${resumed.join(", ")}`);

    listener.phase("BUILDING");
    const diagnostics: string[] = [];
    // The run's component would not deploy the repository (refused, invalid, nothing to run): its own words.
    let refusal: string | undefined;
    let deploying = false;
    const onEvent = (event: EngineEvent) => {
      // Workloads wait for the images, so the first one to start marks the end of building (the
      // namespace and its policies are created beside the builds).
      const type = event.resourcePreEvent?.metadata.type;
      if (!deploying && type && /^kubernetes:(apps\/v1|batch\/v1):/.test(type)) {
        deploying = true;
        listener.phase("DEPLOYING");
      }
      const diagnostic = event.diagnosticEvent;
      if (diagnostic?.severity === "error") {
        diagnostics.push(diagnostic.message);
        refusal ??= repositoryReason(diagnostic);
      }
    };
    // The provider waits out its rollout timeout on pods that can never start; the watch sees them fail
    // and cancels the update (SIGINT to the CLI, which cancels the provider's waits).
    let workloadFailure: WorkloadFailure | undefined;
    const cancelUpdate = new AbortController();
    const forwardAbort = () => cancelUpdate.abort();
    signal?.addEventListener("abort", forwardAbort);
    const watch = watchRollout({
      kubeconfig: target.kubeconfig,
      kubeContext: target.kubeContext,
      namespace: stackName(request.runId),
      onFailure: (failure) => {
        workloadFailure = failure;
        listener.output(`stopping: ${failure.reason.split("\n")[0]}`);
        cancelUpdate.abort();
      },
    });
    let outputs: OutputMap;
    const output = outputLines(listener);
    // Waits while every warm program host is busy (or the first one starts): its own span.
    const pool = this.options.programHosts;
    const host = pool && (await traced("program host", () => pool.acquire()));
    try {
      outputs = await tracedUpdate("pulumi up", onEvent, (onEvent) =>
        upWithEventOutputs(
          stack,
          { onOutput: output.write, onEvent, signal: cancelUpdate.signal },
          host?.address,
        ),
      );
    } catch (error) {
      if (workloadFailure) {
        throw new EngineFailure(workloadFailure.reason, workloadFailure.kind, { cause: error });
      }
      if (signal?.aborted) throw new EngineFailure("the run was cancelled", "cancelled", { cause: error });
      if (error instanceof ConcurrentUpdateError) {
        throw new EngineFailure("another update of this run is in progress", "conflict", { cause: error });
      }
      if (refusal) throw new EngineFailure(refusal, "source", { cause: error });
      const found = await watch.check();
      if (found) throw new EngineFailure(found.reason, found.kind, { cause: error });
      const { reason, kind } = failureReason(diagnostics);
      throw new EngineFailure(reason, kind, { cause: error });
    } finally {
      host?.release();
      output.flush();
      watch.stop();
      signal?.removeEventListener("abort", forwardAbort);
    }

    const previewUrls = (outputs.previewUrls?.value ?? {}) as Record<string, string>;
    if (!deploying) listener.phase("DEPLOYING");
    const tcp = new Set((outputs.tcpPreviews?.value ?? []) as string[]);
    // Behind the gateway a TCP preview has no URL here (the gateway speaks HTTP only).
    const checks = Object.fromEntries(
      Object.keys(previewUrls).map((name) => [name, tcp.has(name) ? "tcp" : "http"] as const),
    );
    const silent = await traced("preview check", async (span) => {
      span.setAttribute("reporunner.previews", Object.keys(previewUrls).length);
      const silent = await waitForPreviews(
        previewUrls,
        this.options.previewTimeoutMs ?? 60_000,
        signal,
        checks,
      );
      span.setAttribute("reporunner.previews.silent", silent.length);
      return silent;
    });
    if (silent.length > 0) {
      // Without a readiness probe a container that exits at once can look Ready to the rollout: its
      // crash loop, with its last lines, says more than the preview's silence.
      const crashed = await watch.check();
      if (crashed) throw new EngineFailure(crashed.reason, crashed.kind);
      throw new EngineFailure(`the preview did not answer: ${silent.join(", ")}`, "deploy");
    }
    return {
      commitSha,
      namespace: String(outputs.namespace?.value ?? stackName(request.runId)),
      previewUrls,
      previewTargets: (outputs.previewTargets?.value ?? {}) as DeployResult["previewTargets"],
      images: (outputs.images?.value ?? {}) as Record<string, string>,
      warnings: (outputs.warnings?.value ?? []) as string[],
    };
  }

  /**
   * A FAILED run keeps its objects for inspection but runs nothing: its workloads are stopped once the
   * cause (with the crashed container's last lines) is known. A cancelled run, or one another update
   * holds, is left as it is.
   */
  private async stopAfterFailure(runId: string, error: unknown, listener: EngineListener): Promise<void> {
    if (error instanceof EngineFailure && (error.kind === "cancelled" || error.kind === "conflict")) return;
    try {
      const stopped = await stopRunWorkloads(this.runNamespace(runId));
      if (stopped.length)
        listener.output(`stopped after the failure, kept for inspection: ${stopped.join(", ")}`);
    } catch (stopError) {
      listener.output(`the failed run's workloads could not be stopped: ${(stopError as Error).message}`);
    }
  }

  private runNamespace(runId: string) {
    const { target } = this.options;
    return { kubeconfig: target.kubeconfig, kubeContext: target.kubeContext, namespace: stackName(runId) };
  }

  async destroy(runId: string, listener: EngineListener, signal?: AbortSignal): Promise<void> {
    const workspace = await this.getWorkspace();
    const stack = await selectStackIfAny(workspace, stackName(runId));
    if (stack) {
      // A namespace stuck in Terminating (a finalizer nobody removes: pulumi-kubernetes#1920) would
      // hold the destroy, and the worker with it, for good.
      const timeoutMs = this.options.destroyTimeoutMs ?? 15 * 60_000;
      const timeout = AbortSignal.timeout(timeoutMs);
      const stop = signal ? AbortSignal.any([signal, timeout]) : timeout;
      const diagnostics: string[] = [];
      const output = outputLines(listener);
      try {
        const onEvent = (event: EngineEvent) => {
          if (event.diagnosticEvent?.severity === "error") diagnostics.push(event.diagnosticEvent.message);
        };
        await tracedUpdate("pulumi destroy", onEvent, (onEvent) =>
          destroyAndRemove(
            stack,
            { onOutput: output.write, onEvent, signal: stop },
            this.options.programHosts?.anyAddress(),
          ),
        );
      } catch (error) {
        if (signal?.aborted)
          throw new EngineFailure("the destroy was stopped", "cancelled", { cause: error });
        const { target } = this.options;
        const held = await readNamespaceBlockers(target.kubeconfig, target.kubeContext, stackName(runId));
        const { reason } = failureReason(diagnostics);
        const said = timeout.aborted
          ? `the destroy did not finish within ${Math.round(timeoutMs / 60_000)} min`
          : reason.replace("the deployment failed", "the destroy failed");
        throw new EngineFailure(held ? `the destroy failed: ${held}` : said, "engine", { cause: error });
      } finally {
        output.flush();
      }
    }
    await fs.rm(path.join(this.options.sourcesDir, stackName(runId)), { recursive: true, force: true });
  }

  async cancel(runId: string): Promise<void> {
    const workspace = await this.getWorkspace();
    const stack = await selectStackIfAny(workspace, stackName(runId));
    if (!stack) return;
    try {
      await stack.cancel();
    } catch {
      // Self-managed backends cannot cancel remotely; a crashed worker's lock is removed instead.
    }
    await clearStaleLock(this.options.pulumiEnv.PULUMI_BACKEND_URL, stackName(runId));
  }

  async close(): Promise<void> {
    this.options.programHosts?.close();
  }

  /** Starts a program host ahead of the first run (when there are any); resolves once it is ready. */
  async warmUp(): Promise<void> {
    await this.options.programHosts?.warm();
  }

  /** The CLI alone, as the deferred engine asks it (`pulumi-cli.ts`): no workspace needed. */
  listRunStacks(): Promise<string[]> {
    return listRunStackIds(this.options);
  }

  ping(): Promise<void> {
    return pulumiWhoAmI(this.options);
  }

  private getWorkspace(): Promise<LocalWorkspace> {
    const backend = workspaceBackend(this.options.pulumiEnv);
    this.workspace ??= pulumiCommandWithOwnEnvironment().then((pulumiCommand) =>
      LocalWorkspace.create({
        workDir: this.options.projectDir,
        pulumiCommand,
        envVars: cliEnvironment(this.options.pulumiEnv, backend),
        // New run stacks encrypt their secrets (kubeconfig, env, registry token) with this provider.
        ...(backend.secretsProvider ? { secretsProvider: backend.secretsProvider } : {}),
      }),
    );
    return this.workspace;
  }

  private async registryCredentials(): Promise<RegistryCredentials | undefined> {
    const get = this.options.target.registryCredentials;
    if (!get) return undefined;
    try {
      const { server, username, password } = await get();
      return { server, username, password };
    } catch (error) {
      throw new EngineFailure(`could not get registry credentials: ${(error as Error).message}`, "engine", {
        cause: error,
      });
    }
  }
}

/** The listener, with every hidden value in an output line replaced by `[secret]`. */
function redactingListener(listener: EngineListener, hidden: readonly HiddenValue[]): EngineListener {
  if (hidden.length === 0) return listener;
  return { phase: (phase) => listener.phase(phase), output: (line) => listener.output(redact(line, hidden)) };
}

/**
 * Passes Pulumi's output on line by line, without the blank lines it pads with. A chunk may end in
 * the middle of a line: the rest waits for the next chunk (or `flush`), so a listener that redacts
 * always sees whole lines.
 */
function outputLines(listener: EngineListener): { write: (text: string) => void; flush: () => void } {
  let pending = "";
  const emit = (line: string) => {
    if (line.trim()) listener.output(line.trimEnd());
  };
  return {
    write: (text) => {
      const lines = (pending + text).split("\n");
      pending = lines.pop() ?? "";
      lines.forEach(emit);
    },
    flush: () => {
      emit(pending);
      pending = "";
    },
  };
}

/** Program hosts with the environment the CLI would give a language host of its own. */
export function programHostsFor(
  options: Pick<PulumiRunEngineOptions, "pulumiEnv">,
  size: number,
  onOutput?: (line: string) => void,
): ProgramHostPool {
  const env = cliEnvironment(options.pulumiEnv, workspaceBackend(options.pulumiEnv));
  return new ProgramHostPool({ size, env, onOutput });
}

/**
 * The factory `automation/engine-loader.ts` calls: the Pulumi engine as the configuration says.
 * In hybrid mode (registry credentials from ECR) it also starts this process's pull secret refresher,
 * which keeps the pull Secrets of all live runs valid while the process runs.
 */
export function createRunEngine(options: { config: Config; logger?: Logger }): RunEngine {
  const { config } = options;
  const engineOptions = { ...engineOptionsOf(config.engine), urlPolicy: config.urlPolicy };
  const { target } = engineOptions;
  if (target.registryCredentials) {
    const log = options.logger?.child({ component: "pull-secret-refresher" });
    new PullSecretRefresher({
      credentials: target.registryCredentials,
      cluster: new KubernetesRunNamespaces(target.kubeconfig, target.kubeContext),
      onRound: (report) => {
        const fields = { refreshed: report.refreshed.length, failed: report.failed, nextAt: report.nextAt };
        if (report.error || report.failed.length > 0)
          log?.warn({ ...fields, error: report.error }, "pull secrets not all refreshed");
        else log?.info(fields, "pull secrets refreshed");
      },
    }).start();
  }
  const hosts = programHostCount(config.engine, config.workers);
  const hostLog = options.logger?.child({ component: "program-host" });
  // The hosts run this checkout's run program: another project folder gets language hosts of its own.
  const ownProject = path.resolve(engineOptions.projectDir) === OWN_PROJECT_DIR;
  const programHosts =
    hosts > 0 && ownProject
      ? programHostsFor(engineOptions, hosts, (line) => hostLog?.info({ line }, "program output"))
      : undefined;
  void programHosts?.warm();
  return new PulumiRunEngine({ ...engineOptions, programHosts });
}
