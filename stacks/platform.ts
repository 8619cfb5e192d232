import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { LocalCluster } from "../components/cluster/local-cluster";
import { PreviewGateway } from "../components/gateway/preview-gateway";
import { platformLabels } from "../components/labels";
import { Jaeger } from "../components/services/jaeger";
import { Kafka } from "../components/services/kafka";
import { MongoDB } from "../components/services/mongodb";
import { OtelCollector } from "../components/services/otel-collector";
import { RabbitMQ } from "../components/services/rabbitmq";
import { Redis } from "../components/services/redis";
import type { PlatformConfig } from "./config";

/**
 * The platform stack (`dev`, `prod`): the cluster, then the infra services in their namespace, each
 * switched on or off by config. Its outputs are what the Run API and users connect to.
 */
export function platform(config: PlatformConfig) {
  const c = config.cluster;
  const cluster = new LocalCluster("cluster", {
    provider: c.provider,
    clusterName: c.name,
    workers: c.workers,
    nodeImage: c.nodeImage,
    previewPort: c.previewPort,
    jaegerPort: c.jaegerPort,
    extraPorts: c.extraPorts,
    cliEnvironment: c.cliEnvironment,
    preloadImages: c.preloadImages,
    kubeconfigPath: c.kubeconfig,
    context: c.context,
    imageLoad: c.imageLoad,
    registry: c.registry,
    containerdAddress: c.containerdAddress,
  });
  const provider = cluster.provider;

  const namespace = new k8s.core.v1.Namespace(
    "infra-namespace",
    { metadata: { name: config.infraNamespace, labels: platformLabels("infra", config.infraNamespace) } },
    { provider },
  );
  const shared = { namespace: namespace.metadata.name, provider, profile: config.profile };
  const s = config.services;
  const on = <T>(toggle: { enabled: boolean }, create: () => T): T | undefined =>
    toggle.enabled ? create() : undefined;

  const redis = on(s.redis, () => new Redis("redis", { ...shared, image: s.redis.image }));
  const mongodb = on(s.mongodb, () => new MongoDB("mongodb", { ...shared, image: s.mongodb.image }));
  const kafka = on(s.kafka, () => new Kafka("kafka", { ...shared, image: s.kafka.image }));
  const rabbitmq = on(s.rabbitmq, () => new RabbitMQ("rabbitmq", { ...shared, image: s.rabbitmq.image }));
  const jaeger = on(
    s.jaeger,
    () => new Jaeger("jaeger", { ...shared, image: s.jaeger.image, uiNodePort: c.jaegerPort }),
  );
  const otelCollector = on(
    s.otelCollector,
    () =>
      new OtelCollector("otel-collector", {
        ...shared,
        image: s.otelCollector.image,
        jaegerOtlpEndpoint: jaeger?.otlpGrpcEndpoint,
      }),
  );

  const gateway = on(
    s.gateway,
    () =>
      new PreviewGateway("preview-gateway", { ...shared, image: s.gateway.image, nodePort: c.previewPort }),
  );

  return {
    kubeconfig: cluster.kubeconfig,
    context: cluster.context,
    // Hybrid mode: runs push to ECR and their nodes pull with the run's pull Secret.
    imageLoader: config.hybrid
      ? pulumi.output({ method: "registry" as const, registry: config.hybrid.registry })
      : cluster.imageLoader,
    hybrid: config.hybrid,
    infraNamespace: namespace.metadata.name,
    // Unset without a gateway: runs then publish their NodePorts directly.
    previewBaseUrl: config.previewBaseUrl ?? gateway?.baseUrl,
    endpoints: pulumi.secret({
      redis: redis?.url,
      mongodb: mongodb?.url,
      kafka: kafka?.bootstrapServers,
      rabbitmq: rabbitmq?.url,
      rabbitmqManagement: rabbitmq?.managementUrl,
      otlpGrpc: otelCollector?.otlpGrpcEndpoint,
      otlpHttp: otelCollector?.otlpHttpEndpoint,
    }),
    jaegerUiUrl: jaeger?.uiUrl,
  };
}
