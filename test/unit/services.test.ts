import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  allCreated,
  type CreatedResource,
  findCreated,
  isSecret,
  resetCreated,
  resolveOutput,
  secretInput,
  settle,
  setupMocks,
} from "./mocks";

type Services = {
  Redis: typeof import("../../components/services/redis").Redis;
  MongoDB: typeof import("../../components/services/mongodb").MongoDB;
  Kafka: typeof import("../../components/services/kafka").Kafka;
  RabbitMQ: typeof import("../../components/services/rabbitmq").RabbitMQ;
  OtelCollector: typeof import("../../components/services/otel-collector").OtelCollector;
  Jaeger: typeof import("../../components/services/jaeger").Jaeger;
};
let svc: Services;
let k8s: typeof import("@pulumi/kubernetes");
let provider: import("@pulumi/kubernetes").Provider;

beforeAll(async () => {
  await setupMocks();
  k8s = await import("@pulumi/kubernetes");
  svc = {
    Redis: (await import("../../components/services/redis")).Redis,
    MongoDB: (await import("../../components/services/mongodb")).MongoDB,
    Kafka: (await import("../../components/services/kafka")).Kafka,
    RabbitMQ: (await import("../../components/services/rabbitmq")).RabbitMQ,
    OtelCollector: (await import("../../components/services/otel-collector")).OtelCollector,
    Jaeger: (await import("../../components/services/jaeger")).Jaeger,
  };
  provider = new k8s.Provider("test-provider", { kubeconfig: "{}" });
});
beforeEach(resetCreated);

const base = () => ({ namespace: "infra", provider });
const workloads = () => [
  ...allCreated("kubernetes:apps/v1:Deployment"),
  ...allCreated("kubernetes:apps/v1:StatefulSet"),
];
const containerOf = (workload: CreatedResource) => workload.inputs.spec.template.spec.containers[0];

const everyService = [
  ["Redis", "redis", "kubernetes:apps/v1:StatefulSet"],
  ["MongoDB", "mongodb", "kubernetes:apps/v1:StatefulSet"],
  ["Kafka", "kafka", "kubernetes:apps/v1:StatefulSet"],
  ["RabbitMQ", "rabbitmq", "kubernetes:apps/v1:StatefulSet"],
  ["OtelCollector", "otel-collector", "kubernetes:apps/v1:Deployment"],
  ["Jaeger", "jaeger", "kubernetes:apps/v1:Deployment"],
] as const;

describe.each(everyService)("%s", (component, appName, workloadType) => {
  const build = () => new svc[component](appName, base());

  it("runs one workload with requests, limits and both probes on every container", async () => {
    build();
    await settle();
    const [workload] = workloads();
    expect(workloads()).toHaveLength(1);
    expect(workload.type).toBe(workloadType);
    for (const container of workload.inputs.spec.template.spec.containers) {
      expect(container.resources.requests).toMatchObject({
        cpu: expect.any(String),
        memory: expect.any(String),
      });
      expect(container.resources.limits).toMatchObject({
        cpu: expect.any(String),
        memory: expect.any(String),
      });
      expect(container.readinessProbe).toBeDefined();
      expect(container.livenessProbe).toBeDefined();
    }
  });

  it("labels every object as managed by reporunner and names it after the service", async () => {
    build();
    await settle();
    const k8sObjects = allCreated().filter((r) => r.type.startsWith("kubernetes:"));
    expect(k8sObjects.length).toBeGreaterThanOrEqual(2);
    for (const object of k8sObjects) {
      expect(object.inputs.metadata.namespace).toBe("infra");
      expect(object.inputs.metadata.labels).toMatchObject({
        "app.kubernetes.io/managed-by": "reporunner",
        "app.kubernetes.io/part-of": "reporunner",
        "app.kubernetes.io/name": appName,
      });
    }
    const service = findCreated("kubernetes:core/v1:Service", `${appName}-service`).inputs;
    expect(service.metadata.name).toBe(appName);
    expect(service.spec.selector).toEqual({ "app.kubernetes.io/name": appName });
  });

  it("runs the pinned official image unless overridden", async () => {
    build();
    await settle();
    expect(containerOf(workloads()[0]).image).toMatch(/^[a-z]+(\/[a-z-]+)?(\/[a-z-]+)?:\d/);
    resetCreated();
    new svc[component](`${appName}-mirror`, { ...base(), image: "mirror.local/x:1" });
    await settle();
    expect(containerOf(workloads()[0]).image).toBe("mirror.local/x:1");
  });

  it("refuses an image reference with spaces, naming the field", () => {
    expect(() => new svc[component](`${appName}-bad`, { ...base(), image: "not an image" })).toThrow(
      /image must be/,
    );
  });
});

