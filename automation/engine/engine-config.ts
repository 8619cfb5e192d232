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
 * The engine's settings, from the environment, checked once at start-up. Names and defaults are in
 * the README ("Configuration of the Run API").
 */
const engineEnv = z.object({
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

/** How many program hosts the engine keeps: `REPORUNNER_PROGRAM_HOSTS`, else one per worker. */
export function programHostCount(env: NodeJS.ProcessEnv, workers: number): number {
  const parsed = engineEnv.shape.REPORUNNER_PROGRAM_HOSTS.safeParse(env.REPORUNNER_PROGRAM_HOSTS);
  if (!parsed.success) throw new Error(`REPORUNNER_PROGRAM_HOSTS: ${parsed.error.issues[0]?.message}`);
  return parsed.data ?? Math.max(1, workers);
}

/** The engine's options from an environment; errors name the variable. */
export function engineOptionsFromEnv(env: NodeJS.ProcessEnv): PulumiRunEngineOptions {
  const parsed = engineEnv.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new Error(`invalid engine configuration: ${problems.join("; ")}`);
  }
  const e = parsed.data;
  const kubeconfigPath = e.REPORUNNER_KUBECONFIG ?? defaultKubeconfigPath(env);
  let kubeconfig: string;
  try {
    kubeconfig = fs.readFileSync(kubeconfigPath, "utf8");
  } catch (error) {
    throw new Error(`REPORUNNER_KUBECONFIG: cannot read ${kubeconfigPath}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const loader = imageLoader(e.REPORUNNER_IMAGE_LOAD);
  if (e.REPORUNNER_REGISTRY_CREDENTIALS === "ecr" && loader.method !== "registry") {
    throw new Error(
      "invalid engine configuration: REPORUNNER_REGISTRY_CREDENTIALS=ecr needs REPORUNNER_IMAGE_LOAD=registry:<ECR host>",
    );
  }
  return {
    projectDir: e.REPORUNNER_PROJECT_DIR,
    sourcesDir: e.REPORUNNER_SOURCES_DIR,
    target: {
      kubeconfig,
      kubeContext: e.REPORUNNER_KUBE_CONTEXT,
      imageLoader: loader,
      previewHost: e.REPORUNNER_PREVIEW_HOST,
      previewBaseUrl: e.REPORUNNER_PREVIEW_BASE_URL,
      registryCredentials:
        e.REPORUNNER_REGISTRY_CREDENTIALS === "ecr" && loader.method === "registry"
          ? ecrCredentials({
              region: e.REPORUNNER_ECR_REGION,
              profile: e.REPORUNNER_AWS_PROFILE,
              server: loader.registry.split("/")[0],
            })
          : undefined,
    },
    // The engine picks the CLI's variables from this (`cliEnvironment`) and reads its backend settings.
    pulumiEnv: Object.fromEntries(
      Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined),
    ),
    previewTimeoutMs: e.REPORUNNER_PREVIEW_TIMEOUT_MS,
  };
}
