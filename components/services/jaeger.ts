import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_IMAGES } from "./images";
import { checkInfraServiceArgs, checkNodePort, type InfraServiceArgs } from "./infra-service";
import { JAEGER_MAX_TRACES, JAEGER_PORTS, jaegerConfig } from "./jaeger-config";
import { serviceSize } from "./profile";
import { createInfraWorkload, serviceHost } from "./workload";

export const JAEGER_TYPE = "reporunner:infra:Jaeger";
const { ui: UI_PORT, otlpGrpc: OTLP_GRPC_PORT, otlpHttp: OTLP_HTTP_PORT } = JAEGER_PORTS;
/** The seed's NodePort for the Jaeger UI; kind and k3d map the same port on the host. */
export const DEFAULT_JAEGER_NODE_PORT = 30082;

export interface JaegerArgs extends InfraServiceArgs {
  /** NodePort of the UI (default 30082). */
  readonly uiNodePort?: number;
}

/**
 * Jaeger v2 all-in-one with in-memory storage: traces of the runs and of RepoRunner, UI on a NodePort.
 * In-memory storage keeps it one replica in every profile; traces are lost when the pod restarts, and
 * the oldest go first past the profile's `JAEGER_MAX_TRACES`. Its config is given as a file
 * (components/services/jaeger-config.ts), not left to the image's built-in all-in-one defaults.
 */
export class Jaeger extends pulumi.ComponentResource {
  /** `jaeger.<ns>.svc.cluster.local:4317`: where the collector exports traces. */
  public readonly otlpGrpcEndpoint: pulumi.Output<string>;
  /** The UI on the host: `http://localhost:<uiNodePort>`. */
  public readonly uiUrl: pulumi.Output<string>;

  constructor(name: string, args: JaegerArgs, opts?: pulumi.ComponentResourceOptions) {
    super(JAEGER_TYPE, name, {}, opts);
    checkInfraServiceArgs(args, this);
    const uiNodePort = args.uiNodePort ?? DEFAULT_JAEGER_NODE_PORT;
    checkNodePort(uiNodePort, "uiNodePort", this);
    const profile = args.profile ?? "dev";
    const ui = { httpGet: { path: "/", port: UI_PORT } };
    createInfraWorkload(
      name,
      {
        namespace: args.namespace,
        appName: "jaeger",
        component: "tracing",
        image: args.image ?? DEFAULT_IMAGES.jaeger,
        size: { ...serviceSize(profile, "jaeger"), replicas: 1 },
        ports: [
          { name: "ui", port: UI_PORT, nodePort: uiNodePort },
          { name: "otlp-grpc", port: OTLP_GRPC_PORT },
          { name: "otlp-http", port: OTLP_HTTP_PORT },
        ],
        args: ["--config=/etc/jaeger/config.yaml"],
        configFiles: {
          mountPath: "/etc/jaeger",
          files: { "config.yaml": jaegerConfig(JAEGER_MAX_TRACES[profile]) },
        },
        readinessProbe: { ...ui, periodSeconds: 5 },
        livenessProbe: { ...ui, initialDelaySeconds: 10, periodSeconds: 15 },
      },
      this,
      args.provider,
    );

    this.otlpGrpcEndpoint = pulumi.interpolate`${serviceHost("jaeger", args.namespace)}:${OTLP_GRPC_PORT}`;
    this.uiUrl = pulumi.output(`http://localhost:${uiNodePort}`);
    this.registerOutputs({ otlpGrpcEndpoint: this.otlpGrpcEndpoint, uiUrl: this.uiUrl });
  }
}
