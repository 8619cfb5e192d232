import type * as k8s from "@pulumi/kubernetes";

type PolicySpec = k8s.types.input.networking.v1.NetworkPolicySpec;

/** Pods carrying this label accept preview traffic from outside the namespace on their declared ports. */
export const PREVIEW_LABEL = "reporunner.dev/preview";

/**
 * A run's network: nothing in or out by default; pods talk freely inside the namespace; every pod may
 * resolve names through cluster DNS; pods that publish a preview accept it from anywhere (the host
 * reaches them through a NodePort). Each entry is one NetworkPolicy: name → spec.
 */
export function runNetworkPolicies(): Record<string, PolicySpec> {
  return {
    "default-deny": { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
    "allow-same-namespace": {
      podSelector: {},
      policyTypes: ["Ingress", "Egress"],
      ingress: [{ from: [{ podSelector: {} }] }],
      egress: [{ to: [{ podSelector: {} }] }],
    },
    "allow-dns": {
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [
        {
          to: [{ namespaceSelector: {}, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
          ports: [
            { protocol: "UDP", port: 53 },
            { protocol: "TCP", port: 53 },
          ],
        },
      ],
    },
    "allow-preview": {
      podSelector: { matchLabels: { [PREVIEW_LABEL]: "true" } },
      policyTypes: ["Ingress"],
      ingress: [{ from: [{ ipBlock: { cidr: "0.0.0.0/0" } }] }],
    },
  };
}
