import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { z } from "zod";
import type { ImageLoader } from "../../components/cluster/image-loader";
import { defaultKubeconfigPath } from "../../components/cluster/existing";
import { BUILD_ENVIRONMENT } from "../../components/run/build-environment";
import { ecrCredentials } from "../registry/ecr-token";
import type { PulumiRunEngineOptions } from "./pulumi-run-engine";
import type { WorkspaceBackend } from "./workspace-backend";

/** This checkout: the Pulumi project whose run program the engine's program hosts load. */
export const OWN_PROJECT_DIR = path.resolve(__dirname, "..", "..");

/**
 * The engine's variables, read with the rest of the configuration (`loadConfig` in `config.ts`), so
 * one wrong value of either stops the start with every wrong variable named. Names and defaults are
 * in the README ("Configuration of the Run API").
 */
export const ENGINE_ENV = z.object({
  REPORUNNER_PROJECT_DIR: z.string().default(OWN_PROJECT_DIR),
  REPORUNNER_SOURCES_DIR: z
    .string()
    .default(path.join(os.homedir(), ".local", "state", "reporunner", "sources")),
  REPORUNNER_KUBECONFIG: z.string().optional(),
  REPORUNNER_KUBE_CONTEXT: z.string().optional(),
  /** `kind:<cluster>`, `k3d:<cluster>`, `containerd:<socket>`, `registry:<host:port>` or `none`. */
  REPORUNNER_IMAGE_LOAD: z
    .string()
    .regex(/^(kind:[a-z0-9-]+|k3d:[a-z0-9-]+|containerd:\/\S+|registry:\S+|none)$/, {
      message:
        "must be kind:<cluster>, k3d:<cluster>, containerd:<socket path>, registry:<host:port> or none",
    })
    .default("kind:reporunner"),
  REPORUNNER_PREVIEW_HOST: z.string().min(1).default("localhost"),
  /** The platform's preview gateway (`previewBaseUrl` output); unset: runs publish NodePort URLs. */
  REPORUNNER_PREVIEW_BASE_URL: z.url().optional(),
  REPORUNNER_PREVIEW_TIMEOUT_MS: z.coerce.number().int().positive().default(60_000),
  /** Warm program hosts for `up` (default: one per worker); 0 starts a language host for every update. */
  REPORUNNER_PROGRAM_HOSTS: z.coerce.number().int().min(0).max(64).optional(),
  /** Hybrid mode: `ecr` logs runs in to the `registry:` of REPORUNNER_IMAGE_LOAD with ECR tokens. */
  REPORUNNER_REGISTRY_CREDENTIALS: z.enum(["none", "ecr"]).default("none"),
  /** Region of the ECR registry (default: the AWS SDK's). */
  REPORUNNER_ECR_REGION: z.string().min(1).optional(),
  /** AWS profile for ECR tokens (default: the SDK's default chain). */
  REPORUNNER_AWS_PROFILE: z.string().min(1).optional(),
});

/** The engine's settings as read at start-up (`Config.engine`); nothing is opened or connected yet. */
export interface EngineConfig {
  readonly projectDir: string;
  readonly sourcesDir: string;
  /** The kubeconfig runs deploy with: `REPORUNNER_KUBECONFIG`, else `$KUBECONFIG`, else `~/.kube/config`. */
  readonly kubeconfigPath: string;
  readonly kubeContext?: string;
  readonly imageLoader: ImageLoader;
  readonly previewHost: string;
  readonly previewBaseUrl?: string;
  readonly previewTimeoutMs: number;
  /** Warm program hosts; unset: one per worker. */
  readonly programHosts?: number;
  /** Hybrid mode: ECR tokens for the `registry:` images are pushed to (region and profile unset: the SDK's). */
  readonly ecr?: { readonly region?: string; readonly profile?: string };
  /**
   * The environment as it was read: what the engine's child processes (the Pulumi CLI and its hosts,
   * git) pick their variables from (`cliEnvironment`, `checkoutSource`), and where the backend
   * settings are (`workspaceBackend`). It holds every variable, secrets too: never log it.
   */
  readonly environment: Readonly<Record<string, string>>;
}

function imageLoader(spec: string): ImageLoader {
  const [method, ...rest] = spec.split(":");
  const value = rest.join(":");
  switch (method) {
    case "kind":
      return { method: "kind-load", clusterName: value };
    case "k3d":
      return { method: "k3d-import", clusterName: value };
    case "containerd":
      return { method: "containerd-import", containerdAddress: value };
    case "registry":
      return { method: "registry", registry: value };
    default:
      return { method: "none" };
  }
}

