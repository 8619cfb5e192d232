import * as pulumi from "@pulumi/pulumi";
import { z } from "zod";
import type { RegistryCredentials } from "../components/run/pull-secret";
import { RUN_ID_PATTERN } from "../components/run/repo-run";

/**
 * The configuration of a run stack (`run-<id>`), written by the Run API's engine in one call before
 * `up`. The kubeconfig and the run's environment are secrets.
 */
const imageLoader = z.discriminatedUnion("method", [
  z.object({ method: z.literal("kind-load"), clusterName: z.string() }),
  z.object({ method: z.literal("k3d-import"), clusterName: z.string() }),
  z.object({ method: z.literal("containerd-import"), containerdAddress: z.string() }),
  z.object({ method: z.literal("registry"), registry: z.string() }),
  z.object({ method: z.literal("none") }),
]);

export const runConfigSchema = z.object({
  runId: z.string().regex(RUN_ID_PATTERN),
  sourceDir: z.string().min(1),
  commitSha: z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/),
  mode: z.enum(["auto", "dockerfile", "compose"]).default("auto"),
  previewHost: z.string().default("localhost"),
  /** The platform's preview gateway, e.g. `http://localhost:30080`; unset: NodePort URLs. */
  previewBaseUrl: z.url().optional(),
  profiles: z.array(z.string()).default([]),
  imageLoader,
  kubeContext: z.string().optional(),
  waitImage: z.string().optional(),
  /** The port a lone Dockerfile's app listens on, when it EXPOSEs none (`POST /runs` `previewPort`). */
  previewPort: z.number().int().min(1).max(65535).optional(),
});

export type RunConfig = z.infer<typeof runConfigSchema> & {
  readonly kubeconfig: pulumi.Output<string>;
  /** Plain here because translation needs it at construction; RepoRun keeps it only in a Secret. */
  readonly env: Record<string, string>;
  /** Hybrid mode: credentials of the registry images are pushed to and pulled from (an ECR token). */
  readonly registryCredentials?: pulumi.Output<RegistryCredentials>;
};

/** The config keys the engine sets for a run stack, in the shape `Stack.setAllConfig` takes. */
export function runStackConfig(
  run: z.input<typeof runConfigSchema>,
  secrets: {
    readonly kubeconfig: string;
    readonly env: Readonly<Record<string, string>>;
    readonly registryCredentials?: RegistryCredentials;
  },
): Record<string, { value: string; secret?: boolean }> {
  const { server, username, password } = secrets.registryCredentials ?? {};
  return {
    "reporunner:stack": { value: "run" },
    "reporunner:run": { value: JSON.stringify(runConfigSchema.parse(run)) },
    "reporunner:kubeconfig": { value: secrets.kubeconfig, secret: true },
    "reporunner:runEnv": { value: JSON.stringify(secrets.env), secret: true },
    ...(secrets.registryCredentials
      ? {
          "reporunner:registryCredentials": {
            value: JSON.stringify({ server, username, password }),
            secret: true,
          },
        }
      : {}),
  };
}

/** Reads and validates the current run stack's configuration. */
export function readRunConfig(): RunConfig {
  const config = new pulumi.Config("reporunner");
  const parsed = runConfigSchema.safeParse(config.requireObject("run"));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `reporunner:run.${i.path.join(".")}: ${i.message}`);
    throw new Error(`invalid run stack configuration:\n  ${problems.join("\n  ")}`);
  }
  return {
    ...parsed.data,
    kubeconfig: config.requireSecret("kubeconfig"),
    // Read raw: `Config.get` would warn that a secret is read as plain text, which is intended here.
    env: z
      .record(z.string(), z.string())
      .parse(JSON.parse(pulumi.runtime.getConfig("reporunner:runEnv") ?? "{}")),
    registryCredentials: config.getSecretObject<RegistryCredentials>("registryCredentials"),
  };
}
