import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, kubectl, PROJECT_DIR, testClusterConfig, useTestEnvironment } from "./support/testenv";

/**
 * `pulumi up` of the platform stack on the test environment's cluster (`cluster.provider: existing`).
 * No official image can be pulled here, so only the services that have a stand-in built from real
 * Debian programs run: Redis (Debian's redis-server behind the redis-stack image's contract). The
 * others are switched off by config, which is itself what this test checks for them.
 * The OpenTelemetry Collector and Jaeger v2 run from images of binaries built here from their Go modules
 * (builtin-cluster/build/29-otel-collector.sh, 30-jaeger.sh), tagged with the versions in versions.env.
 */
const suffix = Date.now().toString(36);
const namespace = `infra-${suffix}`;
let stack: Stack;
let firstUpSeconds: number;
let destroyed = false;

/** A version from builtin-cluster/versions.env, without its leading v: the tag of the stand-in built from it. */
function toolchainVersion(name: string): string {
  const text = readFileSync(path.join(PROJECT_DIR, "builtin-cluster", "versions.env"), "utf8");
  const version = new RegExp(`^${name}=v?(\\S+)$`, "m").exec(text)?.[1];
  if (!version) throw new Error(`builtin-cluster/versions.env has no ${name}`);
  return version;
}

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
        otelCollector: {
          image: `reporunner-standin/otel-collector:${toolchainVersion("OTEL_COLLECTOR_VERSION")}`,
        },
        jaeger: { image: `reporunner-standin/jaeger:${toolchainVersion("JAEGER_VERSION")}` },
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
    expect(
      kubectl(["get", "statefulsets,deployments", "-n", namespace, "-o", "name"]).trim().split("\n").sort(),
    ).toEqual(["deployment.apps/jaeger", "deployment.apps/otel-collector", "statefulset.apps/redis"]);
  });

  it("carries a span sent over OTLP to the collector's in-cluster endpoint into Jaeger's query API", async () => {
    const { otlpHttp } = (await stack.outputs()).endpoints.value as { otlpHttp: string };
    expect(otlpHttp).toBe(`http://otel-collector.${namespace}.svc.cluster.local:4318`);
    const service = `platform-test-${suffix}`;
    const traceId = randomBytes(16).toString("hex");
    const end = BigInt(Date.now()) * 1_000_000n;
    const request = {
      resourceSpans: [
        {
          resource: { attributes: [{ key: "service.name", value: { stringValue: service } }] },
          scopeSpans: [
            {
              scope: { name: "platform.test" },
              spans: [
                {
                  traceId,
                  spanId: randomBytes(8).toString("hex"),
                  name: "through-the-collector",
                  kind: 1,
                  startTimeUnixNano: String(end - 5_000_000n),
                  endTimeUnixNano: String(end),
                  attributes: [{ key: "platform.namespace", value: { stringValue: namespace } }],
                },
              ],
            },
          ],
        },
      ],
    };
    // Sent from a pod, as an app in the cluster sends it: through cluster DNS and the collector's Service.
    const answer = await runInCluster(`otlp-client-${suffix}`, [
      "wget",
      "-q",
      "-O",
      "-",
      "--header",
      "Content-Type: application/json",
      "--post-data",
      JSON.stringify(request),
      `${otlpHttp}/v1/traces`,
    ]);
    expect(answer).toContain("partialSuccess");

    // The collector batches it and exports it over OTLP/gRPC to Jaeger; Jaeger's query API is on the UI's NodePort.
    type Trace = {
      traceID: string;
      spans: { operationName: string; tags: { key: string; value: unknown }[] }[];
    };
    const traces = await eventually("the span in Jaeger's query API", async () => {
      const response = await fetch(`http://127.0.0.1:30082/api/traces?service=${service}`);
      const { data } = (await response.json()) as { data: Trace[] };
      return data.length > 0 ? data : undefined;
    });
    expect(traces).toHaveLength(1);
    expect(traces[0].traceID).toBe(traceId);
    expect(traces[0].spans).toHaveLength(1);
    expect(traces[0].spans[0].operationName).toBe("through-the-collector");
    expect(traces[0].spans[0].tags).toContainEqual({
      key: "platform.namespace",
      type: "string",
      value: namespace,
    });
  });

  it("answers with the Jaeger UI on NodePort 30082", async () => {
    expect((await stack.outputs()).jaegerUiUrl.value).toBe("http://localhost:30082");
    const response = await fetch("http://127.0.0.1:30082/");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    // The query service writes its version into the page it serves, where the UI reads it.
    expect(await response.text()).toContain(`"gitVersion":"v${toolchainVersion("JAEGER_VERSION")}"`);
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

/**
 * Runs `command` in a short-lived busybox pod in the platform's namespace (what an app in the cluster sees:
 * cluster DNS and the Services) and returns its output; fails with that output when the command fails.
 */
async function runInCluster(name: string, command: string[]): Promise<string> {
  const pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace },
    spec: {
      restartPolicy: "Never",
      automountServiceAccountToken: false,
      // busybox:latest is in the cluster's containerd (builtin-cluster/build/26-base-rootfs.sh): never pulled.
      containers: [{ name: "client", image: "busybox:latest", imagePullPolicy: "Never", command }],
    },
  };
  kubectl(["apply", "-f", "-"], JSON.stringify(pod));
  try {
    const phase = await eventually(
      `pod ${name} to finish`,
      () => {
        const now = kubectl(["get", "pod", "-n", namespace, name, "-o", "jsonpath={.status.phase}"]);
        return now === "Succeeded" || now === "Failed" ? now : undefined;
      },
      120_000,
    );
    const output = kubectl(["logs", "-n", namespace, name]);
    if (phase !== "Succeeded") throw new Error(`${command[0]} failed in pod ${name}:\n${output}`);
    return output;
  } finally {
    kubectl(["delete", "pod", "-n", namespace, name, "--wait=false"]);
  }
}
