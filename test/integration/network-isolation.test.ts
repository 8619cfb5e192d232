import { execFileSync } from "node:child_process";
import * as net from "node:net";
import * as path from "node:path";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PulumiRunEngine } from "../../automation/engine/pulumi-run-engine";
import type { DeployResult, EngineListener } from "../../automation/engine/run-engine";
import { KubernetesForwarder } from "../../automation/previews/pod-forwarder";
import {
  bodyOf,
  eventually,
  FIXTURES,
  gitRepositoryFrom,
  kubectl,
  PROJECT_DIR,
  testEnvironmentEngine,
  useTestEnvironment,
  gatewayOnlyPlatformConfig,
} from "./support/testenv";

/**
 * NetworkPolicy enforced for real (the built-in cluster runs kube-router's policy controller): the
 * platform's preview gateway and two runs, A and B. A pod of run A cannot open a connection to run B
 * (its Services, its pod) nor to the platform's namespace, and a pod outside every run cannot reach a
 * run's preview either; the gateway and the local forward the API server uses still reach both runs.
 */
const suffix = Date.now().toString(36);
const infra = `infra-iso-${suffix}`;
// Not 30080 (the newcomer test's platform) nor 30090 (the preview-gateway test's).
const previewPort = 30091;
const base = `http://127.0.0.1:${previewPort}`;
const newRunId = () => `ni${Math.random().toString(36).slice(2, 10)}`.slice(0, 10);
const runA = newRunId();
const runB = newRunId();
const HELLO = "hello from reporunner";
const quiet: EngineListener = { phase: () => undefined, output: () => undefined };
let env: Record<string, string>;
let stack: Stack;
let engine: PulumiRunEngine;
const results: Record<string, DeployResult> = {};

beforeAll(async () => {
  env = useTestEnvironment();
  execFileSync("bash", [path.join(PROJECT_DIR, "testenv", "images", "build-standins.sh")], { stdio: "pipe" });
  stack = await LocalWorkspace.createOrSelectStack({
    stackName: `isolation-${suffix}`,
    workDir: PROJECT_DIR,
  });
  await stack.setAllConfig(
    gatewayOnlyPlatformConfig(env, { infraNamespace: infra, previewBaseUrl: base, previewPort }),
  );
  const up = await stack.up();
  engine = testEnvironmentEngine(env, {
    target: { previewBaseUrl: String(up.outputs.previewBaseUrl?.value) },
  });
  const source = gitRepositoryFrom(path.join(FIXTURES, "repos", "hello-dockerfile"));
  for (const runId of [runA, runB]) {
    results[runId] = await engine.deploy({ runId, repoUrl: source.url, mode: "auto", env: {} }, quiet);
  }
  // A pod outside every run: busybox in the platform's namespace, which has no policies of its own.
  execFileSync(env.LOAD_IMAGE, ["busybox:latest"], { stdio: "pipe" });
  kubectl(
    ["-n", infra, "run", "probe", "--image=busybox:latest", "--image-pull-policy=Never"].concat([
      "--restart=Never",
      "--",
      "sleep",
      "3600",
    ]),
  );
  kubectl(["-n", infra, "wait", "pod/probe", "--for=condition=Ready", "--timeout=90s"]);
});

afterAll(async () => {
  for (const runId of [runA, runB]) await engine?.destroy(runId, quiet).catch(() => undefined);
  if (!stack) return;
  await stack.destroy();
  await stack.workspace.removeStack(stack.name);
});

/** The Ready pod of a run's app and its address. */
function appPod(runId: string): { name: string; ip: string } {
  const pods = JSON.parse(
    kubectl(["-n", `run-${runId}`, "get", "pods", "-l", "app.kubernetes.io/name=app", "-o", "json"]),
  ).items.filter((p: { status: { phase: string } }) => p.status.phase === "Running");
  return { name: pods[0].metadata.name, ip: pods[0].status.podIP };
}

/**
 * What `wget` in a pod gets from `url`: the body, or undefined when no connection could be made
 * (kube-router rejects; `timeout` covers a drop). Debian's busybox `wget -T` crashes: `timeout` it is.
 */
function fetchFromPod(namespace: string, pod: string, url: string): string | undefined {
  try {
    return kubectl(["-n", namespace, "exec", pod, "--", "timeout", "5", "wget", "-q", "-O", "-", url]).trim();
  } catch {
    return undefined;
  }
}

/** The body of a run's preview through the API server's local forward (port-forward into the pod). */
async function throughLocalForward(runId: string): Promise<string | undefined> {
  const forwarder = new KubernetesForwarder(env.KUBECONFIG);
  const server = net.createServer((socket) => {
    forwarder
      .forward(socket, { namespace: `run-${runId}`, service: "app-preview", port: 8080 })
      .catch(() => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const { port } = server.address() as net.AddressInfo;
    return await bodyOf(`http://127.0.0.1:${port}/`);
  } finally {
    server.close();
  }
}

describe("a run's network isolation", () => {
  it("lets a pod of a run reach its own run's Services by name", () => {
    const a = appPod(runA);
    expect(fetchFromPod(`run-${runA}`, a.name, "http://app-preview:8080/")).toBe(HELLO);
  });

  it("refuses a pod of run A a connection to run B's Services and pod", () => {
    const a = appPod(runA);
    const b = appPod(runB);
    const nsA = `run-${runA}`;
    expect(
      fetchFromPod(nsA, a.name, `http://app-preview.run-${runB}.svc.cluster.local:8080/`),
    ).toBeUndefined();
    expect(fetchFromPod(nsA, a.name, `http://app-preview.run-${runB}.svc.cluster.local/`)).toBeUndefined();
    expect(fetchFromPod(nsA, a.name, `http://${b.ip}:8080/`)).toBeUndefined();
  });

  it("refuses a pod of run A the platform's namespace, also through the gateway's NodePort", () => {
    const a = appPod(runA);
    const nsA = `run-${runA}`;
    expect(
      fetchFromPod(nsA, a.name, `http://preview-gateway.${infra}.svc.cluster.local:8080/healthz`),
    ).toBeUndefined();
    expect(
      fetchFromPod(nsA, a.name, `http://${env.KUBE_NODE_IP}:${previewPort}/run-${runB}/app/`),
    ).toBeUndefined();
  });

  it("refuses a pod outside every run a connection to a run's preview", () => {
    const b = appPod(runB);
    // The probe itself works: it reaches the gateway beside it.
    expect(fetchFromPod(infra, "probe", `http://preview-gateway:8080/healthz`)).toBeDefined();
    expect(fetchFromPod(infra, "probe", `http://${b.ip}:8080/`)).toBeUndefined();
    expect(
      fetchFromPod(infra, "probe", `http://app-preview.run-${runB}.svc.cluster.local:8080/`),
    ).toBeUndefined();
  });

  it("still serves both runs' previews through the preview gateway", async () => {
    for (const runId of [runA, runB]) {
      expect(results[runId].previewUrls.app).toBe(`${base}/run-${runId}/app/`);
      expect((await bodyOf(`${base}/run-${runId}/app/`))?.trim()).toBe(HELLO);
    }
  });

  it("still serves both runs' previews through the local forward (port-forward, no policy applies)", async () => {
    for (const runId of [runA, runB]) {
      expect(
        (
          await eventually(`run-${runId} through the local forward`, () => throughLocalForward(runId), 30_000)
        ).trim(),
      ).toBe(HELLO);
    }
  });
});
