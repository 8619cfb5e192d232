import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { allCreated, findCreated, isSecret, resetCreated, resolveOutput, settle, setupMocks } from "./mocks";

let platform: typeof import("../../stacks/platform").platform;
let parsePlatformConfig: typeof import("../../stacks/config").parsePlatformConfig;

beforeAll(async () => {
  await setupMocks();
  ({ platform } = await import("../../stacks/platform"));
  ({ parsePlatformConfig } = await import("../../stacks/config"));
});
beforeEach(resetCreated);

const componentTypes = () =>
  allCreated()
    .filter((r) => r.type.startsWith("reporunner:"))
    .map((r) => r.type);

describe("the platform stack", () => {
  it("brings up a kind cluster, all six infra services and the preview gateway in namespace infra by default", async () => {
    const outputs = platform(parsePlatformConfig({}));
    await settle();
    expect(componentTypes().sort()).toEqual([
      "reporunner:cluster:LocalCluster",
      "reporunner:infra:Jaeger",
      "reporunner:infra:Kafka",
      "reporunner:infra:MongoDB",
      "reporunner:infra:OtelCollector",
      "reporunner:infra:RabbitMQ",
      "reporunner:infra:Redis",
      "reporunner:platform:PreviewGateway",
    ]);
    expect(findCreated("kubernetes:core/v1:Namespace", "infra-namespace").inputs.metadata.name).toBe("infra");
    expect(findCreated("command:local:Command", "cluster-kind").inputs.create).toContain(
      "kind create cluster",
    );
    expect(await resolveOutput(outputs.previewBaseUrl!)).toBe("http://localhost:30080");
    expect(await isSecret(outputs.kubeconfig)).toBe(true);
    expect(await isSecret(outputs.endpoints)).toBe(true);
    const endpoints = await resolveOutput(outputs.endpoints);
    expect(endpoints.kafka).toBe("kafka.infra.svc.cluster.local:9092");
    expect(endpoints.otlpGrpc).toBe("http://otel-collector.infra.svc.cluster.local:4317");
  });

  it("creates every in-cluster object through the cluster's provider", async () => {
    platform(parsePlatformConfig({}));
    await settle();
    const inCluster = allCreated().filter((r) => r.type.startsWith("kubernetes:"));
    expect(inCluster.length).toBeGreaterThan(15);
    for (const object of inCluster) {
      expect(object.provider, `${object.type} ${object.name}`).toMatch(/::cluster-provider::/);
    }
  });

  it("removes a service that is switched off, and points the collector at debug when Jaeger is off", async () => {
    const outputs = platform(
      parsePlatformConfig({
        services: JSON.stringify({ kafka: { enabled: false }, jaeger: { enabled: false } }),
      }),
    );
    await settle();
    expect(componentTypes()).not.toContain("reporunner:infra:Kafka");
    expect(componentTypes()).not.toContain("reporunner:infra:Jaeger");
    expect(allCreated().some((r) => r.name.startsWith("kafka-"))).toBe(false);
    expect(
      findCreated("kubernetes:core/v1:ConfigMap", "otel-collector-config").inputs.data["config.yaml"],
    ).not.toContain("otlp/jaeger");
    expect((await resolveOutput(outputs.endpoints)).kafka).toBeUndefined();
  });

  it("uses the image overrides and the namespace from config", async () => {
    platform(
      parsePlatformConfig({
        infraNamespace: "platform",
        services: JSON.stringify({ redis: { image: "registry.local/redis-stack:7" } }),
      }),
    );
    await settle();
    const redis = findCreated("kubernetes:apps/v1:StatefulSet", "redis-statefulset").inputs;
    expect(redis.spec.template.spec.containers[0].image).toBe("registry.local/redis-stack:7");
    expect(redis.metadata.namespace).toBe("platform");
  });

  it("builds a k3d cluster when asked", async () => {
    platform(parsePlatformConfig({ cluster: JSON.stringify({ provider: "k3d", name: "demo", workers: 0 }) }));
    await settle();
    expect(findCreated("command:local:Command", "cluster-k3d").inputs.create).toContain(
      "k3d cluster create demo --agents 0",
    );
  });
});

describe("stack configuration", () => {
  it("fills every default", () => {
    const config = parsePlatformConfig({});
    expect(config).toMatchObject({
      stack: "platform",
      profile: "dev",
      infraNamespace: "infra",
      cluster: {
        provider: "kind",
        name: "reporunner",
        workers: 1,
        previewPort: 30080,
        jaegerPort: 30082,
        extraPorts: [],
      },
    });
    expect(Object.values(config.services).every((s) => s.enabled)).toBe(true);
  });

  it("names the key and the problem of a bad value", () => {
    expect(() => parsePlatformConfig({ cluster: JSON.stringify({ provider: "minikube" }) })).toThrow(
      /reporunner:cluster\.provider: /,
    );
    expect(() => parsePlatformConfig({ cluster: JSON.stringify({ workers: 99 }) })).toThrow(
      /reporunner:cluster\.workers/,
    );
    expect(() => parsePlatformConfig({ profile: "staging" })).toThrow(/reporunner:profile/);
    expect(() => parsePlatformConfig({ infraNamespace: "Infra_NS" })).toThrow(
      /reporunner:infraNamespace: a DNS label/,
    );
  });

  it("refuses an unknown cluster or service key instead of ignoring a typo", () => {
    expect(() => parsePlatformConfig({ cluster: JSON.stringify({ wokers: 2 }) })).toThrow(/wokers/);
    expect(() => parsePlatformConfig({ services: JSON.stringify({ postgres: { enabled: true } }) })).toThrow(
      /postgres/,
    );
  });

  it("says to use --path when a structured key is not an object", () => {
    expect(() => parsePlatformConfig({ cluster: "kind" })).toThrow(/reporunner:cluster must be an object/);
  });
});
