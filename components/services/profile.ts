/**
 * How big each infra service is in each environment: `dev` is small enough for a laptop, `prod` runs
 * the services that can cluster without extra machinery with replicas (as the architecture seed's
 * overlays did) and gives everything more room.
 */

export type ProfileName = "dev" | "prod";

export interface ContainerResources {
  readonly requests: { readonly cpu: string; readonly memory: string };
  readonly limits: { readonly cpu: string; readonly memory: string };
}

export interface ServiceSize {
  readonly replicas: number;
  readonly resources: ContainerResources;
  /** Size of the persistent volume, for the services that keep data. */
  readonly storage?: string;
}

export type SizedService =
  "redis" | "mongodb" | "kafka" | "rabbitmq" | "otelCollector" | "jaeger" | "gateway";

function size(cpu: [string, string], memory: [string, string], replicas = 1, storage?: string): ServiceSize {
  return {
    replicas,
    resources: { requests: { cpu: cpu[0], memory: memory[0] }, limits: { cpu: cpu[1], memory: memory[1] } },
    ...(storage ? { storage } : {}),
  };
}

const PROFILES: Record<ProfileName, Record<SizedService, ServiceSize>> = {
  dev: {
    redis: size(["50m", "500m"], ["64Mi", "256Mi"], 1, "1Gi"),
    mongodb: size(["100m", "1"], ["256Mi", "1Gi"], 1, "2Gi"),
    kafka: size(["200m", "1"], ["512Mi", "1Gi"], 1, "2Gi"),
    rabbitmq: size(["100m", "1"], ["256Mi", "512Mi"], 1, "1Gi"),
    otelCollector: size(["50m", "500m"], ["64Mi", "256Mi"]),
    jaeger: size(["50m", "500m"], ["128Mi", "512Mi"]),
    gateway: size(["20m", "500m"], ["16Mi", "128Mi"]),
  },
  prod: {
    // Redis, MongoDB and RabbitMQ stay single-instance: their clustering needs topology setup that
    // belongs to an operator, not to this program. Kafka's KRaft quorum and the collector scale out.
    redis: size(["250m", "2"], ["512Mi", "2Gi"], 1, "10Gi"),
    mongodb: size(["500m", "2"], ["1Gi", "4Gi"], 1, "20Gi"),
    kafka: size(["500m", "2"], ["1Gi", "2Gi"], 3, "20Gi"),
    rabbitmq: size(["250m", "2"], ["512Mi", "2Gi"], 1, "10Gi"),
    otelCollector: size(["200m", "1"], ["256Mi", "1Gi"], 2),
    jaeger: size(["200m", "1"], ["512Mi", "2Gi"]),
    // Stateless: a second replica keeps previews up while one restarts.
    gateway: size(["100m", "1"], ["64Mi", "256Mi"], 2),
  },
};

/** The size of one service in one profile. */
export function serviceSize(profile: ProfileName, service: SizedService): ServiceSize {
  return PROFILES[profile][service];
}