describe("credentials", () => {
  it("gives MongoDB a generated root password from a Secret, and a secret connection URL", async () => {
    const mongo = new svc.MongoDB("mongodb", base());
    await settle();
    const env = containerOf(findCreated("kubernetes:apps/v1:StatefulSet", "mongodb-statefulset")).env;
    expect(env).toEqual([
      {
        name: "MONGO_INITDB_ROOT_USERNAME",
        valueFrom: { secretKeyRef: { name: "mongodb-credentials", key: "username" } },
      },
      {
        name: "MONGO_INITDB_ROOT_PASSWORD",
        valueFrom: { secretKeyRef: { name: "mongodb-credentials", key: "password" } },
      },
    ]);
    const secret = findCreated("kubernetes:core/v1:Secret", "mongodb-credentials").inputs;
    expect(secretInput(secret.stringData)).toEqual({
      username: "reporunner",
      password: "generated-mongodb-password",
    });
    expect(findCreated("pulumi-nodejs:dynamic:Resource", "mongodb-password").inputs.bytes).toBe(24);
    expect(await isSecret(mongo.url)).toBe(true);
    expect(await resolveOutput(mongo.url)).toBe(
      "mongodb://reporunner:generated-mongodb-password@mongodb.infra.svc.cluster.local:27017/?authSource=admin",
    );
  });

  it("puts MongoDB's data on a persistent volume", async () => {
    new svc.MongoDB("mongodb", base());
    await settle();
    const sts = findCreated("kubernetes:apps/v1:StatefulSet", "mongodb-statefulset").inputs;
    expect(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe("2Gi");
    expect(containerOf({ inputs: sts } as CreatedResource).volumeMounts).toContainEqual({
      name: "data",
      mountPath: "/data/db",
    });
  });

  it("protects Redis with a generated password and hands it to redis-server without a plain value", async () => {
    const redis = new svc.Redis("redis", base());
    await settle();
    const env = containerOf(findCreated("kubernetes:apps/v1:StatefulSet", "redis-statefulset")).env;
    expect(env[0]).toEqual({
      name: "REDIS_PASSWORD",
      valueFrom: { secretKeyRef: { name: "redis-credentials", key: "password" } },
    });
    expect(env[1].value).toContain("--requirepass $(REDIS_PASSWORD)");
    expect(await isSecret(redis.url)).toBe(true);
  });

  it("gives RabbitMQ generated credentials and the management port", async () => {
    const rabbit = new svc.RabbitMQ("rabbitmq", base());
    await settle();
    const service = findCreated("kubernetes:core/v1:Service", "rabbitmq-service").inputs;
    expect(service.spec.ports.map((p: { port: number }) => p.port)).toEqual([5672, 15672]);
    expect(await isSecret(rabbit.url)).toBe(true);
    expect(await resolveOutput(rabbit.managementUrl)).toBe("http://rabbitmq.infra.svc.cluster.local:15672");
  });
});

describe("Kafka in KRaft mode", () => {
  it("runs a single combined broker+controller in dev", async () => {
    const kafka = new svc.Kafka("kafka", base());
    await settle();
    const sts = findCreated("kubernetes:apps/v1:StatefulSet", "kafka-statefulset").inputs;
    const env = Object.fromEntries(
      containerOf({ inputs: sts } as CreatedResource).env.map((e: any) => [e.name, e.value]),
    );
    expect(sts.spec.replicas).toBe(1);
    expect(env.KAFKA_PROCESS_ROLES).toBe("broker,controller");
    expect(env.KAFKA_CONTROLLER_QUORUM_VOTERS).toBe(
      "0@kafka-0.kafka-peers.$(POD_NAMESPACE).svc.cluster.local:9093",
    );
    expect(env.KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR).toBe("1");
    expect(env.CLUSTER_ID).toBe("generated-kafka-cluster-id");
    expect(findCreated("pulumi-nodejs:dynamic:Resource", "kafka-cluster-id").inputs.bytes).toBe(16);
    expect(findCreated("kubernetes:core/v1:Service", "kafka-peers").inputs.spec).toMatchObject({
      clusterIP: "None",
      publishNotReadyAddresses: true,
    });
    expect(await resolveOutput(kafka.bootstrapServers)).toBe("kafka.infra.svc.cluster.local:9092");
  });

  it("runs a three-voter quorum in prod", async () => {
    new svc.Kafka("kafka", { ...base(), profile: "prod" });
    await settle();
    const sts = findCreated("kubernetes:apps/v1:StatefulSet", "kafka-statefulset").inputs;
    const env = Object.fromEntries(
      containerOf({ inputs: sts } as CreatedResource).env.map((e: any) => [e.name, e.value]),
    );
    expect(sts.spec.replicas).toBe(3);
    expect(env.KAFKA_CONTROLLER_QUORUM_VOTERS.split(",")).toHaveLength(3);
    expect(env.KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR).toBe("3");
    expect(env.KAFKA_TRANSACTION_STATE_LOG_MIN_ISR).toBe("2");
  });
});

describe("tracing", () => {
  it("publishes the Jaeger UI on NodePort 30082 as the seed did", async () => {
    const jaeger = new svc.Jaeger("jaeger", base());
    await settle();
    const service = findCreated("kubernetes:core/v1:Service", "jaeger-service").inputs;
    expect(service.spec.type).toBe("NodePort");
    expect(service.spec.ports[0]).toMatchObject({ name: "ui", port: 16686, nodePort: 30082 });
    expect(await resolveOutput(jaeger.uiUrl)).toBe("http://localhost:30082");
  });

  it("keeps Jaeger at one replica even in prod: its storage is in memory", async () => {
    new svc.Jaeger("jaeger", { ...base(), profile: "prod" });
    await settle();
    expect(findCreated("kubernetes:apps/v1:Deployment", "jaeger-deployment").inputs.spec.replicas).toBe(1);
  });

  it("runs Jaeger on its own config file: OTLP on every interface into in-memory storage bounded per profile", async () => {
    for (const [profile, maxTraces] of [
      ["dev", 10_000],
      ["prod", 50_000],
    ] as const) {
      resetCreated();
      new svc.Jaeger("jaeger", { ...base(), profile });
      await settle();
      const container = containerOf(findCreated("kubernetes:apps/v1:Deployment", "jaeger-deployment"));
      expect(container.args).toEqual(["--config=/etc/jaeger/config.yaml"]);
      expect(container.volumeMounts).toContainEqual({
        name: "config",
        mountPath: "/etc/jaeger",
        readOnly: true,
      });
      const config = parse(
        findCreated("kubernetes:core/v1:ConfigMap", "jaeger-config").inputs.data["config.yaml"],
      );
      expect(config.receivers.otlp.protocols).toEqual({
        grpc: { endpoint: "0.0.0.0:4317" },
        http: { endpoint: "0.0.0.0:4318" },
      });
      expect(config.extensions.jaeger_storage.backends.memstore.memory.max_traces).toBe(maxTraces);
      expect(config.extensions.jaeger_query.http.endpoint).toBe("0.0.0.0:16686");
      // Jaeger v2 traces its own queries unless told not to; they would crowd the runs out of the store.
      expect(config.extensions.jaeger_query.enable_tracing).toBe(false);
      expect(config.service.pipelines.traces.exporters).toEqual(["jaeger_storage_exporter"]);
      expect(config.service.extensions).toEqual(["jaeger_storage", "jaeger_query"]);
    }
  });

  it("sends the collector's traces to Jaeger over OTLP", async () => {
    new svc.OtelCollector("otel-collector", {
      ...base(),
      jaegerOtlpEndpoint: "jaeger.infra.svc.cluster.local:4317",
    });
    await settle();
    const config = parse(
      findCreated("kubernetes:core/v1:ConfigMap", "otel-collector-config").inputs.data["config.yaml"],
    );
    expect(config.exporters["otlp/jaeger"]).toEqual({
      endpoint: "jaeger.infra.svc.cluster.local:4317",
      tls: { insecure: true },
    });
    expect(config.service.pipelines.traces.exporters).toEqual(["otlp/jaeger"]);
    expect(config.receivers.otlp.protocols).toHaveProperty("grpc");
  });

  it("falls back to the debug exporter when Jaeger is off", async () => {
    new svc.OtelCollector("otel-collector", base());
    await settle();
    const config = parse(
      findCreated("kubernetes:core/v1:ConfigMap", "otel-collector-config").inputs.data["config.yaml"],
    );
    expect(config.exporters).not.toHaveProperty("otlp/jaeger");
    expect(config.service.pipelines.traces.exporters).toEqual(["debug"]);
  });
});

describe("profiles", () => {
  it("gives prod more memory than dev for every stateful service", async () => {
    const { serviceSize } = await import("../../components/services/profile");
    for (const name of ["redis", "mongodb", "kafka", "rabbitmq"] as const) {
      const mib = (q: string) => (q.endsWith("Gi") ? Number.parseFloat(q) * 1024 : Number.parseFloat(q));
      expect(mib(serviceSize("prod", name).resources.limits.memory)).toBeGreaterThan(
        mib(serviceSize("dev", name).resources.limits.memory),
      );
    }
  });
});