/**
 * The environment the Pulumi CLI runs with, picked from the engine's: the build allow-list
 * (`BUILD_ENVIRONMENT`: PATH, HOME, Docker's variables), the CLI's own `PULUMI_*` (backend,
 * passphrase, home), and `AWS_*` only when the backend or the secrets provider is on AWS. Nothing
 * else: the language host, the providers and every Command of a run inherit the CLI's environment, so
 * the Run API's variables (`REPORUNNER_*`, database and Redis URLs, the ECR profile) never reach them.
 * What the run program needs comes in its stack config instead.
 */
export function cliEnvironment(
  env: Readonly<Record<string, string | undefined>>,
  backend: WorkspaceBackend,
): Record<string, string> {
  const onAws = backend.backendUrl?.startsWith("s3://") || backend.secretsProvider?.startsWith("awskms://");
  const allowed = new Set(BUILD_ENVIRONMENT);
  const picked: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (allowed.has(name) || name.startsWith("PULUMI_") || (onAws && name.startsWith("AWS_")))
      picked[name] = value;
  }
  return picked;
}

/** The engine's settings from `ENGINE_ENV`'s values; the error of a wrong combination names the variables. */
export function engineConfigFrom(values: z.infer<typeof ENGINE_ENV>, env: NodeJS.ProcessEnv): EngineConfig {
  const loader = imageLoader(values.REPORUNNER_IMAGE_LOAD);
  const ecr = values.REPORUNNER_REGISTRY_CREDENTIALS === "ecr";
  if (ecr && loader.method !== "registry") {
    throw new Error("REPORUNNER_REGISTRY_CREDENTIALS=ecr needs REPORUNNER_IMAGE_LOAD=registry:<ECR host>");
  }
  return {
    projectDir: values.REPORUNNER_PROJECT_DIR,
    sourcesDir: values.REPORUNNER_SOURCES_DIR,
    kubeconfigPath: values.REPORUNNER_KUBECONFIG ?? defaultKubeconfigPath(env),
    kubeContext: values.REPORUNNER_KUBE_CONTEXT,
    imageLoader: loader,
    previewHost: values.REPORUNNER_PREVIEW_HOST,
    previewBaseUrl: values.REPORUNNER_PREVIEW_BASE_URL,
    previewTimeoutMs: values.REPORUNNER_PREVIEW_TIMEOUT_MS,
    programHosts: values.REPORUNNER_PROGRAM_HOSTS,
    ecr: ecr ? { region: values.REPORUNNER_ECR_REGION, profile: values.REPORUNNER_AWS_PROFILE } : undefined,
    environment: Object.fromEntries(
      Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined),
    ),
  };
}

/** How many program hosts the engine keeps: `REPORUNNER_PROGRAM_HOSTS`, else one per worker. */
export function programHostCount(engine: EngineConfig, workers: number): number {
  return engine.programHosts ?? Math.max(1, workers);
}

/** The engine's options: reads the kubeconfig file and, in hybrid mode, sets up ECR tokens. */
export function engineOptions(engine: EngineConfig): PulumiRunEngineOptions {
  let kubeconfig: string;
  try {
    kubeconfig = fs.readFileSync(engine.kubeconfigPath, "utf8");
  } catch (error) {
    throw new Error(
      `REPORUNNER_KUBECONFIG: cannot read ${engine.kubeconfigPath}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const loader = engine.imageLoader;
  return {
    projectDir: engine.projectDir,
    sourcesDir: engine.sourcesDir,
    target: {
      kubeconfig,
      kubeContext: engine.kubeContext,
      imageLoader: loader,
      previewHost: engine.previewHost,
      previewBaseUrl: engine.previewBaseUrl,
      registryCredentials:
        engine.ecr && loader.method === "registry"
          ? ecrCredentials({ ...engine.ecr, server: loader.registry.split("/")[0] })
          : undefined,
    },
    // The engine picks the CLI's variables from this (`cliEnvironment`) and reads its backend settings.
    pulumiEnv: engine.environment,
    previewTimeoutMs: engine.previewTimeoutMs,
  };
}

/** The engine's options straight from an environment (tests of the settings); errors name the variable. */
export function engineOptionsFromEnv(env: NodeJS.ProcessEnv): PulumiRunEngineOptions {
  const parsed = ENGINE_ENV.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new Error(`invalid engine configuration: ${problems.join("; ")}`);
  }
  return engineOptions(engineConfigFrom(parsed.data, env));
}
