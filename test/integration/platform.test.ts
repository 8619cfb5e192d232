import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:net";
import * as path from "node:path";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import * as amqp from "amqplib";
import Redis from "ioredis";
import { MongoClient } from "mongodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { builtinVersion, standinImages } from "../../automation/local/platform-config";
import { KubernetesForwarder } from "../../automation/previews/pod-forwarder";
import { eventually, kubectl, PROJECT_DIR, testClusterConfig, useTestEnvironment } from "./support/testenv";

/**
 * `pulumi up` of the platform stack on the test environment's cluster (`cluster.provider: existing`).
 * No official image can be pulled here, so each service runs a stand-in image built here
 * (testenv/images/build-standins.sh): Redis is Debian's redis-server, RabbitMQ Debian's rabbitmq-server,
 * Kafka Apache's jars from Maven Central on Debian's JRE, MongoDB is FerretDB (no MongoDB server is
 * served here). Each is used through its in-cluster Service with the credentials the stack generated.
 * The OpenTelemetry Collector and Jaeger v2 run binaries built here from their Go modules
 * (builtin-cluster/build/29-otel-collector.sh, 30-jaeger.sh), tagged with the versions in versions.env.
 */
const STANDINS = standinImages();
const suffix = Date.now().toString(36);
let env: Record<string, string>;

beforeAll(() => {
  env = useTestEnvironment();
  execFileSync("bash", [path.join(PROJECT_DIR, "testenv", "images", "build-standins.sh")], { stdio: "pipe" });
});

/** A platform stack of its own on the test cluster, with `services` as given. */
async function platformStack(name: string, namespace: string, services: object, profile = "dev") {
  const stack = await LocalWorkspace.createOrSelectStack({ stackName: name, workDir: PROJECT_DIR });
  await stack.setAllConfig({
    "reporunner:stack": { value: "platform" },
    "reporunner:profile": { value: profile },
    "reporunner:infraNamespace": { value: namespace },
    "reporunner:cluster": testClusterConfig(env),
    "reporunner:services": { value: JSON.stringify(services) },
  });
  return stack;
}

