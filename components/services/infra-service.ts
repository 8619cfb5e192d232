import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { platformLabels } from "../labels";
import { GeneratedPassword } from "./generated-password";
import type { ProfileName } from "./profile";

/** What every infra service component takes. */
export interface InfraServiceArgs {
  /** Namespace the service runs in (it must exist). */
  readonly namespace: pulumi.Input<string>;
  /** The cluster's provider: every object is created through it, never the ambient kubeconfig. */
  readonly provider: k8s.Provider;
  /** Image override for a mirror or an air-gapped machine. Default: the pinned official image. */
  readonly image?: string;
  /** Size profile. Default `dev`. */
  readonly profile?: ProfileName;
}

/** Checks what all infra services need, naming the field that is wrong. */
export function checkInfraServiceArgs(args: InfraServiceArgs, self: pulumi.Resource): void {
  if (!args.provider)
    throw new pulumi.ResourceError("provider is required: pass LocalCluster.provider", self);
  if (args.image !== undefined && !/^\S+$/.test(args.image)) {
    throw new pulumi.ResourceError(
      `image must be an image reference without spaces, got "${args.image}"`,
      self,
    );
  }
}

/** Refuses a port outside Kubernetes' NodePort range, naming the argument. */
export function checkNodePort(port: number, argument: string, self: pulumi.Resource): void {
  if (!Number.isInteger(port) || port < 30000 || port > 32767) {
    throw new pulumi.ResourceError(`${argument} must be a NodePort from 30000 to 32767, got ${port}`, self);
  }
}

/**
 * A Secret holding a service's credentials: fixed values plus one generated password per key in
 * `generated`, each kept encrypted in the stack's state so it survives every later `up`.
 */
export function createCredentials(
  name: string,
  spec: {
    readonly namespace: pulumi.Input<string>;
    readonly appName: string;
    readonly component: string;
    readonly fixed?: Record<string, pulumi.Input<string>>;
    readonly generated: readonly string[];
  },
  parent: pulumi.Resource,
  provider: k8s.Provider,
): { secret: k8s.core.v1.Secret; values: Record<string, pulumi.Output<string>> } {
  const values: Record<string, pulumi.Output<string>> = {};
  for (const [key, value] of Object.entries(spec.fixed ?? {})) values[key] = pulumi.output(value);
  for (const key of spec.generated) {
    // The resource name carries the key: renaming a key generates a new credential.
    values[key] = new GeneratedPassword(`${name}-${key}`, {}, { parent }).value;
  }
  const secret = new k8s.core.v1.Secret(
    `${name}-credentials`,
    {
      metadata: {
        name: `${spec.appName}-credentials`,
        namespace: spec.namespace,
        labels: platformLabels(spec.component, spec.appName),
      },
      type: "Opaque",
      stringData: values,
    },
    { parent, provider },
  );
  return { secret, values };
}
