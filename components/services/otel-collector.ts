import * as pulumi from "@pulumi/pulumi";
import { COLLECTOR_HEALTH_PORT, collectorConfig } from "./collector-config";
import { DEFAULT_IMAGES } from "./images";
import { checkInfraServiceArgs, type InfraServiceArgs } from "./infra-service";
import { serviceSize } from "./profile";
import { createInfraWorkload, serviceHost } from "./workload";

export const OTEL_COLLECTOR_TYPE = "reporunner:infra:OtelCollector";
const OTLP_GRPC_PORT = 4317;
const OTLP_HTTP_PORT = 4318;

export interface OtelCollectorArgs extends InfraServiceArgs {
  /** Jaeger's OTLP gRPC endpoint (`host:4317`). Unset: traces go to the debug exporter. */
  readonly jaegerOtlpEndpoint?: pulumi.Input<string>;
}

/** The OpenTelemetry Collector (contrib): what runs and RepoRunner itself send OTLP to. */
export class OtelCollector extends pulumi.ComponentResource {
  /** `http://otel-collector.<ns>.svc.cluster.local:4317`: set as OTEL_EXPORTER_OTLP_ENDPOINT. */
  public readonly otlpGrpcEndpoint: pulumi.Output<string>;
  public readonly otlpHttpEndpoint: pulumi.Output<string>;

  constructor(name: string, args: OtelCollectorArgs, opts?: pulumi.ComponentResourceOptions) {
    super(OTEL_COLLECTOR_TYPE, name, {}, opts);
    checkInfraServiceArgs(args, this);
    const health = { httpGet: { path: "/", port: COLLECTOR_HEALTH_PORT } };
    createInfraWorkload(
      name,
      {
        namespace: args.namespace,
        appName: "otel-collector",
        component: "telemetry",
        image: args.image ?? DEFAULT_IMAGES.otelCollector,
        size: serviceSize(args.profile ?? "dev", "otelCollector"),
        ports: [
          { name: "otlp-grpc", port: OTLP_GRPC_PORT },
          { name: "otlp-http", port: OTLP_HTTP_PORT },
          { name: "health", port: COLLECTOR_HEALTH_PORT },
        ],
        args: ["--config=/etc/otelcol/config.yaml"],
        configFiles: {
          mountPath: "/etc/otelcol",
          files: { "config.yaml": pulumi.output(args.jaegerOtlpEndpoint).apply(collectorConfig) },
        },
        readinessProbe: { ...health, periodSeconds: 5 },
        livenessProbe: { ...health, initialDelaySeconds: 10, periodSeconds: 15 },
      },
      this,
      args.provider,
    );

    const host = serviceHost("otel-collector", args.namespace);
    this.otlpGrpcEndpoint = pulumi.interpolate`http://${host}:${OTLP_GRPC_PORT}`;
    this.otlpHttpEndpoint = pulumi.interpolate`http://${host}:${OTLP_HTTP_PORT}`;
    this.registerOutputs({
      otlpGrpcEndpoint: this.otlpGrpcEndpoint,
      otlpHttpEndpoint: this.otlpHttpEndpoint,
    });
  }
}