/** A listener on 127.0.0.1 whose connections go to a Service port in the cluster (through the API server). */
async function forwardTo(
  namespace: string,
  service: string,
  port: number,
): Promise<{ port: number; server: Server }> {
  const forwarder = new KubernetesForwarder(env.KUBECONFIG);
  const server = createServer((socket) => {
    socket.on("error", () => undefined);
    forwarder.forward(socket, { namespace, service, port }).catch(() => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("no local port");
  return { port: address.port, server };
}

/** `url` with its host and port replaced by a local forward's. */
function through(url: string, port: number): string {
  const parsed = new URL(url);
  parsed.hostname = "127.0.0.1";
  parsed.port = String(port);
  return parsed.toString();
}

function secretValue(namespace: string, secret: string, key: string): string {
  const data = kubectl(["get", "secret", "-n", namespace, secret, "-o", `jsonpath={.data.${key}}`]);
  return Buffer.from(data, "base64").toString();
}

/** What Kafka's tools run with in a broker's pod: a small heap beside the broker's. */
const KAFKA_TOOLS = ["env", "KAFKA_HEAP_OPTS=-Xmx128m"];

/** Runs a command in a pod's container; stdin from `input`. */
function execIn(namespace: string, pod: string, command: string[], input?: string): string {
  return kubectl(
    ["exec", ...(input === undefined ? [] : ["-i"]), "-n", namespace, pod, "--", ...command],
    input,
  );
}

describe("the platform stack with its data services on an existing cluster", () => {
  const namespace = `infra-${suffix}`;
  let stack: Stack;
  let firstUpSeconds: number;
  let destroyed = false;
  const forwards: Server[] = [];
  let endpoints: {
    redis: string;
    mongodb: string;
    kafka: string;
    rabbitmq: string;
    rabbitmqManagement: string;
  };

  beforeAll(async () => {
    stack = await platformStack(`platform-${suffix}`, namespace, {
      redis: { image: STANDINS.redis },
      mongodb: { image: STANDINS.mongodb },
      kafka: { image: STANDINS.kafka },
      rabbitmq: { image: STANDINS.rabbitmq },
      otelCollector: { image: STANDINS.otelCollector },
      jaeger: { image: STANDINS.jaeger },
      // The gateway has its own test (preview-gateway.test.ts).
      gateway: { enabled: false },
    });
    const started = performance.now();
    await stack.up();
    firstUpSeconds = (performance.now() - started) / 1000;
    endpoints = (await stack.outputs()).endpoints.value;
  });

  afterAll(async () => {
    for (const server of forwards) server.close();
    if (!stack) return;
    if (!destroyed) await stack.destroy();
    await stack.workspace.removeStack(stack.name);
  });

  async function local(service: string, port: number): Promise<number> {
    const forward = await forwardTo(namespace, service, port);
    forwards.push(forward.server);
    return forward.port;
  }

  it("runs every service Ready, one pod each in the dev profile", () => {
    for (const app of ["redis", "mongodb", "kafka", "rabbitmq"]) {
      const pods = JSON.parse(
        kubectl(["get", "pods", "-n", namespace, "-l", `app.kubernetes.io/name=${app}`, "-o", "json"]),
      ).items;
      expect(pods, app).toHaveLength(1);
      expect(pods[0].spec.containers[0].image, app).toBe(STANDINS[app as keyof typeof STANDINS]);
      expect(pods[0].status.conditions.find((c: { type: string }) => c.type === "Ready").status, app).toBe(
        "True",
      );
    }
  });

  it("exports the endpoints as secrets, each with the credentials in its Secret", async () => {
    const outputs = await stack.outputs();
    expect(outputs.endpoints.secret).toBe(true);
    expect(outputs.kubeconfig.secret).toBe(true);
    const host = (app: string) => `${app}\\.${namespace}\\.svc\\.cluster\\.local`;
    const redisPassword = secretValue(namespace, "redis-credentials", "password");
    expect(redisPassword).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(endpoints.redis).toBe(`redis://:${redisPassword}@redis.${namespace}.svc.cluster.local:6379`);
    const mongoPassword = secretValue(namespace, "mongodb-credentials", "password");
    expect(endpoints.mongodb).toBe(
      `mongodb://reporunner:${mongoPassword}@mongodb.${namespace}.svc.cluster.local:27017/?authSource=admin`,
    );
    const rabbitPassword = secretValue(namespace, "rabbitmq-credentials", "password");
    expect(endpoints.rabbitmq).toBe(
      `amqp://reporunner:${rabbitPassword}@rabbitmq.${namespace}.svc.cluster.local:5672`,
    );
    expect(endpoints.rabbitmqManagement).toMatch(new RegExp(`^http://${host("rabbitmq")}:15672$`));
    expect(endpoints.kafka).toMatch(new RegExp(`^${host("kafka")}:9092$`));
    // Every generated password differs.
    expect(new Set([redisPassword, mongoPassword, rabbitPassword]).size).toBe(3);
  });

  it("Redis: refuses a client without the password, then AUTH, SET and GET", async () => {
    const port = await local("redis", 6379);
    const anonymous = new Redis({
      host: "127.0.0.1",
      port,
      lazyConnect: true,
      enableReadyCheck: false,
      maxRetriesPerRequest: 0,
    });
    await anonymous.connect();
    await expect(anonymous.get("x")).rejects.toThrow(/NOAUTH/);
    anonymous.disconnect();
    const redis = new Redis(through(endpoints.redis, port), { maxRetriesPerRequest: 1 });
    try {
      const value = `v-${suffix}`;
      expect(await redis.set("platform-test", value)).toBe("OK");
      expect(await redis.get("platform-test")).toBe(value);
    } finally {
      redis.disconnect();
    }
  });

  it("MongoDB (FerretDB): refuses a wrong password, inserts and finds with the generated one", async () => {
    const port = await local("mongodb", 27017);
    const wrong = new URL(through(endpoints.mongodb, port));
    wrong.password = "not-the-password";
    const refused = new MongoClient(wrong.toString(), { serverSelectionTimeoutMS: 10_000 });
    await expect(refused.db("platform").command({ listCollections: 1 })).rejects.toThrow(
      /Authentication failed/,
    );
    await refused.close();
    const client = new MongoClient(through(endpoints.mongodb, port), { serverSelectionTimeoutMS: 10_000 });
    try {
      const items = client.db("platform").collection<{ name: string; run: string }>("items");
      const { insertedId } = await items.insertOne({ name: "hello", run: suffix });
      const found = await items.findOne({ run: suffix });
      expect(found?._id.toString()).toBe(insertedId.toString());
      expect(found?.name).toBe("hello");
    } finally {
      await client.close();
    }
  });

  /** Kafka's own console consumer in the broker's pod: the first message of `platform-test`. */
  const firstKafkaMessage = () =>
    execIn(namespace, "kafka-0", [
      ...KAFKA_TOOLS,
      "kafka-console-consumer.sh",
      "--bootstrap-server",
      endpoints.kafka,
      "--topic",
      "platform-test",
      "--from-beginning",
      "--max-messages",
      "1",
      "--timeout-ms",
      "60000",
    ]).trim();

  it("Kafka: a message produced to the bootstrap servers is consumed back", () => {
    const message = `hello-${suffix}`;
    // Kafka's own console clients, in the broker's pod, through the in-cluster bootstrap address.
    execIn(namespace, "kafka-0", [
      ...KAFKA_TOOLS,
      "kafka-topics.sh",
      "--bootstrap-server",
      endpoints.kafka,
      "--create",
      "--topic",
      "platform-test",
    ]);
    execIn(
      namespace,
      "kafka-0",
      [
        ...KAFKA_TOOLS,
        "kafka-console-producer.sh",
        "--bootstrap-server",
        endpoints.kafka,
        "--topic",
        "platform-test",
      ],
      `${message}\n`,
    );
    expect(firstKafkaMessage()).toBe(message);
  });

  it("Kafka: a broker whose pod is replaced starts on its formatted volume and still has the message", async () => {
    const before = kubectl(["get", "pod", "-n", namespace, "kafka-0", "-o", "jsonpath={.metadata.uid}"]);
    kubectl(["delete", "pod", "-n", namespace, "kafka-0", "--wait=true"]);
    await eventually(
      "kafka-0 Ready again",
      () => {
        const pod = JSON.parse(kubectl(["get", "pod", "-n", namespace, "kafka-0", "-o", "json"]));
        const ready = pod.status.conditions?.find((c: { type: string }) => c.type === "Ready")?.status;
        return pod.metadata.uid !== before && ready === "True" ? true : undefined;
      },
      240_000,
    );
    expect(firstKafkaMessage()).toBe(`hello-${suffix}`);
    const restarts = kubectl([
      "get",
      "pod",
      "-n",
      namespace,
      "kafka-0",
      "-o",
      "jsonpath={.status.containerStatuses[0].restartCount}",
    ]);
    expect(restarts).toBe("0");
  });

  it("RabbitMQ: publishes and consumes over AMQP; the management API answers its overview", async () => {
    const amqpPort = await local("rabbitmq", 5672);
    const connection = await amqp.connect(through(endpoints.rabbitmq, amqpPort));
    try {
      const channel = await connection.createChannel();
      const queue = `platform-test-${suffix}`;
      await channel.assertQueue(queue, { durable: true });
      const body = `hello-${suffix}`;
      channel.sendToQueue(queue, Buffer.from(body), { persistent: true });
      const received = await new Promise<string>((resolve) => {
        void channel.consume(queue, (msg) => {
          if (!msg) return;
          channel.ack(msg);
          resolve(msg.content.toString());
        });
      });
      expect(received).toBe(body);
      await channel.close();
    } finally {
      await connection.close();
    }

    const managementPort = await local("rabbitmq", 15672);
    const password = secretValue(namespace, "rabbitmq-credentials", "password");
    const overview = (auth: string) =>
      fetch(`http://127.0.0.1:${managementPort}/api/overview`, {
        headers: { authorization: `Basic ${Buffer.from(auth).toString("base64")}` },
      });
    expect((await overview("reporunner:not-the-password")).status).toBe(401);
    const response = await overview(`reporunner:${password}`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      node: string;
      management_version: string;
      object_totals: object;
    };
    expect(body.node).toBe("rabbit@rabbitmq-0");
    expect(body.management_version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(body.object_totals).toMatchObject({ queues: expect.any(Number), connections: expect.any(Number) });
  });

  it("OpenTelemetry: a span sent over OTLP to the collector's endpoint is found through Jaeger's query API", async () => {
    const { otlpHttp } = (await stack.outputs()).endpoints.value as { otlpHttp: string };
    expect(otlpHttp).toBe(`http://otel-collector.${namespace}.svc.cluster.local:4318`);
    const service = `platform-test-${suffix}`;
    const traceId = randomBytes(16).toString("hex");
    const end = BigInt(Date.now()) * 1_000_000n;
    const span = {
      traceId,
      spanId: randomBytes(8).toString("hex"),
      name: "through-the-collector",
      kind: 1,
      startTimeUnixNano: String(end - 5_000_000n),
      endTimeUnixNano: String(end),
      attributes: [{ key: "platform.namespace", value: { stringValue: namespace } }],
    };
    const resource = { attributes: [{ key: "service.name", value: { stringValue: service } }] };
    const port = await local("otel-collector", 4318);
    const response = await fetch(new URL("v1/traces", through(otlpHttp, port)), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ resourceSpans: [{ resource, scopeSpans: [{ spans: [span] }] }] }),
    });
    expect(response.status).toBe(200);

    // The collector batches it and exports it over OTLP/gRPC to Jaeger; Jaeger's query API is on the UI's NodePort.
    type Trace = {
      traceID: string;
      spans: { operationName: string; tags: { key: string; value: unknown }[] }[];
    };
    const traces = await eventually("the span in Jaeger's query API", async () => {
      const found = await fetch(`http://127.0.0.1:30082/api/traces?service=${service}`);
      const { data } = (await found.json()) as { data: Trace[] };
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

  it("Jaeger: the UI answers on NodePort 30082", async () => {
    expect((await stack.outputs()).jaegerUiUrl.value).toBe("http://localhost:30082");
    const response = await fetch("http://127.0.0.1:30082/");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    // The query service writes its version into the page it serves, where the UI reads it.
    expect(await response.text()).toContain(`"gitVersion":"v${builtinVersion("JAEGER_VERSION")}"`);
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
    for (const server of forwards.splice(0)) server.close();
    await stack.destroy();
    destroyed = true;
    expect(kubectl(["get", "namespaces", "-o", "name"])).not.toContain(`namespace/${namespace}`);
  });
});

describe("Kafka in the prod profile", () => {
  const namespace = `infra-prod-${suffix}`;
  let stack: Stack;

  beforeAll(async () => {
    const off = { enabled: false };
    stack = await platformStack(
      `platform-prod-${suffix}`,
      namespace,
      {
        redis: off,
        mongodb: off,
        kafka: { image: STANDINS.kafka },
        rabbitmq: off,
        otelCollector: off,
        jaeger: off,
        gateway: off,
      },
      "prod",
    );
    const started = performance.now();
    await stack.up();
    console.log(`platform stack, prod Kafka only: up ${((performance.now() - started) / 1000).toFixed(1)}s`);
  });

  afterAll(async () => {
    if (!stack) return;
    await stack.destroy();
    await stack.workspace.removeStack(stack.name);
  });

  it("forms a KRaft quorum of 3 voters with one leader that every node agrees on", () => {
    const leaders = ["kafka-0", "kafka-1", "kafka-2"].map((pod) => {
      const controller = `${pod}.kafka-peers.${namespace}.svc.cluster.local:9093`;
      const status = execIn(namespace, pod, [
        ...KAFKA_TOOLS,
        "kafka-metadata-quorum.sh",
        "--bootstrap-controller",
        controller,
        "describe",
        "--status",
      ]);
      const field = (name: string) => new RegExp(`^${name}:\\s+(.*)$`, "m").exec(status)?.[1];
      const voters = JSON.parse(field("CurrentVoters") ?? "[]") as { id: number }[];
      expect(voters.map((v) => v.id).sort(), pod).toEqual([0, 1, 2]);
      return Number(field("LeaderId"));
    });
    expect([0, 1, 2]).toContain(leaders[0]);
    expect(new Set(leaders).size).toBe(1);
  });
});
