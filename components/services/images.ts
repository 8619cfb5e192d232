/**
 * The official image each infra service runs by default, pinned. Any of them can be overridden per
 * stack (`services.<name>.image`) for a mirror or an air-gapped machine.
 */
export const DEFAULT_IMAGES = {
  redis: "redis/redis-stack-server:7.4.0-v6",
  mongodb: "mongo:8.0.15",
  // Bitnami's free catalog is gone; Apache's own image runs KRaft without ZooKeeper.
  kafka: "apache/kafka:4.1.0",
  rabbitmq: "rabbitmq:4.1.4-management",
  otelCollector: "otel/opentelemetry-collector-contrib:0.139.0",
  jaeger: "jaegertracing/jaeger:2.11.0",
  // The preview gateway: any nginx ≥ 1.19.5 with sh and awk (see components/gateway/nginx-config.ts).
  gateway: "nginx:1.28.0-alpine",
} as const;
