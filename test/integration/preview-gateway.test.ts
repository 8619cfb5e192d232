import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PulumiRunEngine } from "../../automation/engine/pulumi-run-engine";
import type { DeployResult, EngineListener } from "../../automation/engine/run-engine";
import {
  bodyOf,
  FIXTURES,
  gitRepositoryFrom,
  kubectl,
  PROJECT_DIR,
  testEnvironmentEngine,
  useTestEnvironment,
  gatewayOnlyPlatformConfig,
} from "./support/testenv";

/**
 * The preview gateway for real: the platform stack with only the gateway (nginx; here Debian's nginx
 * in a stand-in image) on a NodePort, then a run deployed with the platform's preview base. The run's
 * URL is `<base>/run-<id>/<service>/`, and READY means it answered through the gateway.
 */
const suffix = Date.now().toString(36);
const namespace = `infra-gw-${suffix}`;
// Not 30080: the newcomer test brings a platform with its own gateway up on the default port.
const previewPort = 30090;
const base = `http://127.0.0.1:${previewPort}`;
const runId = `gw${Math.random().toString(36).slice(2, 10)}`.slice(0, 10);
const quiet: EngineListener = { phase: () => undefined, output: () => undefined };
let stack: Stack;
let engine: PulumiRunEngine;
let result: DeployResult;

beforeAll(async () => {
  const env = useTestEnvironment();
  execFileSync("bash", [path.join(PROJECT_DIR, "testenv", "images", "build-standins.sh")], { stdio: "pipe" });
  stack = await LocalWorkspace.createOrSelectStack({ stackName: `gateway-${suffix}`, workDir: PROJECT_DIR });
  await stack.setAllConfig(
    gatewayOnlyPlatformConfig(env, { infraNamespace: namespace, previewBaseUrl: base, previewPort }),
  );
  const up = await stack.up();
  engine = testEnvironmentEngine(env, {
    target: { previewBaseUrl: String(up.outputs.previewBaseUrl?.value) },
  });
  const source = gitRepositoryFrom(path.join(FIXTURES, "repos", "hello-dockerfile"));
  result = await engine.deploy({ runId, repoUrl: source.url, mode: "auto", env: {} }, quiet);
});

afterAll(async () => {
  await engine?.destroy(runId, quiet).catch(() => undefined);
  if (!stack) return;
  await stack.destroy();
  await stack.workspace.removeStack(stack.name);
});

describe("the preview gateway", () => {
  it("gives a run its URL under the preview base, and READY means it answered there", async () => {
    expect(result.previewUrls).toEqual({ app: `${base}/run-${runId}/app/` });
    expect((await bodyOf(result.previewUrls.app!))?.trim()).toBe("hello from reporunner");
    // The local form's target: the preview Service and the app's own port.
    expect(result.previewTargets).toEqual({ app: { service: "app-preview", port: 8080, protocol: "http" } });
  });

  it("passes the path below the prefix on to the app", async () => {
    expect((await bodyOf(`${base}/run-${runId}/app/index.html`))?.trim()).toBe("hello from reporunner");
  });

  it("adds the trailing slash, so relative links stay under the prefix", async () => {
    const response = await fetch(`${base}/run-${runId}/app?x=1`, { redirect: "manual" });
    expect(response.status).toBe(308);
    expect(response.headers.get("location")).toBe(`/run-${runId}/app/?x=1`);
  });

  it("answers 404 in words for a service or run that does not exist", async () => {
    const missing = await fetch(`${base}/run-${runId}/nosuchservice/`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain(`no preview nosuchservice in run-${runId}`);
    const elsewhere = await fetch(`${base}/somewhere`);
    expect(elsewhere.status).toBe(404);
    expect(await elsewhere.text()).toContain("/run-<id>/<service>/");
  });

  it("runs as a non-root user behind a NodePort on the configured port", () => {
    const service = JSON.parse(kubectl(["get", "service", "-n", namespace, "preview-gateway", "-o", "json"]));
    expect(service.spec.ports[0].nodePort).toBe(previewPort);
    const pod = JSON.parse(
      kubectl(["get", "pods", "-n", namespace, "-l", "app.kubernetes.io/name=preview-gateway", "-o", "json"]),
    ).items[0];
    expect(pod.spec.securityContext.runAsUser).toBe(101);
  });

  it("stops routing to a run once it is destroyed", async () => {
    await engine.destroy(runId, quiet);
    const gone = await fetch(`${base}/run-${runId}/app/`);
    expect(gone.status).toBe(404);
  });
});
