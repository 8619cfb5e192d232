import type * as k8s from "@pulumi/kubernetes";
import { MANAGED_BY, MANAGED_BY_LABEL, PART_OF, platformLabels } from "../labels";

type PolicySpec = k8s.types.input.networking.v1.NetworkPolicySpec;
type PolicyPeer = k8s.types.input.networking.v1.NetworkPolicyPeer;

/** Pods carrying this label accept preview traffic from the preview gateway on their declared ports. */
export const PREVIEW_LABEL = "reporunner.dev/preview";

/**
 * The preview gateway's pods, wherever the platform put its infra namespace (the name is configurable,
 * its labels are not): the namespace the platform stack labels `platformLabels("infra", …)`, the pods
 * `components/gateway/preview-gateway.ts` labels `platformLabels("gateway", "preview-gateway")`. A run
 * cannot forge either: it creates no namespace, and its pods' labels only count in its own namespace.
 */
export function previewGatewayPeer(): PolicyPeer {
  const namespace = platformLabels("infra", "infra");
  const gateway = platformLabels("gateway", "preview-gateway");
  return {
    namespaceSelector: {
      matchLabels: {
        "app.kubernetes.io/component": namespace["app.kubernetes.io/component"],
        "app.kubernetes.io/part-of": PART_OF,
        [MANAGED_BY_LABEL]: MANAGED_BY,
      },
    },
    podSelector: {
      matchLabels: {
        "app.kubernetes.io/name": gateway["app.kubernetes.io/name"],
        "app.kubernetes.io/component": gateway["app.kubernetes.io/component"],
      },
    },
  };
}

/** How a run's previews are reached. */
export interface RunNetworkOptions {
  /**
   * The previews are NodePort URLs (a platform without the gateway): admit them from any address too.
   * kind's enforcer (kube-network-policies) judges NodePort traffic by its source outside the cluster,
   * and a policy cannot tell that from a pod without knowing the cluster's pod range, so this also
   * admits other pods. kube-router (the built-in cluster, k3s) lets traffic from the node itself in,
   * NodePorts included, so there the gateway-only policy serves NodePort URLs too. Default false.
   */
  readonly nodePortPreviews?: boolean;
}

/**
 * A run's network: nothing in or out by default; pods talk freely inside the namespace; every pod may
 * resolve names through cluster DNS; pods that publish a preview accept it from the preview gateway
 * (not from other runs, nor from anything else in the cluster). A local forward (`kubectl
 * port-forward`, the API server's preview forwarding) needs no rule: the container runtime connects to
 * the port on the loopback inside the pod's own network namespace, where no policy applies. Each entry is one NetworkPolicy:
 * name → spec.
 */
export function runNetworkPolicies(options: RunNetworkOptions = {}): Record<string, PolicySpec> {
  const previewFrom: PolicyPeer[] = [previewGatewayPeer()];
  if (options.nodePortPreviews) previewFrom.push({ ipBlock: { cidr: "0.0.0.0/0" } });
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
      ingress: [{ from: previewFrom }],
    },
  };
}
