import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { gatewayNginxConf } from "../../components/gateway/nginx-config";
import { gatewayUrl, previewSegment, previewServiceName } from "../../components/gateway/routes";
import { findCreated, resetCreated, resolveOutput, settle, setupMocks } from "./mocks";

let PreviewGateway: typeof import("../../components/gateway/preview-gateway").PreviewGateway;
let provider: import("@pulumi/kubernetes").Provider;

beforeAll(async () => {
  await setupMocks();
  const k8s = await import("@pulumi/kubernetes");
  ({ PreviewGateway } = await import("../../components/gateway/preview-gateway"));
  provider = new k8s.Provider("test-provider", { kubeconfig: "{}" });
});
beforeEach(resetCreated);

describe("the preview gateway's routes", () => {
  it("names one segment per published port and one preview Service per segment", () => {
    expect(previewSegment("web", 8080, true)).toBe("web");
    expect(previewSegment("web", 8443, false)).toBe("web-8443");
    expect(previewServiceName("web-8443")).toBe("web-8443-preview");
    expect(gatewayUrl("http://localhost:30080/", "run-abc12345", "web")).toBe(
      "http://localhost:30080/run-abc12345/web/",
    );
  });

  it("proxies /run-<id>/<segment>/ to that segment's preview Service in the run's namespace", () => {
    const conf = gatewayNginxConf();
    expect(conf).toContain("proxy_pass http://$segment-preview.$run.svc.cluster.local:80;");
    expect(conf).toContain("proxy_set_header X-Forwarded-Prefix $prefix;");
    // Only run namespaces can be reached: the infra services are not behind the gateway.
    expect(conf).toMatch(/\(\?<run>run-\[a-z0-9\]\{8,12\}\)/);
    expect(conf).toContain("pid /tmp/nginx.pid;");
  });
});

describe("PreviewGateway", () => {
  it("runs nginx unprivileged behind a NodePort on the preview port with its config mounted", async () => {
    const gateway = new PreviewGateway("preview-gateway", { namespace: "infra", provider, nodePort: 30090 });
    await settle();
    const service = findCreated("kubernetes:core/v1:Service", "preview-gateway-service").inputs;
    expect(service.spec.type).toBe("NodePort");
    expect(service.spec.ports).toEqual([{ name: "http", port: 8080, targetPort: "http", nodePort: 30090 }]);
    const pod = findCreated("kubernetes:apps/v1:Deployment", "preview-gateway-deployment").inputs.spec
      .template.spec;
    expect(pod.securityContext.runAsUser).toBe(101);
    expect(pod.containers[0].image).toBe("nginx:1.28.0-alpine");
    expect(pod.containers[0].command.join(" ")).toContain(
      "nginx -e stderr -c /etc/reporunner-gateway/nginx.conf",
    );
    expect(pod.containers[0].readinessProbe.httpGet.path).toBe("/healthz");
    const config = findCreated("kubernetes:core/v1:ConfigMap", "preview-gateway-config").inputs;
    expect(config.data["nginx.conf"]).toBe(gatewayNginxConf());
    expect(await resolveOutput(gateway.baseUrl)).toBe("http://localhost:30090");
  });

  it("refuses a port outside the NodePort range, naming it", () => {
    expect(() => new PreviewGateway("bad", { namespace: "infra", provider, nodePort: 8080 })).toThrow(
      /nodePort must be a NodePort from 30000 to 32767, got 8080/,
    );
  });
});
