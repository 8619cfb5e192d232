import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { runLabels } from "../labels";
import { runNamespaceName } from "./sandbox";

/** The name of a run's image pull Secret; the pods name it in `imagePullSecrets`, the refresher replaces it. */
export const RUN_PULL_SECRET = "registry-pull";

/** Credentials of the registry a run's images are pushed to and pulled from (ECR: user `AWS` and a token). */
export interface RegistryCredentials {
  /** `host[:port]` of the registry, as image references name it. */
  readonly server: string;
  readonly username: string;
  readonly password: string;
}

/** The `.dockerconfigjson` of a `kubernetes.io/dockerconfigjson` Secret for one registry. */
export function dockerConfigJson(credentials: RegistryCredentials): string {
  const auth = Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64");
  return JSON.stringify({
    auths: {
      [credentials.server]: { username: credentials.username, password: credentials.password, auth },
    },
  });
}

/**
 * The pull Secret of a run's namespace, made with the credentials of the deploy. Its content then
 * belongs to the pull secret refresher (ECR tokens live 12 hours), so later updates of the run stack
 * leave it alone instead of writing back an expired token.
 */
export function createPullSecret(
  name: string,
  spec: { readonly runId: string; readonly credentials: pulumi.Input<RegistryCredentials> },
  parent: pulumi.Resource,
  provider: k8s.Provider,
  dependsOn: pulumi.Resource[],
): k8s.core.v1.Secret {
  return new k8s.core.v1.Secret(
    `${name}-pull-secret`,
    {
      metadata: {
        name: RUN_PULL_SECRET,
        namespace: runNamespaceName(spec.runId),
        labels: runLabels(spec.runId, RUN_PULL_SECRET),
      },
      type: "kubernetes.io/dockerconfigjson",
      stringData: pulumi
        .secret(spec.credentials)
        .apply((credentials) => ({ ".dockerconfigjson": dockerConfigJson(credentials) })),
    },
    { parent, provider, dependsOn, ignoreChanges: ["stringData", "data", "metadata.annotations"] },
  );
}
