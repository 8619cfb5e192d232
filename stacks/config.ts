import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";

/**
 * The stack configuration of the `reporunner` project, read and validated once. Every key lives in the
 * `reporunner:` namespace; structured keys are set with `pulumi config set --path`.
 */

const portMapping = z.object({
  /** Port on the host (localhost). */
  host: z.number().int().min(1).max(65535),
  /** NodePort inside the cluster that the host port reaches. */
  node: z.number().int().min(30000).max(32767),
  protocol: z.enum(["TCP", "UDP"]).default("TCP"),
});

const clusterConfig = z
  .object({
    provider: z.enum(["kind", "k3d", "existing"]).default("kind"),
    name: z
      .string()
      .regex(
        /^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/,
        "lowercase letters, digits and '-', at most 32 characters",
      )
      .default("reporunner"),
    workers: z.number().int().min(0).max(10).default(1),
    /** kind: `kindest/node:<version>`; k3d: `rancher/k3s:<version>`. Unset: the CLI's default. */
    nodeImage: z.string().min(1).optional(),
    previewPort: z.number().int().min(30000).max(32767).default(30080),
    jaegerPort: z.number().int().min(30000).max(32767).default(30082),
    extraPorts: z.array(portMapping).default([]),
    /** kind/k3d: environment for the CLI (DOCKER_HOST, …); its PATH goes before the inherited one. */
    cliEnvironment: z
      .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "an environment variable name"), z.string())
      .optional(),
    /** kind/k3d: local Docker images copied into every node before anything is deployed. */
    preloadImages: z.array(z.string().min(1)).default([]),
    /** existing: the kubeconfig file (default `$KUBECONFIG`, then `~/.kube/config`). */
    kubeconfig: z.string().min(1).optional(),
    /** existing: the context to use (default: the kubeconfig's current context). */
    context: z.string().min(1).optional(),
    /** existing: how run images reach the nodes. */
    imageLoad: z.enum(["containerd", "registry", "none"]).default("registry"),
    /** existing with imageLoad=registry: `host:port` the nodes pull from. */
    registry: z.string().min(1).optional(),
    /** existing with imageLoad=containerd: containerd's socket. */
    containerdAddress: z.string().min(1).optional(),
  })
  .strict();

const serviceToggle = z
  .object({ enabled: z.boolean().default(true), image: z.string().min(1).optional() })
  .strict();
const serviceToggles = z
  .object({
    redis: serviceToggle.prefault({}),
    mongodb: serviceToggle.prefault({}),
    kafka: serviceToggle.prefault({}),
    rabbitmq: serviceToggle.prefault({}),
    otelCollector: serviceToggle.prefault({}),
    jaeger: serviceToggle.prefault({}),
    /** The preview gateway on `cluster.previewPort`: `/run-<id>/<service>/` for every run. */
    gateway: serviceToggle.prefault({}),
  })
  .strict();

/**
 * Hybrid mode (stack `hybrid`): run images go to ECR instead of into the nodes, and the Run API makes
 * each run's pull Secret from an ECR token. State lives in S3 through the backend URL, not config.
 */
const hybridConfig = z
  .object({
    /** Region of the registry. */
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "an AWS region such as eu-west-1"),
    /** The registry runs push to: the bootstrap stack's `registryUrl` (`<account>.dkr.ecr.<region>.amazonaws.com`). */
    registry: z
      .string()
      .regex(/^[a-z0-9.-]+(:\d+)?$/, "a registry host such as 123456789012.dkr.ecr.eu-west-1.amazonaws.com"),
    /** A profile of the shared AWS config files; unset: the SDK's default chain (env, SSO, profiles). */
    profile: z.string().min(1).optional(),
  })
  .strict();

export const platformConfigSchema = z.object({
  /** What this stack builds. */
  stack: z.literal("platform").default("platform"),
  profile: z.enum(["dev", "prod"]).default("dev"),
  infraNamespace: z
    .string()
    .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, "a DNS label: lowercase letters, digits and '-'")
    .default("infra"),
  /** Where run previews are reached from this machine (default `http://localhost:<previewPort>`). */
  previewBaseUrl: z.url().optional(),
  cluster: clusterConfig.prefault({}),
  services: serviceToggles.prefault({}),
  hybrid: hybridConfig.optional(),
});

export type PlatformConfig = z.infer<typeof platformConfigSchema>;
export type ClusterConfig = PlatformConfig["cluster"];
export type ServiceName = keyof PlatformConfig["services"];

const KEYS = [
  "stack",
  "profile",
  "infraNamespace",
  "previewBaseUrl",
  "cluster",
  "services",
  "hybrid",
] as const;
const OBJECT_KEYS = new Set<string>(["cluster", "services", "hybrid"]);

/** Reads `reporunner:*` from a raw key → value map (strings as Pulumi stores them; objects as JSON). */
export function parsePlatformConfig(raw: Record<string, string | undefined>): PlatformConfig {
  const input: Record<string, unknown> = {};
  for (const key of KEYS) {
    const value = raw[key];
    if (value === undefined) continue;
    input[key] = OBJECT_KEYS.has(key) ? parseJson(key, value) : value;
  }
  const parsed = platformConfigSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const key = ["reporunner", issue.path.join(".")].filter(Boolean).join(":");
      return `${key}: ${issue.message}`;
    });
    throw new Error(`invalid stack configuration:\n  ${problems.join("\n  ")}`);
  }
  return parsed.data;
}

function parseJson(key: string, value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    throw new Error(`invalid stack configuration: reporunner:${key} must be an object (set it with --path)`);
  }
}

/** Reads and validates the current stack's `reporunner:*` configuration. */
export function readPlatformConfig(): PlatformConfig {
  const config = new pulumi.Config("reporunner");
  return parsePlatformConfig(Object.fromEntries(KEYS.map((key) => [key, config.get(key)])));
}
