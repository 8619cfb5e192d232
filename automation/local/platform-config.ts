import type { ConfigMap } from "@pulumi/pulumi/automation";

/**
 * Stand-in images the test environment builds (testenv/images/build-standins.sh): Debian's redis-server,
 * nginx and rabbitmq-server, Apache Kafka's jars from Maven Central, and FerretDB for MongoDB (no MongoDB
 * server is served there).
 */
const STANDIN_IMAGES = {
  redis: "reporunner-standin/redis:7",
  gateway: "reporunner-standin/nginx:1",
  mongodb: "reporunner-standin/mongodb:ferretdb-1.24",
  kafka: "reporunner-standin/kafka:4.1.0",
  rabbitmq: "reporunner-standin/rabbitmq:3.10",
};

/**
 * The `dev` platform stack's settings for the cluster `up` chose. kind: the defaults (every service,
 * kind cluster `reporunner`). The test environment: its cluster as `existing`, images loaded into its
 * containerd, and only the services that have a stand-in image, because that machine cannot pull
 * images; the Run API uses the environment's own Redis and FerretDB, not the platform's.
 */
export function platformConfig(
  provider: "kind" | "builtin",
  builtin?: Readonly<Record<string, string>>,
): ConfigMap {
  const config: ConfigMap = { "reporunner:stack": { value: "platform" } };
  if (provider === "kind" || !builtin) return config;
  const off = { enabled: false };
  return {
    ...config,
    "reporunner:cluster": {
      value: JSON.stringify({
        provider: "existing",
        kubeconfig: builtin.KUBECONFIG,
        context: builtin.KUBE_CONTEXT,
        imageLoad: "containerd",
        containerdAddress: builtin.CONTAINERD_ADDRESS,
      }),
    },
    "reporunner:services": {
      value: JSON.stringify({
        redis: { image: STANDIN_IMAGES.redis },
        gateway: { image: STANDIN_IMAGES.gateway },
        mongodb: { image: STANDIN_IMAGES.mongodb },
        kafka: { image: STANDIN_IMAGES.kafka },
        rabbitmq: { image: STANDIN_IMAGES.rabbitmq },
        otelCollector: off,
        jaeger: off,
      }),
    },
  };
}
