import type { V1Secret } from "@kubernetes/client-node";
import { runLabels } from "../../components/labels";
import { dockerConfigJson, RUN_PULL_SECRET } from "../../components/run/pull-secret";
import type { ExpiringCredentials } from "./ecr-token";

/** Annotations the refresher leaves on the Secret, so `kubectl describe` tells when it stops working. */
export const EXPIRES_AT_ANNOTATION = "reporunner.dev/registry-credentials-expire-at";
export const REFRESHED_AT_ANNOTATION = "reporunner.dev/registry-credentials-refreshed-at";

/**
 * The pull Secret of a run's namespace with the given credentials: the same name, type and labels
 * RepoRun gives it (`components/run/pull-secret.ts`), so a replace keeps the pods' `imagePullSecrets`.
 */
export function pullSecretManifest(
  namespace: string,
  runId: string,
  credentials: ExpiringCredentials,
  refreshedAt: Date,
): V1Secret {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: RUN_PULL_SECRET,
      namespace,
      labels: runLabels(runId, RUN_PULL_SECRET),
      annotations: {
        [EXPIRES_AT_ANNOTATION]: credentials.expiresAt.toISOString(),
        [REFRESHED_AT_ANNOTATION]: refreshedAt.toISOString(),
      },
    },
    type: "kubernetes.io/dockerconfigjson",
    data: { ".dockerconfigjson": Buffer.from(dockerConfigJson(credentials)).toString("base64") },
  };
}
