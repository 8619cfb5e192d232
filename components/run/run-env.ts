import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { runLabels } from "../labels";
import { runNamespaceName } from "./sandbox";

/** The Secret that holds the run's environment; every app container reads it with `envFrom`. */
export const RUN_ENV_SECRET = "run-env";

/** The run's environment as a Secret in its namespace: the values live nowhere else, encrypted in the state. */
export function createRunEnvSecret(
  name: string,
  spec: { readonly runId: string; readonly env: Readonly<Record<string, string>> },
  parent: pulumi.Resource,
  provider: k8s.Provider,
  dependsOn: pulumi.Resource[],
): k8s.core.v1.Secret {
  return new k8s.core.v1.Secret(
    `${name}-env`,
    {
      metadata: {
        name: RUN_ENV_SECRET,
        namespace: runNamespaceName(spec.runId),
        labels: runLabels(spec.runId, "env"),
      },
      stringData: pulumi.secret({ ...spec.env }),
    },
    { parent, provider, dependsOn },
  );
}
