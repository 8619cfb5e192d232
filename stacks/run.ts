import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { RepoRun } from "../components/run/repo-run";
import { TRANSLATE_TIMING_OUTPUT } from "../components/run/translate-timing";
import type { RunConfig } from "./run-config";

/**
 * A run stack (`run-<id>`): one RepoRun on the platform's cluster. The Run API creates, updates and
 * destroys these stacks through the Automation API; `pulumi up -s run-<id>` works by hand too.
 */
export function run(config: RunConfig) {
  const provider = new k8s.Provider("cluster", {
    kubeconfig: config.kubeconfig,
    context: config.kubeContext,
    // A run's cluster may be gone (kind deleted): destroying the run must still finish.
    deleteUnreachable: true,
  });
  const repoRun = new RepoRun(`run-${config.runId}`, {
    runId: config.runId,
    sourceDir: config.sourceDir,
    commitSha: config.commitSha,
    mode: config.mode,
    provider,
    imageLoader: config.imageLoader,
    previewHost: config.previewHost,
    previewBaseUrl: config.previewBaseUrl,
    env: config.env,
    profiles: config.profiles,
    waitImage: config.waitImage,
    previewPort: config.previewPort,
    imagePullSecret: config.registryCredentials,
  });
  return {
    namespace: repoRun.namespace,
    commitSha: repoRun.commitSha,
    images: repoRun.images,
    previewUrls: repoRun.previewUrls,
    previewTargets: repoRun.previewTargets,
    tcpPreviews: repoRun.tcpPreviews,
    warnings: repoRun.warnings,
    podSecurity: repoRun.podSecurity,
    [TRANSLATE_TIMING_OUTPUT]: repoRun.translateTiming,
  };
}

export type RunOutputs = pulumi.Unwrap<ReturnType<typeof run>>;
