import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { platformLabels } from "../../../components/labels";
import {
  PREVIEW_LABEL,
  previewGatewayPeer,
  runNetworkPolicies,
} from "../../../components/run/network-policies";
import { findCreated, resetCreated, settle, setupMocks } from "../mocks";

let PreviewGateway: typeof import("../../../components/gateway/preview-gateway").PreviewGateway;
let provider: import("@pulumi/kubernetes").Provider;

beforeAll(async () => {
  await setupMocks();
  const k8s = await import("@pulumi/kubernetes");
  ({ PreviewGateway } = await import("../../../components/gateway/preview-gateway"));
  provider = new k8s.Provider("test-provider", { kubeconfig: "{}" });
});
beforeEach(resetCreated);

const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([key, value]) => labels[key] === value);

describe("a run's network policies", () => {
  it("admits previews from the preview gateway's pods only, not from any address", () => {
    const preview = runNetworkPolicies()["allow-preview"];
    expect(preview).toEqual({
      podSelector: { matchLabels: { [PREVIEW_LABEL]: "true" } },
      policyTypes: ["Ingress"],
      ingress: [{ from: [previewGatewayPeer()] }],
    });
    expect(JSON.stringify(preview)).not.toContain("ipBlock");
  });

  it("admits NodePort previews from any address when the platform has no gateway", () => {
    const preview = runNetworkPolicies({ nodePortPreviews: true })["allow-preview"];
    expect(preview.ingress).toEqual([{ from: [previewGatewayPeer(), { ipBlock: { cidr: "0.0.0.0/0" } }] }]);
  });

  it("names the gateway's namespace by the labels the platform gives it, whatever its name", () => {
    const selector = previewGatewayPeer().namespaceSelector as { matchLabels: Record<string, string> };
    for (const name of ["infra", "platform"]) {
      expect(matches(selector.matchLabels, platformLabels("infra", name))).toBe(true);
    }
    // A run's namespace does not match.
    expect(matches(selector.matchLabels, { "reporunner.dev/run-id": "abc12345" })).toBe(false);
  });

  it("selects the pods the PreviewGateway component runs", async () => {
    new PreviewGateway("preview-gateway", { namespace: "infra", provider });
    await settle();
    const podLabels = findCreated("kubernetes:apps/v1:Deployment", "preview-gateway-deployment").inputs.spec
      .template.metadata.labels;
    const selector = previewGatewayPeer().podSelector as { matchLabels: Record<string, string> };
    expect(matches(selector.matchLabels, podLabels)).toBe(true);
  });

  it("keeps egress to the namespace and to cluster DNS on port 53", () => {
    const policies = runNetworkPolicies();
    expect(Object.keys(policies).sort()).toEqual([
      "allow-dns",
      "allow-preview",
      "allow-same-namespace",
      "default-deny",
    ]);
    expect(policies["allow-dns"].egress).toEqual([
      {
        to: [{ namespaceSelector: {}, podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
        ports: [
          { protocol: "UDP", port: 53 },
          { protocol: "TCP", port: 53 },
        ],
      },
    ]);
  });
});
