import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { runLabels } from "../labels";
import { runNetworkPolicies } from "./network-policies";
import { quotaHard, type RunQuota } from "./quota";

/** The Pod Security level a run's namespace enforces. */
export type PodSecurityLevel = "restricted" | "baseline";

export interface Sandbox {
  readonly namespace: k8s.core.v1.Namespace;
  readonly serviceAccount: k8s.core.v1.ServiceAccount;
  /** Everything a workload must wait for before it is created. */
  readonly ready: pulumi.Resource[];
}

/** The namespace of a run: `run-<id>`, so it sorts and filters with the stack of the same name. */
export function runNamespaceName(runId: string): string {
  return `run-${runId}`;
}

/**
 * The isolated namespace of one run: labels that let a sweeper find it, a quota and default limits,
 * deny-by-default networking, Pod Security admission, and a service account with no API rights whose
 * token is never mounted.
 */
export function createSandbox(
  name: string,
  spec: {
    readonly runId: string;
    readonly podSecurity: PodSecurityLevel;
    readonly quota: RunQuota;
    /** Previews are NodePorts, reached from outside the cluster (no preview gateway). */
    readonly nodePortPreviews?: boolean;
  },
  parent: pulumi.Resource,
  provider: k8s.Provider,
): Sandbox {
  const opts = { parent, provider };
  const labels = runLabels(spec.runId, "sandbox");
  const namespaceName = runNamespaceName(spec.runId);
  const namespace = new k8s.core.v1.Namespace(
    `${name}-namespace`,
    {
      metadata: {
        name: namespaceName,
        labels: {
          ...labels,
          "pod-security.kubernetes.io/enforce": spec.podSecurity,
          // Always warn and audit at restricted, so a baseline run shows what keeps it there.
          "pod-security.kubernetes.io/warn": "restricted",
          "pod-security.kubernetes.io/audit": "restricted",
        },
      },
    },
    opts,
  );
  const inNamespace = { ...opts, dependsOn: [namespace] };
  const metadata = (objectName: string) => ({ name: objectName, namespace: namespaceName, labels });

  const quota = new k8s.core.v1.ResourceQuota(
    `${name}-quota`,
    { metadata: metadata("run-quota"), spec: { hard: quotaHard(spec.quota) } },
    inNamespace,
  );
  const limits = new k8s.core.v1.LimitRange(
    `${name}-limits`,
    {
      metadata: metadata("run-limits"),
      spec: {
        limits: [
          {
            type: "Container",
            default: spec.quota.containerDefault,
            defaultRequest: spec.quota.containerDefaultRequest,
            max: spec.quota.containerMax,
          },
        ],
      },
    },
    inNamespace,
  );
  const policies = Object.entries(runNetworkPolicies({ nodePortPreviews: spec.nodePortPreviews })).map(
    ([policyName, policySpec]) =>
      new k8s.networking.v1.NetworkPolicy(
        `${name}-netpol-${policyName}`,
        { metadata: metadata(policyName), spec: policySpec },
        inNamespace,
      ),
  );
  const serviceAccount = new k8s.core.v1.ServiceAccount(
    `${name}-service-account`,
    // No Role is bound to it: workloads of a run have no rights on the Kubernetes API.
    { metadata: metadata("run"), automountServiceAccountToken: false },
    inNamespace,
  );
  return { namespace, serviceAccount, ready: [namespace, quota, limits, serviceAccount, ...policies] };
}
