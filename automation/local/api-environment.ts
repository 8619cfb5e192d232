import * as os from "node:os";
import * as path from "node:path";
import { hashToken } from "../api/auth";
import { homeFiles } from "./home";

/** The platform stack's outputs that the Run API needs. */
export interface PlatformOutputs {
  readonly previewBaseUrl?: string;
  readonly imageLoader: {
    method: string;
    clusterName?: string;
    containerdAddress?: string;
    registry?: string;
  };
}

/** The Pulumi CLI's environment for every stack of a local RepoRunner: state and secrets in the home folder. */
export function pulumiEnvironment(
  home: string,
  tools: Readonly<Record<string, string>>,
): Record<string, string> {
  const files = homeFiles(home);
  return {
    ...tools,
    PULUMI_BACKEND_URL: `file://${files.state}`,
    PULUMI_CONFIG_PASSPHRASE_FILE: files.passphrase,
    PULUMI_HOME: path.join(home, "pulumi-home"),
    REPORUNNER_SECRETS_PROVIDER: "passphrase",
    // Type checking is `npm run lint`'s job; each `up` only transpiles.
    PULUMI_NODEJS_TRANSPILE_ONLY: "true",
    PULUMI_SKIP_UPDATE_CHECK: "true",
  };
}

/** `REPORUNNER_IMAGE_LOAD` for the platform's image loader output. */
export function imageLoadSpec(loader: PlatformOutputs["imageLoader"]): string {
  switch (loader.method) {
    case "kind-load":
      return `kind:${loader.clusterName}`;
    case "k3d-import":
      return `k3d:${loader.clusterName}`;
    case "containerd-import":
      return `containerd:${loader.containerdAddress}`;
    case "registry":
      return `registry:${loader.registry}`;
    default:
      return "none";
  }
}

/** The API owner name of the local user: what the token table and `ls` show. */
export function localOwner(): string {
  return (os.userInfo().username.replace(/[^A-Za-z0-9._-]/g, "") || "local").slice(0, 64);
}

/**
 * Every variable the Run API and its engine read (README, "Configuration of the Run API") for a
 * local instance: the user's token, the data services, the cluster, the preview gateway, local
 * sources allowed (the API listens on 127.0.0.1 only).
 */
export function apiEnvironment(options: {
  readonly home: string;
  readonly token: string;
  readonly mongodbUrl: string;
  readonly redisUrl: string;
  readonly kubeconfigPath: string;
  readonly kubeContext?: string;
  readonly platform: PlatformOutputs;
  readonly pulumiEnv: Readonly<Record<string, string>>;
  readonly port: number;
  /** `REPORUNNER_OTLP_ENDPOINT` and `REPORUNNER_JAEGER_UI_URL` of the platform (`platform-telemetry.ts`). */
  readonly telemetry?: Readonly<Record<string, string>>;
}): Record<string, string> {
  return {
    ...options.pulumiEnv,
    REPORUNNER_HOST: "127.0.0.1",
    REPORUNNER_PORT: String(options.port),
    REPORUNNER_TOKENS: `${localOwner()}=sha256:${hashToken(options.token)}`,
    REPORUNNER_MONGODB_URL: options.mongodbUrl,
    REPORUNNER_REDIS_URL: options.redisUrl,
    REPORUNNER_KUBECONFIG: options.kubeconfigPath,
    ...(options.kubeContext ? { REPORUNNER_KUBE_CONTEXT: options.kubeContext } : {}),
    REPORUNNER_IMAGE_LOAD: imageLoadSpec(options.platform.imageLoader),
    ...(options.platform.previewBaseUrl
      ? { REPORUNNER_PREVIEW_BASE_URL: options.platform.previewBaseUrl }
      : {}),
    REPORUNNER_SOURCES_DIR: homeFiles(options.home).sources,
    REPORUNNER_ALLOW_LOCAL_SOURCES: "true",
    ...options.telemetry,
    // The terminal that runs `npm start` shows warnings and errors; runs report through their events.
    REPORUNNER_LOG_LEVEL: process.env.REPORUNNER_LOG_LEVEL ?? "warn",
  };
}
