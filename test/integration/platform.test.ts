import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { kubectl, PROJECT_DIR, testClusterConfig, useTestEnvironment } from "./support/testenv";

/**
 * `pulumi up` of the platform stack on the test environment's cluster (`cluster.provider: existing`).
 * No official image can be pulled here, so only the services that have a stand-in built from real
 * Debian programs run: Redis (Debian's redis-server behind the redis-stack image's contract). The
 * others are switched off by config, which is itself what this test checks for them.
 */
const suffix = Date.now().toString(36);
const namespace = `infra-${suffix}`;
let stack: Stack;
let firstUpSeconds: number;
let destroyed = false;

beforeAll(async () => {
  const env = useTestEnvironment();
  execFileSync("bash", [path.join(PROJECT_DIR, "testenv", "images", "build-standins.sh")], { stdio: "pipe" });
  stack = await LocalWorkspace.createOrSelectStack({ stackName: `platform-${suffix}`, workDir: PROJECT_DIR });
  await stack.setAllConfig({
    "reporunner:stack": { value: "platform" },
    "reporunner:infraNamespace": { value: namespace },
    "reporunner:cluster": testClusterConfig(env),
    "reporunner:services": {
      value: JSON.stringify({
        redis: { image: "reporunner-standin/redis:7" },
        mongodb: { enabled: false },
        kafka: { enabled: false },
        rabbitmq: { enabled: false },
        otelCollector: { enabled: false },
        jaeger: { enabled: false },
        // The gateway has its own test (preview-gateway.test.ts).
        gateway: { enabled: false },
      }),
    },
  });
  const started = performance.now();
  await stack.up();
  firstUpSeconds = (performance.now() - started) / 1000;
});

afterAll(async () => {
  if (!stack) return;
  if (!destroyed) await stack.destroy();
  await stack.workspace.removeStack(stack.name);
});

describe("the platform stack on an existing cluster", () => {
  it("runs Redis Ready with a generated password that it requires", async () => {
    const pods = JSON.parse(
      kubectl(["get", "pods", "-n", namespace, "-l", "app.kubernetes.io/name=redis", "-o", "json"]),
    ).items;
    expect(pods).toHaveLength(1);
    expect(pods[0].status.conditions.find((c: { type: string }) => c.type === "Ready").status).toBe("True");
    const password = Buffer.from(
      kubectl(["get", "secret", "-n", namespace, "redis-credentials", "-o", "jsonpath={.data.password}"]),
      "base64",
    ).toString();
    expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const exec = (...args: string[]) =>
      kubectl(["exec", "-n", namespace, pods[0].metadata.name, "--", "redis-cli", ...args]);
    expect(exec("ping")).toMatch(/NOAUTH/);
    expect(exec("-a", password, "--no-auth-warning", "ping").trim()).toBe("PONG");
  });

  it("exports the endpoints as secrets and creates nothing for the services switched off", async () => {
    const outputs = await stack.outputs();
    expect(outputs.endpoints.secret).toBe(true);
    expect(outputs.kubeconfig.secret).toBe(true);
    expect((outputs.endpoints.value as { redis: string }).redis).toMatch(
      new RegExp(`^redis://:[A-Za-z0-9_-]{32}@redis\\.${namespace}\\.svc\\.cluster\\.local:6379$`),
    );
    expect(kubectl(["get", "statefulsets,deployments", "-n", namespace, "-o", "name"]).trim()).toBe(
      "statefulset.apps/redis",
    );
  });

  it("changes nothing on a second up", async () => {
    const started = performance.now();
    const result = await stack.up();
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `platform stack: first up ${firstUpSeconds.toFixed(1)}s, no-change up ${seconds.toFixed(1)}s`,
    );
    expect(result.summary.resourceChanges?.create ?? 0).toBe(0);
    expect(result.summary.resourceChanges?.update ?? 0).toBe(0);
    expect(result.summary.resourceChanges?.delete ?? 0).toBe(0);
  });

  it("removes everything on destroy", async () => {
    await stack.destroy();
    destroyed = true;
    expect(kubectl(["get", "namespaces", "-o", "name"])).not.toContain(`namespace/${namespace}`);
  });
});
