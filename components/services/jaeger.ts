import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_IMAGES } from "./images";
import { checkInfraServiceArgs, checkNodePort, type InfraServiceArgs } from "./infra-service";
import { serviceSize } from "./profile";
import { createInfraWorkload, serviceHost } from "./workload";

export const JAEGER_TYPE = "reporunner:infra:Jaeger";
const UI_PORT = 16686;
const OTLP_GRPC_PORT = 4317;
const OTLP_HTTP_PORT = 4318;
/** The seed's NodePort for the Jaeger UI; kind and k3d map the same port on the host. */
export const DEFAULT_JAEGER_NODE_PORT = 30082;

export interface JaegerArgs extends InfraServiceArgs {
  /** NodePort of the UI (default 30082). */
  readonly uiNodePort?: number;
}

/**
 * Jaeger v2 all-in-one with in-memory storage: traces of the runs and of RepoRunner, UI on a NodePort.
 * In-memory storage keeps it one replica in every profile; traces are lost when the pod restarts.
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
    const ui = { httpGet: { path: "/", port: UI_PORT } };
    createInfraWorkload(
      name,
      {
        namespace: args.namespace,
        appName: "jaeger",
        component: "tracing",
        image: args.image ?? DEFAULT_IMAGES.jaeger,
        size: { ...serviceSize(args.profile ?? "dev", "jaeger"), replicas: 1 },
        ports: [
          { name: "ui", port: UI_PORT, nodePort: uiNodePort },
          { name: "otlp-grpc", port: OTLP_GRPC_PORT },
          { name: "otlp-http", port: OTLP_HTTP_PORT },
        ],
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
