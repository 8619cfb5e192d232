import { execFileSync } from "node:child_process";
import * as path from "node:path";
import * as k8s from "@pulumi/kubernetes";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bodyOf, eventually, FIXTURES, kubectl, useTestEnvironment } from "./support/testenv";

/**
 * The whole chain, end to end, with nothing of RepoRunner in between: the Automation API runs an
 * inline program on the real engine, whose Kubernetes provider deploys a locally built image on the
 * test cluster, and a request from this machine reaches the pod through a Service.
 */
const suffix = Date.now().toString(36);
const namespace = `engine-${suffix}`;
const image = `reporunner-test/hello:${suffix}`;
let stack: Stack;
let nodePort: number;
let destroyed = false;

beforeAll(async () => {
  const env = useTestEnvironment();
  execFileSync("docker", ["build", "-q", "-t", image, path.join(FIXTURES, "repos", "hello-dockerfile")], {
    stdio: "pipe",
  });
  execFileSync(env.LOAD_IMAGE, [image], { stdio: "pipe" });

  const program = async () => {
    const provider = new k8s.Provider("testenv", { kubeconfig: env.KUBECONFIG, context: env.KUBE_CONTEXT });
    const ns = new k8s.core.v1.Namespace("ns", { metadata: { name: namespace } }, { provider });
    const labels = { app: "hello" };
    const deployment = new k8s.apps.v1.Deployment(
      "hello",
      {
        metadata: { namespace: ns.metadata.name },
        spec: {
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              containers: [
                { name: "hello", image, imagePullPolicy: "Never", ports: [{ containerPort: 8080 }] },
              ],
            },
          },
        },
      },
      { provider },
    );
    const service = new k8s.core.v1.Service(
      "hello",
      {
        metadata: { namespace: ns.metadata.name },
        spec: { type: "NodePort", selector: labels, ports: [{ port: 8080, targetPort: 8080 }] },
      },
      { provider, dependsOn: [deployment] },
    );
    return { nodePort: service.spec.ports[0].nodePort };
  };
  stack = await LocalWorkspace.createOrSelectStack({
    stackName: `engine-${suffix}`,
    projectName: "reporunner-engine-test",
    program,
  });
  const result = await stack.up();
  nodePort = result.outputs.nodePort.value as number;
});

afterAll(async () => {
  if (!stack) return;
  if (!destroyed) await stack.destroy();
  await stack.workspace.removeStack(stack.name);
});

describe("the Pulumi engine on the test cluster", () => {
  it("brings the pod to Running and Ready", () => {
    const pods = JSON.parse(kubectl(["get", "pods", "-n", namespace, "-l", "app=hello", "-o", "json"])).items;
    expect(pods).toHaveLength(1);
    expect(pods[0].status.phase).toBe("Running");
    expect(pods[0].status.conditions.find((c: { type: string }) => c.type === "Ready").status).toBe("True");
  });

  it("answers HTTP from this machine through the Service", async () => {
    const body = await eventually("the NodePort to answer", () => bodyOf(`http://127.0.0.1:${nodePort}/`));
    expect(body.trim()).toBe("hello from reporunner");
  });

  it("destroys everything it created", async () => {
    await stack.destroy();
    destroyed = true;
    await eventually("the namespace to be gone", () => {
      const left = kubectl(["get", "namespaces", "-o", "name"]);
      return left.includes(`namespace/${namespace}`) ? undefined : true;
    });
    const state = await stack.exportStack();
    expect(state.deployment.resources ?? []).toEqual([]);
  });
});
